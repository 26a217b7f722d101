// The package as users get it: `npm pack` (with our prepack step, which ships the lockfile as
// npm-shrinkwrap.json), `npm install -g --prefix <temp>` of the tarball, then the installed
// `secrets` command (--version, keygen/encrypt/decrypt, a KMS key through the AWS SDK resolved
// from the installed tree, the per-user code cache) and the library import by package name.
// Packing runs in a staged copy with --ignore-scripts: a `prepare` build here would rewrite the
// dist/ that other test files are running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import semver from 'semver'
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { dirname, join } from 'node:path'
import { ROOT, tempDir } from '../support/cli.js'
import { startKmsEmulator, type KmsEmulator, emulatorEnv } from '../support/kms-emulator.js'
import { isCI, which } from '../support/skip.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> }
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as unknown

/** Where npm finds packages, if set in the environment: kept (the rest of npm_* comes from the `npm test` that runs us). */
const NPM_KEEP = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_cafile', 'npm_config_userconfig'])

/** The environment of a user's shell: no npm_* variables of a running npm script, no key variables. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !NPM_KEEP.has(k.toLowerCase())) continue
    if (!k.startsWith('SECRETS_') && !k.startsWith('SOPS_') && !k.startsWith('AWS_')) env[k] = v
  }
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`
  return { ...env, ...extra }
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): SpawnSyncReturns<string> {
  return spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 240_000 })
}

let prefix = ''
let installed = ''
let files: string[] = []
let problem = ''
let emu: KmsEmulator

beforeAll(async () => {
  emu = await startKmsEmulator()
  if (!which('npm')) {
    problem = 'npm is not on PATH'
    return
  }
  const work = tempDir('secrets-install-')
  const stage = join(work, 'stage')
  for (const f of ['package.json', 'package-lock.json', 'README.md', 'dist', 'src', 'scripts']) cpSync(join(ROOT, f), join(stage, f), { recursive: true })
  const shrink = spawnSync(process.execPath, [join(ROOT, 'scripts', 'shrinkwrap.mjs')], { cwd: stage, encoding: 'utf8' })
  if (shrink.status !== 0) throw new Error(`prepack step failed: ${shrink.stderr}`)
  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], stage)
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`)
  const info = (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!
  files = info.files.map((f) => f.path)
  prefix = join(work, 'prefix')
  const inst = npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], work)
  if (inst.status !== 0) {
    const offline = /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|network/i.test(inst.stderr)
    if (!offline) throw new Error(`npm install -g of the tarball failed: ${inst.stderr}`)
    problem = `the npm registry is unreachable and the npm cache lacks our dependencies: ${inst.stderr.split('\n').find((l) => /ERR/.test(l)) ?? ''}`
    return
  }
  installed = join(prefix, 'lib', 'node_modules', pkg.name)
}, 300_000)

afterAll(async () => {
  await emu?.close()
})

/** Skip with the reason on a laptop; fail under CI=true. */
function needInstall(ctx: { skip: (note?: string) => void }): void {
  if (problem === '') return
  if (isCI()) throw new Error(`installing the packed package is required under CI (CI=true): ${problem}`)
  console.warn(`skipped: installed package: ${problem}`)
  ctx.skip(problem)
}

