// Encrypt -> emit -> parse -> decrypt gives the input back, for every format, on hand-picked
// trees and on random ones (fast-check); unchanged values keep their tokens on re-encryption.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { DEFAULT_RULE } from '../../src/model/metadata.js'
import { makeSelector } from '../../src/model/select.js'
import { IvStash, decryptBranches, encryptBranches } from '../../src/document/walk.js'
import { storeFor } from '../../src/stores/index.js'
import type { Format } from '../../src/stores/store.js'
import { treeToJs } from '../../src/tree/convert.js'
import type { MapNode, Node } from '../../src/tree/types.js'

const key = new Uint8Array(randomBytes(32))
const select = makeSelector(DEFAULT_RULE)
const fakeMeta = {
  version: '3.13.2',
  lastmodified: '2026-01-01T00:00:00Z',
  mac: 'x',
  age: [{ recipient: 'age1x', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' }],
}

async function roundTrip(format: Format, text: string): Promise<{ plain: MapNode[]; back: MapNode[]; encryptedText: string }> {
  const store = await storeFor(format)
  const plain = store.parse(Buffer.from(text), 'plain').branches
  const enc = encryptBranches(plain, { key, select, macOnlyEncrypted: false })
  const encryptedText = Buffer.from(store.emit({ branches: enc.branches, metadata: fakeMeta })).toString()
  const reparsed = store.parse(Buffer.from(encryptedText), 'encrypted')
  expect(reparsed.metadata).not.toBeNull()
  const dec = decryptBranches(reparsed.branches, { key, select, macOnlyEncrypted: false })
  expect(dec.macHex).toBe(enc.macHex)
  return { plain, back: dec.branches, encryptedText }
}

const values = (b: MapNode[]): unknown => b.map((x) => treeToJs(x))

describe('round trips per format', () => {
  it('yaml: comments, order, big ints, floats, bools, unicode, multi-line, empty, null', async () => {
    const text = [
      '# top comment',
      'zeta: 1',
      'alpha: 9223372036854775807',
      'float: 1.5e-7',
      'neg_zero: -0.0',
      'flag: false',
      'unicode_ключ: "ünïcödé ✓ 🎉"',
      'multi: |',
      '    first line',
      '    second line',
      'empty: ""',
      'nothing: null',
      'when: 2024-01-01',
      'list:',
      '    - a',
      '    # inside list',
      '    - {x: 1, y: [2, 3]}',
      'nested:',
      '    # nested comment',
      '    deep:',
      '        key_unencrypted: visible',
      '',
    ].join('\n')
    const { plain, back, encryptedText } = await roundTrip('yaml', text)
    expect(values(back)).toEqual(values(plain))
    expect(encryptedText).toContain('key_unencrypted: visible')
    expect(encryptedText).not.toContain('first line')
    expect(encryptedText).not.toContain('top comment')
    const store = await storeFor('yaml')
    const again = Buffer.from(store.emit({ branches: back, metadata: null })).toString()
    expect(again).toContain('# top comment')
    expect(again).toContain('    # nested comment')
    expect(again.indexOf('zeta')).toBeLessThan(again.indexOf('alpha'))
  })
  it('json: order, duplicates, big ints, floats, unicode', async () => {
    const text =
      '{"b": 1, "2": "two", "b": 2, "big": 9007199254740993, "huge": 12345678901234567890, "int64": -9223372036854775808, "f": 0.1, "u": "\\u00e9\\ud83d\\ude00", "e": "", "n": null, "l": [true, {"k": [1]}]}'
    const { plain, back } = await roundTrip('json', text)
    const store = await storeFor('json')
    const out = Buffer.from(store.emit({ branches: back, metadata: null })).toString()
    // integers beyond int64 are floats for sops too; everything else comes back exactly
    expect(out).toBe(
      Buffer.from(store.emit({ branches: plain, metadata: null }))
        .toString()
        .replace('12345678901234567890', '12345678901234567000'),
    )
    expect(out).toContain('"big": 9007199254740993')
    expect(out.indexOf('"b": 1')).toBeLessThan(out.indexOf('"b": 2'))
  })
  it('dotenv and ini', async () => {
    for (const [format, text] of [
      ['dotenv', '# c\nA=1\nB= spaced \nC=multi\\nline\nD=\n'],
      ['ini', '; about\n[section one]\nkey = value\nother = ünï\n\n[two]\nx = 1\n'],
    ] as const) {
      const { plain, back } = await roundTrip(format, text)
      expect(values(back)).toEqual(values(plain))
    }
  })
})

describe('re-encryption keeps unchanged tokens', () => {
  it('only the changed value gets a new token', async () => {
    const store = await storeFor('yaml')
    const plain = store.parse(Buffer.from('a: 1\nb: two\nc: [x, x]\n'), 'plain').branches
    const first = encryptBranches(plain, { key, select, macOnlyEncrypted: false })
    const stash = new IvStash()
    const dec = decryptBranches(first.branches, { key, select, macOnlyEncrypted: false, stash })
    const root = dec.branches[0]!
    const b = root.items[1]!
    if (b.kind === 'entry') b.value = { kind: 'str', value: 'changed' }
    const second = encryptBranches(dec.branches, { key, select, macOnlyEncrypted: false, stash })
    const tok = (bs: MapNode[], i: number): unknown => (bs[0]!.items[i]! as { value: Node }).value
    expect(tok(second.branches, 0)).toEqual(tok(first.branches, 0))
    expect(tok(second.branches, 1)).not.toEqual(tok(first.branches, 1))
    expect(tok(second.branches, 2)).toEqual(tok(first.branches, 2)) // equal list items keep their own tokens
    const list = tok(second.branches, 2) as { items: Array<{ value: string }> }
    expect(list.items[0]!.value).not.toBe(list.items[1]!.value)
  })
})

// Random trees: maps of str/int/float/bool/null/lists, keys without the unencrypted suffix issues.
const keyArb = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== 'sops' && !k.includes('\u0000'))
const scalarArb: fc.Arbitrary<Node> = fc.oneof(
  fc.string({ maxLength: 40 }).map((value) => ({ kind: 'str' as const, value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ kind: 'int' as const, value })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => !Object.is(x, -0))
    .map((value) => ({ kind: 'float' as const, value })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  fc.constant({ kind: 'null' as const }),
)
const { tree: treeArb } = fc.letrec<{ tree: Node; map: MapNode }>((tie) => ({
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
const rootArb = fc
  .uniqueArray(fc.tuple(keyArb, treeArb), { minLength: 1, maxLength: 6, selector: ([k]) => k })
  .map((pairs): MapNode => ({ kind: 'map', items: pairs.map(([key, value]) => ({ kind: 'entry', key, value })) }))

describe('property: encrypt -> emit -> parse -> decrypt is the identity', () => {
  for (const format of ['yaml', 'json'] as const) {
    it(format, async () => {
      const store = await storeFor(format)
      await fc.assert(
        fc.asyncProperty(rootArb, async (root) => {
          const enc = encryptBranches([root], { key, select, macOnlyEncrypted: false })
          const text = store.emit({ branches: enc.branches, metadata: fakeMeta })
          const dec = decryptBranches(store.parse(text, 'encrypted').branches, { key, select, macOnlyEncrypted: false })
          expect(values(dec.branches)).toEqual(values([root]))
          expect(dec.macHex).toBe(enc.macHex)
        }),
        { numRuns: 150 },
      )
    })
  }
  it('dotenv', async () => {
    const store = await storeFor('dotenv')
    const envKey = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((k) => !k.startsWith('sops_'))
    const envVal = fc.string({ maxLength: 30 }).filter((v) => !v.includes('\\n') && !v.endsWith('\\'))
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(envKey, envVal), { minLength: 1, maxLength: 8, selector: ([k]) => k }), async (pairs) => {
        const root: MapNode = { kind: 'map', items: pairs.map(([k, v]) => ({ kind: 'entry', key: k, value: { kind: 'str', value: v } })) }
        const enc = encryptBranches([root], { key, select, macOnlyEncrypted: false })
        const dec = decryptBranches(store.parse(store.emit({ branches: enc.branches, metadata: fakeMeta }), 'encrypted').branches, { key, select, macOnlyEncrypted: false })
        expect(values(dec.branches)).toEqual(values([root]))
      }),
      { numRuns: 100 },
    )
  })
})
