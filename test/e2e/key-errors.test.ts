// Issue 9, items 15 and 17: when no key opens a file, the one error line says which keys the file is
// for, which keys the user has (and where they were looked for), and the next step; a damaged entry
// is told apart from "not made for you"; SOPS_AGE_KEY_FILE pointing nowhere, a malformed or empty
// SOPS_AGE_KEY and a failing SOPS_AGE_KEY_CMD are reported, never silently ignored. Real age
// identities from `secrets keygen` in temp HOMEs, real gpg, the KMS emulator with the real SDK.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { as, identity, sandbox, type Identity, type Sandbox } from '../support/cli.js'
import { startKmsEmulator, type KmsEmulator, emulatorEnv } from '../support/kms-emulator.js'
import { makeGnupgHome, type GnupgHome } from '../support/sops-gpg.js'
import { requireTool, which } from '../support/skip.js'
import { SOPS_UPSTREAM } from '../support/fixtures.js'

const oneLine = (stderr: string): void => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(stderr).toMatch(/^secrets: .+ \(.+\) - .+\n$/)
}

/** No private key, nor any part of one, on stderr. */
const noSecrets = (stderr: string, ...ids: Identity[]): void => {
  expect(stderr).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]{8}/)
  for (const i of ids) expect(stderr).not.toContain(i.secret.slice(16, 40))
}

const PLAIN = 'db_password: hunter2\napi_token: t0k3n\n'

/** A sandbox with identities a, b, c and `app.yaml` encrypted for a and b. */
function setup(): { s: Sandbox; a: Identity; b: Identity; c: Identity; file: string } {
  const s = sandbox()
  const a = identity(s, 'a')
  const b = identity(s, 'b')
  const c = identity(s, 'c')
  const file = join(s.dir, 'app.yaml')
  writeFileSync(file, PLAIN)
  const e = s.run(['encrypt', '-i', 'app.yaml', '--age', `${a.recipient},${b.recipient}`])
  expect(e.code, e.stderr).toBe(0)
  return { s, a, b, c, file }
}

