// `secrets exec` and `secrets exec-file` driven as a user runs them, and the library imported by
// a separate Node program: precedence, pristine, exit codes, forwarded signals, nothing on disk.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BIN, ROOT, sandbox, tempDir, type Sandbox } from '../support/cli.js'

const NODE = process.execPath
const PLAIN = `DATABASE_URL: postgres://app:s3cret-pw@db:5432/app
API_TOKEN: tok-from-file
MULTILINE: "line one\\nline=two\\n"
EQUALS: "a=b==c="
QUOTES: "it's \\"q\\" $HOME #not-a-comment"
database:
    password: nested-pw
PORT: 5432
`
const EXPECTED = {
  DATABASE_URL: 'postgres://app:s3cret-pw@db:5432/app',
  API_TOKEN: 'tok-from-file',
  MULTILINE: 'line one\nline=two\n',
  EQUALS: 'a=b==c=',
  QUOTES: 'it\'s "q" $HOME #not-a-comment',
  DATABASE_PASSWORD: 'nested-pw',
  PORT: '5432',
}

function setup(): Sandbox {
  const s = sandbox()
  expect(s.run(['init', 'production', '-q']).code).toBe(0)
  writeFileSync(join(s.dir, 'secrets', 'production.yaml'), PLAIN)
  const e = s.run(['encrypt', '-i', 'secrets/production.yaml', '-q'])
  expect(e.code, e.stderr).toBe(0)
  return s
}

const printEnv = (names: string[] | null): string[] => [
  NODE,
  '-e',
  `const n=${JSON.stringify(names)};const e=process.env;process.stdout.write(JSON.stringify(n?Object.fromEntries(n.filter(k=>k in e).map(k=>[k,e[k]])):e))`,
]

function tree(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)))
      if (e.isDirectory()) walk(join(d, e.name))
    }
  }
  walk(dir)
  return out.sort()
}

