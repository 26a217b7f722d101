// Docker / compose secrets on disk: one file per variable holding the raw value (no trailing
// newline), files 0600 in a 0700 directory. A manifest in the directory lists the files we wrote,
// so a later run removes the ones that are gone from the environment and never touches others.
import { chmodSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { SecretsError } from '../errors.js'
import { writeFileAtomic } from '../io/files.js'
import { formatPath } from '../tree/path.js'
import type { EnvVar } from './env.js'

export const MANIFEST_NAME = '.secrets-manifest.json'
// Compose secret names allow [a-zA-Z0-9._-]; a leading dot would hide the file (and could clash
// with the manifest), so it is refused here.
const FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

export interface SecretFile {
  /** The variable it holds. */
  variable: string
  /** File name in the directory; also the compose secret name and its /run/secrets/ name. */
  name: string
  value: string
}

/**
 * Name each variable's file: `map` renames (variable -> file name), everything else keeps its
 * variable name. Names are checked, and two variables may not share one file.
 */
export function secretFiles(vars: readonly EnvVar[], map: Readonly<Record<string, string>> = {}): SecretFile[] {
  const known = new Set(vars.map((v) => v.name))
  const stray = Object.keys(map).filter((k) => !known.has(k))
  if (stray.length > 0)
    throw new SecretsError('usage', `the secret name map renames ${stray.join(', ')}, which the environment does not define`, { hint: 'check --map and outputs.docker_secrets.map' })
  const byName = new Map<string, string>()
  return vars.map((v) => {
    const name = map[v.name] ?? v.name
    if (!FILE_NAME.test(name) || name.length > 255) {
      throw new SecretsError('input', `"${name}" cannot be a secret file name (letters, digits, ".", "_", "-"; not starting with ".")`, {
        where: formatPath(v.path),
        file: v.file,
        hint: `rename it with --map ${v.name}=new_name, or leave it out with --only`,
      })
    }
    const other = byName.get(name)
    if (other !== undefined) throw new SecretsError('usage', `${other} and ${v.name} would both be written to the secret file "${name}"`, { hint: 'give them different names in --map' })
    byName.set(name, v.name)
    return { variable: v.name, name, value: v.value }
  })
}

export interface WriteResult {
  written: string[]
  removed: string[]
}

/** Create/refresh `dir` (0700) with one 0600 file per secret; remove files an earlier run wrote that are no longer wanted. */
export function writeSecretFiles(dir: string, files: readonly SecretFile[]): WriteResult {
  ensurePrivateDir(dir)
  const previous = readManifest(dir)
  for (const f of files) writeFileAtomic(join(dir, f.name), Buffer.from(f.value, 'utf8'), 0o600)
  const wanted = new Set(files.map((f) => f.name))
  const removed: string[] = []
  for (const name of previous) {
    if (wanted.has(name)) continue
    try {
      if (!lstatSync(join(dir, name)).isDirectory()) {
        unlinkSync(join(dir, name))
        removed.push(name)
      }
    } catch {
      // already gone
    }
  }
  const manifest = { generator: 'secrets', note: 'files in this directory written by `secrets render`; removed when no longer in the environment', files: [...wanted] }
  writeFileAtomic(join(dir, MANIFEST_NAME), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'), 0o600)
  return { written: files.map((f) => f.name), removed }
}

function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!lstatSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    chmodSync(dir, 0o700)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new SecretsError('io', `cannot create the private directory (${code})`, { file: dir, hint: 'check the path: it must be a directory you own' })
  }
}

/** The names an earlier run wrote; only plain names are trusted, so an edited manifest cannot reach outside `dir`. */
function readManifest(dir: string): string[] {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as { files?: unknown }
    return Array.isArray(m.files) ? m.files.filter((n): n is string => typeof n === 'string' && FILE_NAME.test(n)) : []
  } catch {
    return []
  }
}
