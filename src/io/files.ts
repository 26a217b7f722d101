// Atomic writes (temp file in the same folder, fsync, rename) with explicit modes, so a failure
// leaves the old file intact and plaintext is never briefly world-readable.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { SecretsError } from '../errors.js'

export function readInput(path: string): Uint8Array {
  try {
    if (path === '-' || path === '/dev/stdin') return new Uint8Array(readFileSync(0))
    return new Uint8Array(readFileSync(path))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const what = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : 'cannot read file'
    throw new SecretsError('input', what, { file: path, hint: code === 'ENOENT' ? 'check the path or the environment name' : 'check the path and its permissions' })
  }
}

/**
 * Write `bytes` to `path` atomically with `mode` (default: keep the existing file's mode, else 0600).
 * The temp file is created 0600 in the same directory and renamed over the target.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode?: number): void {
  let finalMode = mode
  if (finalMode === undefined) {
    try {
      finalMode = statSync(path).mode & 0o777
    } catch {
      finalMode = 0o600
    }
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(tmp, 'wx', 0o600)
    let off = 0
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    chmodSync(tmp, finalMode)
    renameSync(tmp, path)
  } catch (e) {
    if (fd !== undefined) closeSync(fd)
    try {
      unlinkSync(tmp)
    } catch {
      // nothing to clean
    }
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretsError('io', `could not write the file (${code})`, { file: path, hint: 'check that the directory exists and is writable; the old file is unchanged' })
  }
}

/** Create `path` (it must not exist) with mode 0600 and write all of `bytes` to it. */
export function writeNewPrivateFile(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o600)
  try {
    let off = 0
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
  } finally {
    closeSync(fd)
  }
}

/** Write to stdout fully (large outputs and pipes included). */
export function writeStdout(bytes: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()))
  })
}
