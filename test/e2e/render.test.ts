// `secrets render *` driven as a user runs it, checked with the real consumers: the dotenv parser,
// bash, kubernetes-models validation, `docker-compose config`, and git for the output guard.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Secret } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { sandbox, type Sandbox } from '../support/cli.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const require = createRequire(import.meta.url)
const dotenv = require('dotenv') as { parse(src: string): Record<string, string> }
const mode = (p: string): number => statSync(p).mode & 0o777

const PLAIN = `DATABASE_URL: postgres://app:s3cret-pw@db:5432/app
API_TOKEN: tok-from-file
MULTILINE: "line one\\nline=two\\n"
QUOTES: "it's \\"q\\" $HOME #not-a-comment"
ALL_QUOTES: "it's \\"q\\" \`x\`"
database:
    password: nested-pw
PORT: 5432
`
const EXPECTED: Record<string, string> = {
  DATABASE_URL: 'postgres://app:s3cret-pw@db:5432/app',
  API_TOKEN: 'tok-from-file',
  MULTILINE: 'line one\nline=two\n',
  QUOTES: 'it\'s "q" $HOME #not-a-comment',
  ALL_QUOTES: 'it\'s "q" `x`',
  DATABASE_PASSWORD: 'nested-pw',
  PORT: '5432',
}

function setup(opts: { git?: boolean } = {}): Sandbox {
  const s = sandbox()
  if (opts.git) spawnSync('git', ['init', '-q', '.'], { cwd: s.dir })
  expect(s.run(['init', 'production', '-q']).code).toBe(0)
  writeFileSync(join(s.dir, 'secrets', 'production.yaml'), PLAIN)
  const e = s.run(['encrypt', '-i', 'secrets/production.yaml', '-q'])
  expect(e.code, e.stderr).toBe(0)
  return s
}

describe('render dotenv', () => {
  it('writes a 0600 .env that the dotenv package reads back exactly', () => {
    const s = setup()
    const only = Object.keys(EXPECTED).filter((n) => !/QUOTES/.test(n))
    const r = s.run(['render', 'dotenv', 'production', '-o', '.env.production', '--only', only.join(',')])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/wrote 5 variables to \.env\.production \(mode 0600\)/)
    const file = join(s.dir, '.env.production')
    expect(mode(file)).toBe(0o600)
    expect(dotenv.parse(readFileSync(file, 'utf8'))).toEqual(Object.fromEntries(only.map((n) => [n, EXPECTED[n]])))
  })

  it('refuses (exit 3, nothing written) values a shell or dotenvx would run or expand, naming the keys, not the values', () => {
    const s = setup()
    const r = s.run(['render', 'dotenv', 'production', '-o', '.env.production'])
    expect(r.code).toBe(3)
    expect(r.stderr).toBe(
      'secrets: the values of QUOTES, ALL_QUOTES cannot be written in .env syntax that dotenv, dotenvx and a shell all read back exactly (first: QUOTES, it holds a single quote together with a double quote, $, a backtick or a backslash, which double quotes would not keep literal) (secrets/production.yaml) - use --format shell (for `source`) or --format json, or render docker-secrets (one file per value), or leave them out with --only\n',
    )
    expect(existsSync(join(s.dir, '.env.production'))).toBe(false)
    // The issue's value: `a'b'$(touch x)` once came out backtick-quoted with only a warning.
    writeFileSync(join(s.dir, 'secrets', 'production.yaml'), "SAFE: ok\nBOOM: a'b'$(touch canary)\n")
    expect(s.run(['encrypt', '-i', 'secrets/production.yaml', '-q']).code).toBe(0)
    const boom = s.run(['render', 'dotenv', 'production'])
    expect(boom.code).toBe(3)
    expect(boom.stdout).toBe('')
    expect(boom.stderr).toMatch(/^secrets: the value of BOOM cannot be written in \.env syntax .* \(secrets\/production\.yaml: \["BOOM"\]\) - use --format shell/)
    expect(boom.stderr).not.toContain('touch')
    const sh = s.run(['render', 'dotenv', 'production', '--format', 'shell', '-o', 'env.sh'])
    expect(sh.code, sh.stderr).toBe(0)
    const b = spawnSync('bash', ['-c', 'set -a; . ./env.sh; printf %s "$BOOM"'], { cwd: s.dir, encoding: 'utf8' })
    expect(b.stdout).toBe("a'b'$(touch canary)")
    expect(existsSync(join(s.dir, 'canary'))).toBe(false)
  })

  it('--format shell evaluates back in bash; --format json parses; --format docker refuses newlines', () => {
    const s = setup()
    const sh = s.run(['render', 'dotenv', 'production', '--format', 'shell', '-o', 'env.sh'])
    expect(sh.code, sh.stderr).toBe(0)
    const names = Object.keys(EXPECTED)
    const b = spawnSync('bash', ['-c', `set -a; . ./env.sh; for n in ${names.join(' ')}; do printf '%s\\0' "\${!n}"; done`], { cwd: s.dir, encoding: 'utf8' })
    expect(b.stdout.split('\0').slice(0, -1)).toEqual(Object.values(EXPECTED))
    expect(JSON.parse(s.run(['render', 'dotenv', 'production', '--format', 'json']).stdout)).toEqual(EXPECTED)
    const d = s.run(['render', 'dotenv', 'production', '--format', 'docker'])
    expect(d.code).toBe(3)
    expect(d.stderr).toMatch(/the value of MULTILINE contains a line break, which the docker --env-file format cannot hold \(secrets\/production\.yaml: \["MULTILINE"\]\) - /)
    const ok = s.run(['render', 'dotenv', 'production', '--format', 'docker', '--only', 'PORT,DATABASE_URL'])
    expect(ok.stdout).toBe('DATABASE_URL=postgres://app:s3cret-pw@db:5432/app\nPORT=5432\n')
  })
})

