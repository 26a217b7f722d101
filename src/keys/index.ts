// Master keys from metadata entries and back, and the data key's wrap/unwrap across key groups
// (one group: every key wraps the whole key; several: each group wraps one Shamir share).
import { shamirCombine, shamirSplit } from '../crypto/shamir.js'
import { SecretsError } from '../errors.js'
import { KEY_TYPES, type KeyGroup, type KeyType } from '../model/metadata.js'
import type { PlainObject } from '../tree/types.js'
import { AgeKey } from './age.js'
import { KmsKey } from './kms.js'
import { PgpKey } from './pgp.js'
import { OpaqueKey } from './opaque.js'
import { KeyError, reportNotes, type KeyContext, type KeyErrorInfo, type MasterKey } from './types.js'
import { listKeys } from './hints.js'

export { KeyError, type KeyContext, type MasterKey } from './types.js'

function identityOf(kind: KeyType, e: PlainObject): string {
  const s = (k: string): string => (typeof e[k] === 'string' ? e[k] : '')
  switch (kind) {
    case 'age':
      return s('recipient')
    case 'pgp':
      return s('fp')
    case 'kms':
      return s('arn') + (s('role') ? '+' + s('role') : '')
    case 'gcp_kms':
      return s('resource_id')
    case 'azure_kv':
      return `${s('vault_url')}/keys/${s('name')}/${s('version')}`
    case 'hc_vault':
      return `${s('vault_address')}/v1/${s('engine_path')}/keys/${s('key_name')}`
    case 'hckms':
      return s('key_id')
  }
}

export function keyFromMetadata(kind: KeyType, entry: PlainObject): MasterKey {
  if (kind === 'age') return AgeKey.fromMetadata(entry)
  if (kind === 'pgp') return PgpKey.fromMetadata(entry)
  if (kind === 'kms') return KmsKey.fromMetadata(entry)
  return new OpaqueKey(kind, identityOf(kind, entry), entry)
}

export function groupsFromMetadata(groups: KeyGroup[]): MasterKey[][] {
  return groups.map((g) => KEY_TYPES.flatMap((t) => (g[t] ?? []).map((e) => keyFromMetadata(t, e))))
}

export function groupsToMetadata(groups: MasterKey[][]): KeyGroup[] {
  return groups.map((keys) => {
    const g: KeyGroup = {}
    for (const k of keys) (g[k.kind] ??= []).push(k.toMetadata())
    return g
  })
}

/** Effective Shamir threshold for N groups (sops: 0 means all groups). */
export function effectiveThreshold(groups: number, threshold: number): number {
  if (groups <= 1) return 1
  return threshold <= 0 ? groups : threshold
}

/** Wrap a fresh data key with every master key (shares when there are several groups). */
export async function wrapDataKey(groups: MasterKey[][], dataKey: Uint8Array, threshold: number, ctx?: KeyContext): Promise<void> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) {
    throw new SecretsError('config', 'no master keys to encrypt the data key with', {
      hint: 'give recipients with --age, or add a creation rule with age keys to .secretsrc.yaml (`secrets init`)',
    })
  }
  let secrets: Uint8Array[]
  if (groups.length === 1) secrets = [dataKey]
  else {
    const t = effectiveThreshold(groups.length, threshold)
    if (t < 2 || t > groups.length) {
      throw new SecretsError('config', `shamir_threshold ${t} is not between 2 and the number of key groups (${groups.length})`, {
        hint: 'fix shamir_threshold in the creation rule',
      })
    }
    secrets = shamirSplit(dataKey, groups.length, t)
  }
  const failures: string[] = []
  await Promise.all(
    groups.flatMap((g, i) =>
      g.map(async (k) => {
        try {
          await k.wrap(secrets[i] as Uint8Array, ctx)
        } catch (e) {
          failures.push(`${k.kind} ${k.id}: ${e instanceof Error ? e.message : String(e)}`)
        }
      }),
    ),
  )
  if (failures.length > 0) {
    throw new SecretsError('no-key', `could not encrypt the data key with every master key: ${failures.join('; ')}`, {
      hint: 'check the master keys in .secretsrc.yaml or on the command line (age recipients, PGP public keys in gpg, KMS access)',
    })
  }
}

const DEFAULT_ORDER: readonly string[] = ['age', 'pgp']

/** Try keys in priority order (age, then pgp, then the rest in stored order), as sops does. */
export function orderKeys(keys: MasterKey[], order: readonly string[] = DEFAULT_ORDER): MasterKey[] {
  const rank = (k: MasterKey): number => {
    const i = order.indexOf(k.kind)
    return i < 0 ? order.length : i
  }
  return keys.map((k, i) => ({ k, i })).sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i).map((x) => x.k)
}

/** AES-256: every data key is 32 bytes; a Shamir share carries one more byte (its x coordinate). */
export const DATA_KEY_BYTES = 32

/** Refuse a data key of the wrong length wherever one enters (unwrapped, combined, or handed in). */
export function checkDataKey(key: Uint8Array, what = 'the data key'): Uint8Array {
  if (key.length !== DATA_KEY_BYTES) {
    throw new SecretsError('no-key', `${what} is ${key.length} bytes long, not ${DATA_KEY_BYTES}`, {
      hint: 'the key metadata is damaged or was written by another tool: restore the file from git',
    })
  }
  return key
}

