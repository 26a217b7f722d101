// Hostile input, in process: every store's parse and the ENC[...] token decoder throw nothing but
// SecretsError whatever the bytes (fast-check), and the shared limits hold on both sides: what a
// writer produces every reader takes back, what a reader refuses no writer produces.
import { describe, it, expect } from 'vitest'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { SecretsError, formatKeyPath } from '../../src/errors.js'
import { escapeControls } from '../../src/redact.js'
import { storeFor, FORMATS, type Format } from '../../src/stores/index.js'
import { decryptToken, encryptBytes, isEncToken, parseEncToken } from '../../src/crypto/cipher.js'
import { MAX_DEPTH, treeDepth } from '../../src/tree/limits.js'
import { readMetadata, sopsAcceptsVersion } from '../../src/model/metadata.js'
import { checkDataKey, groupsFromMetadata, unwrapDataKey } from '../../src/keys/index.js'
import { KeyError, type MasterKey } from '../../src/keys/types.js'
import { ageDecryptSmall, parseX25519Identity } from '../../src/keys/age-unwrap.js'
import { shamirSplit } from '../../src/crypto/shamir.js'
import { decryptDocument, encryptDocument } from '../../src/document/index.js'
import { AgeKey, generateAgeIdentity } from '../../src/keys/age.js'
import type { MapNode, Node, ParsedFile } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'

const enc = new TextEncoder()
const dec = new TextDecoder()
const stores = Object.fromEntries(await Promise.all(FORMATS.map(async (f) => [f, await storeFor(f)] as const))) as Record<Format, Awaited<ReturnType<typeof storeFor>>>

/** Anything thrown must be a SecretsError with a one-line message. */
function onlySecretsErrors(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof SecretsError)) throw new Error(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`)
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(e.line()).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
  }
}

/** Bytes that look like each format often enough to get past the first character. */
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }).map((s) => enc.encode(s)),
  fc
    .array(
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        '"',
        ':',
        ',',
        '\\u',
        'd800',
        '\\',
        'a',
        '1',
        '-',
        ' ',
        '\n',
        '\r',
        '#',
        ';',
        '=',
        'sops',
        '&a',
        '*a',
        '!!binary',
        '? ',
        '- ',
        '"""',
        '`',
        '__map_',
        '__list_',
        'ENC[AES256_GCM,data:',
        'version',
        '\u0000',
        '\u001b[2J',
        '\xff',
      ),
      { maxLength: 60 },
    )
    .map((parts) => enc.encode(parts.join(''))),
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }).map((a) => Uint8Array.from(a)),
)

describe('hostile bytes never escape as anything but SecretsError', () => {
  for (const format of FORMATS) {
    it(`${format}: parse (plain and encrypted) and, when it parses, emit`, () => {
      fc.assert(
        fc.property(hostileBytes, (bytes) => {
          for (const mode of ['plain', 'encrypted'] as const) {
            onlySecretsErrors(() => {
              const parsed = stores[format].parse(bytes, mode)
              for (const out of FORMATS) onlySecretsErrors(() => stores[out].emit(parsed))
            })
          }
        }),
        { numRuns: 400 },
      )
    })
  }

  it('the token decoder: parseEncToken and decryptToken on any text', () => {
    const key = new Uint8Array(32)
    const b64 = fc.oneof(fc.base64String({ maxLength: 60 }), fc.string({ maxLength: 20 }))
    const token = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.tuple(b64, b64, b64, fc.string({ maxLength: 12 }), fc.string({ maxLength: 8 })).map(([d, iv, tag, type, tail]) => `ENC[AES256_GCM,data:${d},iv:${iv},tag:${tag},type:${type}]${tail}`),
    )
    fc.assert(
      fc.property(token, fc.string({ maxLength: 10 }), (s, aad) => {
        onlySecretsErrors(() => {
          if (!isEncToken(s)) return
          const t = parseEncToken(s)
          if (t !== null) decryptToken(key, t, aad)
        })
      }),
      { numRuns: 2000 },
    )
  })
})

/** A map nested `depth` levels: a.a.a... = "x". */
function nested(depth: number, list = false): MapNode {
  let n: Node = { kind: 'str', value: 'x' }
  for (let i = depth - 1; i >= 1; i--) n = list && i % 2 === 0 ? { kind: 'list', items: [n] } : { kind: 'map', items: [{ kind: 'entry', key: 'a', value: n }] }
  return { kind: 'map', items: [{ kind: 'entry', key: 'a', value: n }] }
}