describe('secrets exec', () => {
  it('injects the values intact (newlines, =, quotes, nested names) and leaves existing variables alone', () => {
    const s = setup()
    const r = s.run(['exec', 'production', '--', ...printEnv(Object.keys(EXPECTED))], { env: { API_TOKEN: 'from-shell' } })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ ...EXPECTED, API_TOKEN: 'from-shell' })
    expect(r.stderr).toMatch(/injecting 6 variables from secrets\/production\.yaml; already set, so kept \(--override replaces them\): API_TOKEN/)
    for (const v of Object.values(EXPECTED)) if (v.length > 4) expect(r.stderr).not.toContain(v)
  })

  it('--override lets the file win; an empty existing value also counts as set', () => {
    const s = setup()
    const o = s.run(['exec', 'production', '--override', '--', ...printEnv(['API_TOKEN', 'PORT'])], { env: { API_TOKEN: 'from-shell', PORT: '' } })
    expect(JSON.parse(o.stdout)).toEqual({ API_TOKEN: 'tok-from-file', PORT: '5432' })
    const k = s.run(['exec', 'production', '-q', '--', ...printEnv(['PORT'])], { env: { PORT: '' } })
    expect(JSON.parse(k.stdout)).toEqual({ PORT: '' })
    expect(k.stderr).toBe('')
  })

  it('--pristine starts empty (the command is still found on PATH); --keep brings named variables along', () => {
    const s = setup()
    const r = s.run(['exec', 'production', '--pristine', '-q', '--', 'node', ...printEnv(null).slice(1)], { env: { API_TOKEN: 'from-shell', OTHER: 'x' } })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED)
    const k = s.run(['exec', 'production', '--pristine', '--keep', 'OTHER,API_TOKEN', '-q', '--', ...printEnv(null)], { env: { API_TOKEN: 'from-shell', OTHER: 'x' } })
    expect(JSON.parse(k.stdout)).toEqual({ ...EXPECTED, API_TOKEN: 'from-shell', OTHER: 'x' })
  })

  it('--only and --prefix select and rename', () => {
    const s = setup()
    const r = s.run(['exec', 'production', '--only', 'PORT,EQUALS', '--prefix', 'APP_', '-q', '--', ...printEnv(['APP_PORT', 'APP_EQUALS', 'PORT', 'APP_API_TOKEN'])])
    expect(JSON.parse(r.stdout)).toEqual({ APP_PORT: '5432', APP_EQUALS: 'a=b==c=' })
    const bad = s.run(['exec', 'production', '--only', 'NOPE', '--', 'true'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--only names NOPE/)
  })

  it("exits with the child's code, 128+N when a signal killed it, 127 when the command does not exist", () => {
    const s = setup()
    expect(s.run(['exec', 'production', '-q', '--', NODE, '-e', 'process.exit(3)']).code).toBe(3)
    expect(s.run(['exec', 'production', '-q', '--', NODE, '-e', 'process.kill(process.pid, "SIGTERM")']).code).toBe(143)
    const nf = s.run(['exec', 'production', '-q', '--', 'no-such-command-xyz'])
    expect(nf.code).toBe(127)
    expect(nf.stderr).toBe('secrets: command not found: no-such-command-xyz - check the command name and PATH\n')
    expect(s.run(['exec', 'production']).code).toBe(2)
  })

  it('runs no shell unless --shell', () => {
    const s = setup()
    const plain = s.run(['exec', 'production', '-q', '--', 'echo', '$EQUALS'])
    expect(plain.stdout).toBe('$EQUALS\n')
    const sh = s.run(['exec', 'production', '-q', '--shell', '--', 'printf "%s" "$EQUALS" | wc -c'])
    expect(sh.stdout.trim()).toBe('7')
  })

  it('values never appear in the argv of `secrets`; nothing is written to the temp dir or the working directory', () => {
    const s = setup()
    const tmp = tempDir()
    const before = { cwd: tree(s.dir), tmp: tree(tmp) }
    const script = 'const fs=require("fs");process.stdout.write(JSON.stringify({parent:fs.readFileSync("/proc/"+process.ppid+"/cmdline","utf8"),self:process.argv}))'
    const r = s.run(['exec', 'production', '-q', '--', NODE, '-e', script], { env: { TMPDIR: tmp, SECRETS_TMPDIR: tmp } })
    expect(r.code, r.stderr).toBe(0)
    const seen = JSON.parse(r.stdout) as { parent: string; self: string[] }
    expect(seen.parent).toContain('exec\0production')
    for (const v of Object.values(EXPECTED)) {
      expect(seen.parent).not.toContain(v)
      expect(seen.self.join('\0')).not.toContain(v)
    }
    expect({ cwd: tree(s.dir), tmp: tree(tmp) }).toEqual(before)
  })

  it('the config separator applies (outputs.env.separator)', () => {
    const s = setup()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), readFileSync(join(s.dir, '.secretsrc.yaml'), 'utf8') + 'outputs:\n  env:\n    separator: "__"\n')
    const r = s.run(['exec', 'production', '-q', '--', ...printEnv(['DATABASE__PASSWORD', 'DATABASE_PASSWORD'])])
    expect(JSON.parse(r.stdout)).toEqual({ DATABASE__PASSWORD: 'nested-pw' })
  })

  describe('signals', () => {
    // The child reports the signal it got and exits 0, so the exit code proves `secrets` waited for it.
    const child = `for (const s of ["SIGINT","SIGTERM","SIGHUP","SIGQUIT"]) process.on(s, () => { process.stdout.write("got " + s + "\\n"); process.exit(0) }); process.stdout.write("ready\\n"); setInterval(() => {}, 1000)`
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
      it(`forwards ${sig} to the child and exits with the child's code`, async () => {
        const s = setup()
        const p = spawn(NODE, [BIN, 'exec', 'production', '-q', '--', NODE, '-e', child], { cwd: s.dir, env: s.env, stdio: ['pipe', 'pipe', 'pipe'] })
        const closed = new Promise<number | null>((resolve) => p.on('close', resolve))
        let out = ''
        let err = ''
        p.stderr.on('data', (b: Buffer) => (err += b.toString()))
        await new Promise<void>((resolve) => {
          p.stdout.on('data', (b: Buffer) => {
            out += b.toString()
            if (out.includes('ready')) resolve()
          })
          void closed.then(() => resolve()) // fail on the assertions below rather than time out
        })
        p.kill(sig)
        const code = await closed
        expect(out, err).toBe(`ready\ngot ${sig}\n`)
        expect(code).toBe(0)
      })
    }
  })
})

