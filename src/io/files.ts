// Reading inputs (size-capped, refusing devices that never end) and atomic writes (temp file in the
// real target's folder, fsync, rename) with explicit modes, so a failure leaves the old file intact,
// plaintext is never briefly world-readable, and a write through a symlink replaces the real file.
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import type { Stats } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { isatty } from 'node:tty'
import { basename, dirname, join, resolve } from 'node:path'
import { SecretsError } from '../errors.js'

// ---------------------------------------------------------------------------------------------
// Input size cap

/** Default cap on what one input (a file, stdin) may hold: 256 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024
export const MAX_INPUT_ENV = 'SECRETS_MAX_INPUT_BYTES'

/** The input cap: SECRETS_MAX_INPUT_BYTES (bytes, or with a k/M/G suffix: KiB, MiB, GiB) or 256 MiB. */
export function maxInputBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_INPUT_ENV]
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_INPUT_BYTES
  const m = /^\s*(\d+)\s*(?:([kmg])(?:i?b)?|b)?\s*$/i.exec(raw)
  const n = m ? Number(m[1]) * (m[2] ? 1024 ** ('kmg'.indexOf(m[2].toLowerCase()) + 1) : 1) : NaN
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new SecretsError('usage', `${MAX_INPUT_ENV} must be a positive number of bytes (such as 268435456 or 256M)`, { hint: `unset it for the default of ${sizeText(DEFAULT_MAX_INPUT_BYTES)}` })
  }
  return n
}

function sizeText(n: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (n >= size && n % size === 0) return `${n / size} ${unit}`
  return `${n} bytes`
}

export function tooLarge(file: string, limit: number): SecretsError {
  return new SecretsError('input', `the input is larger than the ${sizeText(limit)} limit`, {
    file,
    hint: `nothing was changed; if it really is that big, raise the limit with ${MAX_INPUT_ENV}=<bytes>`,
  })
}

let devNull: { dev: number; rdev: number } | null | undefined
/** /dev/null is a device, but one that ends at once: it stays allowed as an (empty) input. */
function isDevNull(st: Stats): boolean {
  if (devNull === undefined) {
    try {
      const s = statSync('/dev/null')
      devNull = { dev: s.dev, rdev: s.rdev }
    } catch {
      devNull = null
    }
  }
  return devNull !== null && st.isCharacterDevice() && st.rdev === devNull.rdev
}

function deviceError(file: string, stdin: boolean): SecretsError {
  return new SecretsError('input', stdin ? 'stdin is a device, not a file or a pipe (it would never end)' : 'this is a device, not a file (it would never end)', {
    file,
    hint: stdin ? 'redirect a file or pipe the data in' : 'give a regular file, or pipe the data in on stdin (-)',
  })
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * All bytes of an open descriptor, at most `limit` (a larger input throws before more is kept).
 * Regular files are checked by size first; pipes, FIFOs and sockets are read until they end.
 */
function readAllFd(fd: number, st: Stats, file: string, limit: number): Uint8Array {
  if (st.isFile() && st.size > limit) throw tooLarge(file, limit)
  const chunks: Buffer[] = []
  let total = 0
  // a regular file's size is known (one read); a stream grows in chunks, never past limit + 1
  let chunk = Buffer.allocUnsafe(Math.min(st.isFile() ? Math.max(st.size + 1, 8192) : 64 * 1024, limit + 1))
  let used = 0
  for (;;) {
    if (used === chunk.length) {
      chunks.push(chunk)
      chunk = Buffer.allocUnsafe(Math.min(Math.max(64 * 1024, total), 16 * 1024 * 1024, limit + 1 - total))
      used = 0
    }
    let n: number
    try {
      n = readSync(fd, chunk, used, chunk.length - used, null)
    } catch (e) {
      // a non-blocking stdin (inherited so from the parent) has no data yet: wait a little
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 5)
        continue
      }
      throw e
    }
    if (n === 0) break
    used += n
    total += n
    if (total > limit) {
      chunks.forEach((c) => c.fill(0))
      chunk.fill(0)
      throw tooLarge(file, limit)
    }
  }
  chunks.push(chunk.subarray(0, used))
  return new Uint8Array(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total))
}

/** Refuse a stdin that is a device other than a terminal or /dev/null (`< /dev/zero` would never end). */
export function checkStdinReadable(shown = 'stdin'): void {
  const st = fstatSync(0)
  if ((st.isCharacterDevice() || st.isBlockDevice()) && !isDevNull(st) && !isatty(0)) throw deviceError(shown, true)
}

/**
 * Read a file (following symlinks) or, for `-` and `/dev/stdin`, stdin, capped at the input limit.
 * Devices that never end (`/dev/zero`, `/dev/urandom`) are refused; FIFOs and process substitution
 * (`<(cmd)`) are read until they end. fs errors are thrown as they are (with their `code`).
 */
