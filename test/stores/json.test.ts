import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { jsonStore, quoteJsonString } from '../../src/stores/json.js'
import type { MapNode, Node, ParsedFile } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'

import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const enc = new TextEncoder()
const dec = new TextDecoder()
const parse = (s: string | Uint8Array, mode: 'plain' | 'encrypted' = 'plain'): ParsedFile =>
  jsonStore.parse(typeof s === 'string' ? enc.encode(s) : s, mode)
const emit = (f: ParsedFile, indent?: number): string =>
  dec.decode(jsonStore.emit(f, indent === undefined ? {} : { indent }))
const branch = (s: string): MapNode => parse(s).branches[0] as MapNode


/** Drop `source` hints so trees from different texts compare by value. */
function strip(n: Node): Node {
  if (n.kind === 'map') return { kind: 'map', items: n.items.map((it) => (it.kind === 'entry' ? { ...it, value: strip(it.value) } : it)) }
  if (n.kind === 'list') return { kind: 'list', items: n.items.map((it) => (it.kind === 'comment' ? it : strip(it))) }
  if ('source' in n) {
    const { source: _s, ...rest } = n
    return rest
  }
  return n
}

describe('json store: upstream vector', () => {
  it('reads format.enc.json: data and metadata', () => {
    const f = jsonStore.parse(readFileSync(`${VECTORS}/format.enc.json`), 'encrypted')
    expect(f.branches).toHaveLength(1)
    const items = f.branches[0]!.items
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ kind: 'entry', key: 'foo', value: { kind: 'str' } })
    const md = f.metadata!
    expect(md['version']).toBe('3.13.1')
    expect(md['unencrypted_suffix']).toBe('_unencrypted')
    const pgp = md['pgp'] as Array<Record<string, string>>
    expect(pgp[0]!['fp']).toBe('FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4')
    expect(pgp[0]!['enc']).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n/)
    expect(Object.keys(md)).toEqual(['lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version'])
  })

  it('re-emits format.enc.json byte for byte', () => {
    const bytes = readFileSync(`${VECTORS}/format.enc.json`)
    expect(Buffer.from(jsonStore.emit(jsonStore.parse(bytes, 'encrypted'))).equals(bytes)).toBe(true)
  })
})

