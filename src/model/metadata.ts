// The `sops` metadata block: typed view over the format-neutral PlainObject a store returns,
// lenient on read like sops 3.13, and written back in the 3.13 layout (sorted keys, section 7).
import { SecretsError } from '../errors.js'
import type { PlainObject, PlainValue } from '../tree/types.js'

/** The version we write: the sops layout we emulate (must be valid semver >= 3.3.0 for sops). */
export const SOPS_VERSION = '3.13.2'

export const KEY_TYPES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'age', 'pgp', 'hckms'] as const
export type KeyType = (typeof KEY_TYPES)[number]

export const RULE_KINDS = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'] as const
export type RuleKind = (typeof RULE_KINDS)[number]
export interface SelectionRule {
  kind: RuleKind
  value: string
}
export const DEFAULT_RULE: SelectionRule = { kind: 'unencrypted_suffix', value: '_unencrypted' }

/** One key group: master-key entries by type, each entry as stored (enc + identifying fields). */
export type KeyGroup = Partial<Record<KeyType, PlainObject[]>>

export interface Metadata {
  keyGroups: KeyGroup[]
  /** 0 = not set. */
  shamirThreshold: number
  lastModified: string
  mac: string
  /** null: no rule stored (binary files); readers then assume DEFAULT_RULE. */
  rule: SelectionRule | null
  macOnlyEncrypted: boolean
  version: string
  /**
   * Our own field (sops ignores it): when each value last changed, as JSON (model/value-ages.ts).
   * undefined when absent, e.g. after sops itself rewrote the file.
   */
  valueAges?: string | undefined
}

/** The metadata field that carries value ages; not part of sops' format, ignored by sops. */
export const VALUE_AGES_FIELD = 'secrets_value_ages'

function lowerKeys(o: PlainObject): Map<string, PlainValue> {
  const m = new Map<string, PlainValue>()
  for (const [k, v] of Object.entries(o)) m.set(k.toLowerCase(), v)
  return m
}

function asString(v: PlainValue | undefined): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return ''
}

function asInt(v: PlainValue | undefined, field: string): number {
  if (v === undefined || v === null || v === '') return 0
  const n = typeof v === 'number' ? v : Number(v)
  if (!Number.isInteger(n)) throw badMeta(`"${field}" is not an integer`)
  return n
}

function asBool(v: PlainValue | undefined): boolean {
  return v === true || v === 'true' || v === '1' || v === 1
}

function badMeta(what: string): SecretsError {
  return new SecretsError('input', `the sops metadata is invalid: ${what}`, {
    hint: 'restore the file from git, or re-create it with `secrets encrypt`',
  })
}

function entryList(v: PlainValue | undefined, type: string): PlainObject[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw badMeta(`"${type}" is not a list`)
  return v.map((e) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw badMeta(`an entry of "${type}" is not a map`)
    return e
  })
}

function readGroup(o: Map<string, PlainValue>): KeyGroup {
  const g: KeyGroup = {}
  for (const t of KEY_TYPES) {
    const entries = entryList(o.get(t), t)
    if (entries.length > 0) g[t] = entries
  }
  return g
}

const groupSize = (g: KeyGroup): number => KEY_TYPES.reduce((n, t) => n + (g[t]?.length ?? 0), 0)

// blang/semver (what sops parses `version` with): MAJOR.MINOR.PATCH without leading zeros, then
// an optional pre-release (dot-separated; numeric identifiers without leading zeros) and build.
const NUM = '(?:0|[1-9][0-9]*)'
const PRE_ID = `(?:${NUM}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`
const STRICT_SEMVER = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`)

/**
 * Whether sops (3.9 to 3.13) goes on to decrypt a file with this `version`: its version check
 * (AIsNewerThanB) takes any version beginning `1.` as an old sops 1.x file (`1.13`), otherwise
 * strict semver after an optional leading `v`; anything else makes the file undecryptable.
 */
export function sopsAcceptsVersion(version: string): boolean {
  if (version.startsWith('1.')) return true
  return STRICT_SEMVER.test(version.startsWith('v') ? version.slice(1) : version)
}

/** Typed metadata from a store's block; throws SecretsError('input') when sops could not load it either. */
export function readMetadata(block: PlainObject | null): Metadata {
  if (block === null) {
    throw new SecretsError('input', 'the file is not encrypted: it has no sops metadata block', {
      hint: 'encrypt it first with `secrets encrypt -i <file>`',
    })
  }
  const m = lowerKeys(block)
  const top = readGroup(m)
  let keyGroups: KeyGroup[]
  if (groupSize(top) > 0) keyGroups = [top]
  else {
    const kg = m.get('key_groups')
    const groups = entryList(kg ?? null, 'key_groups').map((g) => readGroup(lowerKeys(g)))
    keyGroups = groups.filter((g) => groupSize(g) > 0)
    if (keyGroups.length === 0) throw badMeta('no master keys found in the file')
  }
  const rules = RULE_KINDS.flatMap((kind) => {
    const value = asString(m.get(kind))
    return value === '' ? [] : [{ kind, value }]
  })
  if (rules.length > 1) throw badMeta(`more than one selection rule (${rules.map((r) => r.kind).join(', ')})`)
  const lastModified = asString(m.get('lastmodified'))
  if (lastModified === '') throw badMeta('"lastmodified" is missing')
  const version = asString(m.get('version'))
  if (!sopsAcceptsVersion(version)) {
    throw badMeta(`"version" is not a semantic version ("${version.slice(0, 20)}")`)
  }
  return {
    keyGroups,
    shamirThreshold: asInt(m.get('shamir_threshold'), 'shamir_threshold'),
    lastModified,
    mac: asString(m.get('mac')),
    rule: rules[0] ?? null,
    macOnlyEncrypted: asBool(m.get('mac_only_encrypted')),
    version,
    valueAges: typeof m.get(VALUE_AGES_FIELD) === 'string' ? (m.get(VALUE_AGES_FIELD) as string) : undefined,
  }
}

function sortKeys(o: PlainObject): PlainObject {
  const out: PlainObject = {}
  for (const k of Object.keys(o).sort(byteOrder)) {
    const v = o[k] as PlainValue
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) ? sortKeys(v) : v
  }
  return out
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** The block to hand to a store: sops 3.13 layout, every map sorted by key, empties omitted. */
export function writeMetadata(md: Metadata): PlainObject {
  const out: PlainObject = {}
  const put = (k: string, v: PlainValue): void => {
    out[k] = v
  }
  if (md.keyGroups.length === 1) {
    const g = md.keyGroups[0] as KeyGroup
    for (const t of KEY_TYPES) if ((g[t]?.length ?? 0) > 0) put(t, (g[t] as PlainObject[]).map(sortKeys))
  } else {
    put(
      'key_groups',
      md.keyGroups.map((g) => {
        const o: PlainObject = {}
        for (const t of KEY_TYPES) {
          const entries = (g[t] ?? []).map(sortKeys)
          if (entries.length > 0 || t === 'hc_vault' || t === 'age') o[t] = entries
        }
        return sortKeys(o)
      }),
    )
  }
  put('lastmodified', md.lastModified)
  put('mac', md.mac)
  if (md.macOnlyEncrypted) put('mac_only_encrypted', true)
  if (md.shamirThreshold > 0) put('shamir_threshold', md.shamirThreshold)
  if (md.rule !== null && md.rule.value !== '') put(md.rule.kind, md.rule.value)
  put('version', md.version)
  if (md.valueAges !== undefined && md.valueAges !== '') put(VALUE_AGES_FIELD, md.valueAges)
  return sortKeys(out)
}
