// PGP and AWS KMS master keys through the CLI as a user types it: upstream sops files open with
// the PGP test key (no data key given), KMS through the real SDK against the emulator on
// 127.0.0.1, mixed files, key groups mixing kinds, decryption order and fallbacks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { sandbox, type Sandbox } from '../support/cli.js'
import { startKmsEmulator, type KmsEmulator } from '../support/kms-emulator.js'
import { makeGnupgHome, type GnupgHome } from '../support/sops-gpg.js'
import { requireTool, which } from '../support/skip.js'
import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const hasGpg = requireTool({ ok: which('gpg'), reason: 'gpg is not installed (apt-get install gnupg)' }, 'gpg')

let gpg: GnupgHome
let emu: KmsEmulator
let closedPort: number
beforeAll(async () => {
  if (hasGpg) gpg = makeGnupgHome([join(VECTORS, 'pgp-test-key.asc')])
  emu = await startKmsEmulator()
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  closedPort = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
})
afterAll(async () => {
  gpg?.cleanup()
  await emu?.close()
})

const awsEnv = (endpoint: string): NodeJS.ProcessEnv => ({
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_ENDPOINT_URL_KMS: endpoint,
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  SECRETS_KMS_TIMEOUT_MS: '3000',
})

describe.runIf(hasGpg)('PGP through the CLI', () => {
  it('every upstream sops file decrypts end to end with the test key in GNUPGHOME', () => {
    const s = sandbox()
    const vectors = (JSON.parse(readFileSync(join(VECTORS, 'vectors.json'), 'utf8')) as { vectors: Array<{ file: string; format: string; plaintext: unknown; mac_verifies: boolean }> }).vectors
    for (const v of vectors) {
      copyFileSync(join(VECTORS, v.file), join(s.dir, v.file))
      const args = ['decrypt', v.file, '--input-type', v.format, '--output-type', 'json']
      const r = s.run(args, { env: { GNUPGHOME: gpg.home } })
      if (!v.mac_verifies) {
        expect(r.code, v.file).toBe(51)
        const ok = s.run([...args, '--ignore-mac'], { env: { GNUPGHOME: gpg.home } })
        expect(ok.code, ok.stderr).toBe(0)
        expect(JSON.parse(ok.stdout)).toEqual(v.plaintext)
        continue
      }
      expect(r.code, `${v.file}: ${r.stderr}`).toBe(0)
      const got = JSON.parse(r.stdout)
      if (v.format === 'ini') delete got.DEFAULT
      expect(got, v.file).toEqual(v.plaintext)
    }
  })

  it('encrypt --pgp FP: plain gpg --decrypt of enc gives the data key that opens the file', () => {
    const s = sandbox()
    writeFileSync(join(s.dir, 'p.yaml'), 'token: abc\n')
    const e = s.run(['encrypt', '-i', 'p.yaml', '--pgp', FP], { env: { GNUPGHOME: gpg.home } })
    expect(e.code, e.stderr).toBe(0)
    const text = readFileSync(join(s.dir, 'p.yaml'), 'utf8')
    expect(text).toMatch(new RegExp(`fp: ${FP}`))
    const enc = (parseYaml(text) as { sops: { pgp: Array<{ enc: string }> } }).sops.pgp[0]!.enc
    const key = execFileSync('gpg', ['--batch', '--decrypt'], { input: enc, env: { ...process.env, GNUPGHOME: gpg.home }, stdio: ['pipe', 'pipe', 'ignore'] })
    expect(key.length).toBe(32)
    expect(s.run(['decrypt', 'p.yaml'], { env: { GNUPGHOME: gpg.home } }).stdout).toBe('token: abc\n')
    const none = makeGnupgHome()
    try {
      const r = s.run(['decrypt', 'p.yaml'], { env: { GNUPGHOME: none.home } })
      expect(r.code).toBe(128)
      expect(r.stderr).toMatch(/could not get the data key; the file is for pgp FBC7.*; gpg has no secret key \(GNUPGHOME /)
    } finally {
      none.cleanup()
    }
  })
})

describe('AWS KMS through the CLI (real SDK, emulator on 127.0.0.1)', async () => {
  it('--kms with --encryption-context round-trips; the context is stored as sops stores it', async () => {
    const s = sandbox()
    const arn = emu.createKey({ region: 'eu-west-1' })
    writeFileSync(join(s.dir, 'k.yaml'), 'db_password: hunter2\n')
    const e = await s.runAsync(['encrypt', '-i', 'k.yaml', '--kms', arn, '--encryption-context', 'app:api,env:prod'], { env: awsEnv(emu.url) })
    expect(e.code, e.stderr).toBe(0)
    const text = readFileSync(join(s.dir, 'k.yaml'), 'utf8')
    expect(text).toMatch(/kms:\n {8}- arn: arn:aws:kms:eu-west-1:/)
    expect(text).toMatch(/aws_profile: ""/)
    expect(text).toMatch(/context:\n {12}app: api\n {12}env: prod/)
    const d = await s.runAsync(['decrypt', 'k.yaml'], { env: awsEnv(emu.url) })
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toBe('db_password: hunter2\n')
    expect(emu.rejected).toEqual([])
    // a context edited in the file no longer matches what KMS bound the blob to
    writeFileSync(join(s.dir, 'k.yaml'), text.replace('env: prod', 'env: dev'))
    const bad = await s.runAsync(['decrypt', 'k.yaml'], { env: awsEnv(emu.url) })
    expect(bad.code).toBe(128)
    expect(bad.stderr).toMatch(/InvalidCiphertextException/)
    expect(bad.stderr).not.toContain('hunter2')
  })

  it('an unreachable KMS fails within the timeout with a clear message', async () => {
    const s = sandbox()
    const arn = emu.createKey({ region: 'us-east-1' })
    writeFileSync(join(s.dir, 'k.yaml'), 'a: b\n')
    expect((await s.runAsync(['encrypt', '-i', 'k.yaml', '--kms', arn], { env: awsEnv(emu.url) })).code).toBe(0)
    const t0 = Date.now()
    const r = await s.runAsync(['decrypt', 'k.yaml'], { env: { ...awsEnv(`http://127.0.0.1:${closedPort}`), SECRETS_KMS_TIMEOUT_MS: '1500' } })
    expect(Date.now() - t0).toBeLessThan(15_000)
    expect(r.code).toBe(128)
    expect(r.stderr).toMatch(/kms arn:aws:kms:us-east-1.*(reach|timed out|unreachable)/i)
  })

  it('a file with KMS (unreachable) and age opens with age, in any decryption order', async () => {
    const s = sandbox()
    const arn = emu.createKey({ region: 'eu-central-1' })
    const recipient = (await s.runAsync(['keygen', '-q'])).stdout.trim()
    writeFileSync(join(s.dir, 'm.yaml'), 'x: why\n')
    expect((await s.runAsync(['encrypt', '-i', 'm.yaml', '--kms', arn, '--age', recipient], { env: awsEnv(emu.url) })).code).toBe(0)
    const down = { ...awsEnv(`http://127.0.0.1:${closedPort}`), SECRETS_KMS_TIMEOUT_MS: '1000' }
    const before = emu.requests.length
    const a = await s.runAsync(['decrypt', 'm.yaml'], { env: down })
    expect(a.code, a.stderr).toBe(0)
    expect(a.stdout).toBe('x: why\n')
    const b = await s.runAsync(['decrypt', 'm.yaml', '--decryption-order', 'kms,age'], { env: down })
    expect(b.code, b.stderr).toBe(0)
    // with KMS up and first in the order, KMS is what opens it
    expect((await s.runAsync(['decrypt', 'm.yaml', '--decryption-order', 'kms,age'], { env: awsEnv(emu.url) })).code).toBe(0)
    expect(emu.requests.length).toBe(before + 1)
    expect((await s.runAsync(['decrypt', 'm.yaml', '--decryption-order', 'kms,kms'])).code).toBe(2)
  })

  it.runIf(hasGpg)('mixed keys in one group, and key groups mixing age, PGP and KMS (2 of 3)', async () => {
    const s = sandbox()
    const arn = emu.createKey({ region: 'eu-west-1' })
    const recipient = (await s.runAsync(['keygen', '-q'])).stdout.trim()
    const env = { ...awsEnv(emu.url), GNUPGHOME: gpg.home }
    writeFileSync(join(s.dir, 'mixed.yaml'), 'a: 1\n')
    expect((await s.runAsync(['encrypt', '-i', 'mixed.yaml', '--age', recipient, '--pgp', FP, '--kms', arn], { env })).code).toBe(0)
    const text = readFileSync(join(s.dir, 'mixed.yaml'), 'utf8')
    expect(text).toMatch(/^ {4}age:/m)
    expect(text).toMatch(/^ {4}pgp:/m)
    expect(text).toMatch(/^ {4}kms:/m)
    // each kind alone opens it
    expect((await s.runAsync(['decrypt', 'mixed.yaml', '--decryption-order', 'pgp'], { env: { GNUPGHOME: gpg.home, XDG_CONFIG_HOME: join(s.dir, 'none') } })).code).toBe(0)
    expect((await s.runAsync(['decrypt', 'mixed.yaml'], { env: { ...awsEnv(emu.url), XDG_CONFIG_HOME: join(s.dir, 'none') } })).code).toBe(0)

    writeFileSync(
      join(s.dir, '.secretsrc.yaml'),
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${recipient}]\n      - pgp: [${FP}]\n      - kms:\n          - arn: ${arn}\n            context: {team: payments}\n`,
    )
    writeFileSync(join(s.dir, 'groups.yaml'), 'secret: v\n')
    const e = await s.runAsync(['encrypt', '-i', 'groups.yaml'], { env })
    expect(e.code, e.stderr).toBe(0)
    expect(e.stderr).toMatch(/in 3 groups, 2 needed/)
    const noAge = { GNUPGHOME: gpg.home, ...awsEnv(emu.url), XDG_CONFIG_HOME: join(s.dir, 'none') }
    expect((await s.runAsync(['decrypt', 'groups.yaml'], { env: noAge })).stdout).toBe('secret: v\n')
    const ageAndKms = { ...awsEnv(emu.url) }
    expect((await s.runAsync(['decrypt', 'groups.yaml'], { env: ageAndKms })).stdout).toBe('secret: v\n')
    const onlyAge = { GNUPGHOME: join(s.dir, 'nogpg'), ...awsEnv(`http://127.0.0.1:${closedPort}`), SECRETS_KMS_TIMEOUT_MS: '800' }
    const r = await s.runAsync(['decrypt', 'groups.yaml'], { env: onlyAge })
    expect(r.code).toBe(128)
    expect(r.stderr).toMatch(/opened 1 of 3 key groups, 2 needed/)
  })
})

void ((s: Sandbox) => s)
