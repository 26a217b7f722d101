// PgpKey through the real gpg binary, with throwaway GNUPGHOMEs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { gpgDecryptArgs, gpgEncryptArgs, PgpKey } from '../../src/keys/pgp.js'
import { keyFromMetadata, unwrapDataKey, wrapDataKey } from '../../src/keys/index.js'
import type { KeyContext } from '../../src/keys/types.js'
import { makeGnupgHome, type GnupgHome } from '../support/sops-gpg.js'
import { requireTool, which } from '../support/skip.js'
import { keyError } from '../support/errors.js'

import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const dataKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 0xff)
const ctxOf = (env: NodeJS.ProcessEnv): KeyContext => ({ env, warn: () => {} })
const envWith = (home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, GNUPGHOME: home, ...extra })


describe('PgpKey without gpg', () => {
  it('metadata: fp as given minus spaces, created_at kept, id uppercased', () => {
    const k = PgpKey.fromMetadata({ fp: 'fbc7 b9e2a4f9289ac0c1d4843d16cee4a27381b4', created_at: '2020-01-02T03:04:05Z', enc: 'x' })
    expect(k.toMetadata()).toEqual({ fp: 'fbc7b9e2a4f9289ac0c1d4843d16cee4a27381b4', created_at: '2020-01-02T03:04:05Z', enc: 'x' })
    expect(k.id).toBe(FP)
    expect(keyFromMetadata('pgp', k.toMetadata())).toBeInstanceOf(PgpKey)
    expect(String(new PgpKey(FP).toMetadata().created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('runs the commands sops runs', () => {
    expect(gpgEncryptArgs(FP)).toEqual(['--batch', '--no-default-recipient', '--yes', '--encrypt', '-a', '-r', FP, '--trusted-key', '3D16CEE4A27381B4', '--no-encrypt-to'])
    expect(gpgDecryptArgs(true)).toEqual(['--decrypt'])
    expect(gpgDecryptArgs(false)).toEqual(['--batch', '--decrypt'])
  })

  it('SOPS_GPG_EXEC naming a missing binary fails clearly, on wrap and unwrap', async () => {
    const env = { PATH: process.env.PATH, SOPS_GPG_EXEC: '/nonexistent/gpg2' }
    const w = await keyError(new PgpKey(FP, { env }).wrap(dataKey))
    expect(w.message).toBe('could not run gpg ("/nonexistent/gpg2"): not found')
    expect(w.hint).toContain('SOPS_GPG_EXEC')
    const u = await keyError(PgpKey.fromMetadata({ fp: FP, created_at: '2020-01-01T00:00:00Z', enc: '-----BEGIN PGP MESSAGE-----' }).unwrap(ctxOf(env)))
    expect(u.message).toContain('could not run gpg ("/nonexistent/gpg2")')
  })

  it('a fingerprint that is not hex is refused before running gpg', async () => {
    const e = await keyError(new PgpKey('alice@example.com', { env: { SOPS_GPG_EXEC: '/nonexistent' } }).wrap(dataKey))
    expect(e.message).toContain('is not a PGP fingerprint')
  })
})

const gpg = { ok: which('gpg') && which('gpgconf'), reason: 'gpg is not installed (apt-get install gnupg)' }

describe.runIf(requireTool(gpg, 'gpg'))('PgpKey with gpg', () => {
  let home: GnupgHome
  let empty: GnupgHome
  beforeAll(() => {
    home = makeGnupgHome([join(VECTORS, 'pgp-test-key.asc')])
    empty = makeGnupgHome([])
  })
  afterAll(() => {
    home?.cleanup()
    empty?.cleanup()
  })

  it('wrap gives an armored message (no trailing newline) that gpg --decrypt opens', async () => {
    const k = new PgpKey(FP, { env: envWith(home.home) })
    await k.wrap(dataKey)
    const m = k.toMetadata()
    const enc = String(m.enc)
    expect(enc.startsWith('-----BEGIN PGP MESSAGE-----\n')).toBe(true)
    expect(enc.endsWith('-----END PGP MESSAGE-----')).toBe(true)
    expect(Object.keys(m).sort()).toEqual(['created_at', 'enc', 'fp'])
    const out = execFileSync('gpg', ['--batch', '--decrypt'], { input: enc, env: envWith(home.home), stdio: ['pipe', 'pipe', 'ignore'] })
    expect(new Uint8Array(out)).toEqual(dataKey)
    expect(await PgpKey.fromMetadata(m).unwrap(ctxOf(envWith(home.home)))).toEqual(dataKey)
  })

  it('unwraps the enc sops wrote in format.enc.yaml to the data key of vectors.json', async () => {
    const doc = parse(readFileSync(join(VECTORS, 'format.enc.yaml'), 'utf8')) as { sops: { pgp: Record<string, string>[] } }
    const entry = doc.sops.pgp[0] as Record<string, string>
    const vectors = JSON.parse(readFileSync(join(VECTORS, 'vectors.json'), 'utf8')) as { vectors: { file: string; data_key: string }[] }
    const want = vectors.vectors.find((v) => v.file === 'format.enc.yaml')?.data_key
    const k = keyFromMetadata('pgp', entry)
    expect(k).toBeInstanceOf(PgpKey)
    expect(Buffer.from(await k.unwrap(ctxOf(envWith(home.home)))).toString('hex')).toBe(want)
    // and through the group logic, as decrypt uses it
    expect(Buffer.from(await unwrapDataKey([[k]], 0, ctxOf(envWith(home.home)))).toString('hex')).toBe(want)
  })

  it('without the secret key: a KeyError saying so, naming the fingerprint and GNUPGHOME', async () => {
    const k = new PgpKey(FP, { env: envWith(home.home) })
    await wrapDataKey([[k]], dataKey, 0)
    const e = await keyError(k.unwrap(ctxOf(envWith(empty.home))))
    expect(e.message).toBe(`gpg has no secret key for ${FP} (GNUPGHOME ${empty.home})`)
    expect(e.hint).toContain('import the secret key')
    expect(e.message).not.toMatch(/BEGIN PGP/)
  })

  it('without the public key, wrap says so', async () => {
    const e = await keyError(new PgpKey(FP, { env: envWith(empty.home) }).wrap(dataKey))
    expect(e.message).toBe(`gpg has no public key ${FP} (GNUPGHOME ${empty.home})`)
  })

  it('an enc that is not a PGP message fails clearly', async () => {
    const k = PgpKey.fromMetadata({ fp: FP, created_at: '2020-01-01T00:00:00Z', enc: 'hello' })
    const e = await keyError(k.unwrap(ctxOf(envWith(home.home))))
    expect(e.message).toMatch(/not a valid PGP message|gpg --decrypt failed/)
  })

  describe('a passphrase-protected key, passphrase from gpg-agent pinentry', () => {
    let pw: GnupgHome
    let fp = ''
    let enc = ''
    const conf = (program: string): void => {
      writeFileSync(join(pw.home, 'gpg-agent.conf'), `pinentry-program ${program}\nallow-loopback-pinentry\n`)
      execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env: envWith(pw.home), stdio: 'ignore' })
    }
    beforeAll(async () => {
      pw = makeGnupgHome([])
      // A scripted pinentry (Assuan): answers GETPIN with the passphrase and notes it was asked.
      writeFileSync(
        join(pw.home, 'pinentry.sh'),
        `#!/bin/sh\necho "OK ready"\nwhile read -r l; do case "$l" in GETPIN*) echo asked >> "${pw.home}/asked"; echo "D sekret"; echo OK;; BYE*) echo OK; exit 0;; *) echo OK;; esac; done\n`,
        { mode: 0o755 },
      )
      conf(join(pw.home, 'pinentry.sh'))
      execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', 'sekret', '--quick-gen-key', 'pw <pw@example.com>', 'future-default', 'default', 'never'], {
        env: envWith(pw.home),
        stdio: 'ignore',
      })
      fp = execFileSync('gpg', ['--with-colons', '--list-keys'], { env: envWith(pw.home), stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').find((l) => l.startsWith('fpr:'))?.split(':')[9] ?? ''
      const k = new PgpKey(fp, { env: envWith(pw.home) })
      await k.wrap(dataKey)
      enc = String(k.toMetadata().enc)
    })
    afterAll(() => pw?.cleanup())

    it('--batch (stdin not a TTY) still lets gpg-agent ask through pinentry', async () => {
      conf(join(pw.home, 'pinentry.sh')) // fresh agent: nothing cached
      const k = PgpKey.fromMetadata({ fp, created_at: '2020-01-01T00:00:00Z', enc }, { interactive: false })
      expect(await k.unwrap(ctxOf(envWith(pw.home)))).toEqual(dataKey)
      expect(existsSync(join(pw.home, 'asked'))).toBe(true)
    })

    it('when the agent cannot prompt, the KeyError says so (not "no secret key")', async () => {
      conf('/nonexistent/pinentry')
      const k = PgpKey.fromMetadata({ fp, created_at: '2020-01-01T00:00:00Z', enc }, { interactive: false })
      const e = await keyError(k.unwrap(ctxOf(envWith(pw.home))))
      expect(e.message).toBe(`gpg-agent could not get the passphrase of the secret key for ${fp} (No pinentry)`)
      expect(e.hint).toContain('GPG_TTY')
    })
  })
})
