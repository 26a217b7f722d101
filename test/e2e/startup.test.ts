// The built CLI's start-up machinery (scripts/cli-entry.cjs -> dist/cli/main.js): the per-user V8
// code cache made on the first run with the user's own Node (used on the next run, checked before
// V8 sees it, replaced when damaged, foreign or rejected, skipped when it cannot be written), no
// private Node APIs, and third-party warnings kept off our stderr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { Script } from 'node:vm'
import { BIN, ROOT, sandbox, type Sandbox } from '../support/cli.js'
import { startKmsEmulator, type KmsEmulator, emulatorEnv } from '../support/kms-emulator.js'

const DEBUG = { SECRETS_DEBUG_CODE_CACHE: '1' }
const cacheDir = (s: Sandbox): string => join(s.home, '.cache', 'secrets')
const cacheFiles = (s: Sandbox): string[] =>
  readdirSync(cacheDir(s))
    .filter((n) => n.endsWith('.v8cache'))
    .map((n) => join(cacheDir(s), n))

/** A sandbox with an age key and an encrypted f.yaml, made without writing a code cache. */
function withFile(): { s: Sandbox; recipient: string } {
  const s = sandbox()
  const recipient = s.run(['keygen', '-q'], { env: { SECRETS_NO_CODE_CACHE: '1' } }).stdout.trim()
  writeFileSync(join(s.dir, 'f.yaml'), 'a: 1\nb: two\n')
  expect(s.run(['encrypt', '-i', 'f.yaml', '--age', recipient], { env: { SECRETS_NO_CODE_CACHE: '1' } }).code).toBe(0)
  return { s, recipient }
}

/** Split a cache file as main.js writes it: header lines, the trained commands, checksum, body. */
function parseCache(bytes: Buffer): { key: string; trained: string; sum: string; body: Buffer } {
  const keyEnd = bytes.indexOf('\n\n\n') // the key's last line (NODE_OPTIONS) is empty here
  const key = bytes.toString('utf8', 0, keyEnd + 1)
  const trainedEnd = bytes.indexOf(0x0a, keyEnd + 3)
  return { key, trained: bytes.toString('utf8', keyEnd + 3, trainedEnd), sum: bytes.toString('latin1', trainedEnd + 1, trainedEnd + 65), body: bytes.subarray(trainedEnd + 66) }
}
const buildCache = (key: string, trained: string, body: Buffer): Buffer => Buffer.concat([Buffer.from(`${key}\n\n${trained}\n${createHash('sha256').update(body).digest('hex')}\n`), body])

