import { describe, it, expect } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import fc from 'fast-check'
import { yamlStore } from '../../src/stores/yaml.js'
import { formatGoFloatG, parseGoTimestamp, plainReadsAsString, resolvePlain } from '../../src/stores/yaml-resolve.js'
import type { Comment, MapEntry, MapNode, Node, ParsedFile, PlainObject } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'

import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const enc = new TextEncoder()
const dec = new TextDecoder()
const parse = (s: string | Uint8Array): ParsedFile => yamlStore.parse(typeof s === 'string' ? enc.encode(s) : s, 'plain')
const emit = (f: ParsedFile, indent?: number): string => dec.decode(yamlStore.emit(f, indent === undefined ? {} : { indent }))
const root = (s: string): MapNode => parse(s).branches[0]!
const emitTree = (m: MapNode, indent?: number): string => emit({ branches: [m], metadata: null }, indent)
const entries = (m: MapNode): MapEntry[] => m.items.filter((i): i is MapEntry => i.kind === 'entry')
/** The value of top-level key `k` of `text`. */
const valueOf = (text: string, k = 'v'): Node => entries(root(text)).find((e) => e.key === k)!.value
const roundTrip = (text: string, indent?: number): ParsedFile => parse(emit(parse(text), indent))

/** The writer always uses block style, so the `flow` hint does not survive a round trip. */
const dropFlow = (f: ParsedFile): unknown => JSON.parse(JSON.stringify(f, (k, v: unknown) => (k === 'flow' ? undefined : typeof v === 'bigint' ? `${v}n` : v)))


/** Comparable form: values by kind and value only (no style/source), floats as text. */
function norm(n: Node | Comment | MapEntry): unknown {
  switch (n.kind) {
    case 'map':
    case 'list':
      return { [n.kind]: n.items.map(norm) }
    case 'entry':
      return [n.key, norm(n.value)]
    case 'comment':
      return { comment: n.text, inline: n.inline === true }
    case 'float':
      return { float: Object.is(n.value, -0) ? '-0' : String(n.value) }
    case 'int':
      return { int: n.value.toString() }
    case 'null':
      return null
    case 'bytes':
      return { bytes: Array.from(n.value) }
    default:
      return { [n.kind]: n.value }
  }
}

describe('yaml resolver: spec 6.1.2 table', () => {
  const rows: Array<[string, unknown]> = [
    ['null', null],
    ['Null', null],
    ['NULL', null],
    ['~', null],
    ['', null],
    ['true', { bool: true }],
    ['True', { bool: true }],
    ['TRUE', { bool: true }],
    ['false', { bool: false }],
    ['False', { bool: false }],
    ['FALSE', { bool: false }],
    ['yes', { str: 'yes' }],
    ['no', { str: 'no' }],
    ['on', { str: 'on' }],
    ['off', { str: 'off' }],
    ['y', { str: 'y' }],
    ['n', { str: 'n' }],
    ['tRUE', { str: 'tRUE' }],
    ['.inf', { float: 'Infinity' }],
    ['.Inf', { float: 'Infinity' }],
    ['.INF', { float: 'Infinity' }],
    ['+.inf', { float: 'Infinity' }],
    ['-.inf', { float: '-Infinity' }],
    ['-.Inf', { float: '-Infinity' }],
    ['.nan', { float: 'NaN' }],
    ['.NaN', { float: 'NaN' }],
    ['.NAN', { float: 'NaN' }],
    ['-0', { float: '-0' }],
    ['-0.0', { float: '-0' }],
    ['.5', { float: '0.5' }],
    ['.5e3', { float: '500' }],
    ['.x', { str: '.x' }],
    ['0', { int: '0' }],
    ['+1', { int: '1' }],
    ['-12', { int: '-12' }],
    ['0x1F', { int: '31' }],
    ['-0x1F', { int: '-31' }],
    ['0o17', { int: '15' }],
    ['0b101', { int: '5' }],
    ['017', { int: '15' }],
    ['1_000', { int: '1000' }],
    ['9007199254740993', { int: '9007199254740993' }],
    ['9223372036854775807', { int: '9223372036854775807' }],
    ['-9223372036854775808', { int: '-9223372036854775808' }],
    ['-9223372036854775809', { float: '-9223372036854776000' }],
    ['18446744073709551616', { float: '18446744073709552000' }],
    ['08', { float: '8' }],
    ['1e3', { float: '1000' }],
    ['1_000.5', { float: '1000.5' }],
    ['1.5', { float: '1.5' }],
    ['1.', { float: '1' }],
    ['+1.5e-3', { float: '0.0015' }],
    ['1e400', { str: '1e400' }],
    ['0x', { str: '0x' }],
    ['0xZZ', { str: '0xZZ' }],
    ['1.2.3', { str: '1.2.3' }],
    ['1:20', { str: '1:20' }],
    ['<<', { str: '<<' }],
    ['hello world', { str: 'hello world' }],
  ]
  for (const [text, want] of rows) {
    it(`${JSON.stringify(text)} -> ${JSON.stringify(want)}`, () => {
      expect(norm(valueOf(`v: ${text}\n`))).toEqual(want)
    })
  }

  it('quoted and block scalars are always strings', () => {
    expect(norm(valueOf('v: "123"'))).toEqual({ str: '123' })
    expect(norm(valueOf("v: 'true'"))).toEqual({ str: 'true' })
    expect(norm(valueOf('v: |-\n  null'))).toEqual({ str: 'null' })
    expect(norm(valueOf('v: >-\n  2024-01-01'))).toEqual({ str: '2024-01-01' })
    expect(norm(valueOf('v: !!str 12'))).toEqual({ str: '12' })
    expect(norm(valueOf('v: !Ref 12'))).toEqual({ str: '12' })
  })

  it('ints beyond int64 but within uint64 fail without echoing the value', () => {
    for (const big of ['9223372036854775808', '18446744073709551615', '0x8000000000000000']) {
      const e = errorOf(() => parse(`a:\n  secret: ${big}\n`))
      expect(e.code).toBe('input')
      expect(e.message).toContain('["a"]["secret"]')
      expect(e.message).toContain('line 2')
      expect(e.message).not.toContain(big)
    }
    expect(resolvePlain('18446744073709551615')).toEqual({ kind: 'uint', value: 18446744073709551615n })
  })

  it('keeps the source text of typed scalars', () => {
    expect(valueOf('v: 0x1F')).toEqual({ kind: 'int', value: 31n, source: '0x1F' })
    expect(valueOf('v: ~')).toEqual({ kind: 'null', source: '~' })
    expect(valueOf('v: True')).toEqual({ kind: 'bool', value: true, source: 'True' })
    expect(valueOf('v: 1e3')).toEqual({ kind: 'float', value: 1000, source: '1e3' })
    expect(valueOf('v: 2024-1-2')).toEqual({ kind: 'time', value: '2024-01-02T00:00:00Z', source: '2024-1-2' })
    expect(valueOf("v: 'x'")).toEqual({ kind: 'str', value: 'x', style: 'single' })
  })
})

