// A fresh private directory (0700, RAM-backed when /dev/shm is usable) for plaintext that must
// touch a disk, e.g. the file an editor opens. It is removed on every way out: return, throw,
// process.exit, and SIGINT/SIGTERM/SIGHUP (handlers live only while a directory exists).
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs'
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
  const base = privateTempBase(opts.env)
  let path: string
  try {
    path = mkdtempSync(join(base, opts.prefix ?? 'secrets-'))
    chmodSync(path, 0o700) // mkdtemp already uses 0700; say it explicitly in case a platform differs
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretsError('io', `cannot create a private temporary directory in ${base} (${code})`, {
      hint: 'set SECRETS_TMPDIR to a writable directory only you can read',
    })
  }
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
