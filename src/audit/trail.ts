// The audit trail: an append-only JSON-lines file of who read or changed which keys of which file,
// never a value. Each entry carries the SHA-256 of the line before it and a sequence number, so
// `secrets audit verify` finds a line that was removed or altered. Writing never fails a command.
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync, constants } from 'node:fs'
import { homedir, hostname, userInfo } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { withFileLock } from '../io/lock.js'

export interface AuditEntry {
  seq: number
  time: string
  user: string
  host: string
  command: string
  file?: string | undefined
  env?: string | undefined
  keys?: string[] | undefined
  masterKey?: string | undefined
  outcome: string
  prev: string
}

export type AuditEvent = Omit<AuditEntry, 'seq' | 'time' | 'user' | 'host' | 'prev'>

export const GENESIS = '0'.repeat(64)

/** `$SECRETS_AUDIT_FILE`, else `$XDG_STATE_HOME/secrets/audit.jsonl`, else `~/.local/state/secrets/audit.jsonl`. */
export function defaultTrailPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SECRETS_AUDIT_FILE) return env.SECRETS_AUDIT_FILE
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state')
  return join(state, 'secrets', 'audit.jsonl')
}

/**
 * Where the trail goes, or null when it is off. Off: `SECRETS_AUDIT=off` (or 0, false), or
 * `audit: false` / `audit: {enabled: false}` in the config. Path: `SECRETS_AUDIT_FILE`, else the
 * config's `audit: {path: ...}` (relative to the config's folder), else the default.
 */
export function trailPath(env: NodeJS.ProcessEnv, config: { raw: unknown; dir: string } | null): string | null {
  if (/^(off|0|false|no)$/i.test(env.SECRETS_AUDIT ?? '')) return null
  const section = config !== null && config.raw !== null && typeof config.raw === 'object' ? (config.raw as Record<string, unknown>).audit : undefined
  if (section === false) return null
  let fromConfig: string | undefined
  if (section !== null && typeof section === 'object') {
    const s = section as Record<string, unknown>
    if (s.enabled === false) return null
    if (typeof s.path === 'string' && s.path !== '') fromConfig = isAbsolute(s.path) ? s.path : join(config?.dir ?? '.', s.path)
  }
  if (env.SECRETS_AUDIT_FILE) return env.SECRETS_AUDIT_FILE
  return fromConfig ?? defaultTrailPath(env)
}

export function lineHash(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex')
}

function whoAmI(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? String(process.getuid?.() ?? 'unknown')
  }
}

/** The last complete line of the file (read from its tail), or undefined when empty. */
function lastLine(fd: number): string | undefined {
  const size = fstatSync(fd).size
  if (size === 0) return undefined
  let chunk = 4096
  for (;;) {
    const start = Math.max(0, size - chunk)
    const buf = Buffer.alloc(size - start)
    readSync(fd, buf, 0, buf.length, start)
    let text = buf.toString('utf8')
    if (text.endsWith('\n')) text = text.slice(0, -1)
    const nl = text.lastIndexOf('\n')
    if (nl >= 0 || start === 0) return text.slice(nl + 1)
    chunk *= 4
  }
}

/**
 * mkdir -p, bounded: Node's recursive mkdir can spin for ever on some file systems (/proc), and a
 * command must never hang on its audit trail.
 */
function ensureDir(dir: string, depth: number): void {
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    if (code !== 'ENOENT' || depth > 32 || dirname(dir) === dir) throw e
    ensureDir(dirname(dir), depth + 1)
    mkdirSync(dir, { mode: 0o700 })
  }
}

/** Append one entry, chained to the last. Throws on I/O errors (callers decide whether to warn). */
export async function appendAudit(path: string, event: AuditEvent, now: Date = new Date(), lockOpts: { timeoutMs?: number } = {}): Promise<AuditEntry> {
  ensureDir(dirname(path), 0)
  return withFileLock(
    path,
    async () => {
      const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600)
      try {
        const last = lastLine(fd)
        let seq = 1
        let prev = GENESIS
        if (last !== undefined) {
          prev = lineHash(last)
          try {
            const parsed = JSON.parse(last) as { seq?: unknown }
            if (typeof parsed.seq === 'number' && Number.isSafeInteger(parsed.seq)) seq = parsed.seq + 1
          } catch {
            // a damaged last line: keep chaining to its hash; `audit verify` reports it
          }
        }
        const entry: AuditEntry = {
          seq,
          time: now.toISOString(),
          user: whoAmI(),
          host: hostname(),
          command: event.command,
          ...(event.file !== undefined ? { file: event.file } : {}),
          ...(event.env !== undefined ? { env: event.env } : {}),
          ...(event.keys !== undefined ? { keys: event.keys } : {}),
          ...(event.masterKey !== undefined ? { masterKey: event.masterKey } : {}),
          outcome: event.outcome,
          prev,
        }
        writeSync(fd, JSON.stringify(entry) + '\n')
        return entry
      } finally {
        closeSync(fd)
      }
    },
    lockOpts,
  )
}

export interface VerifyResult {
  ok: boolean
  entries: number
  /** 1-based line of the first problem. */
  line?: number
  problem?: string
}

/** Check every line's hash link and sequence number. */
export function verifyTrail(text: string): VerifyResult {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  let prevLine: string | undefined
  let prevSeq = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const n = i + 1
    let e: Partial<AuditEntry>
    try {
      e = JSON.parse(line) as Partial<AuditEntry>
    } catch {
      return { ok: false, entries: i, line: n, problem: `line ${n} is not a JSON entry (altered or truncated)` }
    }
    if (e === null || typeof e !== 'object' || typeof e.prev !== 'string' || typeof e.seq !== 'number') {
      return { ok: false, entries: i, line: n, problem: `line ${n} is not an audit entry` }
    }
    const expected = prevLine === undefined ? GENESIS : lineHash(prevLine)
    if (e.prev !== expected) {
      const what = prevLine === undefined ? 'the first line does not start the chain: lines before it were removed' : `line ${n - 1} was altered, or lines between ${n - 1} and ${n} were removed`
      return { ok: false, entries: i, line: n, problem: `line ${n} does not follow the line before it: ${what}` }
    }
    if (e.seq !== prevSeq + 1) {
      return { ok: false, entries: i, line: n, problem: `line ${n} has sequence number ${e.seq}, expected ${prevSeq + 1}` }
    }
    prevSeq = e.seq
    prevLine = line
  }
  return { ok: true, entries: lines.length }
}

export function readTrail(path: string): string {
  return readFileSync(path, 'utf8')
}