describe('yaml resolver: spec 6.1.3 timestamps', () => {
  const times: Array<[string, string]> = [
    ['2024-01-01', '2024-01-01T00:00:00Z'],
    ['2024-1-2', '2024-01-02T00:00:00Z'],
    ['2006-01-02T15:04:05+07:06', '2006-01-02T15:04:05+07:06'],
    ['2024-01-01T10:00:00Z', '2024-01-01T10:00:00Z'],
    ['2024-01-01t10:00:00Z', '2024-01-01T10:00:00Z'],
    ['2024-1-1T1:2:3Z', '2024-01-01T01:02:03Z'],
    ['2024-01-01T10:00:00+00:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01T10:00:00-05:30', '2024-01-01T10:00:00-05:30'],
    ['2024-01-01T10:00:00.500Z', '2024-01-01T10:00:00.5Z'],
    ['2024-01-01T10:00:00.000Z', '2024-01-01T10:00:00Z'],
    ['2024-01-01T10:00:00.123456789123Z', '2024-01-01T10:00:00.123456789Z'],
    ['2024-01-01 10:00:00', '2024-01-01T10:00:00Z'],
    ['2024-01-01 10:00:00.25', '2024-01-01T10:00:00.25Z'],
    ['2024-02-29', '2024-02-29T00:00:00Z'],
    ['2000-02-29', '2000-02-29T00:00:00Z'],
  ]
  for (const [text, canon] of times) {
    it(`${text} is time ${canon}`, () => {
      expect(valueOf(`v: ${text}`)).toEqual({ kind: 'time', value: canon, source: text })
      expect(parseGoTimestamp(canon)).toBe(canon)
    })
  }
  const strings = [
    '2024-01-01T10:00:00',
    '2024-02-30',
    '2023-02-29',
    '1900-02-29',
    '2024-13-01',
    '2024-00-10',
    '2024-01-00',
    '2024-01-01T24:00:00Z',
    '2024-01-01T10:60:00Z',
    '2024-01-01T10:00:60Z',
    '2024-01-01 10:00:00Z',
    '2024-01-01 10:00:00 +01:00',
    '2024-01-01T10:00:00z',
    '2024-001-01',
    '12024-01-01',
    '2024-01-01x',
  ]
  for (const text of strings) {
    it(`${text} stays a string`, () => expect(norm(valueOf(`v: ${text}`))).toEqual({ str: text }))
  }
  it('a timestamp key is a non-string key', () => {
    expect(errorOf(() => parse('2024-01-01: x\n')).message).toMatch(/not a string/)
  })
})

