// Drive the built CLI as a user would: a spawned `node dist/cli/main.js`, a temp HOME, a cwd.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(__dirname, '..', '..')
export const BIN = join(ROOT, 'dist', 'cli', 'main.js')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
  stdoutBytes: Buffer
}

export interface Sandbox {
  home: string
  dir: string
  /** This sandbox's SECRETS_TMPDIR (private folders of edit and exec-file). */
  tmp: string
  env: NodeJS.ProcessEnv
  run(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string }): RunResult
  /** Like run, without blocking this process (for tests that serve something the CLI talks to). */
  runAsync(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<RunResult>
}

const created: string[] = []
process.on('exit', () => {
  for (const d of created) rmSync(d, { recursive: true, force: true })
})

/** A fresh temp dir removed when the test process exits. */
export function tempDir(prefix = 'secrets-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  created.push(d)
  return d
}

/** A fresh HOME (XDG config inside it), work dir and private temp root; no sops/secrets variables leak in. */
export function sandbox(): Sandbox {
  if (!existsSync(BIN)) throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)')
  const base = tempDir('secrets-e2e-')
  const home = join(base, 'home')
  const dir = join(base, 'work')
  const tmp = join(base, 'tmp')
  mkdirSync(home)
  mkdirSync(dir)
  mkdirSync(tmp)
  // SECRETS_TMPDIR: private folders (edit, exec-file) go to this sandbox's own temp root, never the
  // machine-wide /dev/shm, which other tests share (a test sets it to '' to exercise the default).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LANG: 'C.UTF-8', SECRETS_TMPDIR: tmp }
  return {
    home,
    dir,
    tmp,
    env,
    run(args, opts = {}) {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: opts.cwd ?? dir,
        env: { ...env, ...opts.env },
        input: opts.input ?? '',
        maxBuffer: 64 * 1024 * 1024,
      })
      return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString(), stdoutBytes: r.stdout }
    },
    runAsync(args, opts = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? dir, env: { ...env, ...opts.env } })
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout.on('data', (b: Buffer) => out.push(b))
        child.stderr.on('data', (b: Buffer) => err.push(b))
        child.on('error', reject)
        child.on('close', (code) => {
          const stdoutBytes = Buffer.concat(out)
          resolve({ code: code ?? -1, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes })
        })
        child.stdin.end(opts.input ?? '')
      })
    },
  }
}

export interface Identity {
  file: string
  recipient: string
  secret: string
}

/** A new age identity in `<dir>/<name>.key` (via `secrets keygen`), its recipient and secret. */
export function identity(s: Sandbox, name: string): Identity {
  const file = join(s.dir, `${name}.key`)
  const r = s.run(['keygen', '-q', '-o', file])
  if (r.code !== 0) throw new Error(`keygen failed: ${r.stderr}`)
  const secret = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!
  return { file, recipient: r.stdout.trim(), secret }
}

/** Environment giving the CLI exactly these identities. */
export const as = (...ids: Identity[]): NodeJS.ProcessEnv => ({ SOPS_AGE_KEY: ids.map((i) => i.secret).join('\n') })
