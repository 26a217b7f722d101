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

export async function masterKeysFor(cli: Cli, absolutePath: string, flags: { age?: string[] | undefined }): Promise<KeyPlan> {
  const { keyGroupsFromRule, matchCreationRule } = await import('../config/index.js')
  const config = await cli.config()
  let rule: CreationRule | undefined
  if (config !== null) rule = matchCreationRule(config, absolutePath, cli.cwd)
  const { groups, source } = keyGroupsFromRule(rule, cli.env, flags.age !== undefined ? { age: flags.age } : {})
  const keys = groups.map((g) => masterKeys(g, cli.env)).filter((g) => g.length > 0)
  if (keys.length === 0) {
    throw new SecretsError('config', 'no master keys for this file', {
      hint:
        config === null
          ? 'pass --age <recipient>, set SOPS_AGE_RECIPIENTS, or run `secrets init` to create .secretsrc.yaml'
          : `add age recipients to ${rule?.description ?? 'a creation rule'} in ${config.path}, or pass --age`,
    })
  }
  return { groups: keys, rule, configPath: config?.path, source }
}