describe('render docker-secrets', () => {
  it('one 0600 file per variable (raw value, no newline) in a 0700 directory; stale files removed, others kept', () => {
    const s = setup()
    const r = s.run(['render', 'docker-secrets', 'production', '--map', 'DATABASE_PASSWORD=db_password'])
    expect(r.code, r.stderr).toBe(0)
    const dir = join(s.dir, '.secrets', 'production')
    expect(mode(join(s.dir, '.secrets'))).toBe(0o700)
    expect(mode(dir)).toBe(0o700)
    const names = ['DATABASE_URL', 'API_TOKEN', 'MULTILINE', 'QUOTES', 'ALL_QUOTES', 'db_password', 'PORT']
    expect(readdirSync(dir).sort()).toEqual([...names, '.secrets-manifest.json'].sort())
    for (const n of readdirSync(dir)) expect(mode(join(dir, n)), n).toBe(0o600)
    expect(readFileSync(join(dir, 'db_password'), 'utf8')).toBe('nested-pw')
    expect(readFileSync(join(dir, 'MULTILINE'), 'utf8')).toBe('line one\nline=two\n')
    expect(readFileSync(join(dir, 'PORT'), 'utf8')).toBe('5432')

    writeFileSync(join(dir, 'mine.txt'), 'not written by secrets')
    const again = s.run(['render', 'docker-secrets', 'production', '--only', 'PORT,API_TOKEN'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/removed 5 no longer in the environment/)
    expect(readdirSync(dir).sort()).toEqual(['.secrets-manifest.json', 'API_TOKEN', 'PORT', 'mine.txt'])
  })

  it('refuses names that cannot be file names, and renames that collide', () => {
    const s = setup()
    expect(s.run(['render', 'docker-secrets', 'production', '--map', 'PORT=../x']).stderr).toMatch(/"\.\.\/x" cannot be a secret file name/)
    expect(s.run(['render', 'docker-secrets', 'production', '--map', 'PORT=API_TOKEN']).stderr).toMatch(/API_TOKEN and PORT would both be written/)
    expect(s.run(['render', 'docker-secrets', 'production', '--map', 'NOPE=x']).code).toBe(2)
    expect(existsSync(join(s.dir, '.secrets'))).toBe(false)
  })
})

describe('render k8s', () => {
  it('prints a Secret that kubernetes-models validates and that decodes back to the values', () => {
    const s = setup()
    const r = s.run(['render', 'k8s', 'production', '--name', 'api-secrets', '--namespace', 'prod', '--label', 'app=api', '--label', 'tier=backend', '--annotation', 'note=a=b, c'])
    expect(r.code, r.stderr).toBe(0)
    const doc = parse(r.stdout, { version: '1.1' })
    expect(() => new Secret(doc).validate()).not.toThrow()
    expect(doc.metadata).toEqual({ name: 'api-secrets', namespace: 'prod', labels: { app: 'api', tier: 'backend' }, annotations: { note: 'a=b, c' } })
    const decoded = Object.fromEntries(Object.entries(doc.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
    expect(decoded).toEqual(EXPECTED)
    const sd = parse(s.run(['render', 'k8s', 'production', '--name', 'api', '--string-data', '--type', 'example.com/custom']).stdout, { version: '1.1' })
    expect(sd.stringData).toEqual(EXPECTED)
    expect(sd.type).toBe('example.com/custom')
  })

  it('rejects key names Kubernetes refuses and a missing --name', () => {
    const s = setup()
    writeFileSync(join(s.dir, 'secrets', 'bad.yaml'), 'my key: x\n')
    expect(s.run(['encrypt', '-i', 'secrets/bad.yaml', '-q']).code).toBe(0)
    const r = s.run(['render', 'k8s', 'bad', '--name', 'api'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/"my key" cannot be a Kubernetes Secret key: it may only contain letters, digits/)
    expect(s.run(['render', 'k8s', 'production']).code).toBe(2)
  })
})

describe.runIf(requireTool(toolOnPath('docker-compose'), 'docker-compose'))('render compose (checked by `docker-compose config`)', () => {
  const BASE = 'services:\n  api:\n    image: alpine\n    environment:\n      KEEP: me\n  worker:\n    image: alpine\n  db:\n    image: postgres\n'
  const config = (s: Sandbox, override: string): Record<string, any> => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', override, 'config'], { cwd: s.dir, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    return parse(r.stdout) as Record<string, any>
  }

  it('file mode: the override merges with a base file; secrets point at the rendered 0600 files; --file-env adds NAME_FILE', () => {
    const s = setup()
    writeFileSync(join(s.dir, 'docker-compose.yml'), BASE)
    const r = s.run(['render', 'compose', 'production', '--service', 'api', '--service', 'worker', '--file-env', '--map', 'DATABASE_PASSWORD=db_password', '-o', 'docker-compose.override.yml'])
    expect(r.code, r.stderr).toBe(0)
    expect(mode(join(s.dir, 'docker-compose.override.yml'))).toBe(0o600)
    const override = readFileSync(join(s.dir, 'docker-compose.override.yml'), 'utf8')
    for (const v of Object.values(EXPECTED)) if (v.length > 4) expect(override).not.toContain(v)
    const c = config(s, 'docker-compose.override.yml')
    for (const [name, value] of Object.entries(EXPECTED)) {
      const secret = name === 'DATABASE_PASSWORD' ? 'db_password' : name
      const file = c.secrets[secret].file as string
      expect(readFileSync(file, 'utf8'), name).toBe(value)
      expect(mode(file)).toBe(0o600)
      for (const svc of ['api', 'worker']) {
        expect(c.services[svc].secrets).toContainEqual({ source: secret })
        expect(c.services[svc].environment[`${name}_FILE`]).toBe(`/run/secrets/${secret}`)
      }
    }
    expect(c.services.api.environment.KEEP).toBe('me')
    expect(c.services.db.secrets).toBeUndefined()
    expect(mode(join(s.dir, '.secrets', 'production'))).toBe(0o700)
  })

  it('environment mode: values land under environment: exactly ($ escaped for compose)', () => {
    const s = setup()
    writeFileSync(join(s.dir, 'docker-compose.yml'), BASE)
    const r = s.run(['render', 'compose', 'production', '--service', 'api', '--mode', 'environment', '-o', 'override.yml'])
    expect(r.code, r.stderr).toBe(0)
    expect(mode(join(s.dir, 'override.yml'))).toBe(0o600)
    const c = config(s, 'override.yml')
    // `config` prints values re-escaped for compose ($ as $$).
    const env = Object.fromEntries(Object.entries(c.services.api.environment as Record<string, string>).map(([k, v]) => [k, String(v).replace(/\$\$/g, '$')]))
    expect(env).toEqual({ KEEP: 'me', ...EXPECTED })
    expect(existsSync(join(s.dir, '.secrets'))).toBe(false)
    expect(s.run(['render', 'compose', 'production', '--service', 'api', '--mode', 'environment', '--file-env']).code).toBe(2)
  })

  // docs/commands.md: compose `env_file:` has its own dialect (it interpolates `$`, strips quotes and
  // ` #` comments); values of plain characters are read back exactly from either format, others
  // belong in `render compose`.
  it('env_file: plain values come back exactly from --format dotenv and --format docker', () => {
    const s = setup()
    const plain = 'DATABASE_URL,PORT'
    s.run(['render', 'dotenv', 'production', '--only', plain, '-o', 'a.env', '-q'])
    s.run(['render', 'dotenv', 'production', '--only', plain, '--format', 'docker', '-o', 'b.env', '-q'])
    writeFileSync(join(s.dir, 'docker-compose.yml'), 'services:\n  a:\n    image: alpine\n    env_file: a.env\n  b:\n    image: alpine\n    env_file: b.env\n')
    const r = spawnSync('docker-compose', ['config'], { cwd: s.dir, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const c = parse(r.stdout) as Record<string, any>
    const want = { DATABASE_URL: EXPECTED.DATABASE_URL, PORT: EXPECTED.PORT }
    expect(c.services.a.environment).toEqual(want)
    expect(c.services.b.environment).toEqual(want)
  })
})

describe.runIf(requireTool(toolOnPath('git'), 'git'))('output safety in a git repository', () => {
  it('refuses a tracked output path unless --force, warns about one git does not ignore, is quiet for ignored ones', () => {
    const s = setup({ git: true })
    const SAFE = ['--only', 'DATABASE_URL,PORT'] // QUOTES and ALL_QUOTES have no .env spelling
    writeFileSync(join(s.dir, 'app.env'), 'OLD=1\n')
    spawnSync('git', ['add', 'app.env'], { cwd: s.dir })
    const refused = s.run(['render', 'dotenv', 'production', '-o', 'app.env', ...SAFE])
    expect(refused.code).toBe(6)
    expect(refused.stderr).toMatch(/git tracks this file, so decrypted values would be committed \(app\.env\) - .*--force/)
    expect(readFileSync(join(s.dir, 'app.env'), 'utf8')).toBe('OLD=1\n')
    const forced = s.run(['render', 'dotenv', 'production', '-o', 'app.env', '--force', ...SAFE])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stderr).toMatch(/warning: git tracks app\.env/)

    const warned = s.run(['render', 'k8s', 'production', '--name', 'api', '-o', 'secret.yaml'])
    expect(warned.code, warned.stderr).toBe(0)
    expect(warned.stderr).toContain(`git does not ignore secret.yaml: add the line "/secret.yaml" to ${join(s.dir, '.gitignore')}`)

    const ignored = s.run(['render', 'dotenv', 'production', '-o', '.env.production', ...SAFE]) // init's .gitignore covers .env.*
    expect(ignored.code).toBe(0)
    expect(ignored.stderr).not.toMatch(/git/)
    const dir = s.run(['render', 'docker-secrets', 'production']) // and .secrets/
    expect(dir.stderr).not.toMatch(/git/)
    mkdirSync(join(s.dir, 'out'))
    const exposedDir = s.run(['render', 'docker-secrets', 'production', '--dir', 'out/prod'])
    expect(exposedDir.stderr).toContain('add the line "/out/prod/"')
  })
})