describe('yaml writer helpers', () => {
  it('formats floats like Go strconv g', () => {
    const cases: Array<[number, string]> = [
      [1e6, '1e+06'],
      [1234568000, '1.234568e+09'],
      [123456.7, '123456.7'],
      [1234567, '1.234567e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [1e21, '1e+21'],
      [25.4, '25.4'],
      [1, '1'],
      [-2.5, '-2.5'],
      [-0, '-0'],
      [Infinity, '.inf'],
      [-Infinity, '-.inf'],
      [NaN, '.nan'],
      [5e-324, '5e-324'],
    ]
    for (const [x, s] of cases) expect(formatGoFloatG(x)).toBe(s)
  })

  it('knows which strings cannot be plain', () => {
    for (const s of ['123', 'true', '2024-01-01', 'null', '', '<<', 'yes', 'No', 'on', 'OFF', 'y', 'n', '1:20', '0x1F', '.inf', '~']) {
      expect(plainReadsAsString(s), s).toBe(false)
    }
    for (const s of ['hello', '1.2.3', 'v1', '3.13.2', 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4']) expect(plainReadsAsString(s), s).toBe(true)
  })
})

describe('yaml store: parse structure', () => {
  it('parses nested maps, lists and flow collections in order', () => {
    const m = root('z: 1\na:\n    b: [x, {c: d}]\n    - ignored\n'.replace('    - ignored\n', ''))
    expect(norm(m)).toEqual({
      map: [
        ['z', { int: '1' }],
        ['a', { map: [['b', { list: [{ str: 'x' }, { map: [['c', { str: 'd' }]] }] }]] }],
      ],
    })
  })

  it('treats an empty file as an error and comment-only documents as maps of comments', () => {
    expect(errorOf(() => parse('')).message).toBe('file cannot be completely empty')
    expect(errorOf(() => parse('\n  \n')).message).toBe('file cannot be completely empty')
    expect(root('# only\n#  two\n')).toEqual({ kind: 'map', items: [{ kind: 'comment', text: ' only' }, { kind: 'comment', text: '  two' }] })
    expect(root('---\n')).toEqual({ kind: 'map', items: [] })
    expect(root('~\n')).toEqual({ kind: 'map', items: [] })
    expect(parse('a: 1\n---\n# c\n').branches[1]).toEqual({ kind: 'map', items: [{ kind: 'comment', text: ' c' }] })
  })

  it('rejects roots that are not maps', () => {
    expect(errorOf(() => parse('- a\n- b\n')).message).toMatch(/root of document 1 is a list/)
    expect(errorOf(() => parse('just text\n')).message).toMatch(/root of document 1 is a scalar/)
    expect(errorOf(() => parse('a: 1\n---\n- x\n')).message).toMatch(/document 2/)
  })

  it('rejects duplicate keys in document 0 only', () => {
    const e = errorOf(() => parse('a: 1\nb:\n  c: 1\n  c: 2\n'))
    expect(e.code).toBe('input')
    expect(e.message).toContain('["b"]["c"]')
    expect(e.message).toContain('line 4')
    expect(e.hint).toBeTruthy()
    expect(errorOf(() => parse('a: 1\na: 2\n')).message).toContain('["a"]')
    const f = parse('a: 1\n---\nb: 1\nb: 2\n')
    expect(entries(f.branches[1]!).map((e) => e.key)).toEqual(['b', 'b'])
  })

  it('rejects non-string plain keys but accepts quoted ones', () => {
    for (const k of ['1', 'true', 'null', '2024-01-01', '1.5', '~']) {
      const e = errorOf(() => parse(`${k}: x\n`))
      expect(e.code).toBe('input')
      expect(e.message).toMatch(/not a string/)
    }
    expect(errorOf(() => parse('? [a]\n: x\n')).message).toMatch(/not a string/)
    expect(entries(root('"1": x\n\'true\': y\nyes: z\n')).map((e) => e.key)).toEqual(['1', 'true', 'yes'])
  })

  it('reports syntax errors with a line number and no content', () => {
    const e = errorOf(() => parse('a: 1\nb: "unterminated secret\n'))
    expect(e.code).toBe('input')
    expect(e.message).toMatch(/line \d+/)
    expect(e.message).not.toContain('secret')
    expect(errorOf(() => parse(new Uint8Array([0x61, 0x3a, 0x20, 0xff]))).message).toMatch(/UTF-8/)
  })

  it('expands aliases as deep copies and keeps << as a plain key', () => {
    const m = root('base: &b\n  x: 1\n  l: [1, 2]\nother:\n  <<: *b\n  y: 2\ncopy: *b\n')
    const [base, other, copy] = entries(m)
    expect(norm(copy!.value)).toEqual(norm(base!.value))
    expect(copy!.value).not.toBe(base!.value)
    expect(norm(other!.value)).toEqual({ map: [['<<', norm(base!.value)], ['y', { int: '2' }]] })
    expect(emitTree(m)).toContain('    "<<":\n        x: 1\n')
    expect(errorOf(() => parse('a: *nope\n')).code).toBe('input')
  })

  it('drops custom tags and decodes !!binary', () => {
    expect(valueOf('v: !Ref some.thing')).toEqual({ kind: 'str', value: 'some.thing', style: 'plain' })
    expect(valueOf('v: !!binary aGVsbG8=')).toEqual({ kind: 'str', value: 'hello' })
    expect(emitTree(root('v: >-\n  one line\nw: >\n  a\n  b\n'))).toBe('v: >-\n    one line\nw: >\n    a b\n')
    expect(valueOf('v: !!binary |\n  /wA=\n')).toEqual({ kind: 'bytes', value: new Uint8Array([0xff, 0]) })
    expect(norm(valueOf('v: !custom {a: 1}'))).toEqual({ map: [['a', { int: '1' }]] })
  })

  it('reads CRLF files', () => {
    const m = root('# c\r\na: 1 # t\r\nb: |\r\n  x\r\n  y\r\n')
    expect(norm(m)).toEqual({
      map: [{ comment: ' c', inline: false }, { comment: ' t', inline: true }, ['a', { int: '1' }], ['b', { str: 'x\ny\n' }]],
    })
  })
})

describe('yaml store: comments (spec 6.1.4)', () => {
  it('attributes the spec 3.3 example', () => {
    const m = root(
      [
        '# top comment',
        'db:',
        '    user: alice',
        '    hosts:',
        '        - a.example.org',
        '        - name: b',
        '          tags: [x, [y, z]]',
        '    # about db',
        'top: 1',
        '',
      ].join('\n'),
    )
    expect(m.items[0]).toEqual({ kind: 'comment', text: ' top comment' })
    const db = (m.items[1] as MapEntry).value as MapNode
    expect(db.items[db.items.length - 1]).toEqual({ kind: 'comment', text: ' about db' })
    expect(entries(m).map((e) => e.key)).toEqual(['db', 'top'])
  })

  it('attributes the spec 4.3 example frame by frame', () => {
    const text = [
      '#sops:enc',
      'foo: bar',
      'bar:',
      '    foo: bar',
      '    #before',
      '    #sops:enc',
      '    encrypted: x',
      'array:',
      '    - bar',
      '    #sops:enc',
      '    - baz',
      '#sops:enc',
      '#after',
      'encarray: [bar, baz]',
      '',
    ].join('\n')
    expect(norm(root(text))).toEqual({
      map: [
        { comment: 'sops:enc', inline: false },
        ['foo', { str: 'bar' }],
        [
          'bar',
          {
            map: [
              ['foo', { str: 'bar' }],
              { comment: 'before', inline: false },
              { comment: 'sops:enc', inline: false },
              ['encrypted', { str: 'x' }],
            ],
          },
        ],
        ['array', { list: [{ str: 'bar' }, { comment: 'sops:enc', inline: false }, { str: 'baz' }] }],
        { comment: 'sops:enc', inline: false },
        { comment: 'after', inline: false },
        ['encarray', { list: [{ str: 'bar' }, { str: 'baz' }] }],
      ],
    })
    expect(emit(parse(text))).toBe(text.replace('encarray: [bar, baz]', 'encarray:\n    - bar\n    - baz'))
  })

  it('places same-line and before-value comments before their entry', () => {
    const m = root('a: 1 # one\nb: # on key\n    c: 2 # two\nd:\n    # before value\n    v\nlist:\n- x # ix\n# col0 list comment\n- y\ne: 3\n')
    expect(norm(m)).toEqual({
      map: [
        { comment: ' one', inline: true },
        ['a', { int: '1' }],
        { comment: ' on key', inline: false },
        ['b', { map: [{ comment: ' two', inline: true }, ['c', { int: '2' }]] }],
        { comment: ' before value', inline: false },
        ['d', { str: 'v' }],
        ['list', { list: [{ comment: ' ix', inline: true }, { str: 'x' }, { comment: ' col0 list comment', inline: false }, { str: 'y' }] }],
        ['e', { int: '3' }],
      ],
    })
  })

  it('puts a trailing comment of a nested block in that block, and a dedented one in the parent', () => {
    const m = root('a:\n    b: 1\n    # in a\n# in root\nc:\n    - k: v\n      # in item map\n    # in list\n')
    expect(norm(m)).toEqual({
      map: [
        ['a', { map: [['b', { int: '1' }], { comment: ' in a', inline: false }] }],
        { comment: ' in root', inline: false },
        ['c', { list: [{ map: [['k', { str: 'v' }], { comment: ' in item map', inline: false }] }, { comment: ' in list', inline: false }] }],
      ],
    })
  })

  it('keeps comments of every document, and inline comments after block headers', () => {
    const f = parse('# d1\na: |  # hdr\n  text\n---\nb: 1\n# d2 tail\n')
    expect(norm(f.branches[0]!)).toEqual({ map: [{ comment: ' d1', inline: false }, { comment: ' hdr', inline: true }, ['a', { str: 'text\n' }]] })
    expect(norm(f.branches[1]!)).toEqual({ map: [['b', { int: '1' }], { comment: ' d2 tail', inline: false }] })
  })

  it('writes comments as # + text at the container indentation, inline ones on the value line', () => {
    const text = '# top\na: 1 # one\nb:\n    # in b\n    c: x\n    l:\n        - p # ip\n        # between\n        - q\n#\n# end\n'
    expect(emit(parse(text))).toBe(text)
  })
})

describe('yaml store: upstream vectors', () => {
  const files = readdirSync(VECTORS).filter((f) => f.endsWith('.yaml'))
  it('has the expected files', () => expect(files.length).toBeGreaterThanOrEqual(4))
  for (const file of files) {
    it(`parses ${file}`, () => {
      const f = yamlStore.parse(readFileSync(`${VECTORS}/${file}`), 'encrypted')
      expect(f.branches).toHaveLength(1)
      if (file === 'comments.yaml') {
        expect(f.metadata).toBeNull()
        return
      }
      const md = f.metadata!
      expect(typeof md['lastmodified']).toBe('string')
      expect(typeof md['version']).toBe('string')
      const pgp = md['pgp'] as PlainObject[]
      expect(pgp[0]!['fp']).toMatch(/^[0-9A-F]{40}$/)
      expect(pgp[0]!['enc']).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n/)
      expect(entries(f.branches[0]!).some((e) => e.key === 'sops')).toBe(false)
    })
  }

  it('comments.enc.yaml: comments in the root, metadata extracted with timestamps as text', () => {
    const f = yamlStore.parse(readFileSync(`${VECTORS}/comments.enc.yaml`), 'encrypted')
    const items = f.branches[0]!.items
    expect(items.map((i) => (i.kind === 'entry' ? i.key : '#'))).toEqual(['#', 'lorem', '#', 'dolor'])
    expect((items[0] as Comment).text).toMatch(/^ENC\[AES256_GCM,.*type:comment\]$/)
    expect(f.metadata!['lastmodified']).toBe('2020-10-07T15:49:13Z')
    expect(f.metadata!['kms']).toEqual([])
    expect(Object.keys(f.metadata!)).toEqual(['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'age', 'lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version'])
    expect((f.metadata!['pgp'] as PlainObject[])[0]!['created_at']).toBe('2019-08-29T21:52:32Z')
  })

  it('comments.yaml: top-level comments', () => {
    expect(norm(root(readFileSync(`${VECTORS}/comments.yaml`, 'utf8')))).toEqual({
      map: [{ comment: ' first comment in file', inline: false }, ['lorem', { str: 'ipsum' }], { comment: ' this-is-a-comment', inline: false }, ['dolor', { str: 'sit' }]],
    })
  })

  it('format.enc.yaml (sops 3.13) is re-emitted byte for byte', () => {
    const bytes = readFileSync(`${VECTORS}/format.enc.yaml`)
    expect(emit(yamlStore.parse(bytes, 'encrypted'))).toBe(bytes.toString('utf8'))
  })

  it('unquoted metadata timestamps come back as the text written', () => {
    const f = parse('a: 1\nsops:\n    lastmodified: 2020-10-07T15:49:13Z\n    shamir_threshold: 2\n    mac_only_encrypted: true\n    version: 3.7\n')
    expect(f.metadata).toEqual({ lastmodified: '2020-10-07T15:49:13Z', shamir_threshold: 2, mac_only_encrypted: true, version: 3.7 })
  })

  it('drops sops keys of later documents', () => {
    const f = parse('a: 1\nsops:\n    version: 3.13.2\n---\nb: 2\nsops:\n    version: other\n')
    expect(f.metadata).toEqual({ version: '3.13.2' })
    expect(norm(f.branches[1]!)).toEqual({ map: [['b', { int: '2' }]] })
  })
})

describe('yaml store: round trips (parse -> emit -> parse)', () => {
  const cases: Record<string, string> = {
    comments: '# top\na: 1 # inline\nb:\n    # nested\n    c: [1, 2]\n    # tail\n# end\n',
    'key order': 'zeta: 1\nalpha: 2\n"10": 3\n"2": 4\nbeta: 5\n',
    'big integers': 'a: 9007199254740993\nb: 9223372036854775807\nc: -9223372036854775808\nd: 0x7FFFFFFFFFFFFFFF\n',
    floats: 'a: 1.5\nb: 1e3\nc: 1.234568e+09\nd: .inf\ne: -.inf\nf: .nan\ng: -0\nh: 08\ni: 0.1\n',
    booleans: 'a: true\nb: False\nc: "yes"\nd: "on"\n',
    unicode: 'ключ: значение\n"🔑": "✓ ünïcödé"\nemoji: 🎉\ncjk: 日本語\n',
    'multi-line strings': 'a: |\n    line1\n    line2\nb: |-\n    no newline\nc: |+\n    keep\n\nd: >\n    folded\n    text\ne: |2-\n     leading space\n    second\n',
    'empty strings': "a: ''\nb: \"\"\nc:\n    - ''\n",
    nulls: 'a: null\nb: ~\nc:\nd:\n    - null\n    -\n',
    'lists of maps': 'l:\n    - name: a\n      v: 1\n      sub:\n        - x: 1\n          y: [1, [2, 3]]\n    - name: b\n    - - nested\n      - list\n    - []\n    - {}\n',
    'multi-document': 'a: 1\n---\nb: 2\n---\n# only comments\n',
    styles: "a: 'single'\nb: \"double\"\nc: plain\nd: '123'\ne: \"it's\"\nf: 'a: b'\n",
    times: 'a: 2024-01-01\nb: 2024-01-01T10:00:00.5+01:00\nc: "2024-01-01"\n',
    'tricky strings': "a: 'x #y'\nb: ' lead'\nc: 'trail '\nd: '- dash'\ne: '#hash'\nf: \"tab\\there\"\ng: \"cr\\rlf\"\nh: '---'\ni: \"<<\"\nj: '1:20'\nk: \"\\u2028\"\n",
  }
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      const first = parse(text)
      const second = roundTrip(text)
      expect(dropFlow(second)).toEqual(dropFlow(first))
      // Emitting again is stable.
      expect(emit(second)).toBe(emit(first))
    })
  }

  it('round trips with indent 2 and 3', () => {
    const text = cases['lists of maps']! + cases['multi-line strings']!
    for (const indent of [2, 3]) expect(dropFlow(roundTrip(text, indent))).toEqual(dropFlow(parse(text)))
  })

  it('keeps the recorded style of strings and the source of typed scalars', () => {
    const text = "a: 'single'\nb: \"double\"\nc: 0x1F\nd: ~\ne: True\nf: 2024-1-2\ng: 1_000\nh:\n"
    expect(emit(parse(text))).toBe(text)
  })
})

describe('yaml store: emit', () => {
  const s = (value: string, style?: 'plain' | 'single' | 'double' | 'literal' | 'folded'): Node => ({ kind: 'str', value, style })
  const one = (value: Node): string => emitTree({ kind: 'map', items: [{ kind: 'entry', key: 'k', value }] })

  it('quotes strings that would not read back as strings', () => {
    for (const v of ['123', 'true', '2024-01-01', 'null', '', '<<', 'yes', 'no', 'on', 'off', 'y', 'n', '1:20', '~', '-0', '.inf']) {
      expect(one(s(v)), v).toBe(`k: ${JSON.stringify(v)}\n`)
    }
  })

  it('single-quotes strings that cannot be plain, double when needed', () => {
    expect(one(s('a: b'))).toBe("k: 'a: b'\n")
    expect(one(s('a #b'))).toBe("k: 'a #b'\n")
    expect(one(s(' lead'))).toBe("k: ' lead'\n")
    expect(one(s('trail '))).toBe("k: 'trail '\n")
    expect(one(s('#x'))).toBe("k: '#x'\n")
    expect(one(s("it's: x"))).toBe("k: 'it''s: x'\n")
    expect(one(s('- x'))).toBe("k: '- x'\n")
    expect(one(s('tab\there'))).toBe('k: "tab\\there"\n')
    expect(one(s('nul\u0000'))).toBe('k: "nul\\0"\n')
    expect(one(s('plain text, ok'))).toBe('k: plain text, ok\n')
    expect(one(s('x', 'double'))).toBe('k: "x"\n')
    expect(one(s('123', 'plain'))).toBe('k: "123"\n')
  })

  it('never folds long ENC tokens', () => {
    const tok = `ENC[AES256_GCM,data:${'A'.repeat(500)},iv:${'B'.repeat(44)},tag:${'C'.repeat(24)},type:str]`
    expect(one(s(tok))).toBe(`k: ${tok}\n`)
  })

  it('writes multi-line strings as literal blocks', () => {
    expect(one(s('a\nb'))).toBe('k: |-\n    a\n    b\n')
    expect(one(s('a\nb\n'))).toBe('k: |\n    a\n    b\n')
    expect(one(s('a\n\n'))).toBe('k: |+\n    a\n\n')
    expect(one(s('a\n\nb'))).toBe('k: |-\n    a\n\n    b\n')
    expect(one(s(' a\nb'))).toBe('k: |4-\n     a\n    b\n')
    expect(one(s('\n'))).toBe('k: "\\n"\n')
    expect(one(s('a\r\nb'))).toBe('k: "a\\r\\nb"\n')
  })

  it('writes typed scalars without source the Go way', () => {
    expect(one({ kind: 'int', value: 9223372036854775807n })).toBe('k: 9223372036854775807\n')
    expect(one({ kind: 'float', value: 1e6 })).toBe('k: 1e+06\n')
    expect(one({ kind: 'float', value: 1234568000 })).toBe('k: 1.234568e+09\n')
    expect(one({ kind: 'float', value: -Infinity })).toBe('k: -.inf\n')
    expect(one({ kind: 'float', value: NaN })).toBe('k: .nan\n')
    // Go would write `1`; `.0` keeps it a float when read back.
    expect(one({ kind: 'float', value: 1 })).toBe('k: 1.0\n')
    expect(one({ kind: 'bool', value: false })).toBe('k: false\n')
    expect(one({ kind: 'null' })).toBe('k: null\n')
    expect(one({ kind: 'time', value: '2024-01-01T00:00:00Z' })).toBe('k: 2024-01-01T00:00:00Z\n')
    // A stale source (value changed) is not reused.
    expect(one({ kind: 'int', value: 5n, source: '0x1F' })).toBe('k: 5\n')
    expect(one({ kind: 'bytes', value: new Uint8Array([0xff, 0x00]) })).toBe('k: !!binary /wA=\n')
  })

  it('writes empty collections, nested lists and keys that need quotes', () => {
    const m: MapNode = {
      kind: 'map',
      items: [
        { kind: 'entry', key: 'e', value: { kind: 'map', items: [] } },
        { kind: 'entry', key: 'f', value: { kind: 'list', items: [] } },
        { kind: 'entry', key: 'a: b', value: s('x') },
        { kind: 'entry', key: '123', value: s('x') },
        { kind: 'entry', key: 'multi\nline', value: s('x') },
        { kind: 'entry', key: 'l', value: { kind: 'list', items: [{ kind: 'list', items: [s('a'), s('b')] }, s('c')] } },
      ],
    }
    expect(emitTree(m)).toBe('e: {}\nf: []\n\'a: b\': x\n"123": x\n"multi\\nline": x\nl:\n    - - a\n      - b\n    - c\n')
    expect(emitTree({ kind: 'map', items: [] })).toBe('{}\n')
    expect(emit({ branches: [], metadata: null })).toBe('{}\n')
  })

  it('separates documents with --- and appends metadata to each', () => {
    const out = emit({ branches: [root('a: 1'), root('b: 2')], metadata: { version: '3.13.2' } })
    expect(out).toBe('a: 1\nsops:\n    version: 3.13.2\n---\nb: 2\nsops:\n    version: 3.13.2\n')
  })

  it('writes metadata in the spec 7.4 layout', () => {
    const age = '-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBvY2t2NkdLUGRvY3l2OGNy\n-----END AGE ENCRYPTED FILE-----\n'
    const pgp = '-----BEGIN PGP MESSAGE-----\n\nwcBMAyUpShfNkFB/AQf/\n=5PzX\n-----END PGP MESSAGE-----'
    const metadata: PlainObject = {
      age: [{ enc: age, recipient: 'age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun' }],
      lastmodified: '2026-05-22T20:16:23Z',
      mac: 'ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]',
      pgp: [{ created_at: '2026-05-22T20:16:20Z', enc: pgp, fp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' }],
      unencrypted_suffix: '_unencrypted',
      version: '3.13.2',
    }
    const out = emit({ branches: [root('secret: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]')], metadata })
    expect(out).toBe(
      [
        'secret: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
        'sops:',
        '    age:',
        '        - enc: |',
        '            -----BEGIN AGE ENCRYPTED FILE-----',
        '            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBvY2t2NkdLUGRvY3l2OGNy',
        '            -----END AGE ENCRYPTED FILE-----',
        '          recipient: age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun',
        '    lastmodified: "2026-05-22T20:16:23Z"',
        '    mac: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]',
        '    pgp:',
        '        - created_at: "2026-05-22T20:16:20Z"',
        '          enc: |-',
        '            -----BEGIN PGP MESSAGE-----',
        '',
        '            wcBMAyUpShfNkFB/AQf/',
        '            =5PzX',
        '            -----END PGP MESSAGE-----',
        '          fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4',
        '    unencrypted_suffix: _unencrypted',
        '    version: 3.13.2',
        '',
      ].join('\n'),
    )
    expect(parse(out).metadata).toEqual(metadata)
  })

  it('writes key groups like spec 7.4 and quotes number-like metadata strings', () => {
    const metadata: PlainObject = {
      key_groups: [
        { age: [{ enc: 'x\n', recipient: 'age1x' }], hc_vault: [] },
        { age: [], hc_vault: [], pgp: [{ created_at: '2026-01-01T00:00:00Z', enc: 'z', fp: '1234' }] },
      ],
      shamir_threshold: 2,
      mac_only_encrypted: true,
    }
    const out = emit({ branches: [root('a: b')], metadata })
    expect(out).toBe(
      [
        'a: b',
        'sops:',
        '    key_groups:',
        '        - age:',
        '            - enc: |',
        '                x',
        '              recipient: age1x',
        '          hc_vault: []',
        '        - age: []',
        '          hc_vault: []',
        '          pgp:',
        '            - created_at: "2026-01-01T00:00:00Z"',
        '              enc: z',
        '              fp: "1234"',
        '    shamir_threshold: 2',
        '    mac_only_encrypted: true',
        '',
      ].join('\n'),
    )
    expect(parse(out).metadata).toEqual(metadata)
  })

  it('emitValue: raw strings, YAML for the rest', () => {
    const v = (n: Node): string => dec.decode(yamlStore.emitValue(n))
    expect(v(s('sec\nret'))).toBe('sec\nret')
    expect(Array.from(yamlStore.emitValue({ kind: 'bytes', value: new Uint8Array([1, 2]) }))).toEqual([1, 2])
    expect(v({ kind: 'int', value: 1234n })).toBe('1234\n')
    expect(v({ kind: 'bool', value: true })).toBe('true\n')
    expect(v({ kind: 'null', source: '' })).toBe('null\n')
    expect(v({ kind: 'list', items: [s('a'), { kind: 'int', value: 1n }] })).toBe('- a\n- 1\n')
    expect(v(root('a:\n    b: [1]\n'))).toBe('a:\n    b:\n        - 1\n')
    expect(v({ kind: 'list', items: [] })).toBe('[]\n')
  })
})

// ---------------------------------------------------------------------------------------------
// Property: emit -> parse is the identity on values.

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const pieces = ['a', 'b', ' ', '  ', '\n', '\t', ':', ': ', ' #', '#', "'", '"', '-', '- ', '|', '>', '{', '[', ',', 'é', '🔑', '\\', '0', '1', '.', 'true', 'null', '---']
const strArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }).filter((s) => !loneSurrogate.test(s)),
  fc.array(fc.constantFrom(...pieces), { maxLength: 8 }).map((a) => a.join('')),
  fc.constantFrom('', '123', 'yes', '<<', '2024-01-01', '1:20', ' lead', 'trail ', 'a\n', 'a\n\n', '\n', ' \nx', '\n a', 'x\n  ', '~'),
)
const keyArb = strArb.filter((k) => k !== 'sops')
const scalarArb: fc.Arbitrary<Node> = fc.oneof(
  strArb.map((value) => ({ kind: 'str' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ kind: 'int' as const, value })),
  fc.double().map((value) => ({ kind: 'float' as const, value })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  fc.constant({ kind: 'null' as const }),
)
const { map: mapArb } = fc.letrec<{ tree: Node; map: MapNode }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    tie('map'),
    fc.array(tie('tree'), { maxLength: 4 }).map((items) => ({ kind: 'list' as const, items })),
  ),
  map: fc
    .uniqueArray(fc.tuple(keyArb, tie('tree')), { maxLength: 5, selector: ([k]) => k })
    .map((pairs) => ({ kind: 'map' as const, items: pairs.map(([key, value]) => ({ kind: 'entry' as const, key, value })) })),
}))

