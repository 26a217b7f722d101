// The typed shape of a loaded `.secretsrc.yaml` / `.sops.yaml`. Only data here; parsing lives in
// load.ts and rules.ts, decisions (which rule, which keys, which file) in match.ts and targets.ts.
import type { KeyGroupSpec } from '../keys/spec.js'
import { RULE_KINDS, type RuleKind as SelectionKind, type SelectionRule } from '../model/metadata.js'

export type { KeyGroupSpec, KmsKeySpec } from '../keys/spec.js'
export type { RuleKind as SelectionKind, SelectionRule } from '../model/metadata.js'

/** The six sops selection rules (one list, in the sops model). */
export const SELECTION_KINDS: readonly SelectionKind[] = RULE_KINDS

export interface CreationRule {
  /** Position in `creation_rules` (0-based). */
  index: number
  /** RE2 source; undefined or '' matches every file. */
  pathRegex: string | undefined
  /** Flat form: one group (none when the rule names no key); `key_groups`: one per entry. */
  keyGroups: KeyGroupSpec[]
  /** 'flat' rules take `--encryption-context` for their KMS keys; structured ones carry their own. */
  keyForm: 'flat' | 'key_groups'
  /** undefined when absent or 0. */
  shamirThreshold: number | undefined
  selection: SelectionRule | undefined
  macOnlyEncrypted: boolean
  /** e.g. `creation_rules[1] (path_regex: \.prod\.yaml$)`, for messages. */
  description: string
  /** 1-based line of the rule in the config file, when known. */
  line: number | undefined
}

export interface StoresConfig {
  yamlIndent?: number
  jsonIndent?: number
  jsonBinaryIndent?: number
}

export interface LoadedConfig {
  /** Absolute path of the config file. */
  path: string
  /** Absolute directory of the config file; rule paths and environment paths are relative to it. */
  dir: string
  kind: 'secretsrc' | 'sops'
  /** undefined = no `creation_rules` key (sops: "no config" for key selection). */
  creationRules: CreationRule[] | undefined
  /**
   * Environments listed in the file: name -> path relative to `dir` (or absolute if written so),
   * or a list of them (`paths:`). Each path may be a file, a directory (its sops files) or a glob;
   * see targets.ts for how they resolve.
   */
  environments: Map<string, string | string[]>
  /** `secrets_dir`, relative to `dir`; default `secrets`. */
  secretsDir: string
  stores: StoresConfig
  /** The whole document as plain JS (for `policies`, `outputs` and later sections). */
  raw: unknown
}
