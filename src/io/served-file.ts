// Plaintext at a private path for as long as a callback runs: a FIFO in a fresh 0700 directory
// where the platform has one (the bytes never rest on a disk; we write them each time a reader
// opens it), else a 0600 file. The directory goes away afterwards, and on process exit.
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, constants, mkdtempSync, openSync, renameSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { SecretsError } from '../errors.js'
import { privateTempBase } from './private-tmp.js'
import { writeNewPrivateFile } from './files.js'

export type ServedKind = 'fifo' | 'file'

/** Make a FIFO with the `mkfifo` program (Node has no API for it); false when that is not possible. */
function makeFifo(path: string): boolean {
  if (process.platform === 'win32') return false
  const r = spawnSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' })
  return r.error === undefined && r.status === 0
}

/**
 * Write `bytes` to every reader that opens the FIFO, until stopped. Each reader gets a FIFO of its
 * own: once the content is written, a fresh FIFO is renamed over the path *before* our write end
 * closes, so a reader still draining the old one can never be handed the content a second time,
 * and the next open of the path always finds a FIFO we will serve.
 */
function serveFifo(path: string, bytes: Uint8Array): { stop(): void } {
  let stopped = false
  void (async () => {
    while (!stopped) {
      let fh
      try {
        fh = await open(path, constants.O_WRONLY) // no O_CREAT: never turn a removed FIFO into a file
      } catch {
        return
      }
      try {
        if (!stopped) await fh.writeFile(bytes)
      } catch {
        // the reader closed early (EPIPE): serve the next one
      }
      try {
        const next = `${path}.next`
        if (!stopped && makeFifo(next)) renameSync(next, path)
      } catch {
        // the directory is being removed: we are stopping
      } finally {
        await fh.close().catch(() => undefined)
      }
    }
  })()
  return {
    stop() {
      stopped = true
      // A writer still waiting in open() would wait forever: open the read end once to release it.
      try {
        closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK))
      } catch {
        // already gone
      }
    },
  }
}

/**
 * Run `fn(path, kind)` with `bytes` readable at `<private dir>/<name>`. `fifo: false` forces a
 * regular file (for programs that read a file twice or seek in it).
 */
export async function withServedFile<T>(
  name: string,
  bytes: Uint8Array,
  opts: { fifo: boolean; env?: NodeJS.ProcessEnv },
  fn: (path: string, kind: ServedKind) => Promise<T>,
): Promise<T> {
  const base = privateTempBase(opts.env)
  let dir: string
  try {
    dir = mkdtempSync(join(base, 'secrets-exec-'))
    chmodSync(dir, 0o700)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretsError('io', `cannot create a private temporary directory in ${base} (${code})`, { hint: 'set SECRETS_TMPDIR to a writable directory only you can read' })
  }
  const remove = (): void => rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  // process.exit() skips `finally`; 'exit' does not.
  process.on('exit', remove)
  const path = join(dir, basename(name))
  let server: { stop(): void } | undefined
  try {
    let kind: ServedKind = 'file'
    if (opts.fifo && makeFifo(path)) {
      kind = 'fifo'
      server = serveFifo(path, bytes)
    } else {
      writeNewPrivateFile(path, bytes)
    }
    return await fn(path, kind)
  } finally {
    server?.stop()
    remove()
    process.removeListener('exit', remove)
  }
}