describe(`nesting depth: readers and writers share the limit of ${MAX_DEPTH}`, () => {
  it('treeDepth counts key path parts', () => {
    expect(treeDepth({ kind: 'map', items: [] })).toBe(0)
    expect(treeDepth(nested(1))).toBe(1)
    expect(treeDepth(nested(7, true))).toBe(7)
  })

  for (const format of ['yaml', 'json', 'binary'] as const) {
    it(`${format}: a tree at the limit is written and read back; one level more is refused on both sides`, () => {
      const store = stores[format]
      const atLimit: ParsedFile = { branches: [nested(MAX_DEPTH, true)], metadata: format === 'binary' ? { version: '3.13.2' } : null }
      const bytes = store.emit(atLimit)
      const back = store.parse(bytes, format === 'binary' ? 'encrypted' : 'plain')
      expect(treeDepth(back.branches[0]!)).toBe(MAX_DEPTH)
      const over: ParsedFile = { branches: [nested(MAX_DEPTH + 1, true)], metadata: atLimit.metadata }
      expect(errorOf(() => store.emit(over)).message).toBe(`the document nests deeper than ${MAX_DEPTH} levels`)
      // The same depth written by hand is refused by the reader.
      const text = format === 'yaml' ? Array.from({ length: MAX_DEPTH + 1 }, (_, i) => ' '.repeat(i) + 'a:').join('\n') + ' x\n' : '{"a": '.repeat(MAX_DEPTH + 1) + '1' + '}'.repeat(MAX_DEPTH + 1)
      const e = errorOf(() => store.parse(enc.encode(text), 'encrypted'))
      expect(e.code).toBe('input')
      expect(e.message).toMatch(/nests deeper than 256 levels/)
    })
  }

  it('yaml and json: 10,000 levels (flow; block 2,000: its indentation grows quadratically) end in the same error, not a stack overflow', () => {
    const deep = [
      Array.from({ length: 2_000 }, (_, i) => ' '.repeat(i) + 'k:').join('\n') + ' 1\n',
      'a: ' + '['.repeat(10_000) + ']'.repeat(10_000) + '\n',
      'a: ' + '{b: '.repeat(10_000) + '1' + '}'.repeat(10_000) + '\n',
      Array.from({ length: 2_000 }, (_, i) => ' '.repeat(2 * i) + '- ').join('\n') + 'x\n',
    ]
    for (const text of deep) expect(errorOf(() => stores.yaml.parse(enc.encode(text), 'plain')).message).toMatch(/nests deeper/)
    expect(errorOf(() => stores.json.parse(enc.encode('{"a":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}'), 'plain')).message).toMatch(/nests deeper/)
  }, 300_000)

  it('aliases count towards the depth', () => {
    // 200 levels written under an anchor, used 100 levels down: 300 levels once expanded.
    const block = (levels: number, indent: number, last: string): string[] => Array.from({ length: levels }, (_, i) => ' '.repeat(indent + i) + (i === levels - 1 ? `k: ${last}` : 'k:'))
    const text = ['x: &x', ...block(200, 1, 'v'), 'y:', ...block(100, 1, '*x')].join('\n') + '\n'
    expect(errorOf(() => stores.yaml.parse(enc.encode(text), 'plain')).message).toMatch(/nests deeper than 256/)
    const fits = ['x: &x', ...block(150, 1, 'v'), 'y:', ...block(100, 1, '*x')].join('\n') + '\n'
    expect(treeDepth(stores.yaml.parse(enc.encode(fits), 'plain').branches[0]!)).toBe(251)
  })

  it('dotenv and INI: a flattened metadata key deeper than the limit is refused', () => {
    const key = Array.from({ length: 20_000 }, () => 'a').join('__map_')
    expect(errorOf(() => stores.dotenv.parse(enc.encode(`sops_${key}=1\n`), 'encrypted')).message).toMatch(/nests deeper than 256/)
    expect(errorOf(() => stores.ini.parse(enc.encode(`[sops]\n${key} = 1\n`), 'encrypted')).message).toMatch(/nests deeper than 256/)
  })
})