describe('json store: parsing', () => {
  it('keeps file order, integer-like keys and duplicates', () => {
    const b = branch('{"b": 1, "2": 2, "a": 3, "b": 4}')
    expect(b.items.map((i) => (i.kind === 'entry' ? i.key : '#'))).toEqual(['b', '2', 'a', 'b'])
  })

  it('types numbers like sops', () => {
    const vals = (branch('{"a": 9223372036854775807, "b": -9223372036854775808, "c": 9223372036854775808, "d": -0, "e": 1.0, "f": 1e2, "g": 0.1}')
      .items as Array<{ value: Node }>).map((i) => i.value)
    expect(vals[0]).toEqual({ kind: 'int', value: 9223372036854775807n })
    expect(vals[1]).toEqual({ kind: 'int', value: -9223372036854775808n })
    expect(vals[2]).toEqual({ kind: 'float', value: 9223372036854775808, source: '9223372036854775808' })
    expect(vals[3]).toEqual({ kind: 'int', value: 0n })
    expect(vals[4]).toEqual({ kind: 'float', value: 1, source: '1.0' })
    expect(vals[5]).toEqual({ kind: 'float', value: 100, source: '1e2' })
    expect(vals[6]).toEqual({ kind: 'float', value: 0.1, source: '0.1' })
  })

  it('decodes strings: escapes and surrogate pairs', () => {
    const b = branch('{"k": "a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "\\u0041": true}')
    expect(b.items[0]).toMatchObject({ value: { kind: 'str', value: 'a"\\/\b\f\n\r\té😀' } })
    expect(b.items[1]).toMatchObject({ key: 'A', value: { kind: 'bool', value: true } })
  })

  it('refuses invalid UTF-8 and lone surrogate escapes, naming the key (Go would store U+FFFD instead)', () => {
    const bytes = (...parts: Array<string | number[]>): Uint8Array => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)))
    let e = errorOf(() => parse(bytes('{"db": {"list": [1, "', [0xe2, 0x82, 0x41], '"]}}')))
    expect(e.code).toBe('input')
    expect(e.message).toMatch(/the value is not valid UTF-8 \(line 1\)/)
    expect(e.where).toBe('["db"]["list"][1]')
    e = errorOf(() => parse(bytes('{"a": 1,\n"k', [0xff], '": 2}')))
    expect(e.message).toMatch(/a key at the top level is not valid UTF-8 \(line 2\)/)
    e = errorOf(() => parse(bytes('{"a": {"k', [0xc3], '": 2}}')))
    expect(e.message).toMatch(/a key under \["a"\] is not valid UTF-8/)
    e = errorOf(() => parse('{"x": "\\ud800x"}'))
    expect(e.message).toMatch(/lone surrogate/)
    expect(e.where).toBe('["x"]')
    expect(errorOf(() => parse('{"x": "\\udc00"}')).message).toMatch(/lone surrogate/)
    // A real U+FFFD written in the file is text like any other.
    expect(branch('{"k": "\ufffd"}').items[0]).toMatchObject({ value: { kind: 'str', value: '\ufffd' } })
  })

  it('parses nesting, null, empty containers', () => {
    expect(branch('{"a": {"b": [1, [], {}, null, false]}}')).toEqual({
      kind: 'map',
      items: [
        {
          kind: 'entry',
          key: 'a',
          value: {
            kind: 'map',
            items: [
              {
                kind: 'entry',
                key: 'b',
                value: {
                  kind: 'list',
                  items: [
                    { kind: 'int', value: 1n },
                    { kind: 'list', items: [] },
                    { kind: 'map', items: [] },
                    { kind: 'null' },
                    { kind: 'bool', value: false },
                  ],
                },
              },
            ],
          },
        },
      ],
    })
  })

  it('takes the top-level "sops" member out as metadata, in both modes', () => {
    const src = '{"a": "x", "sops": {"version": "3.13.2", "shamir_threshold": 2, "b": [1, {"2": null}]}}'
    for (const mode of ['plain', 'encrypted'] as const) {
      const f = parse(src, mode)
      expect(f.branches[0]!.items).toHaveLength(1)
      expect(f.metadata).toEqual({ version: '3.13.2', shamir_threshold: 2, b: [1, { 2: null }] })
    }
    expect(parse('{"a": {"sops": 1}}').metadata).toBeNull()
  })

  it.each([
    ['[1]', /top level/],
    ['"x"', /top level/],
    ['null', /top level/],
    ['', /line 1, column 1: the file is empty/],
    ['{"a": 1,}', /line 1, column 9/],
    ['{\n  "a": 01\n}', /line 2, column 9/],
    ['{"a": 1e400}', /line 1, column 7: number out of range/],
    ['{"a": "x\ny"}', /line 1, column 9: control character/],
    ['{"a": "\\x"}', /invalid escape/],
    ['{"a": "\\u12"}', /invalid \\u escape/],
    ['{"a": tru}', /expected "true"/],
    ['{"a": "secret-value"', /string is not closed|end of input/],
    ['{"a": 1} x', /after the top-level object/],
    ['{"a" 1}', /expected ":"/],
    ['{"sops": 1}', /"sops" member is not an object/],
    ['{"sops": {}, "sops": {}}', /appears twice/],
    ['[' + '{"a":'.repeat(1200), /nesting|top level/],
  ])('rejects %j with a located SecretsError', (src, re) => {
    const e = errorOf(() => parse(src))
    expect(e.code).toBe('input')
    expect(e.message).toMatch(re)
  })

  it('never echoes values in errors', () => {
    for (const src of ['{"a": "hunter2', '{"a": hunter2}', '{"a": "hunter2\u0001"}', '{"a": 1e999999, "b": "hunter2"}']) {
      expect(errorOf(() => parse(src)).message).not.toContain('hunter2')
    }
    expect(errorOf(() => parse('{"a": 1e999999}')).message).not.toContain('999999')
  })

  it('rejects deep nesting without overflowing the stack', () => {
    const src = '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}'
    expect(errorOf(() => parse(src)).message).toMatch(/nests deeper than 256 levels/)
  })
})

