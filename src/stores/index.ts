// Format names and store lookup. Stores load lazily so a command only pays for the parser it
// uses (the YAML store pulls in a YAML library).
import { SecretsError } from '../errors.js'
import { withConflictCheck } from './conflict.js'
import type { Format, Store } from './store.js'

export type { Format, Store, EmitOptions } from './store.js'
export { FORMATS } from './store.js'

const stores = new Map<Format, Store>()

/** The store of a format; a parse failure on a file with git conflict markers says so. */
export async function storeFor(format: Format): Promise<Store> {
  let store = stores.get(format)
  if (store === undefined) {
    store = withConflictCheck(await loadStore(format))
    stores.set(format, store)
  }
  return store
}

async function loadStore(format: Format): Promise<Store> {
  switch (format) {
    case 'yaml':
      return (await import('./yaml.js')).yamlStore
    case 'json':
      return (await import('./json.js')).jsonStore
    case 'dotenv':
      return (await import('./dotenv.js')).dotenvStore
    case 'ini':
      return (await import('./ini.js')).iniStore
    case 'binary':
      return (await import('./binary.js')).binaryStore
    default:
      // Unreachable for typed callers; guards a format string that skipped parseFormat.
      throw new SecretsError('internal', `no store for format "${String(format satisfies never)}"`)
  }
}

/**
 * Format from a file name (spec 6.6, case-sensitive like sops so both tools agree on a file):
 * .yaml/.yml, .json, .ini, .env; also `.env.<anything>` (.env.local, .env.production) as dotenv,
 * unless one of the other suffixes decides first. Anything else is binary.
 */
export function formatFromPath(path: string): Format {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
  if (base.endsWith('.yaml') || base.endsWith('.yml')) return 'yaml'
  if (base.endsWith('.json')) return 'json'
  if (base.endsWith('.ini')) return 'ini'
  if (base.endsWith('.env') || base.startsWith('.env.')) return 'dotenv'
  return 'binary'
}

/** A format named on the command line (`--input-type` / `--output-type`); `env` means dotenv. */
export function parseFormat(s: string): Format {
  const name = s.trim().toLowerCase()
  switch (name) {
    case 'yaml':
    case 'json':
    case 'dotenv':
    case 'ini':
    case 'binary':
      return name
    case 'env':
      return 'dotenv'
    default:
      throw new SecretsError('usage', `unknown file format "${s}"`, {
        hint: 'use one of: yaml, json, dotenv (or env), ini, binary',
      })
  }
}