describe('no identity of yours opens the file', () => {
  it('names the recipients the file is for, yours, and says to ask for access and run updatekeys (not keygen)', () => {
    const { s, a, b, c } = setup()
    const r = s.run(['decrypt', 'app.yaml'], { env: as(c) })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    noSecrets(r.stderr, a, b, c)
    expect(r.stderr).toContain(`the file is for age ${a.recipient}, ${b.recipient}`)
    expect(r.stderr).toContain(`your age identities are for ${c.recipient} (looked in SOPS_AGE_KEY (1 identity)`)
    expect(r.stderr).toContain(`- ask someone who can open it to add your recipient ${c.recipient} to its creation rule and run \`secrets updatekeys\``)
    expect(r.stderr).toContain(`secrets rotate --add-age ${c.recipient}`)
    expect(r.stderr).not.toContain('keygen')
    expect(r.stderr).not.toContain('hunter2')
    // following the advice works: b adds c, then c opens it
    const add = s.run(['rotate', 'app.yaml', '--add-age', c.recipient], { env: as(b) })
    expect(add.code, add.stderr).toBe(0)
    expect(s.run(['get', 'app.yaml', 'api_token'], { env: as(c) }).stdout).toBe('t0k3n')
  })

  it('several identities of yours: all their recipients are named, from every source', () => {
    const { s, a, b, c } = setup()
    const d = identity(s, 'd')
    const r = s.run(['decrypt', 'app.yaml'], { env: { ...as(c), SOPS_AGE_KEY_FILE: d.file } })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    noSecrets(r.stderr, a, b, c, d)
    expect(r.stderr).toContain(`your age identities are for ${c.recipient}, ${d.recipient}`)
    expect(r.stderr).toContain(`SOPS_AGE_KEY_FILE=${d.file} (1 identity)`)
    expect(r.stderr).toContain(`add one of your recipients (${c.recipient}, ${d.recipient})`)
  })

  it('with no identity at all: says where it looked, and keygen then ask for access', () => {
    const { s, a, b } = setup()
    const r = s.run(['decrypt', 'app.yaml'])
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toContain(`the file is for age ${a.recipient}, ${b.recipient}; you have no age identity (looked in SOPS_AGE_KEY (unset), SOPS_AGE_KEY_FILE (unset), `)
    expect(r.stderr).toMatch(/keys\.txt \(not found\)\)/)
    expect(r.stderr).toMatch(
      /- if you have an age key, set SOPS_AGE_KEY_FILE to its file; if not, run `secrets keygen`, then ask someone who can open the file to add the recipient it prints and run `secrets updatekeys`\n$/,
    )
  })

  it('key groups: each group and what was opened, then your recipients', () => {
    const s = sandbox()
    const [a, b, c] = [identity(s, 'a'), identity(s, 'b'), identity(s, 'c')]
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n`)
    writeFileSync(join(s.dir, 'g.yaml'), PLAIN)
    expect(s.run(['encrypt', '-i', 'g.yaml']).code).toBe(0)
    const r = s.run(['decrypt', 'g.yaml'], { env: as(a, c) })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toContain(`opened 1 of 2 key groups, 2 needed; the file is for group 1 (opened): age ${a.recipient}; group 2: age ${b.recipient}`)
    expect(r.stderr).toContain(`your age identities are for ${a.recipient}, ${c.recipient}`)
  })
})

describe('a damaged entry is told apart from "not for you"', () => {
  /** app.yaml with the age entry of `who` damaged inside its header (still valid armor and base64). */
  function damage(s: Sandbox, file: string, who: Identity): void {
    const doc = parseYaml(readFileSync(file, 'utf8')) as { sops: { age: Array<{ recipient: string; enc: string }> } }
    const enc = doc.sops.age.find((x) => x.recipient === who.recipient)!.enc
    const lines = enc.split('\n')
    // line 1 is the armor header; line 2 starts the base64 of "age-encryption.org/v1\n-> X25519 <share>..."
    const l = lines[1]!
    const i = 45 // inside the X25519 share
    lines[1] = l.slice(0, i) + (l[i] === 'A' ? 'B' : 'A') + l.slice(i + 1)
    const text = readFileSync(file, 'utf8')
    const indent = (t: string): string => t.split('\n').join('\n' + ' '.repeat(12))
    expect(text).toContain(indent(enc.trimEnd()))
    writeFileSync(file, text.replace(indent(enc.trimEnd()), indent(lines.join('\n').trimEnd())))
    void s
  }

  it('your own entry damaged: says so and says to restore the file or have someone rotate it; another key still opens it', () => {
    const { s, a, b, c, file } = setup()
    damage(s, file, a)
    const r = s.run(['decrypt', 'app.yaml'], { env: as(a) })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    noSecrets(r.stderr, a, b, c)
    expect(r.stderr).toContain(`age ${a.recipient}: the entry is damaged or was tampered with: your identity for this recipient does not open it`)
    expect(r.stderr).toContain('- restore the file from git')
    expect(r.stderr).toContain('secrets rotate')
    expect(r.stderr).not.toContain('add your recipient')
    expect(r.stderr).not.toContain('keygen')
    // b's entry is intact: b opens the file, and b's rotate repairs a's entry
    expect(s.run(['get', 'app.yaml', 'api_token'], { env: as(b) }).stdout).toBe('t0k3n')
    expect(s.run(['rotate', 'app.yaml'], { env: as(b) }).code).toBe(0)
    expect(s.run(['get', 'app.yaml', 'api_token'], { env: as(a) }).stdout).toBe('t0k3n')
  })

  it('someone else\'s entry damaged, yours absent: "not for you" stays the advice, the damage is named', () => {
    const { s, a, c, file } = setup()
    damage(s, file, a)
    const r = s.run(['decrypt', 'app.yaml'], { env: as(c) })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toContain(`age ${a.recipient}: its "enc" value is damaged`)
    expect(r.stderr).toContain(`add your recipient ${c.recipient}`)
  })
})

describe('key sources that are set but unusable are reported', () => {
  it('SOPS_AGE_KEY_FILE pointing nowhere: the error when nothing opens the file, one warning when something else does', () => {
    const { s, a } = setup()
    const nowhere = join(s.dir, 'no-such.key')
    const r = s.run(['decrypt', 'app.yaml'], { env: { SOPS_AGE_KEY_FILE: nowhere } })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toContain(`SOPS_AGE_KEY_FILE points to ${nowhere}, which does not exist`)
    expect(r.stderr).toMatch(/- point SOPS_AGE_KEY_FILE at your age key file, or unset it\n$/)
    expect(r.stderr).not.toContain('keygen')

    const ok = s.run(['decrypt', 'app.yaml'], { env: { ...as(a), SOPS_AGE_KEY_FILE: nowhere } })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toBe(PLAIN)
    expect(ok.stderr).toBe(`secrets: warning: SOPS_AGE_KEY_FILE points to ${nowhere}, which does not exist - point SOPS_AGE_KEY_FILE at your age key file, or unset it\n`)
  })

  it('a malformed SOPS_AGE_KEY: reported by line number, never quoted', () => {
    const { s, a, b } = setup()
    const junk = 'not-a-key-but-maybe-secret-42'
    const r = s.run(['decrypt', 'app.yaml'], { env: { SOPS_AGE_KEY: `# mine\n${junk}\n` } })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toContain('SOPS_AGE_KEY: line 2 is not an age identity')
    expect(r.stderr).toContain('set it to the contents of your age key file')
    expect(r.stderr).not.toContain(junk)
    // a key with a broken checksum counts as malformed too (and is not printed)
    const broken = a.secret.slice(0, -1) + (a.secret.endsWith('Q') ? 'P' : 'Q')
    const w = s.run(['decrypt', 'app.yaml'], { env: { SOPS_AGE_KEY: `${broken}\n${b.secret}\n` } })
    expect(w.code, w.stderr).toBe(0)
    expect(w.stderr).toBe('secrets: warning: SOPS_AGE_KEY: line 1 is not an age identity - set it to the contents of your age key file: AGE-SECRET-KEY-1... lines (# comments allowed)\n')
    noSecrets(w.stderr, a, b)
  })

  it('an empty SOPS_AGE_KEY, a key file with junk lines and a failing SOPS_AGE_KEY_CMD are reported too', () => {
    const { s, a } = setup()
    const empty = s.run(['decrypt', 'app.yaml'], { env: { SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: a.file } })
    expect(empty.code, empty.stderr).toBe(0)
    expect(empty.stderr).toMatch(/^secrets: warning: SOPS_AGE_KEY is set but empty - /)
    const junkFile = join(s.dir, 'junk.key')
    writeFileSync(junkFile, `# created\n${a.secret}\nage1notanidentity\n`, { mode: 0o600 })
    const junk = s.run(['decrypt', 'app.yaml'], { env: { SOPS_AGE_KEY_FILE: junkFile } })
    expect(junk.code, junk.stderr).toBe(0)
    expect(junk.stderr).toContain(`SOPS_AGE_KEY_FILE=${junkFile}: line 3 is not an age identity`)
    const cmd = s.run(['decrypt', 'app.yaml'], { env: { ...as(a), SOPS_AGE_KEY_CMD: 'false' } })
    expect(cmd.code, cmd.stderr).toBe(0)
    expect(cmd.stderr).toMatch(/^secrets: warning: SOPS_AGE_KEY_CMD failed with exit code 1 - /)
  })

  it('the warning comes once per run, however many files are opened', () => {
    const { s, a, b } = setup()
    writeFileSync(join(s.dir, 'two.yaml'), PLAIN)
    expect(s.run(['encrypt', '-i', 'two.yaml', '--age', a.recipient]).code).toBe(0)
    const r = s.run(['rotate', 'app.yaml', 'two.yaml'], { env: { ...as(a), SOPS_AGE_KEY_FILE: join(s.dir, 'gone.key') } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split('\n').filter((l) => l.includes('gone.key'))).toHaveLength(1)
    void b
  })
})

