// Key lists as sops spells them on the command line, in env vars and in flat creation rules:
// comma-separated age recipients, PGP fingerprints, `arn[+role]` KMS keys, `k:v` contexts.
import { SecretsError } from '../errors.js'
import type { KeyGroupSpec, KmsKeySpec } from './types.js'

/** Age recipients: split on commas, trim each, drop empties. */
export function splitAgeRecipients(s: string): string[] {
  return s
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
}

/** PGP fingerprints: split on commas, spaces removed (sops accepts `AAAA BBBB ...`). */
export function splitPgpFingerprints(s: string): string[] {
  return s
    .split(',')
    .map((f) => f.replace(/ /g, ''))
    .filter((f) => f !== '')
}

/** Generic comma list (gcp, azure, vault, hckms ids): trimmed, empties dropped. */
export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
}

/** `arn1,arn2+roleArn`: spaces removed; `+arn:aws:iam::` attaches a role to the key before it. */
export function parseKmsList(s: string, context?: Record<string, string>, awsProfile?: string): KmsKeySpec[] {
  const out: KmsKeySpec[] = []
  for (const part of s.replace(/ /g, '').split(',')) {
    if (part === '') continue
    const roleAt = part.indexOf('+arn:aws:iam::')
    const key: KmsKeySpec = roleAt > 0 ? { arn: part.slice(0, roleAt), role: part.slice(roleAt + 1) } : { arn: part }
    if (context !== undefined && Object.keys(context).length > 0) key.context = { ...context }
    if (awsProfile !== undefined && awsProfile !== '') key.awsProfile = awsProfile
    out.push(key)
  }
  return out
}

/** `k1:v1,k2:v2` (no trimming, as sops); each pair must split into exactly two parts on `:`. */
export function parseEncryptionContext(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (s === '') return out
  for (const [i, pair] of s.split(',').entries()) {
    const parts = pair.split(':')
    if (parts.length !== 2 || parts[0] === '') {
      throw new SecretsError('usage', `encryption context: pair ${i + 1} (${JSON.stringify(pair)}) is not key:value`, {
        hint: 'write --encryption-context as key1:value1,key2:value2 (no ":" or "," inside keys or values)',
      })
    }
    out[parts[0] as string] = parts[1] as string
  }
  return out
}

/** sops's KMS identity `arn[+role][|ctx][|profile]`, ctx = sorted `k:v` joined by `,` (8.6). */
export function kmsKeyIdentity(k: KmsKeySpec): string {
  let id = k.arn
  if (k.role !== undefined && k.role !== '') id += `+${k.role}`
  const ctx = Object.keys(k.context ?? {})
    .sort()
    .map((key) => `${key}:${k.context?.[key] ?? ''}`)
    .join(',')
  const profile = k.awsProfile ?? ''
  if (ctx !== '' || profile !== '') id += `|${ctx}`
  if (profile !== '') id += `|${profile}`
  return id
}

export function emptyGroup(): KeyGroupSpec {
  return { age: [], pgp: [], kms: [], other: {} }
}

export function groupSize(g: KeyGroupSpec): number {
  return g.age.length + g.pgp.length + g.kms.length + Object.values(g.other).reduce((n, l) => n + l.length, 0)
}

/** Drop repeated keys by (type, identity), keeping the first; other types compare as JSON. */
export function dedupeGroup(g: KeyGroupSpec): KeyGroupSpec {
  const uniq = <T>(items: T[], id: (t: T) => string): T[] => {
    const seen = new Set<string>()
    return items.filter((t) => {
      const k = id(t)
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  }
  const other: Record<string, unknown[]> = {}
  for (const [type, list] of Object.entries(g.other)) {
    const l = uniq(list, (x) => (typeof x === 'string' ? x : JSON.stringify(x)))
    if (l.length > 0) other[type] = l
  }
  return {
    age: uniq(g.age, (a) => a),
    pgp: uniq(g.pgp, (p) => p),
    kms: uniq(g.kms, kmsKeyIdentity),
    other,
  }
}

/** Append `items` to `group.other[type]` (no-op when empty). */
export function addOther(group: KeyGroupSpec, type: string, items: unknown[]): void {
  if (items.length === 0) return
  group.other[type] = [...(group.other[type] ?? []), ...items]
}
