// Key drift: how a file's master keys (age, pgp, kms) differ from what its creation rule says
// today. `edit` warns with it; `updatekeys` can show and apply the same comparison.
import type { CreationRule, KeyGroupSpec } from '../config/index.js'
import type { MasterKey } from '../keys/types.js'
import type { Cli } from './context.js'

export type ComparedKind = 'age' | 'pgp' | 'kms'

export interface KeyRef {
  kind: ComparedKind
  /** sops's identity string: age recipient, PGP fingerprint (upper case), KMS `arn[+role][|ctx][|profile]`. */
  id: string
  /** Index of the key group it belongs to. */
  group: number
}

export interface KeyDrift {
  rule: CreationRule
  /** In the rule, not in the file (same group). */
  added: KeyRef[]
  /** In the file, not in the rule (same group). */
  removed: KeyRef[]
  /** Set when the number of groups needed to decrypt differs. */
  threshold?: { file: number; rule: number }
}

const COMPARED: ReadonlySet<string> = new Set(['age', 'pgp', 'kms'])

/** sops's threshold rule: one group needs 1; 0 means every group. */
function needed(groups: number, threshold: number): number {
  return groups <= 1 ? 1 : threshold <= 0 ? groups : threshold
}

function ruleRefs(groups: KeyGroupSpec[], kmsId: (k: KeyGroupSpec['kms'][number]) => string): KeyRef[] {
  return groups.flatMap((g, group) => [
    ...g.age.map((id): KeyRef => ({ kind: 'age', id: id.trim(), group })),
    ...g.pgp.map((fp): KeyRef => ({ kind: 'pgp', id: fp.replace(/\s+/g, '').toUpperCase(), group })),
    ...g.kms.map((k): KeyRef => ({ kind: 'kms', id: kmsId({ ...k, arn: k.arn.replace(/\s+/g, ''), ...(k.role !== undefined ? { role: k.role.replace(/\s+/g, '') } : {}) }), group })),
  ])
}

function fileRefs(groups: MasterKey[][]): KeyRef[] {
  return groups.flatMap((g, group) => g.filter((k) => COMPARED.has(k.kind)).map((k): KeyRef => ({ kind: k.kind as ComparedKind, id: k.kind === 'pgp' ? k.id.toUpperCase() : k.id, group })))
}

const refKey = (r: KeyRef): string => `${r.group}\u0000${r.kind}\u0000${r.id}`

/**
 * Compare a file's key groups with its creation rule; null when they agree. Only age, pgp and kms
 * keys are compared (other types are carried, not managed). Environment variables such as
 * SOPS_AGE_RECIPIENTS are deliberately ignored: drift is measured against the config file.
 */
export async function keyDrift(fileGroups: MasterKey[][], fileThreshold: number, rule: CreationRule): Promise<KeyDrift | null> {
  const { keyGroupsFromRule, kmsKeyIdentity } = await import('../config/index.js')
  const ruleGroups = keyGroupsFromRule(rule, {}, {}).groups
  const want = ruleRefs(ruleGroups, kmsKeyIdentity)
  const have = fileRefs(fileGroups)
  if (want.length === 0) return null // a rule without managed keys says nothing about this file
  const haveKeys = new Set(have.map(refKey))
  const wantKeys = new Set(want.map(refKey))
  const added = want.filter((r) => !haveKeys.has(refKey(r)))
  const removed = have.filter((r) => !wantKeys.has(refKey(r)))
  const t = { file: needed(fileGroups.length, fileThreshold), rule: needed(ruleGroups.length, rule.shamirThreshold ?? 0) }
  const drift: KeyDrift = { rule, added, removed, ...(t.file !== t.rule ? { threshold: t } : {}) }
  return added.length === 0 && removed.length === 0 && drift.threshold === undefined ? null : drift
}

/** The drift of the file at `absolutePath`, or null (no config, no matching rule, or no drift). */
export async function keyDriftFor(cli: Cli, absolutePath: string, fileGroups: MasterKey[][], fileThreshold: number): Promise<KeyDrift | null> {
  const config = await cli.config()
  if (config === null) return null
  const { matchCreationRule } = await import('../config/index.js')
  let rule: CreationRule | undefined
  try {
    rule = matchCreationRule(config, absolutePath, cli.cwd)
  } catch {
    return null // no rule covers the file: nothing to drift from
  }
  return rule === undefined ? null : keyDrift(fileGroups, fileThreshold, rule)
}

/** `age age1abc… (group 2)`: short enough for a one-line message, unique enough to recognise. */
export function describeKey(r: KeyRef, groups: number): string {
  const id = r.id.length > 24 ? `${r.id.slice(0, 20)}…` : r.id
  return `${r.kind} ${id}${groups > 1 ? ` (group ${r.group + 1})` : ''}`
}

/** One line: what the rule adds and removes, e.g. `rule adds age age1…; rule removes pgp ABCD…`. */
export function describeDrift(d: KeyDrift): string {
  const groups = Math.max(d.rule.keyGroups.length, 1 + Math.max(-1, ...d.added.map((r) => r.group), ...d.removed.map((r) => r.group)))
  const parts: string[] = []
  if (d.added.length > 0) parts.push(`the rule adds ${d.added.map((r) => describeKey(r, groups)).join(', ')}`)
  if (d.removed.length > 0) parts.push(`the file has ${d.removed.map((r) => describeKey(r, groups)).join(', ')} that the rule no longer lists`)
  if (d.threshold !== undefined) parts.push(`the file needs ${d.threshold.file} key group(s) to decrypt, the rule ${d.threshold.rule}`)
  return parts.join('; ')
}
