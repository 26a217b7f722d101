// An environment name (or a file) -> its decrypted files -> variables, with the config's
// `outputs:` settings and --only / --prefix. Shared by the CLI (exec, exec-file, render) and the
// library, so both always produce the same variables.
import { basename, extname } from 'node:path'
import { readOutputsConfig, type OutputsConfig } from '../outputs/config.js'
import { mapEnvironment, selectVariables, type EnvVar, type SelectOptions } from '../outputs/env.js'
import type { Format } from '../stores/index.js'
import type { WorkflowContext } from './context.js'
import { decryptSources, type DecryptedSource } from './sources.js'

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
export async function environmentFiles(wc: WorkflowContext, arg: string): Promise<{ name: string; files: string[] }> {
  const { resolveEnvironmentFiles } = await import('../config/targets.js')
  const t = await resolveEnvironmentFiles(await wc.config(), arg, wc.cwd)
  return { name: t.environment ?? nameFromPath(t.files[0] ?? arg), files: t.files }
}

function nameFromPath(p: string): string {
  const base = basename(p)
  const dotenv = /^\.env\.(.+)$/.exec(base)
  return dotenv?.[1] ?? basename(base, extname(base))
}

/** Decrypt an environment's files (MAC checked), all at once: one key context, so identities load once. */
export async function loadEnvironment(wc: WorkflowContext, arg: string, opts: LoadOptions = {}): Promise<LoadedEnvironment> {
  const { name, files } = await environmentFiles(wc, arg)
  const config = await wc.config()
  const outputs = readOutputsConfig(config?.raw, config?.path)
  const sources = await decryptSources(wc, files, { decryptionOrder: opts.decryptionOrder, format: opts.inputFormat })
  return { name, sources, outputs }
}

/** An environment as variables: mapped with the config's separator, then --only and --prefix. */
export async function loadVariables(wc: WorkflowContext, arg: string, opts: LoadOptions & SelectOptions = {}): Promise<LoadedEnvironment & { vars: EnvVar[] }> {
  const loaded = await loadEnvironment(wc, arg, opts)
  const sep = loaded.outputs.separator
  const all = mapEnvironment(loaded.sources, sep !== undefined ? { separator: sep } : {})
  return { ...loaded, vars: selectVariables(all, opts) }
}
