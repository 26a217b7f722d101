// Turn a command-line target into files: an environment name (listed in `environments:`, a
// `<secrets_dir>/<name>.{yaml,yml,json,env}` or a `<secrets_dir>/<name>/` directory) or else a
// path. An environment may be several files (a list, a glob, a directory): resolveEnvironmentFiles
// gives them all, resolveTarget (for commands about one file) refuses them, listing the files.
import { lstatSync, readdirSync, statSync } from 'node:fs'
import { basename, extname, relative, resolve, sep } from 'node:path'
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

/** A symlink that does not lead to a file (dangling, a loop): still meant as a file path, reported as such when read. */
function isBrokenLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink() && !isFile(p) && !isDir(p)
  } catch {
    return false
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

function secretsRoot(config: LoadedConfig | null, cwd: string): string {
  return config === null ? resolve(cwd, DEFAULT_SECRETS_DIR) : fromConfigDir(config.dir, config.secretsDir)
}

// fast-glob's own test is the truth; this cheap one decides whether to load it at all.
const GLOB_CHARS = /[*?[\]{}]/

/** One part of a multi-file environment as written: a file, a directory or a glob. */
interface Part {
  /** As written (the glob pattern, relative to `base` unless absolute). */
  written: string
  base: string
  /** Absolute path (of the file or directory; for a glob, of the pattern text). */
  path: string
}

type Resolved = { kind: 'file'; path: string; environment?: string } | { kind: 'files'; environment: string; parts: Part[] }

const isGlob = (part: Part): boolean => GLOB_CHARS.test(part.written) && !isFile(part.path) && !isDir(part.path)

/** A directory's sops files: regular files with an environment extension, not hidden, sorted; not recursive. */
function directoryFiles(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((f) => !f.startsWith('.') && ENVIRONMENT_EXTENSIONS.some((ext) => f.endsWith(ext) && f.length > ext.length))
    .sort()
    .map((f) => resolve(dir, f))
    .filter(isFile)
}

/**
 * Every known environment -> absolute path (a list for a listed multi-file one): the listed ones
 * in file order, then files found in the secrets directory (sorted; the first extension in
 * ENVIRONMENT_EXTENSIONS order wins), then its sub-directories that hold sops files.
 */
export function listEnvironments(config: LoadedConfig | null, cwd: string): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>()
  for (const [name, p] of config?.environments ?? []) {
    const dir = config?.dir ?? cwd
    out.set(name, typeof p === 'string' ? fromConfigDir(dir, p) : p.map((x) => fromConfigDir(dir, x)))
  }
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
  for (const f of names) {
    const dir = resolve(root, f)
    if (!f.startsWith('.') && !out.has(f) && isDir(dir) && directoryFiles(dir).length > 0) out.set(f, dir)
  }
  return out
}

function classify(config: LoadedConfig | null, arg: string, cwd: string): Resolved {
  if (arg === '') throw new SecretsError('usage', 'empty file or environment name')
  const asPath = resolve(cwd, arg)
  const listed = config?.environments.get(arg)
  if (/[\\/]/.test(arg) || isFile(asPath) || isBrokenLink(asPath)) {
    if (isDir(asPath)) return { kind: 'files', environment: basename(asPath), parts: [{ written: arg, base: cwd, path: asPath }] }
    return { kind: 'file', ...withEnvironment(config, asPath) }
  }
  if (config !== null && listed !== undefined) return listedEnvironment(config, arg, listed)
  if (extname(arg) !== '' || arg.startsWith('.')) return { kind: 'file', ...withEnvironment(config, asPath) }
  const root = secretsRoot(config, cwd)
  for (const ext of ENVIRONMENT_EXTENSIONS) {
    const p = resolve(root, arg + ext)
    if (isFile(p)) return { kind: 'file', path: p, environment: arg }
  }
  const dir = resolve(root, arg)
  if (isDir(dir)) return { kind: 'files', environment: arg, parts: [{ written: dir, base: root, path: dir }] }
  const known = [...listEnvironments(config, cwd).keys()]
  const secretsDir = config?.secretsDir ?? DEFAULT_SECRETS_DIR
  throw new SecretsError('usage', `"${arg}" is neither a file nor a known environment`, {
    hint:
      known.length > 0
        ? `known environments: ${known.join(', ')}`
        : `no environments yet: create ${secretsDir}/${arg}.yaml or list it under environments: in .secretsrc.yaml`,
  })
}

