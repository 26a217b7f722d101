// Parse `creation_rules` (sops 10.2): flat key fields -> one group, or `key_groups` (with nested
// `merge`) -> one group each; at most one selection rule; strict about types, silent about
// unknown fields so a `.secretsrc.yaml` stays readable by sops and vice versa.
import { isMap, isSeq } from 'yaml'
import { addOther, dedupeGroup, emptyGroup, groupSize, parseKmsList, splitAgeRecipients, splitList, splitPgpFingerprints } from './keys.js'
import { SELECTION_KINDS, type CreationRule, type KeyGroupSpec, type KmsKeySpec, type SelectionRule } from './types.js'
import type { ConfigReader, YValue } from './yaml-reader.js'

/** undefined when the key is absent or null (sops: no config for key selection). */
export function parseCreationRules(r: ConfigReader, node: YValue | undefined): CreationRule[] | undefined {
  if (node === undefined || r.isNull(node)) return undefined
  return r.list(node, 'creation_rules').map((item, index) => parseRule(r, item, index))
}

function parseRule(r: ConfigReader, node: YValue, index: number): CreationRule {
  const at = `creation_rules[${index}]`
  if (!isMap(node)) r.fail(node, at, `expected a map, got ${r.describe(node)}`)
  const f = r.fields(node, at)
  const pathRegex = r.text(f.get('path_regex') ?? null, `${at}.path_regex`)

  const selections: SelectionRule[] = []
  for (const kind of SELECTION_KINDS) {
    const value = r.text(f.get(kind) ?? null, `${at}.${kind}`)
    if (value !== undefined && value !== '') selections.push({ kind, value })
  }
  if (selections.length > 1) {
    r.fail(node, at, `more than one selection rule (${selections.map((s) => s.kind).join(', ')})`, 'keep at most one of the suffix/regex selection fields per rule')
  }

  const threshold = r.int(f.get('shamir_threshold') ?? null, `${at}.shamir_threshold`)
  if (threshold !== undefined && threshold < 0) r.fail(f.get('shamir_threshold') ?? null, `${at}.shamir_threshold`, 'must not be negative')

  const groupsNode = f.get('key_groups') ?? null
  const structured = r.list(groupsNode, `${at}.key_groups`)
  const keyForm = structured.length > 0 ? 'key_groups' : 'flat'
  const keyGroups = keyForm === 'key_groups' ? structured.map((g, i) => dedupeGroup(parseGroup(r, g, `${at}.key_groups[${i}]`, 0))) : flatGroup(r, f, at)

  return {
    index,
    pathRegex,
    keyGroups,
    keyForm,
    shamirThreshold: threshold === 0 ? undefined : threshold,
    selection: selections[0],
    macOnlyEncrypted: r.bool(f.get('mac_only_encrypted') ?? null, `${at}.mac_only_encrypted`) ?? false,
    description: pathRegex === undefined || pathRegex === '' ? `${at} (no path_regex)` : `${at} (path_regex: ${pathRegex})`,
    line: r.line(node),
  }
}

/** A flat key field: a comma-separated string or a list of strings (sops `parseKeyField`). */
function keyField(r: ConfigReader, node: YValue | undefined, field: string, listOnly = false): string[] {
  if (node === undefined || r.isNull(node)) return []
  if (r.isString(node) && !listOnly) return splitList(node.value)
  if (!isSeq(node)) {
    const want = listOnly ? 'a list of strings' : 'a comma-separated string or a list of strings'
    r.fail(node, field, `expected ${want}, got ${r.describe(node)}`)
  }
  return r.list(node, field).map((item, i) => {
    if (!r.isString(item)) r.fail(item, `${field}[${i}]`, `expected a string, got ${r.describe(item)}`)
    return item.value
  })
}

function flatGroup(r: ConfigReader, f: Map<string, YValue>, at: string): KeyGroupSpec[] {
  const g = emptyGroup()
  g.age = keyField(r, f.get('age'), `${at}.age`).flatMap(splitAgeRecipients)
  g.pgp = keyField(r, f.get('pgp'), `${at}.pgp`).flatMap(splitPgpFingerprints)
  const profile = r.text(f.get('aws_profile') ?? null, `${at}.aws_profile`)
  g.kms = parseKmsList(keyField(r, f.get('kms'), `${at}.kms`).join(','), undefined, profile)
  addOther(
    g,
    'gcp_kms',
    keyField(r, f.get('gcp_kms'), `${at}.gcp_kms`)
      .map((s) => s.replace(/ /g, ''))
      .filter((s) => s !== ''),
  )
  addOther(g, 'hckms', keyField(r, f.get('hckms'), `${at}.hckms`, true).flatMap(splitList))
  addOther(g, 'azure_kv', keyField(r, f.get('azure_keyvault'), `${at}.azure_keyvault`).flatMap(splitList))
  addOther(g, 'hc_vault', keyField(r, f.get('hc_vault_transit_uri'), `${at}.hc_vault_transit_uri`).flatMap(splitList))
  const plugins = r.list(f.get('plugins') ?? null, `${at}.plugins`).map((p) => r.js(p))
  addOther(g, 'plugins', plugins)
  return groupSize(g) === 0 ? [] : [g]
}