describe('json store: emitting', () => {
  it('writes sops layout: tab indent, ": ", compact empties, trailing newline, sops last', () => {
    const f = parse('{"a": {"b": [1, 2.5, true, null, "s"], "c": {}, "d": []}, "e": -0}')
    f.metadata = { lastmodified: 't', pgp: [{ fp: 'X' }] }
    expect(emit(f)).toBe(
      '{\n\t"a": {\n\t\t"b": [\n\t\t\t1,\n\t\t\t2.5,\n\t\t\ttrue,\n\t\t\tnull,\n\t\t\t"s"\n\t\t],\n\t\t"c": {},\n\t\t"d": []\n\t},\n\t"e": 0,\n' +
        '\t"sops": {\n\t\t"lastmodified": "t",\n\t\t"pgp": [\n\t\t\t{\n\t\t\t\t"fp": "X"\n\t\t\t}\n\t\t]\n\t}\n}\n',
    )
  })

  it('honours opts.indent: N spaces, 0 = newlines only', () => {
    const f = parse('{"a": [1]}')
    expect(emit(f, 2)).toBe('{\n  "a": [\n    1\n  ]\n}\n')
    expect(emit(f, 0)).toBe('{\n"a": [\n1\n]\n}\n')
    expect(emit(parse('{}'))).toBe('{}\n')
    expect(errorOf(() => emit(f, -2)).code).toBe('usage')
  })

  it('escapes like Go: <>& U+2028 U+2029 control chars, lone surrogates', () => {
    expect(quoteJsonString('<a>&"\\\u2028\u2029\u0001\u001f\b\f\n\r\t\u007f\ud800é😀')).toBe(
      '"\\u003ca\\u003e\\u0026\\"\\\\\\u2028\\u2029\\u0001\\u001f\\b\\f\\n\\r\\t\u007f\\ufffdé😀"',
    )
  })

  it('writes floats in the shortest form, -0 as -0, keeps a float literal like 1.0, refuses NaN/Inf', () => {
    const m = (v: Node): ParsedFile => ({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'x', value: v }] }], metadata: null })
    expect(emit(m({ kind: 'float', value: 1e21 }))).toContain('"x": 1e+21')
    expect(emit(m({ kind: 'float', value: 1.5e-7 }))).toContain('"x": 1.5e-7')
    expect(emit(m({ kind: 'float', value: -0 }))).toContain('"x": -0')
    expect(emit(m({ kind: 'float', value: 1, source: '1.0' }))).toContain('"x": 1.0')
    expect(emit(m({ kind: 'float', value: 1, source: '.inf' }))).toContain('"x": 1\n') // not JSON: ignored
    expect(emit(m({ kind: 'int', value: 31n, source: '0x1F' }))).toContain('"x": 31')
    expect(emit(m({ kind: 'time', value: '2024-01-01T00:00:00Z' }))).toContain('"x": "2024-01-01T00:00:00Z"')
    expect(emit(m({ kind: 'bytes', value: enc.encode('hé') }))).toContain('"x": "hé"')
    const e = errorOf(() => emit(m({ kind: 'float', value: NaN })))
    expect(e.message).toContain('["x"]')
    expect(errorOf(() => emit(m({ kind: 'float', value: -Infinity }))).code).toBe('input')
  })

  it('drops comments and emits only branch 0', () => {
    const f: ParsedFile = {
      branches: [
        { kind: 'map', items: [{ kind: 'comment', text: ' c' }, { kind: 'entry', key: 'a', value: { kind: 'list', items: [{ kind: 'comment', text: 'x' }] } }] },
        { kind: 'map', items: [{ kind: 'entry', key: 'b', value: { kind: 'null' } }] },
      ],
      metadata: null,
    }
    expect(emit(f)).toBe('{\n\t"a": []\n}\n')
  })

  it('emitValue: strings raw, scalars as JSON, lists indented, maps as a whole file', () => {
    const ev = (n: Node): string => dec.decode(jsonStore.emitValue(n))
    expect(ev({ kind: 'str', value: 'a<b\n' })).toBe('a<b\n')
    expect(ev({ kind: 'int', value: 1234n })).toBe('1234')
    expect(ev({ kind: 'bool', value: false })).toBe('false')
    expect(ev({ kind: 'list', items: [{ kind: 'str', value: 'a' }] })).toBe('[\n\t"a"\n]')
    expect(ev({ kind: 'map', items: [{ kind: 'entry', key: 'k', value: { kind: 'null' } }] })).toBe('{\n\t"k": null\n}\n')
  })
})

