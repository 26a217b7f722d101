// The environment mapping shared by exec, every render format and the library: a decrypted tree
// becomes an ordered list of NAME=value variables. One mapping, so `exec`, `.env`, Docker secrets
// and a Kubernetes Secret always agree on names and values.
import { SecretsError } from '../errors.js'
import { jsonText } from '../tree/json-text.js'
import { formatPath, type PathPart } from '../tree/path.js'
import { formatFloatFixed } from '../tree/scalars.js'
import type { MapNode, Node, Scalar } from '../tree/types.js'

export interface EnvVar {
  name: string
  value: string
  /** Where the value sits in its file, for messages (`["database"]["url"]`). */
  path: PathPart[]
  /** The file it came from (shown in messages when an environment has several files). */
  file?: string | undefined
}

/** One decrypted file of an environment. */
export interface EnvSource {
  file?: string | undefined
  branches: MapNode[]
}

export interface EnvMappingOptions {
  /** Joins a parent key and a child key (default `_`): `database: {url}` -> DATABASE_URL. */
  separator?: string
}

export interface SelectOptions {
  /** Keep only these variable names (after mapping, before the prefix). */
  only?: readonly string[] | undefined
  /** Put in front of every name, e.g. `APP_`. */
  prefix?: string | undefined
}

export const DEFAULT_SEPARATOR = '_'

/** POSIX shell / dotenv variable names: what exec and dotenv output accept. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

// A nested map flattens only when each of its keys can be part of a variable name; otherwise it
// is data (say HTTP headers) and becomes one JSON value.
const SEGMENT = /^[A-Za-z0-9_]+$/

/**
 * Map decrypted files to variables, in file order:
 * - top-level scalars keep their key as the name (case and `_unencrypted` suffix included) and
 *   their text: strings raw, ints in decimal, floats in Go's shortest fixed form, bools
 *   `true`/`false`, times in RFC 3339, null as the empty string;
 * - nested maps whose keys are all `[A-Za-z0-9_]+` flatten to PARENT<sep>CHILD, upper-cased;
 * - lists, empty maps and other maps become compact JSON.
 * Two paths giving one name is an error naming both.
 */
export function mapEnvironment(sources: readonly EnvSource[], opts: EnvMappingOptions = {}): EnvVar[] {
  const sep = opts.separator ?? DEFAULT_SEPARATOR
  const out: EnvVar[] = []
  const seen = new Map<string, EnvVar>()
  const add = (v: EnvVar): void => {
    const prev = seen.get(v.name)
    if (prev !== undefined) {
      if (prev.file !== undefined && prev.file !== v.file) {
        // Files of one environment merge; which one should win is a decision for a person, not for us.
        throw new SecretsError('input', `two files define the variable ${v.name}: ${prev.file} at ${formatPath(prev.path)} and ${v.file ?? '?'} at ${formatPath(v.path)}`, {
          hint: 'keep the variable in one of the environment\'s files',
        })
      }
      throw new SecretsError('input', `two keys map to the variable ${v.name}: ${formatPath(prev.path)} and ${formatPath(v.path)}`, {
        file: v.file,
        hint: 'rename one of them (or set outputs.env.separator in .secretsrc.yaml)',
      })
    }
    seen.set(v.name, v)
    out.push(v)
  }
  const walk = (node: Node, name: string, path: PathPart[], nested: boolean, file: string | undefined): void => {
    if (node.kind === 'map' && flattens(node)) {
      for (const it of node.items) if (it.kind === 'entry') walk(it.value, name + sep + it.key, [...path, it.key], true, file)
      return
    }
    const value = node.kind === 'map' || node.kind === 'list' ? jsonValue(node, path, file) : scalarText(node, path, file)
    add({ name: nested ? name.toUpperCase() : name, value, path, file })
  }
  for (const src of sources) {
    for (const branch of src.branches) {
      for (const it of branch.items) if (it.kind === 'entry') walk(it.value, it.key, [it.key], false, src.file)
    }
  }
  return out
}

function flattens(m: MapNode): boolean {
  let entries = 0
  for (const it of m.items) {
    if (it.kind !== 'entry') continue
    if (!SEGMENT.test(it.key)) return false
    entries++
  }
  return entries > 0
}