interface Failure {
  key: MasterKey
  group: number
  error: KeyError | Error
}

const info = (f: Failure): KeyErrorInfo => (f.error instanceof KeyError ? f.error.info : {})

/**
 * The one line for "no key opened the file": which keys the file is for, which keys the user has
 * (and where they were looked for), what else went wrong, and the one next step that fits best.
 */
function noKeyError(what: string, groups: MasterKey[][], opened: boolean[], failures: Failure[]): SecretsError {
  const many = groups.length > 1
  const kinds = (keys: MasterKey[]): string => {
    const by = new Map<string, string[]>()
    for (const k of keys) by.set(k.kind, [...(by.get(k.kind) ?? []), k.id])
    return [...by].map(([kind, ids]) => `${kind} ${listKeys(ids, 5)}`).join(', ')
  }
  const forList = many ? groups.map((g, i) => `group ${i + 1}${opened[i] ? ' (opened)' : ''}: ${kinds(g)}`).join('; ') : kinds(groups[0] ?? [])
  const parts = [`the file is for ${forList}`]
  const holders = new Set<string>()
  for (const f of failures) {
    const h = info(f).holder
    if (h !== undefined) holders.add(h)
  }
  parts.push(...holders)
  for (const f of failures) {
    const r = info(f).reason
    if (r === 'no-match' || r === 'no-identity') continue
    // KMS messages name their ARN already: do not repeat it
    const label = `${many ? `group ${f.group + 1} ` : ''}${f.key.kind}${f.error.message.includes(f.key.id) ? '' : ` ${f.key.id}`}`
    parts.push(`${label}: ${f.error.message}`)
  }
  const notes = new Set<string>()
  for (const f of failures) for (const n of info(f).notes ?? []) notes.add(n.message)
  parts.push(...notes)

  // the hint: the most specific next step
  const hintOf = (pick: (f: Failure) => boolean): string | undefined => {
    const f = failures.find((x) => pick(x) && x.error instanceof KeyError && x.error.hint !== undefined)
    return f === undefined ? undefined : (f.error as KeyError).hint
  }
  const local = (f: Failure): boolean => f.key.kind === 'age' || f.key.kind === 'pgp'
  const hint =
    hintOf((f) => info(f).reason === 'damaged' && info(f).ours === true) ??
    hintOf((f) => local(f) && info(f).reason === undefined) ??
    failures.flatMap((f) => info(f).notes ?? [])[0]?.hint ??
    hintOf((f) => info(f).reason === 'no-match') ??
    hintOf((f) => info(f).reason === undefined) ??
    hintOf((f) => info(f).reason === 'no-identity') ??
    hintOf(() => true) ??
    'get one of the master keys listed'
  return new SecretsError('no-key', `${what}; ${parts.join('; ')}`, { hint })
}

/** Recover the data key; on failure the error says which keys the file is for, which the user has, and what to do. */
export async function unwrapDataKey(groups: MasterKey[][], threshold: number, ctx: KeyContext, order?: readonly string[]): Promise<Uint8Array> {
  const failures: Failure[] = []
  const opened = groups.map(() => false)
  // One group: each master key wraps the data key itself; several: each wraps a Shamir share.
  const want = groups.length === 1 ? DATA_KEY_BYTES : DATA_KEY_BYTES + 1
  const openGroup = async (g: MasterKey[], gi: number): Promise<Uint8Array | null> => {
    for (const k of orderKeys(g, order)) {
      try {
        const key = await k.unwrap(ctx)
        if (key.length !== want) {
          key.fill(0)
          throw new KeyError(
            `it unwrapped to ${key.length} bytes instead of the ${want} of a ${groups.length === 1 ? 'data key' : 'key share'}`,
            'the key entry is damaged or was written by another tool: restore the file from git',
            { reason: 'damaged' },
          )
        }
        opened[gi] = true
        return key
      } catch (e) {
        failures.push({ key: k, group: gi, error: e instanceof Error ? e : new Error(String(e)) })
      }
    }
    return null
  }
  // problems with the user's key sources are worth a warning even when another key opened the file
  const reportAll = (): void => reportNotes(ctx, failures.flatMap((f) => info(f).notes ?? []))

  if (groups.length === 1) {
    const key = await openGroup(groups[0] as MasterKey[], 0)
    if (key === null) throw noKeyError('could not get the data key', groups, opened, failures)
    reportAll()
    return key
  }
  const t = effectiveThreshold(groups.length, threshold)
  const shares = (await Promise.all(groups.map((g, i) => openGroup(g, i)))).filter((s): s is Uint8Array => s !== null)
  if (shares.length < t) {
    throw noKeyError(`could not get the data key: opened ${shares.length} of ${groups.length} key groups, ${t} needed`, groups, opened, failures)
  }
  reportAll()
  try {
    return checkDataKey(shamirCombine(shares), 'the data key combined from the key group shares')
  } catch (e) {
    if (e instanceof SecretsError) throw e
    throw new SecretsError('no-key', `could not combine the key group shares (${e instanceof Error ? e.message : String(e)})`)
  }
}

export { AgeKey, KmsKey, PgpKey }
