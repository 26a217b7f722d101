// Where age identities come from, the way sops finds them (spec 9.1): SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, then <config dir>/sops/age/keys.txt.
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { KeyContext } from './types.js'
import { childProcess } from '../io/builtins.js'
import { readBounded } from '../io/files.js'
import { SecretsError } from '../errors.js'

export interface AgeIdentities {
  identities: string[]
  /** One line per source looked at, e.g. `SOPS_AGE_KEY_FILE=/x (not found)`; for error messages. */
  looked: string[]
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

function readIdentityFile(path: string, label: string, ctx: KeyContext, found: string[], looked: string[]): void {
  let text: string
  try {
    const st = statSync(path)
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      ctx.warn(`identity file ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)}) - run: chmod 600 ${path}`)
    }
    text = Buffer.from(readBounded(path)).toString('utf8')
  } catch (e) {
    if (e instanceof SecretsError) throw e.inFile(path) // too large, or a device
    looked.push(`${label} (not found)`)
    return
  }
  if (text.startsWith('age-encryption.org/') || text.startsWith('-----BEGIN AGE')) {
    looked.push(`${label} (passphrase-protected identity files are not supported yet)`)
    return
  }
  const ids = parseIdentities(text)
  looked.push(`${label} (${ids.length} identit${ids.length === 1 ? 'y' : 'ies'})`)
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
  if (env.SOPS_AGE_KEY) {
    const ids = parseIdentities(env.SOPS_AGE_KEY)
    looked.push(`SOPS_AGE_KEY (${ids.length} identit${ids.length === 1 ? 'y' : 'ies'})`)
    found.push(...ids)
  } else looked.push('SOPS_AGE_KEY (unset)')
  if (env.SOPS_AGE_KEY_FILE) readIdentityFile(env.SOPS_AGE_KEY_FILE, `SOPS_AGE_KEY_FILE=${env.SOPS_AGE_KEY_FILE}`, ctx, found, looked)
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
      looked.push(`SOPS_AGE_KEY_CMD (failed${res?.status != null ? ` with exit code ${res.status}` : ''})`)
    } else {
      const ids = parseIdentities(res.stdout)
      looked.push(`SOPS_AGE_KEY_CMD (${ids.length} identit${ids.length === 1 ? 'y' : 'ies'})`)
      found.push(...ids)
    }
  }
  const def = defaultAgeKeyFile(env)
  readIdentityFile(def, def, ctx, found, looked)
  return { identities: [...new Set(found)], looked }
}
