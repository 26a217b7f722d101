// Where age identities come from, the way sops finds them (spec 9.1): SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, then <config dir>/sops/age/keys.txt.
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { KeyContext, KeyNote } from './types.js'
import { childProcess } from '../io/builtins.js'
import { parseX25519Identity } from './age-unwrap.js'
import { readBounded } from '../io/files.js'
import { SecretsError } from '../errors.js'

export interface AgeIdentities {
  identities: string[]
  /** One line per source looked at, e.g. `SOPS_AGE_KEY_FILE=/x (not found)`; for error messages. */
  looked: string[]
  /**
   * Sources set up but unusable: SOPS_AGE_KEY_FILE pointing nowhere, a malformed SOPS_AGE_KEY, a
   * failing SOPS_AGE_KEY_CMD. sops fails the age key on these; we still use the other sources, and
   * report them (a warning when the file opens anyway, part of the error when nothing opens it).
   */
  problems: KeyNote[]
}

/** `<config dir>/sops/age/keys.txt`: $XDG_CONFIG_HOME or ~/.config (macOS: ~/Library/Application Support). */
export function defaultAgeKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? homedir()
  let dir: string
  if (env.XDG_CONFIG_HOME) dir = env.XDG_CONFIG_HOME
  else if (process.platform === 'darwin') dir = join(home, 'Library', 'Application Support')
  else if (process.platform === 'win32') dir = env.AppData ?? join(home, 'AppData', 'Roaming')
  else dir = join(home, '.config')
  return join(dir, 'sops', 'age', 'keys.txt')
}

/** Identity strings in an identities file: one per line (or several per line, whitespace separated). */
export function parseIdentities(text: string): string[] {
  const out: string[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    for (const word of line.split(/\s+/)) if (/^AGE-(SECRET-KEY-|PLUGIN-)/.test(word)) out.push(word)
  }
  return out
}

const isIdentityWord = (w: string): boolean =>
  w.startsWith('AGE-SECRET-KEY-1') ? parseX25519Identity(w) !== null : /^AGE-(SECRET-KEY-PQ-1|PLUGIN-[A-Z0-9-]+1)[0-9A-Z]+$/.test(w)

/**
 * Lines of an identities text that are not identities (age refuses such a file; so does sops).
 * Line numbers only: the content may be a damaged private key and is never quoted.
 */
export function badIdentityLines(text: string): number[] {
  const bad: number[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (!line.split(/\s+/).every(isIdentityWord)) bad.push(i + 1)
  })
  return bad
}

function badLinesNote(where: string, bad: number[], hint: string): KeyNote {
  const first = bad[0] as number
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more line${bad.length === 2 ? '' : 's'})` : ''
  return { message: `${where}: line ${first} is not an age identity${more}`, hint }
}

const FILE_HINT = 'an identity file holds AGE-SECRET-KEY-1... lines and # comments only (`age-keygen -y FILE` checks it)'

function readIdentityFile(path: string, label: string, ctx: KeyContext, found: string[], looked: string[], problems: KeyNote[], explicit: boolean): void {
  let text: string
  try {
    const st = statSync(path)
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      ctx.warn(`identity file ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)}) - run: chmod 600 ${path}`)
    }
    text = Buffer.from(readBounded(path)).toString('utf8')
  } catch (e) {
    if (e instanceof SecretsError) throw e.inFile(path) // too large, or a device
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      looked.push(`${label} (not found)`)
      if (explicit) problems.push({ message: `SOPS_AGE_KEY_FILE points to ${path}, which does not exist`, hint: 'point SOPS_AGE_KEY_FILE at your age key file, or unset it' })
    } else {
      looked.push(`${label} (cannot be read: ${code ?? 'error'})`)
      problems.push({ message: `${label} cannot be read (${code ?? 'error'})`, hint: explicit ? 'point SOPS_AGE_KEY_FILE at a readable age key file, or unset it' : 'check the file and its permissions' })
    }
    return
  }
  if (text.startsWith('age-encryption.org/') || text.startsWith('-----BEGIN AGE')) {
    looked.push(`${label} (passphrase-protected identity files are not supported yet)`)
    problems.push({ message: `${label} is passphrase-protected, which is not supported yet`, hint: 'decrypt it with `age -d` into a 0600 file and point SOPS_AGE_KEY_FILE at that' })
    return
  }
  const ids = parseIdentities(text).filter(isIdentityWord) // a damaged one is reported below, not used
  looked.push(`${label} (${ids.length} identit${ids.length === 1 ? 'y' : 'ies'})`)
  const bad = badIdentityLines(text)
  if (bad.length > 0) problems.push(badLinesNote(label, bad, FILE_HINT))
  found.push(...ids)
}

/** Split a command line shell-style (quotes and backslashes), no shell involved. */
export function splitCommand(cmd: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: '"' | "'" | null = null
  let has = false
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i] as string
    if (quote === "'") {
      if (c === "'") quote = null
      else cur += c
    } else if (quote === '"') {
      if (c === '"') quote = null
      else if (c === '\\' && i + 1 < cmd.length && '"\\$`'.includes(cmd[i + 1] as string)) cur += cmd[++i]
      else cur += c
    } else if (c === "'" || c === '"') {
      quote = c
      has = true
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i]
      has = true
    } else if (/\s/.test(c)) {
      if (has || cur !== '') out.push(cur)
      cur = ''
      has = false
    } else cur += c
  }
  if (has || cur !== '') out.push(cur)
  return out
}

