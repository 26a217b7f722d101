// Which master keys a new file gets: command-line / environment keys (which replace the rule's
// keys, as in sops), else the first matching creation rule of the config.
import { SecretsError } from '../errors.js'
import { checkAgeRecipients, keysFromSpecs } from '../keys/groups.js'
import type { MasterKey } from '../keys/types.js'
import type { CreationRule } from '../config/index.js'
import type { WorkflowContext } from './context.js'

export interface KeyPlan {
  groups: MasterKey[][]
  rule: CreationRule | undefined
  configPath: string | undefined
  /** Where the keys came from, for the summary line. */
  source: string
}

export interface KeyFlags {
  age?: string[] | undefined
  pgp?: string[] | undefined
  kms?: string[] | undefined
  encryptionContext?: string | undefined
  awsProfile?: string | undefined
}

export async function masterKeysFor(wc: WorkflowContext, absolutePath: string, flags: KeyFlags): Promise<KeyPlan> {
  const { keyGroupsFromRule, matchCreationRule, parseEncryptionContext } = await import('../config/index.js')
  const config = await wc.config()
  let rule: CreationRule | undefined
  if (config !== null) rule = matchCreationRule(config, absolutePath, wc.cwd)
  const cliKeys = {
    ...(flags.age !== undefined ? { age: flags.age } : {}),
    ...(flags.pgp !== undefined ? { pgp: flags.pgp } : {}),
    ...(flags.kms !== undefined ? { kms: flags.kms } : {}),
    ...(flags.encryptionContext !== undefined ? { encryptionContext: parseEncryptionContext(flags.encryptionContext) } : {}),
    ...(flags.awsProfile !== undefined ? { awsProfile: flags.awsProfile } : {}),
  }
  const { groups, source } = keyGroupsFromRule(rule, wc.keys.env, cliKeys)
  // a private key pasted where a recipient belongs must fail here, before anything is written
  checkAgeRecipients(
    groups.flatMap((g) => g.age),
    source === 'none' ? 'recipients' : source,
  )
  const keys = keysFromSpecs(groups, wc.keys.env, (m) => wc.warn(m))
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