function jsonValue(node: Node, path: PathPart[], file: string | undefined): string {
  try {
    return jsonText(node, null)
  } catch (e) {
    throw e instanceof SecretsError ? new SecretsError(e.code, e.message, { hint: e.hint, where: formatPath(path), file }) : e
  }
}

/** The text of a scalar as a variable value (the same text sops' dotenv output uses). */
export function scalarText(s: Scalar, path: PathPart[] = [], file?: string): string {
  switch (s.kind) {
    case 'str':
    case 'time':
      return s.value
    case 'int':
      return s.value.toString()
    case 'float':
      return formatFloatFixed(s.value)
    case 'bool':
      return s.value ? 'true' : 'false'
    case 'null':
      return ''
    case 'bytes':
      throw new SecretsError('input', 'the value is not UTF-8 text, so it cannot be a variable', {
        where: formatPath(path),
        file,
        hint: 'use `secrets exec-file` or `secrets decrypt --extract` for binary content',
      })
  }
}

/** --only and --prefix. An --only name the file does not define is an error (a typo must not pass silently). */
export function selectVariables(vars: readonly EnvVar[], opts: SelectOptions): EnvVar[] {
  let out = [...vars]
  if (opts.only !== undefined && opts.only.length > 0) {
    const have = new Set(vars.map((v) => v.name))
    const missing = opts.only.filter((n) => !have.has(n))
    if (missing.length > 0) {
      const names = [...have].slice(0, 20).join(', ') + (have.size > 20 ? ', ...' : '')
      throw new SecretsError('usage', `--only names ${missing.join(', ')}, which the environment does not define`, {
        hint: have.size > 0 ? `its variables: ${names}` : 'the environment defines no variables',
      })
    }
    const wanted = new Set(opts.only)
    out = out.filter((v) => wanted.has(v.name))
  }
  const prefix = opts.prefix ?? ''
  return prefix === '' ? out : out.map((v) => ({ ...v, name: prefix + v.name }))
}

/**
 * For consumers that set real environment variables or write dotenv files: every name must be a
 * valid variable name, and (for the process environment) no value may hold a NUL byte.
 */
export function checkVariables(vars: readonly EnvVar[], opts: { forProcess?: boolean } = {}): void {
  for (const v of vars) {
    if (!VARIABLE_NAME.test(v.name)) {
      throw new SecretsError('input', `"${v.name}" is not a valid environment variable name (letters, digits and _, not starting with a digit)`, {
        where: formatPath(v.path),
        file: v.file,
        hint: 'rename the key, or leave it out with --only',
      })
    }
    if (opts.forProcess && v.value.includes('\0')) {
      throw new SecretsError('input', `the value of ${v.name} contains a NUL byte, which no environment variable can hold`, {
        where: formatPath(v.path),
        file: v.file,
        hint: 'use `secrets exec-file` to pass it as a file',
      })
    }
  }
}

/** Variables as a plain object (insertion order = file order). */
export function envRecord(vars: readonly EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of vars) setOwnValue(out, v.name, v.value)
  return out
}

/** `o[name] = value` as an own property, so a variable named `__proto__` is kept, not swallowed by the prototype setter. */
export function setOwnValue<T>(o: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true })
}

export interface MergedEnvironment {
  env: NodeJS.ProcessEnv
  /** Names set from the file. */
  injected: string[]
  /** Names the base environment already had and kept (without override). */
  kept: string[]
}

/**
 * The file's variables laid over `base` without changing it. The 12-factor / dotenv rule: a
 * variable already set (even to "") wins, unless `override`.
 */
export function mergeEnvironment(base: NodeJS.ProcessEnv, vars: readonly EnvVar[], opts: { override?: boolean | undefined } = {}): MergedEnvironment {
  const env: NodeJS.ProcessEnv = { ...base }
  const injected: string[] = []
  const kept: string[] = []
  for (const v of vars) {
    if (!opts.override && Object.prototype.hasOwnProperty.call(base, v.name) && base[v.name] !== undefined) {
      kept.push(v.name)
      continue
    }
    setOwnValue(env, v.name, v.value)
    injected.push(v.name)
  }
  return { env, injected, kept }
}