describe('secrets exec-file', () => {
  // Reports what the path is, its permissions and content; the test then checks it is gone.
  const inspect = 'const fs=require("fs");const p=process.argv[1];const st=fs.statSync(p);const d=fs.statSync(require("path").dirname(p));process.stdout.write(JSON.stringify({p,link:fs.lstatSync(p).isSymbolicLink(),file:st.isFile(),mode:st.mode&0o777,dir:d.mode&0o777,text:fs.readFileSync(p,"utf8")}))'

  it('serves the decrypted file at a private path (Linux: a link to a read-only unlinked file) that is gone afterwards', () => {
    const s = setup()
    const r = s.run(['exec-file', 'production', '--', NODE, '-e', inspect, '{}'])
    expect(r.code, r.stderr).toBe(0)
    const got = JSON.parse(r.stdout) as { p: string; link: boolean; file: boolean; mode: number; dir: number; text: string }
    expect(got.file).toBe(true)
    expect(got.link).toBe(process.platform === 'linux')
    expect(got.mode).toBe(process.platform === 'linux' ? 0o400 : 0o600)
    expect(got.dir).toBe(0o700)
    expect(got.p.endsWith('/production.yaml')).toBe(true)
    expect(got.text).toContain('MULTILINE: |\n    line one\n    line=two\n')
    expect(got.text).toContain('password: nested-pw')
    expect(existsSync(got.p)).toBe(false)
    expect(existsSync(join(got.p, '..'))).toBe(false)
  })

  it('serves every reader (a program may open the file twice) and passes the exit code through', () => {
    const s = setup()
    const twice = 'const fs=require("fs");const a=fs.readFileSync(process.argv[1],"utf8");const b=fs.readFileSync(process.argv[1],"utf8");process.exit(a===b&&a.includes("nested-pw")?7:1)'
    expect(s.run(['exec-file', 'production', '-q', '--', NODE, '-e', twice, '{}']).code).toBe(7)
  })

  it('each of many successive reads gets the whole content, exactly once', () => {
    const s = setup()
    const many = 'const fs=require("fs");const first=fs.readFileSync(process.argv[1],"utf8");for(let i=0;i<30;i++){if(fs.readFileSync(process.argv[1],"utf8")!==first)process.exit(1)}process.exit(first.split("nested-pw").length===2?7:2)'
    for (let round = 0; round < 3; round++) expect(s.run(['exec-file', 'production', '-q', '--', NODE, '-e', many, '{}']).code).toBe(7)
  })

  it('--no-fifo uses a 0600 regular file; --output-type converts; {} may sit inside an argument', () => {
    const s = setup()
    const r = s.run(['exec-file', 'production', '--no-fifo', '--output-type', 'json', '-q', '--', NODE, '-e', inspect.replace('process.argv[1]', 'process.argv[1].slice(9)'), '--', '--config={}'])
    expect(r.code, r.stderr).toBe(0)
    const got = JSON.parse(r.stdout) as { p: string; link: boolean; file: boolean; mode: number; dir: number; text: string }
    expect(got.link).toBe(false)
    expect(got.file).toBe(true)
    expect(got.mode).toBe(0o600)
    expect(got.dir).toBe(0o700)
    expect(got.p.endsWith('/production.json')).toBe(true)
    expect(JSON.parse(got.text).database.password).toBe('nested-pw')
    expect(existsSync(got.p)).toBe(false)
  })

  it('forwards SIGTERM to the child and removes the file once it has exited', async () => {
    const s = setup()
    const child = 'process.on("SIGTERM", () => { process.stdout.write("got SIGTERM\\n"); process.exit(0) }); process.stdout.write(process.argv[1] + "\\n"); setInterval(() => undefined, 1000)'
    const p = spawn(NODE, [BIN, 'exec-file', 'production', '-q', '--', NODE, '-e', child, '{}'], { cwd: s.dir, env: s.env })
    const closed = new Promise<number | null>((resolve) => p.on('close', resolve))
    let out = ''
    await new Promise<void>((resolve) => {
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        if (out.includes('\n')) resolve()
      })
      void closed.then(() => resolve())
    })
    const path = out.trim()
    expect(existsSync(path)).toBe(true)
    p.kill('SIGTERM')
    const code = await closed
    expect(out).toBe(`${path}\ngot SIGTERM\n`)
    expect(code).toBe(0)
    expect(existsSync(join(path, '..'))).toBe(false)
  })

  it('refuses a command without {}', () => {
    const s = setup()
    const r = s.run(['exec-file', 'production', '--', 'cat'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no \{\} for the file path/)
  })
})

