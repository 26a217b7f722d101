// A fresh private directory (0700, RAM-backed when /dev/shm is usable) for plaintext that must
// touch a disk, e.g. the file an editor opens. It is removed on every way out: return, throw,
// process.exit, and SIGINT/SIGTERM/SIGHUP (handlers live only while a directory exists).
//
// Only SIGKILL (or a power cut) can leave one behind, so every directory's name records its owner:
// `secrets-<purpose>-<pid>.<start>.<boot>.<pidns>-XXXXXX` (process id, its start time in clock
// ticks since boot, the first 8 hex digits of the boot id, the pid namespace's inode; `x` where the
// platform cannot tell). Creating a directory first removes the stale ones: ours by that naming
// scheme, owned by our uid, a real directory (not a link), from this boot and this pid namespace,
// and whose owner is provably gone (no such process, or that pid now belongs to a process started
// at another time). Anything we cannot prove dead is left alone.
import { accessSync, chmodSync, constants, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { constants as osConstants, tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { SecretsError } from '../errors.js'
import { writeNewPrivateFile } from './files.js'

export interface PrivateDir {
  /** Absolute path of the directory (mode 0700). */
  readonly path: string
  /** Create `name` inside (mode 0600, must not exist) holding `bytes`; returns its path. */
  write(name: string, bytes: Uint8Array): string
  /**
   * Run `hook` before the directory is removed when a signal ends the process (e.g. stop the
   * editor child so it cannot write into a directory that is going away). Returns an unregister.
   */
  onSignal(hook: () => void): () => void
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
type HandledSignal = (typeof SIGNALS)[number]

interface Active {
  path: string
  hooks: Set<() => void>
}
const active = new Set<Active>()

function isWritableDir(p: string): boolean {
  try {
    if (!statSync(p).isDirectory()) return false
    accessSync(p, constants.W_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Where private directories go: $SECRETS_TMPDIR when set, else /dev/shm (tmpfs: the plaintext never
 * reaches a disk, so no journal or SSD block keeps it after deletion), else the OS temp dir.
 */
export function privateTempBase(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.SECRETS_TMPDIR
  if (explicit !== undefined && explicit !== '') return explicit
  if (process.platform === 'linux' && isWritableDir('/dev/shm')) return '/dev/shm'
  return tmpdir()
}

/** Who made a directory: the fields of its name (see the header). */
interface Owner {
  pid: number
  /** Start time of the process in clock ticks since boot (Linux), or `x`. */
  start: string
  /** First 8 hex digits of the kernel boot id (Linux), or `x`. */
  boot: string
  /** Inode number of the pid namespace (Linux), or `x`. */
  ns: string
}

function readOr(read: () => string, fallback: string): string {
  try {
    return read()
  } catch {
    return fallback
  }
}

/** Field 22 of /proc/<pid>/stat (the start time); throws when the process does not exist. */
function startTicks(pid: number | 'self'): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const start = fields[19]
  if (start === undefined || !/^\d+$/.test(start)) throw new Error('unexpected /proc stat format')
  return start
}

let self: Owner | undefined
function selfOwner(): Owner {
  if (self !== undefined) return self
  const linux = process.platform === 'linux'
  self = {
    pid: process.pid,
    start: linux ? readOr(() => startTicks('self'), 'x') : 'x',
    boot: linux ? readOr(() => /^[0-9a-f]{8}/.exec(readFileSync('/proc/sys/kernel/random/boot_id', 'latin1'))?.[0] ?? 'x', 'x') : 'x',
    ns: linux ? readOr(() => /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 'x', 'x') : 'x',
  }
  return self
}

const ownerTag = (o: Owner): string => `${o.pid}.${o.start}.${o.boot}.${o.ns}`
const OWNED_NAME = /^secrets-(?:[a-z]+-)?(\d+)\.(\d+|x)\.([0-9a-f]{8}|x)\.(\d+|x)-[A-Za-z0-9]{6}$/

/** The owner recorded in a directory name of ours, or null (not our naming scheme). */
export function ownerOf(name: string): Owner | null {
  const m = OWNED_NAME.exec(name)
  if (m === null) return null
  return { pid: Number(m[1]), start: m[2]!, boot: m[3]!, ns: m[4]! }
}

/** True only when the owner is provably gone; any doubt means alive. */
function ownerGone(o: Owner): boolean {
  const me = selfOwner()
  // Another boot, another pid namespace or another kind of platform: its pids are not ours to judge.
  if (o.boot !== me.boot || o.ns !== me.ns || (o.start === 'x') !== (me.start === 'x')) return false
  if (!Number.isSafeInteger(o.pid) || o.pid <= 0) return false
  if (o.pid === me.pid) return o.start !== me.start
  if (me.start !== 'x') {
    let start: string
    try {
      start = startTicks(o.pid)
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' // no such process (EACCES etc.: cannot tell)
    }
    return start !== o.start // the pid was recycled: our owner is gone
  }
  try {
    process.kill(o.pid, 0)
    return false
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' // EPERM: alive, someone else's
  }
}

/**
 * Remove the private directories in `base` left by processes of ours that are gone (killed with
 * SIGKILL, say). Returns the removed paths. Best effort: what cannot be checked or removed stays.
 */
export function sweepStalePrivateDirs(base: string): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(base)
  } catch {
    return removed
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  for (const name of names) {
    const owner = ownerOf(name)
    if (owner === null) continue
    const path = join(base, name)
    try {
      const st = lstatSync(path)
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue
      if (!ownerGone(owner)) continue
      rmSync(path, { recursive: true, force: true, maxRetries: 3 })
      removed.push(path)
    } catch {
      // gone meanwhile (another run swept it), or not removable: leave it
    }
  }
  return removed
}

/**
 * Create a fresh 0700 directory `<base>/<prefix><owner>-XXXXXX` after sweeping stale ones.
 * `prefix` is `secrets-` or `secrets-<word>-`, so the sweep recognises the name.
 */
export function makePrivateDir(opts: { prefix?: string | undefined; env?: NodeJS.ProcessEnv | undefined } = {}): string {
  const base = privateTempBase(opts.env)
  const prefix = opts.prefix ?? 'secrets-'
  if (!/^secrets-(?:[a-z]+-)?$/.test(prefix)) throw new Error(`private dir prefix must be secrets- or secrets-<word>-: ${prefix}`)
  sweepStalePrivateDirs(base)
  try {
    const path = mkdtempSync(join(base, `${prefix}${ownerTag(selfOwner())}-`))
    chmodSync(path, 0o700) // mkdtemp already uses 0700; say it explicitly in case a platform differs
    return path
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretsError('io', `cannot create a private temporary directory in ${base} (${code})`, {
      hint: 'set SECRETS_TMPDIR to a writable directory only you can read',
    })
  }
}

function removeSync(a: Active): void {
  try {
    rmSync(a.path, { recursive: true, force: true, maxRetries: 3 })
  } catch {
    // Nothing more can be done on the way out; the directory is 0700 at least.
  }
}

function runHooks(a: Active): void {
  for (const hook of a.hooks) {
    try {
      hook()
    } catch {
      // a failing hook must not keep the plaintext on disk
    }
  }
}

// process.exit() skips `finally` blocks but emits 'exit': remove what is still there.
function onExit(): void {
  for (const a of active) removeSync(a)
  active.clear()
}

function onSignal(sig: HandledSignal): void {
  for (const a of active) {
    runHooks(a)
    removeSync(a)
  }
  active.clear()
  uninstall()
  // The shell convention for "killed by signal N", so callers see why we stopped.
  process.exit(128 + osConstants.signals[sig])
}

const handlers = new Map<HandledSignal, () => void>()
function install(): void {
  if (handlers.size > 0) return
  for (const sig of SIGNALS) {
    const h = (): void => onSignal(sig)
    handlers.set(sig, h)
    process.on(sig, h)
  }
  process.on('exit', onExit)
}

function uninstall(): void {
  for (const [sig, h] of handlers) process.removeListener(sig, h)
  handlers.clear()
  process.removeListener('exit', onExit)
}

/** Run `fn` with a fresh private directory that is gone when it returns, throws or the process ends. */
export async function withPrivateTempDir<T>(fn: (dir: PrivateDir) => Promise<T>, opts: { prefix?: string; env?: NodeJS.ProcessEnv } = {}): Promise<T> {
  const path = makePrivateDir(opts)
  const entry: Active = { path, hooks: new Set() }
  install()
  active.add(entry)
  const dir: PrivateDir = {
    path,
    write(name, bytes) {
      const file = join(path, basename(name))
      writeNewPrivateFile(file, bytes)
      return file
    },
    onSignal(hook) {
      entry.hooks.add(hook)
      return () => entry.hooks.delete(hook)
    },
  }
  try {
    return await fn(dir)
  } finally {
    active.delete(entry)
    removeSync(entry)
    if (active.size === 0) uninstall()
  }
}
