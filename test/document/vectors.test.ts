// Every sops-written file in test/fixtures/sops-upstream decrypts with its given data key
// to its plaintext; the MAC verifies where it should; no_mac.yaml is refused without ignoreMac.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decryptDocument } from '../../src/document/index.js'
import { storeFor } from '../../src/stores/index.js'
import type { Format } from '../../src/stores/store.js'
import { treeToJs } from '../../src/tree/convert.js'
import { SOPS_UPSTREAM } from '../support/fixtures.js'

const dir = SOPS_UPSTREAM
interface Vector {
  file: string
  format: Format
  data_key: string
  plaintext: unknown
  mac_verifies: boolean
  plaintext_file?: string
}
const vectors = (JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors
const ctx = { env: {}, warn: () => {} }
// go-ini (and so sops) always has a DEFAULT section; vectors.json leaves the empty one out
const plainOf = (format: Format, tree: unknown): unknown => {
  if (format !== 'ini') return tree
  const { DEFAULT, ...rest } = tree as Record<string, unknown>
  return DEFAULT !== undefined && Object.keys(DEFAULT as object).length === 0 ? rest : tree
}

describe('upstream sops vectors', () => {
  it('lists them all', () => expect(vectors.length).toBeGreaterThanOrEqual(8))
  for (const v of vectors) {
    it(`${v.file} decrypts to its plaintext${v.mac_verifies ? ' and its MAC verifies' : ''}`, async () => {
      const store = await storeFor(v.format)
      const parsed = store.parse(new Uint8Array(readFileSync(join(dir, v.file))), 'encrypted')
      const dataKey = new Uint8Array(Buffer.from(v.data_key, 'hex'))
      const run = (ignoreMac: boolean) => decryptDocument(parsed, { ctx, dataKey, ignoreMac })
      if (v.mac_verifies) {
        const res = await run(false)
        expect(plainOf(v.format, treeToJs(res.branches[0]!))).toEqual(v.plaintext)
      } else {
        await expect(run(false)).rejects.toThrow(/MAC/)
        const res = await run(true)
        expect(plainOf(v.format, treeToJs(res.branches[0]!))).toEqual(v.plaintext)
      }
    })
  }
  it('comments.enc.yaml decrypts its comments back to the plain file', async () => {
    const store = await storeFor('yaml')
    const parsed = store.parse(new Uint8Array(readFileSync(join(dir, 'comments.enc.yaml'))), 'encrypted')
    const v = vectors.find((x) => x.file === 'comments.enc.yaml')!
    const res = await decryptDocument(parsed, { ctx, dataKey: new Uint8Array(Buffer.from(v.data_key, 'hex')) })
    expect(res.warnings).toEqual([])
    const out = Buffer.from(store.emit({ branches: res.branches, metadata: null })).toString()
    expect(out).toBe(readFileSync(join(dir, 'comments.yaml'), 'utf8').trimEnd() + '\n')
  })
  it('a wrong data key fails clearly', async () => {
    const store = await storeFor('yaml')
    const parsed = store.parse(new Uint8Array(readFileSync(join(dir, 'format.enc.yaml'))), 'encrypted')
    await expect(decryptDocument(parsed, { ctx, dataKey: new Uint8Array(32) })).rejects.toThrow(/failed authentication/)
  })
})