describe('yaml store: property', () => {
  it('emit -> parse is the identity on random trees', () => {
    fc.assert(
      fc.property(fc.array(mapArb, { minLength: 1, maxLength: 3 }), fc.constantFrom(2, 4), (branches, indent) => {
        const text = emit({ branches, metadata: null }, indent)
        const back = parse(text)
        expect(back.branches.map(norm)).toEqual(branches.map(norm))
        expect(back.metadata).toBeNull()
      }),
      { numRuns: 500 },
    )
  })

  it('single scalars survive in every position', () => {
    fc.assert(
      fc.property(scalarArb, keyArb, (value, key) => {
        const m: MapNode = {
          kind: 'map',
          items: [
            { kind: 'entry', key, value },
            { kind: 'entry', key: key + '_l', value: { kind: 'list', items: [value, { kind: 'map', items: [{ kind: 'entry', key: 'x', value }] }] } },
          ],
        }
        expect(norm(parse(emitTree(m)).branches[0]!)).toEqual(norm(m))
      }),
      { numRuns: 1000 },
    )
  })
})

// Comments: sprinkle own-line comments into non-empty collections, and inline ones right before
// items that are written on one line; attribution and order must survive emit -> parse.
const commentText = fc
  .string({ unit: 'binary', maxLength: 12 })
  .filter((t) => !loneSurrogate.test(t) && [...t].every((ch) => { const cp = ch.codePointAt(0)!; return (cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp <= 0x9f) && cp !== 0x2028 && cp !== 0x2029 && cp !== 0xfeff) || cp === 9 }))

