// Turn a command-line target into a file: an environment name (listed in `environments:` or a
// `<secrets_dir>/<name>.{yaml,yml,json,env}` that exists) or else a path.
import { readdirSync, statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { SecretsError } from '../errors.js'
import { DEFAULT_SECRETS_DIR, fromConfigDir } from './load.js'
import type { LoadedConfig } from './types.js'

export const ENVIRONMENT_EXTENSIONS = ['.yaml', '.yml', '.json', '.env'] as const

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

function secretsRoot(config: LoadedConfig | null, cwd: string): string {
  return config === null ? resolve(cwd, DEFAULT_SECRETS_DIR) : fromConfigDir(config.dir, config.secretsDir)
}

/**
 * Every known environment -> absolute path: the listed ones in file order, then files found in
 * the secrets directory (sorted; the first extension in ENVIRONMENT_EXTENSIONS order wins).
 */
export function listEnvironments(config: LoadedConfig | null, cwd: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const [name, p] of config?.environments ?? []) out.set(name, fromConfigDir(config?.dir ?? cwd, p))
  const root = secretsRoot(config, cwd)
  let names: string[] = []
  try {
    names = readdirSync(root).sort()
  } catch {
    // no secrets directory: only the listed environments
  }
  for (const ext of ENVIRONMENT_EXTENSIONS) {
    for (const f of names) {
      if (!f.endsWith(ext) || f.length === ext.length || f.startsWith('.')) continue
      const name = f.slice(0, -ext.length)
      if (!out.has(name) && isFile(resolve(root, f))) out.set(name, resolve(root, f))
    }
  }
  return out
}

/**
 * Resolve `arg` (absolute path in the result). In order: a path separator or an existing file ->
 * that path; a listed environment -> its file; an extension or a leading dot -> a path (possibly a
 * new file); `<secrets_dir>/<arg>.{yaml,yml,json,env}` existing -> that environment; else a
 * SecretsError('usage') listing the known environments.
 */
export function resolveTarget(config: LoadedConfig | null, arg: string, cwd: string): { path: string; environment?: string } {
  if (arg === '') throw new SecretsError('usage', 'empty file or environment name')
  const asPath = resolve(cwd, arg)
  const listed = config?.environments.get(arg)
  if (/[\\/]/.test(arg) || isFile(asPath)) return withEnvironment(config, asPath)
  if (config !== null && listed !== undefined) return { path: fromConfigDir(config.dir, listed), environment: arg }
  if (extname(arg) !== '' || arg.startsWith('.')) return withEnvironment(config, asPath)
  const root = secretsRoot(config, cwd)
  for (const ext of ENVIRONMENT_EXTENSIONS) {
    const p = resolve(root, arg + ext)
    if (isFile(p)) return { path: p, environment: arg }
  }
  const known = [...listEnvironments(config, cwd).keys()]
  const dir = config?.secretsDir ?? DEFAULT_SECRETS_DIR
  throw new SecretsError('usage', `"${arg}" is neither a file nor a known environment`, {
    hint:
      known.length > 0
        ? `known environments: ${known.join(', ')}`
        : `no environments yet: create ${dir}/${arg}.yaml or list it under environments: in .secretsrc.yaml`,
  })
}

/** A path that is a listed environment's file keeps the environment name. */
function withEnvironment(config: LoadedConfig | null, path: string): { path: string; environment?: string } {
  for (const [name, p] of config?.environments ?? []) {
    if (config !== null && fromConfigDir(config.dir, p) === path) return { path, environment: name }
  }
  return { path }
}
