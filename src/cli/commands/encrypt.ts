// `secrets encrypt FILE|ENV`: encrypt for the master keys of the file's creation rule (or the
// keys given on the command line), refusing to write a file that would hold no encrypted value.
import { isAbsolute, resolve } from 'node:path'
import { SecretsError } from '../../errors.js'
import { RULE_KINDS, type SelectionRule } from '../../model/metadata.js'
import { readInput, writeFileAtomic, writeStdout } from '../../io/files.js'
import { storeFor } from '../../stores/index.js'
import { type Cli, formatFor, usage } from '../context.js'
import { encryptNew } from '../../workflows/encrypt.js'

export interface EncryptFlags {
  inPlace?: boolean
  output?: string
  age?: string[]
  pgp?: string[]
  kms?: string[]
  encryptionContext?: string
  awsProfile?: string
  inputType?: string
  outputType?: string
  filenameOverride?: string
  unencryptedSuffix?: string
  encryptedSuffix?: string
  unencryptedRegex?: string
  encryptedRegex?: string
  unencryptedCommentRegex?: string
  encryptedCommentRegex?: string
  macOnlyEncrypted?: boolean
  shamirSecretSharingThreshold?: number
  allowPlaintext?: boolean
  indent?: number
}

const FLAG_OF: Record<SelectionRule['kind'], keyof EncryptFlags> = {
  unencrypted_suffix: 'unencryptedSuffix',
  encrypted_suffix: 'encryptedSuffix',
  unencrypted_regex: 'unencryptedRegex',
  encrypted_regex: 'encryptedRegex',
  unencrypted_comment_regex: 'unencryptedCommentRegex',
  encrypted_comment_regex: 'encryptedCommentRegex',
}

function ruleFromFlags(flags: EncryptFlags): SelectionRule | undefined {
  const given = RULE_KINDS.filter((k) => typeof flags[FLAG_OF[k]] === 'string' && flags[FLAG_OF[k]] !== '')
  if (given.length > 1) throw usage(`only one selection rule may be given, not ${given.map((k) => '--' + k.replace(/_/g, '-')).join(' and ')}`)
  const kind = given[0]
  return kind === undefined ? undefined : { kind, value: flags[FLAG_OF[kind]] as string }
}

export async function encrypt(cli: Cli, arg: string, flags: EncryptFlags): Promise<void> {
  if (flags.output !== undefined && flags.inPlace) throw usage('--output and --in-place cannot be used together')
  const { path } = await cli.target(arg)
  if (path === '-' && flags.inPlace) throw usage('--in-place needs a file, not stdin')
  const rulePath = flags.filenameOverride ?? path
  if (rulePath === '-' && flags.inputType === undefined) {
    throw usage('encrypting stdin needs --filename-override or --input-type', 'e.g. --filename-override secrets/app.yaml')
  }
  const shown = path === '-' ? 'stdin' : cli.display(path)
  try {
    const inFormat = await formatFor(rulePath, flags.inputType)
    const outFormat = flags.outputType !== undefined ? await formatFor(rulePath, flags.outputType) : inFormat
    const parsed = (await storeFor(inFormat)).parse(readInput(path), 'plain')
    const absolute = rulePath === '-' ? resolve(cli.cwd, 'stdin') : isAbsolute(rulePath) ? rulePath : resolve(cli.cwd, rulePath)
    const res = await encryptNew(cli.workflow(), {
      plain: parsed,
      format: inFormat,
      outFormat,
      rulePath: absolute,
      keyFlags: flags,
      rule: ruleFromFlags(flags),
      macOnlyEncrypted: flags.macOnlyEncrypted,
      threshold: flags.shamirSecretSharingThreshold,
      allowPlaintext: flags.allowPlaintext,
      indent: flags.indent,
    })
    const { plan, threshold } = res
    const { encrypted, plain } = res.counts
    const out = res.bytes
    if (flags.inPlace) writeFileAtomic(path, out)
    else if (flags.output !== undefined) writeFileAtomic(flags.output, out)
    else await writeStdout(out)
    const kinds = new Map<string, number>()
    for (const k of plan.groups.flat()) kinds.set(k.kind, (kinds.get(k.kind) ?? 0) + 1)
    const keyList = [...kinds].map(([kind, n]) => `${n} ${kind} key${n === 1 ? '' : 's'}`).join(', ')
    const groupsNote = plan.groups.length > 1 ? ` in ${plan.groups.length} groups, ${threshold || plan.groups.length} needed` : ''
    cli.info(
      `encrypted ${encrypted} value${encrypted === 1 ? '' : 's'}, ${plain} left in clear; data key wrapped for ${keyList}${groupsNote}` +
        (flags.inPlace ? ` -> ${shown}` : flags.output !== undefined ? ` -> ${flags.output}` : ''),
    )
  } catch (e) {
    throw e instanceof SecretsError ? e.inFile(shown) : e
  }
}