/** A list field of a structured group: strings only (Go `[]string`). */
function stringList(r: ConfigReader, node: YValue | undefined, field: string): string[] {
  return r.list(node ?? null, field).map((item, i) => {
    const s = r.text(item, `${field}[${i}]`)
    if (s === undefined) r.fail(item, `${field}[${i}]`, 'expected a string, got null')
    return s
  })
}

/** A required string field of a map entry in a structured group. */
function required(r: ConfigReader, f: Map<string, YValue>, node: YValue, name: string, field: string): string {
  const v = r.text(f.get(name) ?? null, `${field}.${name}`)
  if (v === undefined || v === '') r.fail(node, field, `missing ${name}`)
  return v
}

function parseGroup(r: ConfigReader, node: YValue, at: string, depth: number): KeyGroupSpec {
  if (depth > 20) r.fail(node, at, 'merge nested too deeply')
  if (!isMap(node)) r.fail(node, at, `expected a map, got ${r.describe(node)}`)
  const f = r.fields(node, at)
  const g = emptyGroup()
  for (const [i, sub] of r.list(f.get('merge') ?? null, `${at}.merge`).entries()) {
    const m = parseGroup(r, sub, `${at}.merge[${i}]`, depth + 1)
    g.age.push(...m.age)
    g.pgp.push(...m.pgp)
    g.kms.push(...m.kms)
    for (const [type, list] of Object.entries(m.other)) addOther(g, type, list)
  }
  g.age.push(...stringList(r, f.get('age'), `${at}.age`).flatMap(splitAgeRecipients))
  g.pgp.push(...stringList(r, f.get('pgp'), `${at}.pgp`).map((p) => p.replace(/ /g, '')))
  for (const [i, k] of r.list(f.get('kms') ?? null, `${at}.kms`).entries()) g.kms.push(parseKmsEntry(r, k, `${at}.kms[${i}]`))

  const entries = (name: string, read: (e: Map<string, YValue>, node: YValue, field: string) => string): string[] =>
    r.list(f.get(name) ?? null, `${at}.${name}`).map((e, i) => read(r.fields(e, `${at}.${name}[${i}]`), e, `${at}.${name}[${i}]`))
  addOther(
    g,
    'gcp_kms',
    entries('gcp_kms', (e, n, field) => required(r, e, n, 'resource_id', field)),
  )
  addOther(
    g,
    'hckms',
    entries('hckms', (e, n, field) => required(r, e, n, 'key_id', field)),
  )
  addOther(
    g,
    'azure_kv',
    entries('azure_keyvault', (e, n, field) => {
      const url = required(r, e, n, 'vaultUrl', field).replace(/\/+$/, '')
      const version = r.text(e.get('version') ?? null, `${field}.version`)
      return `${url}/keys/${required(r, e, n, 'key', field)}${version ? `/${version}` : ''}`
    }),
  )
  addOther(g, 'hc_vault', stringList(r, f.get('hc_vault'), `${at}.hc_vault`))
  addOther(
    g,
    'plugins',
    r.list(f.get('plugins') ?? null, `${at}.plugins`).map((p) => r.js(p)),
  )
  return g
}

function parseKmsEntry(r: ConfigReader, node: YValue, at: string): KmsKeySpec {
  if (!isMap(node)) r.fail(node, at, `expected a map with arn (and optional role, context, aws_profile), got ${r.describe(node)}`)
  const f = r.fields(node, at)
  const key: KmsKeySpec = { arn: required(r, f, node, 'arn', at) }
  const role = r.text(f.get('role') ?? null, `${at}.role`)
  if (role !== undefined && role !== '') key.role = role
  const ctxNode = f.get('context') ?? null
  const ctx: Record<string, string> = {}
  for (const [k, v] of r.fields(ctxNode, `${at}.context`)) {
    const s = r.text(v, `${at}.context.${k}`)
    if (s === undefined) r.fail(v ?? ctxNode, `${at}.context.${k}`, 'expected a string, got null')
    ctx[k] = s
  }
  if (Object.keys(ctx).length > 0) key.context = ctx
  const profile = r.text(f.get('aws_profile') ?? null, `${at}.aws_profile`)
  if (profile !== undefined && profile !== '') key.awsProfile = profile
  return key
}
