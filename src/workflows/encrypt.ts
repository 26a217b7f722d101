// Encrypting a new file for its creation rule, the one path the CLI (encrypt, edit of a new file,
// init) and the library (encryptFile) share, so every guard holds for all of them: not already
// encrypted, master keys found and valid, a selection rule that compiles, and a refusal to write
// a file whose rule leaves every value in clear (unless allowPlaintext). Returns the bytes to write.
import { encryptDocument } from '../document/index.js'
import { SecretsError } from '../errors.js'
import type { SelectionRule } from '../model/metadata.js'
import { ruleProblem } from '../model/select.js'
import { storeFor, type Format } from '../stores/index.js'
import type { ParsedFile } from '../tree/types.js'
import type { WalkCounts } from '../document/walk.js'
import { shown, type WorkflowContext } from './context.js'
import { configIndent } from './files.js'
import { masterKeysFor, type KeyFlags, type KeyPlan } from './keys.js'

export interface EncryptNewOptions {
  /** The plain file as parsed. */
  plain: ParsedFile
  /** Its format; `outFormat` (default the same) is written. */
  format: Format
  outFormat?: Format | undefined
  /** Absolute path the creation rule is matched against. */
  rulePath: string
  /** Master keys given by the caller (replace the rule's, as in sops). */
  keyFlags?: KeyFlags
  /** The keys, when the caller had to know them earlier (edit asks before the editor opens). */
  plan?: KeyPlan
  /** A selection rule given by the caller instead of the creation rule's. */
  rule?: SelectionRule | undefined
  macOnlyEncrypted?: boolean | undefined
  threshold?: number | undefined
  /** Write the file even when the rule leaves every value in clear. */
  allowPlaintext?: boolean | undefined
  indent?: number | undefined
}

export interface EncryptedNew {
  bytes: Uint8Array
  counts: WalkCounts
  plan: KeyPlan
  threshold: number
  /** Where the selection rule came from, for messages. */
  ruleSource: string
}

/** Why the rule that would apply cannot be used (checked before an editor opens); undefined when fine. */
export function selectionProblem(rule: SelectionRule | null | undefined): string | undefined {
  return rule ? ruleProblem(rule) : undefined
}

export async function encryptNew(wc: WorkflowContext, o: EncryptNewOptions): Promise<EncryptedNew> {
  if (o.plain.metadata !== null) {
    throw new SecretsError('exists', 'the file is already encrypted', { hint: 'to change its keys use `secrets rotate`/`updatekeys`; to re-encrypt, decrypt it first' })
  }
  const plan = o.plan ?? (await masterKeysFor(wc, o.rulePath, o.keyFlags ?? {}))
  const binary = o.format === 'binary'
  if (binary && (o.rule !== undefined || plan.rule?.selection !== undefined)) wc.warn('selection rules do not apply to binary files: the whole file is encrypted')
  const rule: SelectionRule | null | undefined = binary ? null : (o.rule ?? plan.rule?.selection)
  const problem = selectionProblem(rule)
  if (problem !== undefined) throw new SecretsError('usage', problem, { hint: 'fix the expression (Go RE2 syntax; no look-around)' })
  const ruleSource =
    o.rule !== undefined
      ? `--${o.rule.kind.replace(/_/g, '-')} ${o.rule.value}`
      : plan.rule?.selection !== undefined
        ? `${plan.rule.selection.kind} ${plan.rule.selection.value} from ${plan.rule.description} in ${shown(wc, plan.configPath ?? '')}`
        : 'default: keys ending in _unencrypted stay clear'
  const macOnlyEncrypted = !binary && (o.macOnlyEncrypted ?? plan.rule?.macOnlyEncrypted ?? false)
  const threshold = o.threshold ?? plan.rule?.shamirThreshold ?? 0
  const res = await encryptDocument(o.plain, { groups: plan.groups, threshold, rule, macOnlyEncrypted, ctx: wc.keys })
  const { encrypted, plain } = res.counts
  if (encrypted === 0 && plain > 0 && !o.allowPlaintext) {
    throw new SecretsError('plaintext', `the selection rule (${ruleSource}) leaves all ${plain} values in clear`, {
      hint: 'fix the rule, or pass --allow-plaintext if that is really meant',
    })
  }
  const outFormat = o.outFormat ?? o.format
  const indent = o.indent ?? configIndent(await wc.config(), outFormat)
  const bytes = (await storeFor(outFormat)).emit(res.file, indent !== undefined ? { indent } : {})
  return { bytes, counts: res.counts, plan, threshold, ruleSource }
}
