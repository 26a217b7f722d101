// Decisions over a loaded config: which creation rule applies to a file (sops 10.3: first rule
// whose path_regex matches the path relative to the config directory) and which master keys
// encrypt a new file (9.3: any key flag or key env var replaces all of the rule's keys).
import { resolve, sep } from 'node:path'
import { SecretsError } from '../errors.js'
import { addOther, dedupeGroup, emptyGroup, groupSize, parseKmsList, splitAgeRecipients, splitList, splitPgpFingerprints } from './keys.js'
import { translateRegex } from '../model/regex.js'
import type { CreationRule, KeyGroupSpec, LoadedConfig } from './types.js'

/** The path that `path_regex` sees: absolute, minus `<config dir>/` when under it. */
export function rulePath(config: LoadedConfig, filePath: string, cwd: string = process.cwd()): string {
  const abs = resolve(cwd, filePath)
  const prefix = config.dir.endsWith(sep) ? config.dir : config.dir + sep
  return abs.startsWith(prefix) ? abs.slice(prefix.length) : abs
}

/**
 * The first rule matching `filePath` (relative paths resolve against `cwd`). undefined when the
 * config has no `creation_rules` key at all; a config with rules but none matching is an error,
 * even when keys are given on the command line (as in sops).
 */
export function matchCreationRule(config: LoadedConfig, filePath: string, cwd: string = process.cwd()): CreationRule | undefined {
  if (config.creationRules === undefined) return undefined
  const rule = findCreationRule(config, filePath, cwd)
  if (rule !== null) return rule
  const rel = rulePath(config, filePath, cwd)
  throw new SecretsError('config', `no creation rule matches ${rel}`, {
    file: config.path,
    hint: `add a rule whose path_regex matches "${rel}" (rules are tried in order; a rule without path_regex matches every file)`,
  })
}

/** The first rule matching `filePath`, or null when none does (a broken path_regex still throws). */
export function findCreationRule(config: LoadedConfig, filePath: string, cwd: string = process.cwd()): CreationRule | null {
  const rel = rulePath(config, filePath, cwd)
  for (const rule of config.creationRules ?? []) {
    if (rule.pathRegex === undefined || rule.pathRegex === '') return rule
    const re = translateRegex(rule.pathRegex)
    if (!re.ok) {
      throw new SecretsError('config', `${rule.description}: path_regex: ${re.error}`, {
        file: config.path,
        where: rule.line === undefined ? undefined : `line ${rule.line}`,
        hint: 'path_regex uses Go RE2 syntax',
      })
    }
    if (re.regex.test(rel)) return rule
  }
  return null
}

export interface CliKeys {
  age?: string[]
  pgp?: string[]
  kms?: string[]
  encryptionContext?: Record<string, string>
  awsProfile?: string
}

/** Key types only named through env vars (we carry them, other layers may refuse them). */
const OTHER_ENV: ReadonlyArray<[string, string]> = [
  ['SOPS_GCP_KMS_IDS', 'gcp_kms'],
  ['SOPS_HUAWEICLOUD_KMS_IDS', 'hckms'],
  ['SOPS_AZURE_KEYVAULT_URLS', 'azure_kv'],
  ['SOPS_VAULT_URIS', 'hc_vault'],
]

/**
 * The key groups for a new file and where they came from (for messages). Per type a flag beats
 * its env var; if any flag or env var names a key, they form ONE group and the rule's keys are
 * ignored. Otherwise the rule's groups; flat rules get `--encryption-context` on their KMS keys.
 * No rule and no keys: `{ groups: [], source: 'none' }`.
 */
export function keyGroupsFromRule(rule: CreationRule | undefined, env: NodeJS.ProcessEnv, cli: CliKeys): { groups: KeyGroupSpec[]; source: string } {
  const sources: string[] = []
  const pick = <T>(flag: string, fromFlag: T[], envName: string, fromEnv: (s: string) => T[]): T[] => {
    if (fromFlag.length > 0) {
      sources.push(flag)
      return fromFlag
    }
    const list = fromEnv(env[envName] ?? '')
    if (list.length > 0) sources.push(envName)
    return list
  }
  const ctx = cli.encryptionContext
  const g = emptyGroup()
  g.age = pick('--age', (cli.age ?? []).flatMap(splitAgeRecipients), 'SOPS_AGE_RECIPIENTS', splitAgeRecipients)
  g.pgp = pick('--pgp', (cli.pgp ?? []).flatMap(splitPgpFingerprints), 'SOPS_PGP_FP', splitPgpFingerprints)
  g.kms = pick('--kms', parseKmsList((cli.kms ?? []).join(','), ctx, cli.awsProfile), 'SOPS_KMS_ARN', (s) => parseKmsList(s, ctx, cli.awsProfile))
  for (const [name, type] of OTHER_ENV) addOther(g, type, pick(name, [], name, splitList))
  if (groupSize(g) > 0) return { groups: [dedupeGroup(g)], source: sources.join(', ') }

  if (rule === undefined) return { groups: [], source: 'none' }
  const withContext = rule.keyForm === 'flat' && ctx !== undefined && Object.keys(ctx).length > 0
  const groups = rule.keyGroups.map((grp) => ({
    age: [...grp.age],
    pgp: [...grp.pgp],
    kms: grp.kms.map((k) => (withContext ? { ...k, context: { ...ctx } } : { ...k })),
    other: Object.fromEntries(Object.entries(grp.other).map(([t, l]) => [t, [...l]])),
  }))
  return { groups, source: rule.description }
}