export function readBounded(path: string, opts: { limit?: number; shown?: string } = {}): Uint8Array {
  const limit = opts.limit ?? maxInputBytes()
  const stdin = path === '-' || path === '/dev/stdin'
  const shown = opts.shown ?? (stdin ? 'stdin' : path)
  if (stdin) {
    checkStdinReadable(shown)
    return readAllFd(0, fstatSync(0), shown, limit)
  }
  const st = statSync(path)
  if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
  if ((st.isCharacterDevice() || st.isBlockDevice()) && !isDevNull(st)) throw deviceError(shown, false)
  const fd = openSync(path, 'r')
  try {
    return readAllFd(fd, fstatSync(fd), shown, limit)
  } finally {
    closeSync(fd)
  }
}

/**
 * Why a path that does not open is a broken symlink (dangling, or a loop), as a message and a hint;
 * undefined when it is not a symlink.
 */
export function brokenLink(path: string): { message: string; hint: string } | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined
  } catch {
    return undefined
  }
  try {
    const target = followLinks(resolve(path))
    return { message: `file not found: it is a symbolic link to ${target}, which does not exist`, hint: 'create the target, or point the link at the right file' }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') return { message: 'too many levels of symbolic links (a symlink loop)', hint: 'point the link at a real file' }
    return undefined
  }
}

export function readInput(path: string): Uint8Array {
  try {
    return readBounded(path)
  } catch (e) {
    if (e instanceof SecretsError) throw e
    const code = (e as NodeJS.ErrnoException).code
    const link = code === 'ENOENT' || code === 'ELOOP' ? brokenLink(path) : undefined
    const what =
      link?.message ??
      (code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'ELOOP'
              ? 'too many levels of symbolic links (a symlink loop)'
              : code === 'ENOTDIR'
                ? 'a part of the path is not a directory'
                : `cannot read file (${code ?? 'error'})`)
    const hint = link?.hint ?? (code === 'ENOENT' ? 'check the path or the environment name' : 'check the path and its permissions')
    throw new SecretsError('input', what, { file: path === '-' ? 'stdin' : path, hint })
  }
}

// ---------------------------------------------------------------------------------------------
// Symlinks: every write goes to the real file

const MAX_LINK_HOPS = 40

/**
 * Follow `abs` through symlinks to the final path, which may not exist (a dangling link's target).
 * Throws ELOOP for a loop or an over-long chain.
 */
function followLinks(abs: string): string {
  let p = abs
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    let st: Stats
    try {
      st = lstatSync(p)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      // Missing: the name is created in its folder's real location (the folder may itself be a link).
      let dir = dirname(p)
      try {
        dir = realpathSync(dir)
      } catch {
        // no such folder yet (created by the caller, or the write fails with ENOENT)
      }
      return join(dir, basename(p))
    }
    if (!st.isSymbolicLink()) return realpathSync(p)
    p = resolve(dirname(p), readlinkSync(p))
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' })
}

/**
 * The real path a write to `path` must replace: `path` itself unless it is (or goes through) a
 * symlink, then the file at the end of the chain (created there when the link dangles).
 */
export function realWriteTarget(path: string): string {
  return followLinks(resolve(path))
}

function writeTargetError(path: string, e: unknown): SecretsError {
  const code = (e as NodeJS.ErrnoException).code ?? 'error'
  return new SecretsError('io', code === 'ELOOP' ? 'cannot write: too many levels of symbolic links (a symlink loop)' : `cannot write the file (${code})`, {
    file: path,
    hint: code === 'ELOOP' ? 'point the link at a real file; nothing was written' : 'check the path and its permissions; nothing was written',
  })
}

// ---------------------------------------------------------------------------------------------
// Temp files: `.<name>.<host>-<pid>-<random>.secrets-tmp`, matched by init's `*.secrets-tmp` ignore line

export const TEMP_SUFFIX = '.secrets-tmp'
const TEMP_NAME = /^\..*\.([0-9a-f]{8})-(\d+)-[0-9a-f]{8}\.secrets-tmp$/
let hostTagValue: string | undefined
/** 8 hex digits of this machine's name: a temp file from another machine (shared folder) is never judged by our pids. */
function hostTag(): string {
  hostTagValue ??= createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
  return hostTagValue
}

/** The temp file name for a write to `target` (a real path): beside it, named after it, owned by this process. */
export function tempPathFor(target: string): string {
  let name = basename(target)
  // Keep room for the suffix within the usual 255-byte name limit.
  while (Buffer.byteLength(name) > 200) name = Array.from(name).slice(0, -1).join('')
  return join(dirname(target), `.${name}.${hostTag()}-${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`)
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const cleanedDirs = new Set<string>()

/**
 * Remove temp files a killed `secrets` left in `dir` (they may hold plaintext): only names of our
 * scheme, from this machine, whose process is gone, regular files owned by the current user.
 * Returns the names removed. Done once per folder and process, before the first write there.
 */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return removed
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  for (const name of names) {
    const m = TEMP_NAME.exec(name)
    if (m === null || m[1] !== hostTag()) continue
    const pid = Number(m[2])
    if (!Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid)) continue
    const p = join(dir, name)
    try {
      const st = lstatSync(p)
      if (!st.isFile() || (uid !== undefined && st.uid !== uid)) continue
      unlinkSync(p)
      removed.push(name)
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed
}

function cleanOnce(dir: string): void {
  if (cleanedDirs.has(dir)) return
  cleanedDirs.add(dir)
  removeStaleTempFiles(dir)
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off)
    } catch (e) {
      // a non-blocking pipe (our stdout) that is full: wait for the reader
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      Atomics.wait(sleeper, 0, 0, 5)
    }
  }
}

