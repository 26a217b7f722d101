// Master keys as a creation rule or the command line names them, before any is made: the input
// of keysFromSpecs (groups.ts). Only data; the config layer parses them, the keys layer uses them.

/** An AWS KMS key as a creation rule or the command line names it. */
export interface KmsKeySpec {
  arn: string
  role?: string
  context?: Record<string, string>
  awsProfile?: string
}

/**
 * One key group. `other` holds key types we only carry along, by metadata type name, each as its
 * identity string (8.6): `gcp_kms` resource ids, `azure_kv` URLs `https://VAULT/keys/NAME[/VERSION]`,
 * `hc_vault` transit URIs, `hckms` key ids; `plugins` entries are kept raw. Only non-empty lists.
 */
export interface KeyGroupSpec {
  age: string[]
  pgp: string[]
  kms: KmsKeySpec[]
  other: Record<string, unknown[]>
}
