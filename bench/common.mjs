// Shared by the bench scripts: the built CLI, a throwaway HOME with a fresh age identity (its own
// ~/.cache, so the per-user code cache starts empty), an environment without NODE_EXTRA_CA_CERTS
// (it adds ~130 ms to every Node start here and would hide our own cost), medians of
// whole-process runs, and the package installed from its tarball as a user gets it.
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const bin = join(root, 'dist', 'cli', 'main.js')

/** A work dir with its own HOME; `env` points there and carries no key or CA variables. */
export function benchSetup(prefix) {
  const env = { ...process.env }
  for (const k of ['NODE_EXTRA_CA_CERTS', 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'DOTENV_PRIVATE_KEY']) delete env[k]
  const work = mkdtempSync(join(tmpdir(), prefix))
  const home = join(work, 'home')
  mkdirSync(home)
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') })
  const recipient = execFileSync(process.execPath, [bin, 'keygen', '-q'], { env }).toString().trim()
  return { env, work, home, recipient }
}

/** Median wall time in ms of `runs` runs of a command (stdout discarded; a failure throws). */
export function median(cmd, args, { env, cwd, runs }) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] })
    const t1 = process.hrtime.bigint()
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
    times.push(Number(t1 - t0) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/**
 * The package as a user installs it: the built tree staged, the lockfile written out as
 * npm-shrinkwrap.json (as prepack does), `npm pack --ignore-scripts` (no rebuild), then
 * `npm install -g --prefix <tmp>` of the tarball. Returns the installed `main.js` (run it with
 * this Node, as the installed `secrets` link would be with `node` first on PATH).
 */
export function installPackage(work) {
  const stage = join(work, 'stage')
  for (const f of ['package.json', 'package-lock.json', 'README.md', 'dist']) cpSync(join(root, f), join(stage, f), { recursive: true })
  execFileSync(process.execPath, [join(root, 'scripts', 'shrinkwrap.mjs')], { cwd: stage })
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0]
  const prefix = join(work, 'prefix')
  const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed.filename)], {
    cwd: work,
    env: npmEnv,
    stdio: 'ignore',
  })
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return join(prefix, 'lib', 'node_modules', pkg.name, 'dist', 'cli', 'main.js')
}