describe('the packed and installed package', () => {
  it('the tarball holds the built package, the shrinkwrap and the README, not the sources', (ctx) => {
    needInstall(ctx)
    expect(files).toContain('package.json')
    expect(files).toContain('README.md')
    expect(files).toContain('npm-shrinkwrap.json')
    for (const f of ['dist/cli/main.js', 'dist/cli/bundle.js', 'dist/index.js', 'dist/index.d.ts']) expect(files).toContain(f)
    expect(files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'npm-shrinkwrap.json'].includes(f))).toEqual([])
    expect(files.filter((f) => f.endsWith('.v8cache'))).toEqual([])
  })

  it('ships the lockfile as npm-shrinkwrap.json, and what a fresh install resolves today supports our engines', (ctx) => {
    needInstall(ctx)
    // npm honours a shrinkwrap in a package the registry serves (the registry flags it); a local
    // tarball install like this one resolves the ranges afresh, as a user without it would
    expect(readFileSync(join(installed, 'npm-shrinkwrap.json'), 'utf8')).toBe(JSON.stringify(lock, null, 2) + '\n')
    const ours = (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
    const bad: string[] = []
    let checked = 0
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.')) continue
        const sub = join(dir, name)
        if (name.startsWith('@')) {
          walk(sub)
          continue
        }
        const m = JSON.parse(readFileSync(join(sub, 'package.json'), 'utf8')) as { name: string; version: string; engines?: { node?: string } }
        checked++
        const theirs = m.engines?.node
        if (theirs && theirs.trim() !== '*' && !semver.subset(ours, theirs)) bad.push(`${m.name}@${m.version} wants node ${theirs}`)
        if (existsSync(join(sub, 'node_modules'))) walk(join(sub, 'node_modules'))
      }
    }
    walk(join(installed, 'node_modules'))
    expect(bad, `our engines: node ${ours}`).toEqual([])
    expect(checked).toBeGreaterThan(20)
    // no dev dependency came along
    for (const dev of ['vitest', 'typescript', 'esbuild']) expect(existsSync(join(installed, 'node_modules', dev)), dev).toBe(false)
  })

  it('the installed `secrets` command: --version, keygen, encrypt, decrypt, a KMS key, its code cache', async (ctx) => {
    needInstall(ctx)
    const home = tempDir('secrets-installed-home-')
    const env = userEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') })
    delete env.NODE_OPTIONS
    const bin = join(prefix, 'bin', Object.keys(pkg.bin)[0]!)
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> => spawnSync(bin, args, { cwd: home, env: { ...env, ...extra }, encoding: 'utf8' })
    expect(Object.keys(pkg.bin)).toEqual(['secrets'])
    const v = run(['--version'])
    expect(v.stdout).toBe(`${pkg.version}\n`)
    const recipient = run(['keygen', '-q']).stdout.trim()
    expect(recipient).toMatch(/^age1/)
    writeFileSync(join(home, 'app.yaml'), 'db:\n    password: hunter2\nport: 5432\n')
    const e = run(['encrypt', '-i', '--age', recipient, 'app.yaml'])
    expect(e.status, e.stderr).toBe(0)
    expect(readFileSync(join(home, 'app.yaml'), 'utf8')).not.toContain('hunter2')
    const d = run(['decrypt', 'app.yaml'], { SECRETS_DEBUG_CODE_CACHE: '1' })
    expect(d.stdout).toBe('db:\n    password: hunter2\nport: 5432\n')
    expect(d.stderr).toBe('secrets: code cache used\nsecrets: code cache written\n') // keygen made it; decrypt adds its code
    expect(run(['decrypt', 'app.yaml'], { SECRETS_DEBUG_CODE_CACHE: '1' }).stderr).toBe('secrets: code cache used\n')

    // the AWS SDK stays outside the bundle: it must load from the installed tree
    const arn = emu.createKey({ region: 'eu-west-1' })
    const aws = {
      ...emulatorEnv(emu),
    }
    writeFileSync(join(home, 'k.yaml'), 'token: abc\n')
    // async: the emulator answers from this process
    const runAsync = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve, reject) => {
        const c = spawn(bin, args, { cwd: home, env: { ...env, ...aws } })
        let stdout = ''
        let stderr = ''
        c.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
        c.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
        c.on('error', reject)
        c.on('close', (code) => resolve({ code, stdout, stderr }))
      })
    const ke = await runAsync(['encrypt', '-i', '-q', '--kms', arn, 'k.yaml'])
    expect(ke.code, ke.stderr).toBe(0)
    expect(ke.stderr).toBe('')
    const kd = await runAsync(['decrypt', 'k.yaml'])
    expect(kd).toEqual({ code: 0, stdout: 'token: abc\n', stderr: '' })
  })

  it('the library imports by the package name from the installed tree', (ctx) => {
    needInstall(ctx)
    const home = tempDir('secrets-installed-lib-')
    const env = userEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') })
    const bin = join(prefix, 'bin', 'secrets')
    const recipient = spawnSync(bin, ['keygen', '-q'], { cwd: home, env, encoding: 'utf8' }).stdout.trim()
    writeFileSync(join(home, 'f.yaml'), 'API_TOKEN: t0k3n\nnested:\n  a: 1\n')
    const e = spawnSync(bin, ['encrypt', '-i', '-q', '--age', recipient, 'f.yaml'], { cwd: home, env, encoding: 'utf8' })
    expect(e.status, e.stderr).toBe(0)
    // a module beside the global node_modules resolves the bare name as an app's would
    const script = join(prefix, 'lib', 'check.mjs')
    writeFileSync(script, `import { readSecrets } from '${pkg.name}'\nconsole.log(JSON.stringify(await readSecrets({ env: process.argv[2] })))\n`)
    const r = spawnSync(process.execPath, [script, join(home, 'f.yaml')], { cwd: home, env, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ API_TOKEN: 't0k3n', NESTED_A: '1' })
  })
})
