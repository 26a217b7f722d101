// Which master keys a new file gets: command-line / environment keys (which replace the rule's
// keys, as in sops), else the first matching creation rule of the config.
import { SecretsError } from '../errors.js'
import { AgeKey } from '../keys/age.js'
import { KmsKey } from '../keys/kms.js'
import { PgpKey } from '../keys/pgp.js'
import type { MasterKey } from '../keys/types.js'
import type { CreationRule, KeyGroupSpec } from '../config/index.js'
import type { Cli } from './context.js'

export interface KeyPlan {
  groups: MasterKey[][]
  rule: CreationRule | undefined
  configPath: string | undefined
  /** Where the keys came from, for the summary line. */
  source: string
}

function masterKeys(g: KeyGroupSpec, env: NodeJS.ProcessEnv): MasterKey[] {
  return [
    ...g.age.map((r) => new AgeKey(r)),
    ...g.pgp.map((fp) => new PgpKey(fp, { env })),
    ...g.kms.map((k) => new KmsKey(k, { env })),
  ]
}

export interface KeyFlags {
  age?: string[] | undefined
  pgp?: string[] | undefined
  kms?: string[] | undefined
  encryptionContext?: string | undefined
  awsProfile?: string | undefined
}

export async function masterKeysFor(cli: Cli, absolutePath: string, flags: KeyFlags): Promise<KeyPlan> {
  const { keyGroupsFromRule, matchCreationRule, parseEncryptionContext } = await import('../config/index.js')
  const config = await cli.config()
  let rule: CreationRule | undefined
  if (config !== null) rule = matchCreationRule(config, absolutePath, cli.cwd)
  const cliKeys = {
    ...(flags.age !== undefined ? { age: flags.age } : {}),
    ...(flags.pgp !== undefined ? { pgp: flags.pgp } : {}),
    ...(flags.kms !== undefined ? { kms: flags.kms } : {}),
    ...(flags.encryptionContext !== undefined ? { encryptionContext: parseEncryptionContext(flags.encryptionContext) } : {}),
    ...(flags.awsProfile !== undefined ? { awsProfile: flags.awsProfile } : {}),
  }
  const { groups, source } = keyGroupsFromRule(rule, cli.env, cliKeys)
  const keys = groups.map((g) => masterKeys(g, cli.env)).filter((g) => g.length > 0)
  if (keys.length === 0) {
    throw new SecretsError('config', 'no master keys for this file', {
      hint:
        config === null
          ? 'pass --age/--pgp/--kms, set SOPS_AGE_RECIPIENTS, or run `secrets init` to create .secretsrc.yaml'
          : `add keys (age, pgp, kms) to ${rule?.description ?? 'a creation rule'} in ${config.path}, or pass --age`,
    })
  }
  return { groups: keys, rule, configPath: config?.path, source }
}