function listedEnvironment(config: LoadedConfig, name: string, listed: string | string[]): Resolved {
  const written = typeof listed === 'string' ? [listed] : listed
  const parts = written.map((w) => ({ written: w, base: config.dir, path: fromConfigDir(config.dir, w) }))
  const only = parts.length === 1 ? parts[0] : undefined
  if (only !== undefined && !isGlob(only) && !isDir(only.path) && !/[\\/]$/.test(only.written)) {
    // `name:` with no value means <secrets_dir>/<name>.yaml, or the directory <secrets_dir>/<name>/
    // when that exists and the file does not (the rule for unlisted names too).
    const dir = fromConfigDir(config.dir, `${config.secretsDir}/${name}`)
    if (only.written === `${config.secretsDir}/${name}.yaml` && !isFile(only.path) && isDir(dir)) {
      return { kind: 'files', environment: name, parts: [{ written: dir, base: config.dir, path: dir }] }
    }
    return { kind: 'file', path: only.path, environment: name }
  }
  return { kind: 'files', environment: name, parts }
}

/**
 * Resolve `arg` to one file (absolute path in the result), for the commands about one file. In
 * order: a path separator or an existing file -> that path; a listed environment -> its file; an
 * extension or a leading dot -> a path (possibly a new file); `<secrets_dir>/<arg>.{yaml,yml,json,env}`
 * existing -> that environment; else a SecretsError('usage') listing the known environments. An
 * environment of several files (a list, a glob, a directory) is a SecretsError('usage') listing them.
 */
export function resolveTarget(config: LoadedConfig | null, arg: string, cwd: string): { path: string; environment?: string } {
  const r = classify(config, arg, cwd)
  if (r.kind === 'file') return r.environment === undefined ? { path: r.path } : { path: r.path, environment: r.environment }
  // Globs are listed as written: expanding them needs fast-glob, which this synchronous path does not load.
  const shown = r.parts.flatMap((p) => (isGlob(p) ? [p.written] : isDir(p.path) ? directoryFiles(p.path).map((f) => show(f, cwd)) : [show(p.path, cwd)]))
  throw severalFiles(r.environment, shown)
}

/** The usage error for a command about one file given an environment of several. */
export function severalFiles(environment: string, files: readonly string[]): SecretsError {
  const list = files.length > 6 ? [...files.slice(0, 5), `... (${files.length} in all)`] : files
  return new SecretsError('usage', `"${environment}" is an environment of several files (${list.join(', ')})`, {
    hint: `this command works on one file: name it${files[0] !== undefined && !GLOB_CHARS.test(files[0]) ? `, e.g. ${files[0]}` : ''} (exec, render, rotate and updatekeys take the whole environment)`,
  })
}

function show(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' ? rel : path
}

/**
 * Every file of `arg` (absolute paths): one for a file or a single-file environment; for an
 * environment of several, each part in order: a file as is, a directory's sops files (sorted), a
 * glob's matches (sorted; fast-glob, loaded only then). A file named twice counts once, at its
 * first place. A directory or glob giving no file is a SecretsError('input') naming it.
 */
export async function resolveEnvironmentFiles(config: LoadedConfig | null, arg: string, cwd: string): Promise<{ environment?: string; files: string[] }> {
  const r = classify(config, arg, cwd)
  if (r.kind === 'file') return r.environment === undefined ? { files: [r.path] } : { environment: r.environment, files: [r.path] }
  const out = new Set<string>()
  for (const part of r.parts) {
    let found: string[]
    if (isGlob(part)) {
      const m = (await import('fast-glob')) as typeof import('fast-glob') & { default?: typeof import('fast-glob') }
      const fg = m.default ?? m
      found = fg.isDynamicPattern(part.written)
        ? (await fg.glob(part.written, { cwd: part.base, absolute: true, onlyFiles: true, ignore: ['**/node_modules/**', '**/.git/**'] })).map((p) => resolve(p)).sort()
        : [part.path]
    } else if (isDir(part.path)) {
      found = directoryFiles(part.path)
    } else if (/[\\/]$/.test(part.written)) {
      throw new SecretsError('input', `environment "${r.environment}": ${show(part.path, cwd)} is not a directory`, { hint: 'create it, or fix the environment\'s paths' })
    } else {
      found = [part.path]
    }
    if (found.length === 0) {
      throw new SecretsError('input', `environment "${r.environment}": ${show(part.path, cwd)} ${isGlob(part) ? 'matches no file' : 'holds no .yaml, .yml, .json or .env file'}`, {
        hint: config !== null && config.environments.has(r.environment) ? `fix environments.${r.environment} in ${show(config.path, cwd)}, or add the files` : 'add the files, or name another environment',
      })
    }
    for (const f of found) out.add(f)
  }
  return { environment: r.environment, files: [...out] }
}

/** A path that is a listed single-file environment's file keeps the environment name. */
function withEnvironment(config: LoadedConfig | null, path: string): { path: string; environment?: string } {
  for (const [name, p] of config?.environments ?? []) {
    if (config !== null && typeof p === 'string' && fromConfigDir(config.dir, p) === path) return { path, environment: name }
  }
  return { path }
}