const hasGpg = requireTool({ ok: which('gpg'), reason: 'gpg is not installed (apt-get install gnupg)' }, 'gpg')
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'

describe.runIf(hasGpg)('PGP: the fingerprints the file is for and the secret keys gpg has', () => {
  let upstream: GnupgHome
  let other: GnupgHome
  let otherFp: string
  beforeAll(() => {
    upstream = makeGnupgHome([join(SOPS_UPSTREAM, 'pgp-test-key.asc')])
    other = makeGnupgHome()
    const env = { ...process.env, GNUPGHOME: other.home }
    execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Other <other@example.com>', 'default', 'default', 'never'], { env, stdio: 'ignore', timeout: 60_000 })
    const colons = execFileSync('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env }).toString()
    otherFp = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!
  })
  afterAll(() => {
    upstream?.cleanup()
    other?.cleanup()
  })

  it('a keyring with another secret key: names it and says to ask for it to be added; an empty one says so', () => {
    const s = sandbox()
    writeFileSync(join(s.dir, 'p.yaml'), PLAIN)
    expect(s.run(['encrypt', '-i', 'p.yaml', '--pgp', FP], { env: { GNUPGHOME: upstream.home } }).code).toBe(0)
    const r = s.run(['decrypt', 'p.yaml'], { env: { GNUPGHOME: other.home } })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toContain(`the file is for pgp ${FP}; gpg has secret keys for ${otherFp} (GNUPGHOME ${other.home})`)
    expect(r.stderr).toContain(`- ask someone who can open it to add your PGP key ${otherFp} to its creation rule and run \`secrets updatekeys\` (or \`secrets rotate --add-pgp ${otherFp}\`)`)
    const empty = makeGnupgHome()
    try {
      const e = s.run(['decrypt', 'p.yaml'], { env: { GNUPGHOME: empty.home } })
      expect(e.code).toBe(128)
      oneLine(e.stderr)
      expect(e.stderr).toContain(`gpg has no secret key (GNUPGHOME ${empty.home})`)
      expect(e.stderr).toContain(`- import the secret key ${FP} into gpg`)
    } finally {
      empty.cleanup()
    }
  })
})

describe('KMS and age together: one line naming both', () => {
  let emu: KmsEmulator
  beforeAll(async () => {
    emu = await startKmsEmulator()
  })
  afterAll(async () => {
    await emu?.close()
  })

  it('a disabled KMS key and an age identity the file is not for: the ARN with its error, your recipient, the access step', async () => {
    const s = sandbox()
    const a = identity(s, 'a')
    const c = identity(s, 'c')
    const arn = emu.createKey({ region: 'eu-west-1' })
    const aws = {
      ...emulatorEnv(emu),
      SECRETS_KMS_TIMEOUT_MS: '3000',
    }
    writeFileSync(join(s.dir, 'k.yaml'), PLAIN)
    const e = await s.runAsync(['encrypt', '-i', 'k.yaml', '--kms', arn, '--age', a.recipient], { env: aws })
    expect(e.code, e.stderr).toBe(0)
    emu.setDisabled(arn, true)
    const r = await s.runAsync(['decrypt', 'k.yaml'], { env: { ...aws, ...as(c) } })
    expect(r.code).toBe(128)
    oneLine(r.stderr)
    expect(r.stderr).toMatch(/the file is for (kms \S+, age \S+|age \S+, kms \S+); /)
    expect(r.stderr).toContain(`kms ${arn}`)
    expect(r.stderr).toContain(`age ${a.recipient}`)
    expect(r.stderr).toContain(`your age identities are for ${c.recipient}`)
    expect(r.stderr).toMatch(/; kms: AWS KMS Decrypt with arn:aws:kms:\S+ failed: DisabledException/)
    expect(r.stderr).toContain(`add your recipient ${c.recipient}`)
    noSecrets(r.stderr, a, c)
  })
})
