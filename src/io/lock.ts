// An advisory lock per secrets file (`.<name>.lock` beside it, created with O_EXCL) around every
// read-modify-write, so concurrent `set`s all land. A lock left by a dead process is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { SecretsError } from '../errors.js'

export function lockPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.lock`)
}

function holderAlive(lockFile: string): boolean {
  let text: string
  try {
    text = readFileSync(lockFile, 'utf8')
  } catch {
    return false // vanished: free
  }
  const [pidText, host] = text.split('\n')
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return false // garbage: treat as stale
  if (host !== undefined && host !== '' && host !== hostname()) return true // another machine: cannot tell, wait
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Run `fn` holding the lock of `file`; waits up to `timeoutMs` (default 30 s, SECRETS_LOCK_TIMEOUT_MS). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  const lock = lockPathFor(file)
  const timeout = opts.timeoutMs ?? Number(process.env.SECRETS_LOCK_TIMEOUT_MS ?? 30_000)
  const deadline = Date.now() + timeout
  let delay = 5
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600)
      writeSync(fd, `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`)
      closeSync(fd)
      break
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') {
        throw new SecretsError('io', `cannot create the lock file ${basename(lock)} (${code ?? 'error'})`, { file, hint: 'check that the folder is writable' })
      }
      if (!holderAlive(lock)) {
        try {
          unlinkSync(lock) // stale: its process is gone
        } catch {
          // someone else took it over first
        }
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
