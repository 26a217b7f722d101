// The library API: what `import { loadSecrets } from 'secrets-sops'` gives a Node program. The same
// resolution, decryption and environment mapping as the CLI, so a program and `secrets exec`
// always see the same variables. Importing this module loads no key backend (AWS SDK, age
// library): each is loaded on first use.
import { isAbsolute, resolve } from 'node:path'
import type { LoadedConfig } from './config/types.js'
import { SecretsError } from './errors.js'
import { safeMessage } from './redact.js'
import { readInput, writeFileAtomic } from './io/files.js'
import { renderCompose as composeFromVars, type ComposeOptions } from './outputs/compose.js'
import { secretFiles, writeSecretFiles, type WriteResult } from './outputs/docker-secrets.js'
import { renderVariables, type DotenvFormat } from './outputs/dotenv.js'
import { checkVariables, envRecord, mergeEnvironment, setOwnValue, type EnvVar } from './outputs/env.js'
import { renderKubernetesSecret as secretFromVars, type KubernetesSecretOptions } from './outputs/kubernetes.js'
import { KeySession } from './keys/session.js'
import type { WorkflowContext } from './workflows/context.js'
import { encryptNew } from './workflows/encrypt.js'
import { loadVariables } from './workflows/environment.js'
import { decryptSources } from './workflows/sources.js'
import { formatFromPath, storeFor, type Format } from './stores/index.js'
import { treeToJs, type JsValue } from './tree/convert.js'
import type { MapNode } from './tree/types.js'

export { SecretsError, type ErrorCode } from './errors.js'
export type { ComposeMode, ComposeOptions } from './outputs/compose.js'
export type { DotenvFormat } from './outputs/dotenv.js'
export type { EnvVar } from './outputs/env.js'
export type { KubernetesSecretOptions } from './outputs/kubernetes.js'
export type { WriteResult } from './outputs/docker-secrets.js'
export type { Format } from './stores/index.js'
export type { JsValue } from './tree/convert.js'

/** Where to look things up; every field defaults to the running process. */
export interface ContextOptions {
  /** Where `.secretsrc.yaml` / `.sops.yaml` is searched from and relative paths start (default `process.cwd()`). */
  cwd?: string
  /** Use this config file instead of searching (like `--config`). */
  config?: string
  /** Master key types to try first, e.g. `['age', 'kms']`. */
  decryptionOrder?: readonly string[]
  /**
   * The AES-GCM and SHA-512 implementation: `'node'` (node:crypto, the default) or `'noble'`
   * (@noble/ciphers and @noble/hashes, pure JavaScript and audited). Both give identical bytes.
   */
  crypto?: 'node' | 'noble'
}

export interface LoadSecretsOptionsBase extends ContextOptions {
  /** Environment name (`production`; several files merge, see the README) or path of an encrypted file. */
  env: string
  /** Only these variable names. */
  only?: readonly string[]
  /** Put this in front of every name, e.g. `APP_`. */
  prefix?: string
}

export interface LoadSecretsOptions extends LoadSecretsOptionsBase {
  /** File values replace variables already set (default false: existing values win, as with dotenv). */
  override?: boolean
  /** The environment to fill (default `process.env`). */
  target?: NodeJS.ProcessEnv
}

/**
 * One workflow context and key session per call: identities and KMS clients are loaded once for
 * all the files of the call, and nothing is kept between calls. The config module (and its YAML
 * parser) loads on first call, not on import.
 */
async function session(opts: ContextOptions): Promise<WorkflowContext> {
  const { findConfig, loadConfig } = await import('./config/index.js')
  const cwd = resolve(opts.cwd ?? process.cwd())
  const path = opts.config !== undefined ? resolve(cwd, opts.config) : findConfig(cwd, process.env)
  const config: LoadedConfig | null = path === null ? null : loadConfig(path)
  // Warnings (say, a key file others can read) go to stderr as the CLI prints them; nothing else is printed.
  const warn = (m: string): void => void process.stderr.write(`secrets: warning: ${safeMessage(m)}\n`)
  const keys = await KeySession.open({ env: process.env, warn, ...(opts.crypto !== undefined ? { crypto: opts.crypto } : {}) })
  return { cwd, config: async () => config, keys, warn }
}

const selection = (o: LoadSecretsOptionsBase): { only?: string[]; prefix?: string; decryptionOrder?: readonly string[] } => ({
  ...(o.only !== undefined ? { only: [...o.only] } : {}),
  ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
  ...(o.decryptionOrder !== undefined ? { decryptionOrder: o.decryptionOrder } : {}),
})

/**
 * Decrypt an environment (MAC checked) and put its variables into `process.env` (or `target`).
 * Variables already set keep their value unless `override`. Resolves with every selected
 * variable of the environment (name -> value), whether or not it was applied. An environment of
 * several files is decrypted concurrently; a variable two files define is an error.
 * Throws SecretsError (`code` says why: 'no-key', 'mac', 'input', 'config', 'usage', ...).
 *
 * ```ts
 * import { loadSecrets } from 'secrets-sops'
 * await loadSecrets({ env: 'production' })
 * ```
 */