/**
 * The descriptor a path like /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N names: writing
 * there means "into that open descriptor" (keeping its offset and append mode, as a shell would),
 * not replacing whatever file it happens to be.
 */
export function stdioDescriptor(path: string): number | undefined {
  const m = /^\/(?:dev\/(?:std(out|err)|fd\/(\d+))|proc\/self\/fd\/(\d+))$/.exec(path)
  if (m === null) return undefined
  return m[1] === 'out' ? 1 : m[1] === 'err' ? 2 : Number(m[2] ?? m[3])
}

/**
 * Write `bytes` to `path` atomically with `mode` (default: keep the existing file's mode, else 0600).
 * A symlink is followed: the real file behind it is replaced (and created, if the link dangles).
 * The temp file is created 0600 in the real file's folder and renamed over it; stale temp files of
 * killed runs in that folder are removed first. `makeDirs` creates missing folders (0700).
 * A target that exists but is not a regular file (a FIFO, /dev/null) is written directly, and so is
 * /dev/stdout, /dev/stderr or /dev/fd/N (into that descriptor, whatever it is).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode?: number, opts: { makeDirs?: boolean } = {}): void {
  const stdio = stdioDescriptor(path)
  if (stdio !== undefined) {
    try {
      fstatSync(stdio)
      writeAll(stdio, bytes)
      return
    } catch (e) {
      if (isClosedPipe(e) && stdio === 1) exitStdoutClosed()
      throw writeTargetError(path, e)
    }
  }
  let existing: Stats | undefined
  try {
    existing = statSync(path)
  } catch {
    existing = undefined // missing, a dangling link, or a loop (realWriteTarget tells which)
  }
  if (existing?.isDirectory()) throw new SecretsError('io', 'cannot write: this is a directory', { file: path, hint: 'give a file path; nothing was written' })
  if (existing !== undefined && !existing.isFile()) {
    // /dev/stdout, /dev/null, a FIFO: there is no file to replace, so write into it as a shell would
    try {
      const fd = openSync(path, constants.O_WRONLY)
      try {
        writeAll(fd, bytes)
      } finally {
        closeSync(fd)
      }
      return
    } catch (e) {
      throw writeTargetError(path, e)
    }
  }
  let target: string
  try {
    target = existing !== undefined ? realpathSync(path) : realWriteTarget(path)
  } catch (e) {
    throw writeTargetError(path, e)
  }
  const finalMode = mode ?? (existing !== undefined ? existing.mode & 0o777 : 0o600)
  if (opts.makeDirs) {
    try {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 })
    } catch (e) {
      throw writeTargetError(path, e)
    }
  }
  cleanOnce(dirname(target))
  const tmp = tempPathFor(target)
  let fd: number | undefined
  try {
    fd = openSync(tmp, 'wx', 0o600)
    writeAll(fd, bytes)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    chmodSync(tmp, finalMode)
    renameSync(tmp, target)
  } catch (e) {
    if (fd !== undefined) closeSync(fd)
    try {
      unlinkSync(tmp)
    } catch {
      // nothing to clean
    }
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretsError('io', `could not write the file (${code})`, {
      file: path,
      hint: code === 'ENOENT' ? 'its folder does not exist; create it first (the old file, if any, is unchanged)' : 'check that the directory exists and is writable; the old file is unchanged',
    })
  }
  syncDir(dirname(target))
}

/** Make the rename durable (best effort: some file systems cannot fsync a folder). */
function syncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Create `path` (it must not exist) with mode 0600 and write all of `bytes` to it. */
export function writeNewPrivateFile(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o600)
  try {
    writeAll(fd, bytes)
  } finally {
    closeSync(fd)
  }
}

// ---------------------------------------------------------------------------------------------
// stdout

/** Exit status when the reader of stdout went away (`secrets decrypt f | head -1`): 128+SIGPIPE, as a shell reports it. */
export const STDOUT_CLOSED_EXIT = 141

/** The reader of stdout is gone: end quietly, as a program killed by SIGPIPE would (exit 141). */
export function exitStdoutClosed(): never {
  process.exit(STDOUT_CLOSED_EXIT)
}

export const isClosedPipe = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException | null)?.code
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED'
}

/** Write to stdout fully (large outputs and pipes included); a closed pipe ends the command quietly. */
export function writeStdout(bytes: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => {
      if (err && isClosedPipe(err)) exitStdoutClosed()
      if (err) reject(err)
      else resolve()
    })
  })
}