function withComments(n: Node, rnd: () => number, texts: string[]): Node {
  if (n.kind !== 'map' && n.kind !== 'list') return n
  const items: Array<Node | MapEntry | Comment> = []
  for (const it of n.items as Array<Node | MapEntry>) {
    const inner = it.kind === 'entry' ? it.value : it
    const oneLine = (inner.kind !== 'map' && inner.kind !== 'list') || inner.items.length === 0
    if (n.items.length > 0 && rnd() < 0.3) items.push({ kind: 'comment', text: texts[items.length % texts.length]! })
    if (oneLine && rnd() < 0.3) items.push({ kind: 'comment', text: texts[(items.length + 1) % texts.length]!, inline: true })
    const value = withComments(inner, rnd, texts)
    items.push(it.kind === 'entry' ? { ...it, value } : value)
  }
  if (n.items.length > 0 && rnd() < 0.3) items.push({ kind: 'comment', text: texts[0]! })
  return { ...n, items } as Node
}

describe('yaml store: property with comments', () => {
  it('emit -> parse keeps comments in their collection and order', () => {
    fc.assert(
      fc.property(mapArb, fc.array(commentText, { minLength: 1, maxLength: 4 }), fc.integer(), fc.constantFrom(2, 4), (m, texts, seed, indent) => {
        let x = seed | 0
        const rnd = (): number => ((x = (x * 1103515245 + 12345) | 0) >>> 8) / (1 << 24)
        const tree = withComments(m, rnd, texts) as MapNode
        const back = parse(emitTree(tree, indent)).branches[0]!
        expect(norm(back)).toEqual(norm(tree))
      }),
      { numRuns: 500 },
    )
  })
})