describe('library', () => {
  function project(): Sandbox {
    const s = setup()
    mkdirSync(join(s.dir, 'node_modules'))
    symlinkSync(ROOT, join(s.dir, 'node_modules', 'secrets')) // as `npm install secrets` would
    return s
  }

  it('loadSecrets fills process.env (existing values win unless override) and returns the values', () => {
    const s = project()
    writeFileSync(
      join(s.dir, 'app.mjs'),
      `import { loadSecrets } from 'secrets'
process.env.API_TOKEN = 'mine'
const values = await loadSecrets({ env: 'production' })
const after = { API_TOKEN: process.env.API_TOKEN, MULTILINE: process.env.MULTILINE, DATABASE_PASSWORD: process.env.DATABASE_PASSWORD }
await loadSecrets({ env: 'production', override: true, only: ['API_TOKEN'] })
const target = {}
await loadSecrets({ env: 'secrets/production.yaml', target, prefix: 'X_', only: ['PORT'] })
process.stdout.write(JSON.stringify({ values, after, overridden: process.env.API_TOKEN, target }))
`,
    )
    const r = spawnSync(NODE, ['app.mjs'], { cwd: s.dir, env: s.env, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const got = JSON.parse(r.stdout)
    expect(got.values).toEqual(EXPECTED)
    expect(got.after).toEqual({ API_TOKEN: 'mine', MULTILINE: EXPECTED.MULTILINE, DATABASE_PASSWORD: 'nested-pw' })
    expect(got.overridden).toBe('tok-from-file')
    expect(got.target).toEqual({ X_PORT: '5432' })
  })

  it('importing the package and decrypting with age loads no AWS SDK module', () => {
    const s = project()
    const log = join(tempDir(), 'modules.log')
    const awsUrl = pathToFileURL(createRequire(import.meta.url).resolve('@aws-sdk/client-kms')).href
    // A resolve hook records every module Node loads (ESM has no require.cache to inspect).
    writeFileSync(join(s.dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs'\nexport async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r }\n`)
    writeFileSync(join(s.dir, 'register.mjs'), `import { register } from 'node:module'\nregister('./hooks.mjs', import.meta.url)\n`)
    writeFileSync(
      join(s.dir, 'app.mjs'),
      `import { appendFileSync } from 'node:fs'
const lib = await import('secrets')
const { data } = await lib.decryptFile('production')
await lib.loadSecrets({ env: 'production' })
appendFileSync(${JSON.stringify(log)}, 'MARK\\n')
await import(${JSON.stringify(awsUrl)}) // control: the hook does see AWS modules
process.stdout.write(String(data.database.password))
`,
    )
    const r = spawnSync(NODE, ['--import', './register.mjs', 'app.mjs'], { cwd: s.dir, env: s.env, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe('nested-pw')
    const [before, after] = readFileSync(log, 'utf8').split('MARK\n') as [string, string]
    expect(before).toContain('/dist/index.js')
    expect(before).not.toMatch(/@aws-sdk|@smithy/)
    expect(after).toMatch(/@aws-sdk\/client-kms/)
  })
})

describe('the age private key does not reach the command', () => {
  it('SOPS_AGE_KEY is removed from the environment of exec and exec-file unless --keep-key-env', () => {
    const s = setup()
    const key = readFileSync(join(s.home, '.config', 'sops', 'age', 'keys.txt'), 'utf8').match(/AGE-SECRET-KEY-1[0-9A-Z]+/)![0]
    const env = { SOPS_AGE_KEY: key, XDG_CONFIG_HOME: join(s.dir, 'elsewhere') }
    const probe = [NODE, '-e', 'process.stdout.write(String(process.env.SOPS_AGE_KEY === undefined ? "absent" : process.env.SOPS_AGE_KEY.length))']
    const r = s.run(['exec', 'production', '--', ...probe], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('absent')
    expect(s.run(['exec', 'production', '--keep-key-env', '--', ...probe], { env }).stdout).toBe(String(key.length))
    const f = s.run(['exec-file', 'production', '--', ...probe, '{}'], { env })
    expect(f.code, f.stderr).toBe(0)
    expect(f.stdout).toBe('absent')
  })
})
