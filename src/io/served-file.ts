// Plaintext at a private path for as long as a callback runs (`exec-file`).
//
// Every open() of the path must yield the whole file from its first byte: readers one after
// another, overlapping, or stopping early, and nothing may ever block. A FIFO cannot promise that
// (two readers blocked in open() on one FIFO share a single stream, and a writer blocked in open()
// can outlive the command), so we serve an ordinary file, in one of two ways:
//
// - 'link' (Linux): the bytes go into a file in a fresh 0700 directory (on tmpfs, /dev/shm, unless
//   SECRETS_TMPDIR says otherwise), which is made read-only (0400) and unlinked while we keep it
//   open. The served path is a symlink to `/proc/<our pid>/fd/<n>`: each open() of that magic link
//   is a new open file description of the same deleted file, starting at byte 0, for any number of
//   readers at once, and a reader cannot write to it (0400). No name of ours ever holds the data, no
//   thread waits for a reader, and when our process ends (even by SIGKILL) the kernel closes the fd
//   and frees the memory: only an empty directory and a dangling link can be left behind, which the
//   next run sweeps (see private-tmp.ts).
// - 'file' (`--no-fifo`, or where the link cannot be made: no /proc, e.g. macOS): a 0600 regular
//   file at the path, in the same kind of directory. Each open() is again independent.
//
// Either way the directory is removed when the callback ends, on process.exit, and on the next run
// after a SIGKILL.
import { closeSync, constants, fchmodSync, fstatSync, openSync, rmSync, symlinkSync, unlinkSync, writeSync } from 'node:fs'
import { basename, join } from 'node:path'
import { SecretsError } from '../errors.js'
import { writeNewPrivateFile } from './files.js'
import { makePrivateDir } from './private-tmp.js'

export type ServedKind = 'link' | 'file'

/** Name of the data file inside the directory, for the instant before it is unlinked. */
const HIDDEN = '.secrets-content'

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
}

/**
 * Put `bytes` in an unlinked read-only file held open by this process, and make `path` a symlink
 * to it through /proc. Returns the fd, or undefined when the platform cannot do it (nothing is
 * left in `dir` then).
 */
function serveThroughProc(dir: string, path: string, bytes: Uint8Array): number | undefined {
  if (process.platform !== 'linux') return undefined
  const hidden = join(dir, HIDDEN)
  let fd: number
  try {
    fd = openSync(hidden, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  } catch {
    return undefined
  }
  try {
    writeAll(fd, bytes)
    fchmodSync(fd, 0o400) // readers may read; none may write and change what the next one sees
    unlinkSync(hidden)
    symlinkSync(`/proc/${process.pid}/fd/${fd}`, path)
    // The link must reach this very file (no /proc mounted, or a /proc of another pid namespace).
    const probe = openSync(path, constants.O_RDONLY)
    try {
      const a = fstatSync(probe)
      const b = fstatSync(fd)
      if (a.ino !== b.ino || a.dev !== b.dev || a.size !== bytes.length) throw new Error('the /proc link reaches another file')
    } finally {
      closeSync(probe)
    }
    return fd
  } catch {
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
    rmSync(hidden, { force: true })
    rmSync(path, { force: true })
    return undefined
  }
}

/**
 * Run `fn(path, kind)` with `bytes` readable at `<private dir>/<name>`. `regularFile: true` forces a
 * 0600 regular file (for programs that refuse a symlink or resolve the path to its target).
 */
export async function withServedFile<T>(
  name: string,
  bytes: Uint8Array,
  opts: { regularFile?: boolean | undefined; env?: NodeJS.ProcessEnv | undefined },
  fn: (path: string, kind: ServedKind) => Promise<T>,
): Promise<T> {
  const dir = makePrivateDir({ prefix: 'secrets-exec-', env: opts.env })
  let fd: number | undefined
  const cleanup = (): void => {
    // The path first, so no new reader can open it; then our hold on the data.
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    if (fd !== undefined) {
      try {
        closeSync(fd)
      } catch {
        // already closed
      }
      fd = undefined
    }
  }
  // process.exit() skips `finally`; 'exit' does not.
  process.on('exit', cleanup)
  try {
    const path = join(dir, basename(name))
    let kind: ServedKind = 'file'
    if (opts.regularFile !== true) {
      fd = serveThroughProc(dir, path, bytes)
      if (fd !== undefined) kind = 'link'
    }
    if (kind === 'file') {
      try {
        writeNewPrivateFile(path, bytes)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error'
        throw new SecretsError('io', `cannot write the decrypted file into ${dir} (${code})`, {
          hint: 'free some space there, or set SECRETS_TMPDIR to a writable directory only you can read',
        })
      }
    }
    return await fn(path, kind)
  } finally {
    cleanup()
    process.removeListener('exit', cleanup)
  }
}