export async function loadSecrets(opts: LoadSecretsOptions): Promise<Record<string, string>> {
  const { vars } = await loadVariables(await session(opts), opts.env, selection(opts))
  checkVariables(vars, { forProcess: true })
  const target = opts.target ?? process.env
  const { injected } = mergeEnvironment(target, vars, { override: opts.override })
  const values = envRecord(vars)
  // process.env stores every name as a variable; a plain object needs an own property for `__proto__`
  for (const name of injected) {
    if (target === process.env) target[name] = values[name]
    else setOwnValue(target, name, values[name])
  }
  return values
}

/**
 * Same as loadSecrets without touching any environment: the variables `secrets exec` would
 * inject (names mapped and flattened as described in the README).
 */
export async function readSecrets(opts: LoadSecretsOptionsBase): Promise<Record<string, string>> {
  const { vars } = await loadVariables(await session(opts), opts.env, selection(opts))
  return envRecord(vars)
}

export interface DecryptedFile {
  path: string
  format: Format
  /** The first document as plain values (ints beyond 2^53 as bigint, binary values as Uint8Array). */
  data: { [key: string]: JsValue }
  /** Every document as the ordered tree (comments included). */
  documents: MapNode[]
}

/** Decrypt one file (a path or an environment name) and check its MAC. */
export async function decryptFile(file: string, opts: ContextOptions & { format?: Format } = {}): Promise<DecryptedFile> {
  const se = await session(opts)
  const { resolveTarget } = await import('./config/index.js')
  const { path } = resolveTarget(await se.config(), file, se.cwd)
  const [src] = await decryptSources(se, [path], {
    ...(opts.decryptionOrder !== undefined ? { decryptionOrder: opts.decryptionOrder } : {}),
    ...(opts.format !== undefined ? { format: opts.format } : {}),
  })
  if (src === undefined) throw new SecretsError('internal', 'nothing decrypted')
  const first = src.branches[0]
  return { path, format: src.format, data: first !== undefined ? (treeToJs(first) as { [key: string]: JsValue }) : {}, documents: src.branches }
}

export interface EncryptFileOptions extends ContextOptions {
  /** age recipients, replacing the creation rule's keys (as `--age`). */
  age?: readonly string[]
  /** Format of the file (default from the extension). */
  format?: Format
  /** Replace the file with its encrypted form (atomically). */
  inPlace?: boolean
}

/**
 * Encrypt a plain file for the master keys of its creation rule (or `age`), with the rule's
 * selection (default: keys ending in `_unencrypted` stay clear). Resolves with the encrypted text.
 */
export async function encryptFile(file: string, opts: EncryptFileOptions = {}): Promise<string> {
  const se = await session(opts)
  const path = isAbsolute(file) ? file : resolve(se.cwd, file)
  const format = opts.format ?? formatFromPath(path)
  try {
    const plain = (await storeFor(format)).parse(readInput(path), 'plain')
    // the CLI's own workflow: the same key checks, rule check and refusal to leave every value in clear
    const { bytes: out } = await encryptNew(se, { plain, format, rulePath: path, keyFlags: opts.age !== undefined ? { age: [...opts.age] } : {} })
    if (opts.inPlace) writeFileAtomic(path, out)
    return Buffer.from(out).toString('utf8')
  } catch (e) {
    throw e instanceof SecretsError ? e.inFile(path) : e
  }
}

/** Variables given as an object (name -> value), or as the EnvVar list the mapping produces. */
export type Variables = Readonly<Record<string, string>> | readonly EnvVar[]

function toVars(values: Variables): EnvVar[] {
  return Array.isArray(values) ? [...(values as readonly EnvVar[])] : Object.entries(values).map(([name, value]) => ({ name, value: String(value), path: [name] }))
}

/**
 * Variables as text: `dotenv` (quoted so the dotenv package reads every value back exactly),
 * `docker` (--env-file; no line breaks), `shell` (`export KEY='...'`) or `json`.
 */
export function renderDotenv(values: Variables, opts: { format?: DotenvFormat | string; onWarning?: (message: string) => void } = {}): string {
  const format = opts.format ?? 'dotenv'
  if (!['dotenv', 'docker', 'shell', 'json'].includes(format)) throw new SecretsError('usage', `unknown format "${format}"`, { hint: 'use dotenv, docker, shell or json' })
  const { text, warnings } = renderVariables(toVars(values), format as DotenvFormat)
  for (const w of warnings) opts.onWarning?.(w)
  return text
}

/** A Kubernetes Secret manifest (YAML). Key names are checked against Kubernetes' rules. */
export function renderKubernetesSecret(values: Variables, opts: KubernetesSecretOptions): string {
  return secretFromVars(toVars(values), opts)
}

/** A docker compose override giving the variables to services (see ComposeOptions). */
export function renderCompose(values: Variables, opts: ComposeOptions): string {
  return composeFromVars(toVars(values), opts)
}

/** One 0600 file per variable in `dir` (0700), removing files an earlier call wrote that are gone. */
export function writeDockerSecrets(dir: string, values: Variables, opts: { map?: Readonly<Record<string, string>> } = {}): WriteResult {
  return writeSecretFiles(dir, secretFiles(toVars(values), opts.map))
}
