// An environment name (or a file) -> its decrypted files -> variables, with the config's
// `outputs:` settings and --only / --prefix. Shared by the CLI (exec, exec-file, render) and the
// library, so both always produce the same variables.
import { basename, extname } from 'node:path'
import { missingRequired, requiredKeys, type Policies } from '../config/policies.js'
import type { LoadedConfig } from '../config/types.js'
import { SecretsError } from '../errors.js'
import type { KeyContext } from '../keys/types.js'
import type { Format } from '../stores/index.js'
import { readOutputsConfig, type OutputsConfig } from './config.js'
import { mapEnvironment, selectVariables, type EnvVar, type SelectOptions } from './env.js'
import { decryptSources, type DecryptedSource } from './source.js'

export interface LoadContext {
  cwd: string
  config: LoadedConfig | null
  ctx: KeyContext
  display?: (path: string) => string
}

export interface LoadedEnvironment {
  /** The environment name (or the file's base name when a path was given). */
  name: string
  sources: DecryptedSource[]
  outputs: OutputsConfig
}

export interface LoadOptions {
  decryptionOrder?: readonly string[] | undefined
  inputFormat?: Format | undefined
}

/** The files of an environment, in order: one, or several (a list, a glob, a directory; see config/targets.ts). */
export async function environmentFiles(lc: LoadContext, arg: string): Promise<{ name: string; files: string[] }> {
  const { resolveEnvironmentFiles } = await import('../config/targets.js')
  const t = await resolveEnvironmentFiles(lc.config, arg, lc.cwd)
  return { name: t.environment ?? nameFromPath(t.files[0] ?? arg), files: t.files }
}

function nameFromPath(p: string): string {
  const base = basename(p)
  const dotenv = /^\.env\.(.+)$/.exec(base)
  return dotenv?.[1] ?? basename(base, extname(base))
}

/**
 * Decrypt an environment's files (MAC checked), all at once: one key context, so identities load
 * once. Refuses (before anything is delivered) when the environment lacks a key its policy requires.
 */
export async function loadEnvironment(lc: LoadContext, arg: string, opts: LoadOptions = {}): Promise<LoadedEnvironment> {
  const { name, files } = await environmentFiles(lc, arg)
  const outputs = readOutputsConfig(lc.config?.raw, lc.config?.path)
  const sources = await decryptSources(files, { ctx: lc.ctx, decryptionOrder: opts.decryptionOrder, format: opts.inputFormat, ...(lc.display ? { display: lc.display } : {}) })
  // exec-file serves the file itself: its required keys are checked here, so no delivery skips them.
  if (lc.config && requiredKeys(lc.config.policies, name).length > 0) {
    checkRequired(lc.config.policies, name, mapEnvironment(sources, outputs.separator !== undefined ? { separator: outputs.separator } : {}))
  }
  return { name, sources, outputs }
}

/** An environment as variables: mapped with the config's separator, then --only and --prefix. */
export async function loadVariables(lc: LoadContext, arg: string, opts: LoadOptions & SelectOptions = {}): Promise<LoadedEnvironment & { vars: EnvVar[] }> {
  const loaded = await loadEnvironment(lc, arg, opts)
  const sep = loaded.outputs.separator
  const all = mapEnvironment(loaded.sources, sep !== undefined ? { separator: sep } : {})
  return { ...loaded, vars: selectVariables(all, opts) }
}

/** Throws SecretsError('missing-required') naming every required key the variables lack. */
export function checkRequired(policies: Policies, env: string, vars: readonly EnvVar[]): void {
  const required = requiredKeys(policies, env)
  if (required.length === 0) return
  const missing = missingRequired(
    required,
    vars.map((v) => v.name),
  )
  if (missing.length === 0) return
  throw new SecretsError('missing-required', `the environment ${env} lacks required key${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, {
    hint: `add ${missing.length === 1 ? 'it' : 'them'} with \`secrets set ${env} NAME\` (or \`secrets generate ${env}\` for keys with a generator); required keys are listed under policies in .secretsrc.yaml`,
  })
}
