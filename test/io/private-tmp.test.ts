// The private temp directory: 0700 / 0600 modes, gone after a return, a throw and process.exit; and
// the sweep of folders whose owner was killed.
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ownerOf, privateTempBase, sweepStalePrivateDirs, withPrivateTempDir } from '../../src/io/private-tmp.js'

const base = (): string => mkdtempSync(join(tmpdir(), 'secrets-ptmp-test-'))

describe('withPrivateTempDir', () => {
  it('creates a 0700 directory with 0600 files and removes it on return', async () => {
    const where = base()
    let seen = ''
    const out = await withPrivateTempDir(
      async (dir) => {
        seen = dir.path
        const f = dir.write('app.yaml', new TextEncoder().encode('a: 1\n'))
        expect(statSync(dir.path).mode & 0o777).toBe(0o700)
        expect(statSync(f).mode & 0o777).toBe(0o600)
        expect(f).toBe(join(dir.path, 'app.yaml'))
        return 42
      },
      { env: { SECRETS_TMPDIR: where } },
    )
    expect(out).toBe(42)
    expect(seen.startsWith(where)).toBe(true)
    expect(existsSync(seen)).toBe(false)
    expect(readdirSync(where)).toEqual([])
  })

  it('removes the directory when fn throws, and refuses to overwrite a file', async () => {
    const where = base()
    let seen = ''
    await expect(
      withPrivateTempDir(
        async (dir) => {
          seen = dir.path
          dir.write('x', new Uint8Array([1]))
          dir.write('x', new Uint8Array([2])) // exists: EEXIST
        },
        { env: { SECRETS_TMPDIR: where } },
      ),
    ).rejects.toThrow(/EEXIST/)
    expect(existsSync(seen)).toBe(false)
  })

  it('removes the directory on process.exit (built module, in a child process)', () => {
    const built = join(__dirname, '..', '..', 'dist', 'io', 'private-tmp.js')
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)')
    const where = base()
    const code = `
      import { withPrivateTempDir } from ${JSON.stringify(built)}
      await withPrivateTempDir(async (dir) => { dir.write('f', new Uint8Array([1])); console.log(dir.path); process.exit(3) }, { env: { SECRETS_TMPDIR: ${JSON.stringify(where)} } })
    `
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(3)
    expect(r.stdout.trim().startsWith(where)).toBe(true)
    expect(existsSync(r.stdout.trim())).toBe(false)
  })

  it('prefers SECRETS_TMPDIR, then a writable /dev/shm, then the OS temp dir', () => {
    expect(privateTempBase({ SECRETS_TMPDIR: '/x' })).toBe('/x')
    const fallback = privateTempBase({})
    if (process.platform === 'linux' && existsSync('/dev/shm')) expect(fallback).toBe('/dev/shm')
    else expect(fallback).toBe(tmpdir())
  })
})

// The sweep of folders left by a process killed with SIGKILL. Names record the owner:
// secrets-<purpose>-<pid>.<start ticks>.<boot id 8 hex>.<pid namespace>-XXXXXX
describe.runIf(process.platform === 'linux')('stale private folders (Linux)', () => {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').slice(0, 8)
  const ns = /\d+/.exec(readlinkSync('/proc/self/ns/pid'))![0]
  const startOf = (pid: number): string => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!
  }
  const name = (pid: number, start: string, b = boot, n = ns, purpose = 'edit-'): string => `secrets-${purpose}${pid}.${start}.${b}.${n}-AbC123`
  /** A process that has come and gone: its pid and start time. */
  async function deadProcess(): Promise<{ pid: number; start: string }> {
    const p = spawn('sleep', ['60'])
    await new Promise((r) => p.once('spawn', r))
    const start = startOf(p.pid!)
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGKILL')
    await gone
    return { pid: p.pid!, start }
  }
  /** A folder as a killed run leaves it: with a plaintext file inside. */
  const leave = (where: string, n: string): string => {
    const d = join(where, n)
    mkdirSync(d, { mode: 0o700 })
    writeFileSync(join(d, 'production.yaml'), 'API_TOKEN: plaintext\n', { mode: 0o600 })
    return d
  }

  it('the directory name records this process as its owner', async () => {
    const where = base()
    await withPrivateTempDir(
      async (dir) => {
        expect(basename(dir.path)).toMatch(new RegExp(`^secrets-edit-${process.pid}\\.${startOf(process.pid)}\\.${boot}\\.${ns}-[A-Za-z0-9]{6}$`))
        expect(ownerOf(basename(dir.path))).toEqual({ pid: process.pid, start: startOf(process.pid), boot, ns })
      },
      { prefix: 'secrets-edit-', env: { SECRETS_TMPDIR: where } },
    )
  })

  it('removes folders whose owner is gone or whose pid was recycled; keeps live owners and anything it cannot judge', async () => {
    const where = base()
    const dead = await deadProcess()
    const live = spawn('sleep', ['60'])
    await new Promise((r) => live.once('spawn', r))
    try {
      const liveStart = startOf(live.pid!)
      const stale = [leave(where, name(dead.pid, dead.start)), leave(where, name(dead.pid, dead.start, boot, ns, 'exec-')), leave(where, name(live.pid!, String(Number(liveStart) + 1)))]
      const kept = [
        leave(where, name(live.pid!, liveStart)), // a live run
        leave(where, name(process.pid, startOf(process.pid))), // this very process
        leave(where, name(dead.pid, dead.start, boot === 'deadbeef' ? 'beefdead' : 'deadbeef')), // another boot (or machine)
        leave(where, name(dead.pid, dead.start, boot, '1')), // another pid namespace (a container)
        leave(where, name(dead.pid, 'x', 'x', 'x')), // made where the start time was unknown
        leave(where, 'secrets-edit-AbC123'), // an older naming scheme: no owner recorded
        leave(where, `other-${dead.pid}.${dead.start}.${boot}.${ns}-AbC123`), // not ours
      ]
      writeFileSync(join(where, name(dead.pid, dead.start, boot, ns, 'file-')), 'not a directory')
      const target = leave(where, 'target')
      symlinkSync(target, join(where, name(dead.pid, dead.start, boot, ns, 'link-')))
      const removed = sweepStalePrivateDirs(where)
      expect(removed.sort()).toEqual(stale.sort())
      for (const d of stale) expect(existsSync(d)).toBe(false)
      for (const d of kept) expect(existsSync(join(d, 'production.yaml'))).toBe(true)
      expect(existsSync(join(target, 'production.yaml'))).toBe(true)
      expect(existsSync(join(where, name(dead.pid, dead.start, boot, ns, 'file-')))).toBe(true)
    } finally {
      live.kill('SIGKILL')
    }
  })

  it.runIf(process.getuid?.() === 0)("never removes another user's folder (as root: a folder chowned to nobody)", async () => {
    const where = base()
    const dead = await deadProcess()
    const d = leave(where, name(dead.pid, dead.start))
    chownSync(d, 65534, 65534)
    expect(sweepStalePrivateDirs(where)).toEqual([])
    expect(existsSync(join(d, 'production.yaml'))).toBe(true)
  })

  it('creating a private directory first sweeps the stale ones', async () => {
    const where = base()
    const dead = await deadProcess()
    const stale = leave(where, name(dead.pid, dead.start))
    await withPrivateTempDir(async () => expect(existsSync(stale)).toBe(false), { prefix: 'secrets-edit-', env: { SECRETS_TMPDIR: where } })
    expect(readdirSync(where)).toEqual([])
  })
})