/** Gather every identity sops would; `recipient` is exported to SOPS_AGE_KEY_CMD as sops does. */
export function loadAgeIdentities(ctx: KeyContext, recipient?: string): AgeIdentities {
  const env = ctx.env
  const found: string[] = []
  const looked: string[] = []
  const problems: KeyNote[] = []
  if (env.SOPS_AGE_KEY !== undefined && env.SOPS_AGE_KEY.trim() === '') {
    looked.push('SOPS_AGE_KEY (empty)')
    // usually a CI secret that did not reach the job (sops fails its age keys on it)
    problems.push({ message: 'SOPS_AGE_KEY is set but empty', hint: 'set it to the contents of your age key file, or unset it (in CI: check that the secret reaches the job)' })
  } else if (env.SOPS_AGE_KEY !== undefined) {
    const ids = parseIdentities(env.SOPS_AGE_KEY).filter(isIdentityWord)
    looked.push(`SOPS_AGE_KEY (${ids.length} identit${ids.length === 1 ? 'y' : 'ies'})`)
    const bad = badIdentityLines(env.SOPS_AGE_KEY)
    if (bad.length > 0) problems.push(badLinesNote('SOPS_AGE_KEY', bad, 'set it to the contents of your age key file: AGE-SECRET-KEY-1... lines (# comments allowed)'))
    found.push(...ids)
  } else looked.push('SOPS_AGE_KEY (unset)')
  if (env.SOPS_AGE_KEY_FILE) readIdentityFile(env.SOPS_AGE_KEY_FILE, `SOPS_AGE_KEY_FILE=${env.SOPS_AGE_KEY_FILE}`, ctx, found, looked, problems, true)
  else looked.push('SOPS_AGE_KEY_FILE (unset)')
  if (env.SOPS_AGE_KEY_CMD) {
    const argv = splitCommand(env.SOPS_AGE_KEY_CMD)
    const res =
      argv.length > 0
        ? // child_process is loaded only when a key command is configured (start-up time)
          childProcess().spawnSync(argv[0] as string, argv.slice(1), {
            env: { ...env, ...(recipient ? { SOPS_AGE_RECIPIENT: recipient } : {}) },
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 30_000,
          })
        : null
    if (res === null || res.error || res.status !== 0) {
      const why = res === null ? 'is empty' : res.error ? `could not run (${(res.error as NodeJS.ErrnoException).code ?? 'error'})` : `failed${res.status !== null ? ` with exit code ${res.status}` : ''}`
      looked.push(`SOPS_AGE_KEY_CMD (${why})`)
      problems.push({ message: `SOPS_AGE_KEY_CMD ${why}`, hint: 'run the command by hand to see why, or unset SOPS_AGE_KEY_CMD' })
    } else {
      const ids = parseIdentities(res.stdout)
      looked.push(`SOPS_AGE_KEY_CMD (${ids.length} identit${ids.length === 1 ? 'y' : 'ies'})`)
      found.push(...ids)
    }
  }
  const def = defaultAgeKeyFile(env)
  readIdentityFile(def, def, ctx, found, looked, problems, false)
  return { identities: [...new Set(found)], looked, problems }
}
