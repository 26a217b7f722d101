// `.secretsrc.yaml` wins over `.sops.yaml` for `secrets`, but sops only reads `.sops.yaml`. When
// both are in play and their creation rules (or stores) differ, the two tools would encrypt the
// same file with different keys: never silently. A `.sops.yaml` that is a link to the
// `.secretsrc.yaml` (the documented setup) is the same file and agrees by construction.
import { realpathSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SecretsError } from '../errors.js'
import { loadConfig } from './load.js'
import type { LoadedConfig } from './types.js'

const MAX_DEPTH = 100

/** The `.sops.yaml` sops itself would read from `dir` (walking up), or null. */
export function findSopsConfig(dir: string): string | null {
  let d = dir
  for (let i = 0; i < MAX_DEPTH; i++) {
    const p = join(d, '.sops.yaml')
    try {
      if (statSync(p).isFile()) return p
    } catch {
      // not here
    }
    const parent = dirname(d)
    if (parent === d) break
    d = parent
  }
  return null
}

function same(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}

function rulesOf(c: LoadedConfig): string {
  const raw = (typeof c.raw === 'object' && c.raw !== null ? c.raw : {}) as Record<string, unknown>
  return JSON.stringify([raw.creation_rules ?? null, raw.stores ?? null])
}

/**
 * When `config` is a `.secretsrc.yaml` and the `.sops.yaml` sops would read differs from it in
 * `creation_rules` or `stores`: the warning to print (names and paths, no values). Else undefined.
 */
export function shadowWarning(config: LoadedConfig, display: (p: string) => string): string | undefined {
  if (config.kind !== 'secretsrc') return undefined
  const sops = findSopsConfig(config.dir)
  if (sops === null || same(sops, config.path)) return undefined
  let other: LoadedConfig
  try {
    other = loadConfig(sops)
  } catch (e) {
    if (!(e instanceof SecretsError)) throw e
    return `${display(config.path)} is used instead of ${display(sops)}, which sops reads but which does not load (${e.message}): the two tools may pick different keys - keep one config and make .sops.yaml a link to it (see docs/config.md)`
  }
  if (config.dir === other.dir && rulesOf(config) === rulesOf(other)) return undefined
  return (
    `${display(config.path)} and ${display(sops)} disagree (creation_rules or stores): secrets follows ${display(config.path)}, sops follows ${display(sops)}, ` +
    'so the two tools encrypt and re-key files differently - keep one config: move the rules into .secretsrc.yaml and replace .sops.yaml by a link to it (ln -sf .secretsrc.yaml .sops.yaml), or delete .secretsrc.yaml'
  )
}
