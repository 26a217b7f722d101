// What every command shares: global flags, stderr messages (quiet-aware), the key context,
// config lookup, and resolving an environment name or path to a file and its format.
import { statSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { SecretsError } from '../errors.js'
import { safeMessage } from '../redact.js'
import { KeySession } from '../keys/session.js'
import type { WorkflowContext } from '../workflows/context.js'
import type { LoadedConfig } from '../config/index.js'
import type { Format } from '../stores/store.js'

export interface GlobalOptions {
  quiet?: boolean
  debug?: boolean
  config?: string
}

export class Cli {
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  private configCache: LoadedConfig | null | undefined
  /** The "reading stdin as ..." note was printed (once per run). */
  stdinNoted = false

  constructor(
    readonly opts: GlobalOptions,
    env: NodeJS.ProcessEnv = process.env,
    cwd: string = process.cwd(),
  ) {
    this.env = env
    this.cwd = cwd
  }

  /** Informational line on stderr (suppressed by --quiet). */
  info(msg: string): void {
    if (!this.opts.quiet) process.stderr.write(`secrets: ${safeMessage(msg)}\n`)
  }

  warn(msg: string): void {
    process.stderr.write(`secrets: warning: ${safeMessage(msg)}\n`)
  }

  /** A path as the user would like to read it: relative to the working directory when inside it. */
  display(path: string): string {
    if (!isAbsolute(path)) return path
    const rel = relative(this.cwd, path)
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
  }

  /**
   * The environment for programs we start (the command of exec, the editor): ours without
   * SOPS_AGE_KEY, the private key material that opens every file, unless `keepKeyEnv`.
   */
  childEnv(keepKeyEnv = false): NodeJS.ProcessEnv {
    if (keepKeyEnv || this.env.SOPS_AGE_KEY === undefined) return { ...this.env }
    const { SOPS_AGE_KEY: _dropped, ...rest } = this.env
    return rest
  }

  private session: KeySession | undefined
  private wc: WorkflowContext | undefined

  /** The command's one key session: identities and KMS clients are loaded once for all its files. */
  keyContext(): KeySession {
    return (this.session ??= new KeySession({ env: this.env, warn: (m) => this.warn(m) }))
  }

  /** The plain context the workflows take (src/workflows). */
  workflow(): WorkflowContext {
    return (this.wc ??= { cwd: this.cwd, config: () => this.config(), keys: this.keyContext(), warn: (m) => this.warn(m), display: (p) => this.display(p) })
  }

  /** The config file in force (.secretsrc.yaml, else .sops.yaml), or null when there is none. */
  async config(): Promise<LoadedConfig | null> {
    if (this.configCache !== undefined) return this.configCache
    const { findConfig, loadConfig, shadowWarning } = await import('../config/index.js')
    const explicit = this.opts.config
    const path = explicit !== undefined ? resolve(this.cwd, explicit) : findConfig(this.cwd, this.env)
    this.configCache = path === null ? null : loadConfig(path)
    const shadow = this.configCache === null ? undefined : shadowWarning(this.configCache, (p) => this.display(p))
    if (shadow !== undefined) this.warn(shadow)
    return this.configCache
  }

  /** A file argument or an environment name -> the file path. */
  async target(arg: string): Promise<{ path: string; environment?: string | undefined }> {
    if (arg === '-') return { path: '-' }
    // A path needs no config: skip loading it (and the YAML parser) on the fast path.
    const asPath = resolve(this.cwd, arg)
    if (/[\\/]/.test(arg) || isFile(asPath)) return { path: asPath }
    const { resolveTarget } = await import('../config/index.js')
    const config = await this.config()
    return resolveTarget(config, arg, this.cwd)
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

export async function formatFor(path: string, override: string | undefined, fallback?: Format): Promise<Format> {
  const { parseFormat, formatFromPath } = await import('../stores/index.js')
  if (override !== undefined) return parseFormat(override)
  if (path === '-' && fallback !== undefined) return fallback
  return formatFromPath(path)
}

/**
 * Stdin has no file name to take a format from: without --input-type (or --filename-override) it
 * is read as sops reads it, as binary. Say so on stderr, once, so a YAML or JSON file piped in
 * without --input-type is not a mystery.
 */
export function noteStdinFormat(cli: Cli, typePath: string, format: Format): void {
  if (typePath !== '-' || cli.stdinNoted) return
  cli.stdinNoted = true
  cli.info(`reading stdin as ${format} (no --input-type or --filename-override given; for another format pass --input-type yaml, json, dotenv or ini)`)
}

/** The key-type priority from --decryption-order or SOPS_DECRYPTION_ORDER (validated). */
export function decryptionOrder(flag: string | undefined, env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = flag ?? env.SOPS_DECRYPTION_ORDER
  if (raw === undefined || raw.trim() === '') return undefined
  const kinds = raw.split(',').map((s) => s.trim()).filter(Boolean)
  const known = ['age', 'pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms']
  const bad = kinds.find((k) => !known.includes(k))
  if (bad !== undefined) throw usage(`unknown key type "${bad}" in the decryption order`, `use a comma-separated list of ${known.join(', ')}`)
  if (new Set(kinds).size !== kinds.length) throw usage('the decryption order names a key type twice')
  return kinds
}

export function usage(msg: string, hint?: string): SecretsError {
  return new SecretsError('usage', msg, hint === undefined ? {} : { hint })
}