describe('json store: round trips', () => {
  it('parse -> emit -> parse is the identity on a varied document', () => {
    const src =
      '{"ü": "ünïcødé 😀 <&>", "": "", "big": 9223372036854775807, "bigger": 9223372036854775808, ' +
      '"f": [1.5, -0.25, 1.0, 1e300, 5e-324], "b": [true, false], "n": null, "d": 1, "d": 2, "nested": {"x": [[], {}, [{"y": "\\u2028"}]]}}'
    const once = parse(src)
    const text = emit(once)
    expect(parse(text)).toEqual(once)
    expect(emit(parse(text))).toBe(text)
    expect(text).toContain('"big": 9223372036854775807')
  })

  // A top-level "sops" key would be read back as metadata, so keys avoid that one name.
  const key = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((k) => k !== 'sops')
  const scalar: fc.Arbitrary<Node> = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }).map((value): Node => ({ kind: 'str', value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): Node => ({ kind: 'int', value })),
    // Integral floats come back as ints (sops does the same), so only non-integral ones round-trip.
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Number.isInteger(v)).map((value): Node => ({ kind: 'float', value })),
    fc.boolean().map((value): Node => ({ kind: 'bool', value })),
    fc.constant<Node>({ kind: 'null' }),
  )
  const { tree } = fc.letrec<{ tree: MapNode; node: Node; list: Node }>((tie) => ({
    tree: fc
      .array(fc.tuple(key, tie('node')), { maxLength: 5 })
      .map((kv): MapNode => ({ kind: 'map', items: kv.map(([k, value]) => ({ kind: 'entry', key: k, value })) })),
    list: fc.array(tie('node'), { maxLength: 4 }).map((items): Node => ({ kind: 'list', items })),
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('tree'), tie('list')),
  }))

  /** The tree as JSON.parse would see it (ints as numbers). */
  function plain(n: Node): unknown {
    switch (n.kind) {
      case 'map':
        return Object.fromEntries(n.items.flatMap((it) => (it.kind === 'entry' ? [[it.key, plain(it.value)]] : [])))
      case 'list':
        return n.items.flatMap((it) => (it.kind === 'comment' ? [] : [plain(it)]))
      case 'int':
        return Number(n.value)
      case 'null':
        return null
      case 'bytes':
        return dec.decode(n.value)
      default:
        return n.value
    }
  }

  it('property: the parser agrees with JSON.parse on values (differential)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 1, 2), (v, sp) => {
        const text = JSON.stringify({ v }, null, sp)
        expect(plain(branch(text))).toEqual(JSON.parse(text))
      }),
      { numRuns: 300 },
    )
  })

  it('property: quoteJsonString output is valid JSON for the same text (lone surrogates -> U+FFFD)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (str) => {
        const wellFormed = str.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
        expect(JSON.parse(quoteJsonString(str))).toBe(wellFormed)
        expect(quoteJsonString(str)).not.toMatch(/[<>&\u2028\u2029]/)
      }),
      { numRuns: 300 },
    )
  })

  it('property: emit -> parse gives the tree back (nested maps/lists/str/int/float/bool/null, duplicate keys)', () => {
    fc.assert(
      fc.property(tree, fc.constantFrom(-1, 0, 2), (t, indent) => {
        const back = parse(emit({ branches: [t], metadata: null }, indent)).branches[0] as MapNode
        expect(strip(back)).toEqual(t)
      }),
      { numRuns: 300 },
    )
  })
})
