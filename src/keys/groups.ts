// Key groups edited by identity string (spec 8.6): adding and removing master keys for `rotate`,
// the per-group difference between a file's keys and its creation rule for `updatekeys`, and the
// shamir_threshold a file ends up with.
import { describeRecipient } from '../redact.js'
import { SecretsError } from '../errors.js'
import type { KeyGroupSpec } from './spec.js'
import { AgeKey, isAgeRecipient } from './age.js'
import { KmsKey } from './kms.js'
import { OpaqueKey } from './opaque.js'
import { PgpKey } from './pgp.js'
import type { MasterKey } from './types.js'
import { KEY_TYPES, type KeyType } from '../model/metadata.js'
import { effectiveThreshold } from './index.js'

/** A key named on the command line or in a rule: its type and sops identity string. */
export interface KeyRef {
  kind: KeyType
  id: string
}

export const keyLabel = (k: KeyRef): string => `${k.kind} ${k.id}`
const same = (a: KeyRef, b: KeyRef): boolean => a.kind === b.kind && a.id === b.id

/** The identity an `--rm-pgp` argument is compared with (PgpKey.id: no spaces, upper case). */
export const pgpRef = (fp: string): KeyRef => ({ kind: 'pgp', id: fp.replace(/\s+/g, '').toUpperCase() })

export interface GroupEdit {
  groups: MasterKey[][]
  added: MasterKey[]
  removed: MasterKey[]
  /** Keys asked to be removed that the file does not have. */
  absent: KeyRef[]
}

/**
 * `rotate --add-* / --rm-*`: new keys go into the first group (skipped when the file already has
 * them in any group), removed ones leave whatever group holds them. A group left empty would
 * make its Shamir share (or the whole file) unrecoverable, so that is refused.
 */
export function editGroups(groups: readonly MasterKey[][], add: readonly MasterKey[], remove: readonly KeyRef[]): GroupEdit {
  if (groups.length === 0) throw new SecretsError('input', 'the file has no key groups')
  const removed: MasterKey[] = []
  const out = groups.map((g) =>
    g.filter((k) => {
      const drop = remove.some((r) => same(r, k))
      if (drop) removed.push(k)
      return !drop
    }),
  )
  const absent = remove.filter((r) => !removed.some((k) => same(r, k)))
  const added: MasterKey[] = []
  for (const k of add) {
    if (remove.some((r) => same(r, k)) || out.some((g) => g.some((x) => same(x, k))) || added.some((x) => same(x, k))) continue
    added.push(k)
  }
  out[0] = [...(out[0] as MasterKey[]), ...added]
  const empty = out.findIndex((g) => g.length === 0)
  if (empty >= 0) {
    const where = groups.length > 1 ? `key group ${empty + 1}` : 'the file'
    throw new SecretsError('usage', `removing ${(groups[empty] as MasterKey[]).map(keyLabel).join(', ')} would leave ${where} without a master key`, {
      hint: groups.length > 1 ? 'change the groups with updatekeys instead' : 'add another key with --add-age (or --add-pgp/--add-kms) in the same command',
    })
  }
  return { groups: out, added, removed, absent }
}

/** New master keys for a creation rule's groups; types we cannot encrypt with become OpaqueKeys. */
export function keysFromSpecs(groups: readonly KeyGroupSpec[], env: NodeJS.ProcessEnv, warn: (m: string) => void): MasterKey[][] {
  return groups
    .map((g) => {
      const keys: MasterKey[] = [...g.kms.map((k) => new KmsKey(k, { env })), ...g.age.map((r) => new AgeKey(r)), ...g.pgp.map((fp) => new PgpKey(fp, { env }))]
      for (const [type, list] of Object.entries(g.other)) {
        if (!(KEY_TYPES as readonly string[]).includes(type)) {
          warn(`${type} keys in the creation rule are not supported and were left out`)
          continue
        }
        for (const id of list) keys.push(new OpaqueKey(type as KeyType, typeof id === 'string' ? id : JSON.stringify(id), {}))
      }
      return keys
    })
    .filter((g) => g.length > 0)
}

/** Refuse malformed age recipients before any file is touched. */
export function checkAgeRecipients(recipients: readonly string[], flag: string): void {
  const bad = recipients.find((r) => !isAgeRecipient(r))
  if (bad !== undefined) {
    throw new SecretsError('usage', `${flag}: ${describeRecipient(bad)} is not an age recipient`, {
      hint: 'give the public key: age1 followed by 58 characters (`secrets keygen` prints one; `age-keygen -y KEYFILE` derives it)',
    })
  }
}

export interface GroupDiff {
  common: string[]
  added: string[]
  removed: string[]
}

export interface KeysDiff {
  groups: GroupDiff[]
  /** Effective thresholds (1 for a single group). */
  threshold: { from: number; to: number }
  changed: boolean
  /** Somebody loses access: a key left a group, or more groups are now needed. */
  accessRemoved: boolean
}

/** The shamir_threshold written for `groups` groups (0 = not written, as for one group). */
export function storedThreshold(groups: number, threshold: number): number {
  if (groups <= 1) return 0
  return Math.min(threshold <= 0 ? groups : threshold, groups)
}

/** sops's per-index group diff (updatekeys), plus the threshold. */
export function diffGroups(current: readonly MasterKey[][], currentThreshold: number, wanted: readonly MasterKey[][], wantedThreshold: number): KeysDiff {
  const groups: GroupDiff[] = []
  for (let i = 0; i < Math.max(current.length, wanted.length); i++) {
    const ours = (current[i] ?? []).map(keyLabel)
    const theirs = (wanted[i] ?? []).map(keyLabel)
    groups.push({
      common: theirs.filter((k) => ours.includes(k)),
      added: theirs.filter((k) => !ours.includes(k)),
      removed: ours.filter((k) => !theirs.includes(k)),
    })
  }
  const from = effectiveThreshold(current.length, currentThreshold)
  const to = effectiveThreshold(wanted.length, storedThreshold(wanted.length, wantedThreshold))
  const keysChanged = groups.some((g) => g.added.length > 0 || g.removed.length > 0)
  return {
    groups,
    threshold: { from, to },
    changed: keysChanged || from !== to,
    accessRemoved: groups.some((g) => g.removed.length > 0) || to > from,
  }
}