describe('YAML alias expansion is capped (go-yaml v3 ratio rule)', () => {
  const bomb = (levels: number, width: number): string => {
    const lines = [`a0: &a0 [${Array(width).fill('"lol"').join(',')}]`]
    for (let i = 1; i <= levels; i++)
      lines.push(
        `a${i}: &a${i} [${Array(width)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      )
    return lines.join('\n') + '\n'
  }
  it('a billion laughs ends quickly in one error', () => {
    for (const [levels, width] of [
      [6, 10],
      [9, 10],
      [30, 2],
    ] as const) {
      const e = errorOf(() => stores.yaml.parse(enc.encode(bomb(levels, width)), 'plain'))
      expect(e.message).toMatch(/^aliases expand the document too much/)
    }
  })
  it('ordinary anchors and aliases still work', () => {
    const text = 'base: &b {user: app, host: db}\nprod: *b\nstaging: *b\nlist: [*b, *b, *b]\n'
    const tree = stores.yaml.parse(enc.encode(text), 'plain').branches[0]!
    expect(treeDepth(tree)).toBe(3)
    expect(dec.decode(stores.yaml.emit({ branches: [tree], metadata: null }))).toContain('staging:\n    user: app')
  })
})

describe('large files: no argument spreads', () => {
  it('a 150,000-key file (YAML, JSON, dotenv, INI) is parsed and written, and reads back the same', () => {
    const n = 150_000
    const tree: MapNode = { kind: 'map', items: Array.from({ length: n }, (_, i) => ({ kind: 'entry' as const, key: `k${i}`, value: { kind: 'str' as const, value: `v${i}` } })) }
    for (const format of ['yaml', 'json', 'dotenv'] as const) {
      const bytes = stores[format].emit({ branches: [tree], metadata: { version: '3.13.2' } })
      const back = stores[format].parse(bytes, 'encrypted')
      expect(back.branches[0]!.items.length).toBe(n)
      expect(back.branches[0]!.items[n - 1]).toMatchObject({ kind: 'entry', key: `k${n - 1}`, value: { kind: 'str', value: `v${n - 1}` } })
    }
    const ini = stores.ini.emit({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 's', value: tree }] }], metadata: null })
    expect((stores.ini.parse(ini, 'plain').branches[0]!.items.find((e) => e.kind === 'entry' && e.key === 's') as { value: MapNode }).value.items.length).toBe(n)
  }, 300_000)
})

describe('invalid UTF-8 is refused, naming the key (never stored as U+FFFD)', () => {
  const bytes = (...parts: Array<string | number[]>): Uint8Array => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)))
  it('INI: in a value, in a key, in a section name', () => {
    let e = errorOf(() => stores.ini.parse(bytes('[db]\nuser = app\npassword = s', [0xe9], 'cret\n'), 'plain'))
    expect(e.message).toMatch(/line 3 is not valid UTF-8/)
    expect(e.where).toBe('["db"]["password"]')
    e = errorOf(() => stores.ini.parse(bytes('[db]\nk', [0xff, 0xfe], ' = v\n'), 'plain'))
    expect(e.where).toBe('["db"]["k\ufffd\ufffd"]')
    e = errorOf(() => stores.ini.parse(bytes('[d', [0xc0], ']\nk = v\n'), 'plain'))
    expect(e.message).toMatch(/the text on line 1 is not valid UTF-8/)
  })
  it('dotenv: keys and comments (values are bytes to sops and kept exactly)', () => {
    expect(errorOf(() => stores.dotenv.parse(bytes('A=1\nK', [0xff], '=v\n'), 'plain')).message).toMatch(/the key on line 2 is not valid UTF-8/)
    expect(errorOf(() => stores.dotenv.parse(bytes('#', [0xff], '\nA=1\n'), 'plain')).message).toMatch(/the comment on line 1/)
    const v = stores.dotenv.parse(bytes('K=', [0xff, 0x00], '\n'), 'plain').branches[0]!.items[0]
    expect(v).toEqual({ kind: 'entry', key: 'K', value: { kind: 'bytes', value: Uint8Array.from([0xff, 0x00]) } })
  })
})

describe('CRLF files', () => {
  it('dotenv: values keep their CR as in sops; metadata values never do', () => {
    const f = stores.dotenv.parse(enc.encode('A=1\r\n\r\n#c\r\nB=two\r\nsops_version=3.13.2\r\nsops_lastmodified=2024-01-01T00:00:00Z\r\n'), 'encrypted')
    expect(f.branches[0]!.items).toEqual([
      { kind: 'entry', key: 'A', value: { kind: 'str', value: '1\r' } },
      { kind: 'comment', text: 'c\r' },
      { kind: 'entry', key: 'B', value: { kind: 'str', value: 'two\r' } },
    ])
    expect(f.metadata).toEqual({ version: '3.13.2', lastmodified: '2024-01-01T00:00:00Z' })
  })
  it('YAML, JSON and INI: CRLF is a line end', () => {
    const y = stores.yaml.parse(enc.encode('a: 1\r\n# c\r\nb: |\r\n  x\r\n  y\r\n'), 'plain').branches[0]!
    expect(y.items).toEqual([
      { kind: 'entry', key: 'a', value: { kind: 'int', value: 1n, source: '1' } },
      { kind: 'comment', text: ' c' },
      { kind: 'entry', key: 'b', value: { kind: 'str', value: 'x\ny\n', style: 'literal' } },
    ])
    expect(stores.json.parse(enc.encode('{\r\n"a": "1"\r\n}\r\n'), 'plain').branches[0]!.items).toEqual([{ kind: 'entry', key: 'a', value: { kind: 'str', value: '1' } }])
    const ini = stores.ini.parse(enc.encode('[s]\r\na = 1\r\nb = two\r\n'), 'plain').branches[0]!
    expect((ini.items.find((e) => e.kind === 'entry' && e.key === 's') as { value: MapNode }).value.items).toEqual([
      { kind: 'entry', key: 'a', value: { kind: 'str', value: '1' } },
      { kind: 'entry', key: 'b', value: { kind: 'str', value: 'two' } },
    ])
  })
})

describe('messages quoting file content escape control characters', () => {
  it('escapeControls', () => {
    expect(escapeControls('3.13.2\r')).toBe('3.13.2\\r')
    expect(escapeControls('a\u001b[2J\u001b]0;pwn\u0007b\n\t\u007f\u0085\u202e')).toBe('a\\x1b[2J\\x1b]0;pwn\\x07b\\n\\t\\x7f\\x85\\u202e')
    expect(escapeControls('plain ünïcode 😀')).toBe('plain ünïcode 😀')
  })
  it('SecretsError.line() escapes the message, the location and the hint', () => {
    const e = new SecretsError('input', 'bad "version" ("1\r\u001b[31m")', { file: 'x\u001b.env', where: '["a"]', hint: 'fix\u0007 it' })
    expect(e.line()).toBe('bad "version" ("1\\r\\x1b[31m") (x\\x1b.env: ["a"]) - fix\\x07 it')
  })
  it('a metadata version with control characters is quoted escaped', () => {
    const e = errorOf(() => readMetadata({ age: [{ recipient: 'age1x', enc: 'x' }], lastmodified: '2024-01-01T00:00:00Z', mac: '', version: '3.13.2\r\u001b[2J' }))
    expect(e.line()).toContain('("3.13.2\\r\\x1b[2J")')
  })
  it('key paths in messages stay short', () => {
    const path = Array.from({ length: 20_000 }, (_, i) => `k${i}`)
    expect(formatKeyPath(path)).toBe('["k0"]["k1"]["k2"]["k3"]["k4"]["k5"]["k6"]["k7"][…19989 more…]["k19997"]["k19998"]["k19999"]')
    expect(formatKeyPath(['x'.repeat(10_000)]).length).toBeLessThan(120)
  })
})

describe('metadata version: what sops accepts', () => {
  it.each(['3.13.2', 'v3.9.2', '3.0.0-rc.1', '3.7.3+build.5', '1.13', '1.', '1.anything', '0.0.0'])('accepts %j', (v) => {
    expect(sopsAcceptsVersion(v)).toBe(true)
  })
  it.each(['', '3.7', 'abc', '3.13', '03.1.0', '3.01.0', '3.1.0-01', '3.1.0-', 'v1.13', '3.13.2\r', ' 3.13.2', '3.1.0+'])('refuses %j', (v) => {
    expect(sopsAcceptsVersion(v)).toBe(false)
  })
  it('a file with version "1.13" goes on to its keys', () => {
    const md = readMetadata({ age: [{ recipient: 'age1x', enc: 'x' }], lastmodified: '2024-01-01T00:00:00Z', mac: '', version: '1.13' })
    expect(md.version).toBe('1.13')
  })
})

/** A master key that unwraps to fixed bytes. */
function fixedKey(bytes: Uint8Array, id = 'fixed'): MasterKey {
  return {
    kind: 'age',
    id,
    wrap: async () => {},
    unwrap: async () => bytes.slice(),
    toMetadata: () => ({ recipient: id, enc: 'x' }),
  }
}
const ctx = { env: {}, warn: () => {} }

describe('data keys are 32 bytes wherever they enter', () => {
  it('one group: a key that unwraps to another length fails and the next key is tried', async () => {
    for (const n of [0, 16, 31, 33, 64]) {
      const e = await unwrapDataKey([[fixedKey(new Uint8Array(n))]], 0, ctx).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(SecretsError)
      expect((e as SecretsError).code).toBe('no-key')
      expect((e as SecretsError).message).toContain(`it unwrapped to ${n} bytes instead of the 32 of a data key`)
    }
    const good = new Uint8Array(randomBytes(32))
    expect(await unwrapDataKey([[fixedKey(new Uint8Array(31), 'a'), fixedKey(good, 'b')]], 0, ctx)).toEqual(good)
  })
  it('key groups: shares must be 33 bytes, and the combined key 32', async () => {
    const key = new Uint8Array(randomBytes(32))
    const [s1, s2] = shamirSplit(key, 2, 2)
    expect(await unwrapDataKey([[fixedKey(s1!)], [fixedKey(s2!)]], 2, ctx)).toEqual(key)
    const e = await unwrapDataKey([[fixedKey(s1!.subarray(1))], [fixedKey(s2!)]], 2, ctx).catch((x: unknown) => x)
    expect((e as SecretsError).message).toMatch(/instead of the 33 of a key share/)
  })
  it('a data key handed in is checked too', async () => {
    expect(() => checkDataKey(new Uint8Array(31))).toThrow(/the data key is 31 bytes long, not 32/)
    const { identity, recipient } = await generateAgeIdentity()
    const file = await encryptDocument({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'a', value: { kind: 'str', value: 'b' } }] }], metadata: null }, { groups: [[new AgeKey(recipient)]] })
    const e = await decryptDocument(file.file, { ctx: { env: { SOPS_AGE_KEY: identity }, warn: () => {} }, dataKey: new Uint8Array(16) }).catch((x: unknown) => x)
    expect((e as SecretsError).code).toBe('no-key')
  })
  it('an age stanza that unwraps to 31 bytes is refused without a RangeError (ignore-mac too)', async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const good = await encryptDocument({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'a', value: { kind: 'str', value: 'b' } }] }], metadata: null }, { groups: [[new AgeKey(recipient)]] })
    const short = new AgeKey(recipient)
    await short.wrap(new Uint8Array(31))
    const md = { ...good.file.metadata!, age: [short.toMetadata()] }
    const e = await decryptDocument({ branches: good.file.branches, metadata: md }, { ctx: { env: { SOPS_AGE_KEY: identity }, warn: () => {} }, ignoreMac: true }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(SecretsError)
    expect((e as SecretsError).message).toMatch(/unwrapped to 31 bytes/)
  })
})

describe('age native unwrap: all-zero X25519 shared secrets (age refuses them)', () => {
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '')
  const armor = (bytes: Buffer): string => {
    const lines = bytes.toString('base64').match(/.{1,64}/g)!
    return `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`
  }
  // Low-order points of Curve25519 (their shared secret with any scalar is zero).
  const lowOrder = [new Uint8Array(32), Uint8Array.from([1, ...new Uint8Array(31)]), Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')]
  it.each(lowOrder.map((p, i) => [i, p] as const))('low-order share %i: a KeyError saying so, not an OpenSSL string', async (_i, point) => {
    const { identity } = await generateAgeIdentity()
    const id = parseX25519Identity(identity)!
    const header = `age-encryption.org/v1\n-> X25519 ${b64(point)}\n${b64(randomBytes(32))}\n--- ${b64(randomBytes(32))}\n`
    const file = Buffer.concat([Buffer.from(header), randomBytes(16 + 32 + 16)])
    let err: unknown
    try {
      ageDecryptSmall(armor(file), [id])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(KeyError)
    expect((err as KeyError).message).toMatch(/low-order share/)
    expect((err as KeyError).message).not.toMatch(/OSSL|Provider routines|derivation/)
  })
})

describe('the MAC', () => {
  it('is refused when it differs (same length, or another length), compared in constant time', async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const good = await encryptDocument({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'a', value: { kind: 'str', value: 'b' } }] }], metadata: null }, { groups: [[new AgeKey(recipient)]] })
    const keyCtx = { env: { SOPS_AGE_KEY: identity }, warn: () => {} }
    await decryptDocument(good.file, { ctx: keyCtx })
    const lm = String(good.file.metadata!['lastmodified'])
    // the document layer never hands out its data key: unwrap it as a master key holder would
    const dataKey = await unwrapDataKey(groupsFromMetadata(readMetadata(good.file.metadata).keyGroups), 0, keyCtx)
    for (const hex of ['0'.repeat(128), 'AB']) {
      const mac = encryptBytes(dataKey, enc.encode(hex), lm, 'str')
      const e = await decryptDocument({ branches: good.file.branches, metadata: { ...good.file.metadata!, mac } }, { ctx: keyCtx }).catch((x: unknown) => x)
      expect((e as SecretsError).code).toBe('mac')
      expect((e as SecretsError).message).toMatch(/^MAC mismatch/)
    }
  })
})