describe('start-up: the per-user code cache', () => {
  it('the first run writes it (0600 in a 0700 folder), the second uses it, and output is the same without it', () => {
    const { s } = withFile()
    const first = s.run(['decrypt', 'f.yaml'], { env: DEBUG })
    expect(first.stderr).toBe('secrets: code cache not used\nsecrets: code cache written\n')
    const [file, ...others] = cacheFiles(s)
    expect(others).toEqual([])
    expect(file).toMatch(/cli-[0-9a-f]{32}\.v8cache$/)
    expect(statSync(file!).mode & 0o777).toBe(0o600)
    expect(statSync(cacheDir(s)).mode & 0o777).toBe(0o700)
    const { key, trained } = parseCache(readFileSync(file!))
    expect(key).toContain(process.version)
    expect(trained).toBe('decrypt')

    const second = s.run(['decrypt', 'f.yaml'], { env: DEBUG })
    expect(second.stderr).toBe('secrets: code cache used\n')
    const off = s.run(['decrypt', 'f.yaml'], { env: { ...DEBUG, SECRETS_NO_CODE_CACHE: '1' } })
    expect(off.stderr).toBe('secrets: code cache not used\n')
    expect(first.stdout).toBe('a: 1\nb: two\n')
    expect(second.stdout).toBe(first.stdout)
    expect(off.stdout).toBe(first.stdout)

    // another command adds its code to the cache once
    expect(s.run(['keygen', '-q', '-o', join(s.dir, 'k2')], { env: DEBUG }).stderr).toBe('secrets: code cache used\nsecrets: code cache written\n')
    expect(parseCache(readFileSync(file!)).trained).toBe('decrypt,keygen')
    expect(s.run(['keygen', '-q', '-o', join(s.dir, 'k3')], { env: DEBUG }).stderr).toBe('secrets: code cache used\n')
    // XDG_CACHE_HOME is honoured
    const xdg = join(s.home, 'xdg-cache')
    expect(s.run(['decrypt', 'f.yaml'], { env: { ...DEBUG, XDG_CACHE_HOME: xdg } }).stderr).toBe('secrets: code cache not used\nsecrets: code cache written\n')
    expect(readdirSync(join(xdg, 'secrets'))).toHaveLength(1)
  })

  it('a damaged cache is never handed to V8 (its checksum fails) and is replaced', () => {
    const { s } = withFile()
    s.run(['decrypt', 'f.yaml'])
    const [file] = cacheFiles(s)
    const bytes = readFileSync(file!)
    for (let i = bytes.length - 4000; i < bytes.length; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff
    writeFileSync(file!, bytes)
    const r = s.run(['decrypt', 'f.yaml'], { env: DEBUG })
    expect(r.stdout).toBe('a: 1\nb: two\n')
    expect(r.stderr).toBe('secrets: code cache not used (invalid)\nsecrets: code cache written\n')
    expect(s.run(['decrypt', 'f.yaml'], { env: DEBUG }).stderr).toBe('secrets: code cache used\n')
    // truncated to nothing: the same
    writeFileSync(file!, '')
    expect(s.run(['decrypt', 'f.yaml'], { env: DEBUG }).stderr).toBe('secrets: code cache not used (invalid)\nsecrets: code cache written\n')
  })

  it('a cache made for another Node version is not used, even with a good checksum; one V8 rejects is replaced', () => {
    const { s } = withFile()
    s.run(['decrypt', 'f.yaml'])
    const [file] = cacheFiles(s)
    const c = parseCache(readFileSync(file!))
    writeFileSync(file!, buildCache(c.key.replace(process.version, 'v99.0.0'), c.trained, c.body))
    expect(s.run(['decrypt', 'f.yaml'], { env: DEBUG }).stderr).toBe('secrets: code cache not used (invalid)\nsecrets: code cache written\n')
    expect(parseCache(readFileSync(file!)).key).toBe(c.key)

    // right header and checksum, but a body V8 made for other code: V8 refuses it, we rewrite it
    const foreign = new Script('(function () { return 1 })').createCachedData()
    writeFileSync(file!, buildCache(c.key, 'decrypt', foreign))
    const r = s.run(['decrypt', 'f.yaml'], { env: DEBUG })
    expect(r.stdout).toBe('a: 1\nb: two\n')
    expect(r.stderr).toBe('secrets: code cache rejected\nsecrets: code cache written\n')
    expect(s.run(['decrypt', 'f.yaml'], { env: DEBUG }).stderr).toBe('secrets: code cache used\n')
  })

  it('other Node flags get a cache of their own', () => {
    const { s } = withFile()
    s.run(['decrypt', 'f.yaml'])
    expect(cacheFiles(s)).toHaveLength(1)
    const r = spawnSync(process.execPath, ['--stack-size=900', BIN, 'decrypt', 'f.yaml'], { cwd: s.dir, env: { ...s.env, ...DEBUG }, encoding: 'utf8' })
    expect(r.stderr).toBe('secrets: code cache not used\nsecrets: code cache written\n')
    expect(cacheFiles(s)).toHaveLength(2)
    expect(s.run(['decrypt', 'f.yaml'], { env: DEBUG }).stderr).toBe('secrets: code cache used\n')
  })

  it('an unwritable cache folder only means no cache; a folder others can write to is not trusted', () => {
    const { s } = withFile()
    writeFileSync(join(s.home, 'not-a-dir'), '')
    const r = s.run(['decrypt', 'f.yaml'], { env: { ...DEBUG, XDG_CACHE_HOME: join(s.home, 'not-a-dir') } })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('a: 1\nb: two\n')
    expect(r.stderr).toBe('secrets: code cache not used\nsecrets: code cache not written (ENOTDIR)\n')
    expect(s.run(['decrypt', 'f.yaml'], { env: { XDG_CACHE_HOME: join(s.home, 'not-a-dir') } }).stderr).toBe('')

    s.run(['decrypt', 'f.yaml'])
    chmodSync(cacheDir(s), 0o777)
    const open = s.run(['decrypt', 'f.yaml'], { env: DEBUG })
    expect(open.stdout).toBe('a: 1\nb: two\n')
    expect(open.stderr).toBe('secrets: code cache not used\n')
  })

  it('main.js uses no private Node API and the bundle hands commander the real child_process', () => {
    const main = readFileSync(BIN, 'utf8')
    expect(main).not.toMatch(/\b_nodeModulePaths\b|\b_load\b|\b_resolveFilename\b|\bbinding\(/)
    const bundle = readFileSync(join(ROOT, 'dist', 'cli', 'bundle.js'), 'utf8')
    expect(bundle).not.toMatch(/new Proxy\(\{\},\{get:\(\w+,\w+\)=>process\.getBuiltinModule/)
    expect(() => statSync(join(ROOT, 'dist', 'cli', 'bundle.js.v8cache'))).toThrow()
  })
})

describe('start-up: third-party warnings', () => {
  let emu: KmsEmulator
  beforeAll(async () => {
    emu = await startKmsEmulator()
  })
  afterAll(async () => {
    await emu?.close()
  })

  it('the AWS SDK prints no warning of its own on our stderr, even when its opt-out is set to false', async () => {
    const s = sandbox()
    const arn = emu.createKey({ region: 'eu-west-1' })
    const aws = {
      ...emulatorEnv(emu),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false',
    }
    writeFileSync(join(s.dir, 'k.yaml'), 'token: abc\n')
    const e = await s.runAsync(['encrypt', '-i', 'k.yaml', '--kms', arn], { env: aws })
    expect(e.code, e.stderr).toBe(0)
    expect(e.stderr).toBe('secrets: encrypted 1 value, 0 left in clear; data key wrapped for 1 kms key -> k.yaml\n')
    const d = await s.runAsync(['decrypt', 'k.yaml'], { env: aws })
    expect(d.stdout).toBe('token: abc\n')
    expect(d.stderr).toBe('')
    if (Number(process.versions.node.split('.')[0]) < 22) {
      // the premise: on this Node the SDK does warn, and --debug lets it through
      const loud = await s.runAsync(['decrypt', 'k.yaml', '--debug'], { env: aws })
      expect(loud.stdout).toBe('token: abc\n')
      expect(loud.stderr).toContain('NodeVersionSupportWarning')
    }
  })
})
