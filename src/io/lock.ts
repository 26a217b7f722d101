// An advisory lock per secrets file (`.<name>.lock` beside it, created atomically with its pid) around
// every read-modify-write, so concurrent `set`s all land. A lock left by a dead process is taken over.
import { randomBytes } from 'node:crypto'
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { SecretsError } from '../errors.js'
import { realWriteTarget } from './files.js'

/**
 * The lock of `file`, beside the real file when `file` is a symlink (so every name of one file
 * shares one lock, and the lock sits where the atomic rename happens).
 */
export function lockPathFor(file: string): string {
  let real: string
  try {
    real = realWriteTarget(file)
  } catch {
    real = resolve(file) // a symlink loop: reading the file reports it
  }
  return join(dirname(real), `.${basename(real)}.lock`)
}

/** The lock's content and whether its holder may still be running (null: the lock is gone). */
function readHolder(lockFile: string): { text: string; alive: boolean } | null {
  let text: string
  try {
    text = readFileSync(lockFile, 'utf8')
  } catch {
    return null // vanished: free
  }
  const [pidText, host] = text.split('\n')
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return { text, alive: youngerThan(lockFile, 10_000) } // garbage: stale once it is old
  if (host !== undefined && host !== '' && host !== hostname()) return { text, alive: true } // another machine: cannot tell, wait
  try {
    process.kill(pid, 0)
    return { text, alive: true }
  } catch (e) {
    return { text, alive: (e as NodeJS.ErrnoException).code === 'EPERM' }
  }
}

function youngerThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < ms
  } catch {
    return false
  }
}

const unique = (lock: string, what: string): string => `${lock}.${process.pid}.${randomBytes(4).toString('hex')}.${what}`

/**
 * Create the lock with its content in one step: written to a private file, then hard-linked into
 * place (fails if the lock exists). A waiter therefore never sees a lock without its pid and takes
 * it for a stale one. Falls back to O_EXCL where hard links are not supported.
 */
function tryCreate(lock: string, content: string): boolean {
  const tmp = unique(lock, 'new')
  try {
    writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' })
    linkSync(tmp, lock)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e
  } finally {
    try {
      unlinkSync(tmp)
    } catch {
      // never created
    }
  }
  let fd: number
  try {
    fd = openSync(lock, 'wx', 0o600)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
  writeSync(fd, content)
  closeSync(fd)
  return true
}

/**
 * Remove a stale lock whose content was `seen`. It is moved aside first and checked, so that a
 * fresh lock another waiter created in the meantime (after clearing the same stale one) is put
 * back instead of deleted.
 */
function removeStale(lock: string, seen: string): void {
  const tomb = unique(lock, 'stale')
  try {
    renameSync(lock, tomb)
  } catch {
    return // someone else cleared it first
  }
  try {
    if (readFileSync(tomb, 'utf8') !== seen) linkSync(tomb, lock)
  } catch {
    // the rightful holder's lock could not be restored because a new one exists: nothing better to do
  } finally {
    try {
      unlinkSync(tomb)
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Run `fn` holding the lock of `file`; waits up to `timeoutMs` (default 30 s, SECRETS_LOCK_TIMEOUT_MS). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  const lock = lockPathFor(file)
  const fromEnv = Number(process.env.SECRETS_LOCK_TIMEOUT_MS)
  const timeout = opts.timeoutMs ?? (Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : 30_000)
  const deadline = Date.now() + timeout
  let delay = 5
  const content = `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`
  for (;;) {
    let created: boolean
    try {
      created = tryCreate(lock, content)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw new SecretsError('io', `cannot create the lock file ${basename(lock)} (${code ?? 'error'})`, { file, hint: 'check that the folder is writable' })
    }
    if (created) break
    const holder = readHolder(lock)
    if (holder === null) continue
    if (!holder.alive) {
      removeStale(lock, holder.text) // its process is gone
      continue
    }
    if (Date.now() > deadline) {
      throw new SecretsError('io', 'the file is locked by another secrets process', {
        file,
        hint: `wait for it to finish, or remove ${lock} if no secrets command is running`,
      })
    }
    await sleep(delay + Math.random() * delay)
    delay = Math.min(delay * 2, 200)
  }
  try {
    return await fn()
  } finally {
    try {
      unlinkSync(lock)
    } catch {
      // already gone
    }
  }
}
