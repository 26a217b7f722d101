// `secrets updatekeys [FILES...] [--all]`: make each file's master keys and threshold match its
// creation rule. Shows the change, asks (or needs --yes), then per file under its lock re-wraps
// the same data key, or rotates it when someone loses access (a removed key can have kept it).
import { createInterface } from 'node:readline/promises'
import { keyGroupsFromRule, matchCreationRule, type CreationRule, type KeyGroupSpec } from '../../config/index.js'
import { readMetadata } from '../../model/metadata.js'
import { escapeControls } from '../../redact.js'
import { SecretsError } from '../../errors.js'
import { readInput } from '../../io/files.js'
import { withFileLock } from '../../io/lock.js'
import { groupsFromMetadata } from '../../keys/index.js'
import { diffGroups, keysFromSpecs, type KeysDiff } from '../../keys/groups.js'
import { formatFromPath, storeFor } from '../../stores/index.js'
import { forEachFile, plural } from '../batch.js'
import { type Cli, decryptionOrder, usage } from '../context.js'
import { withEncryptedFile, writeEncrypted } from '../../workflows/files.js'
import { resolveTargets } from '../targets.js'

export interface UpdatekeysFlags {
  all?: boolean
  yes?: boolean
  /** commander's --no-rotate: false when given. */
  rotate?: boolean
  ignoreMac?: boolean
  shamirSecretSharingThreshold?: number
}

interface Plan {
  path: string
  bytes: Uint8Array
  rule: CreationRule
  specs: KeyGroupSpec[]
  threshold: number
  diff: KeysDiff
}

/** What the file has vs what its rule wants; needs no key, so it works as a dry run anywhere. */
async function planFor(cli: Cli, path: string, flags: UpdatekeysFlags): Promise<Plan> {
  const config = await cli.config()
  const rule = config === null ? undefined : matchCreationRule(config, path, cli.cwd)
  if (config === null || rule === undefined) {
    throw new SecretsError('config', 'no creation rules to take the keys from', { hint: 'updatekeys compares files with the creation_rules of .secretsrc.yaml / .sops.yaml (`secrets init` writes one)' })
  }
  const bytes = readInput(path)
  const md = readMetadata((await storeFor(formatFromPath(path))).parse(bytes, 'encrypted').metadata)
  // The rule alone decides (as in sops): recipient variables such as SOPS_AGE_RECIPIENTS are for new files.
  const { groups: specs } = keyGroupsFromRule(rule, {}, {})
  const wanted = keysFromSpecs(specs, cli.env, (m) => cli.warn(m))
  if (wanted.length === 0) throw new SecretsError('config', `${rule.description} names no master keys`, { file: config.path, hint: 'add age (or pgp/kms) keys to the rule' })
  // As for a new file: the rule's threshold, none meaning every group (the drift `edit` warns about).
  const threshold = flags.shamirSecretSharingThreshold ?? rule.shamirThreshold ?? 0
  if (!Number.isInteger(threshold) || threshold < 0) throw usage('--shamir-secret-sharing-threshold must be a whole number')
  if (wanted.length > 1 && threshold === 1) throw usage('a threshold of 1 cannot split the data key: with several key groups it must be 2 or more', 'use one key group if any single key should open the file')
  const diff = diffGroups(groupsFromMetadata(md.keyGroups), md.shamirThreshold, wanted, threshold)
  return { path, bytes, rule, specs, threshold, diff }
}

function describe(cli: Cli, p: Plan, rotate: boolean): string {
  const several = p.diff.groups.length > 1
  const lines = [`${cli.display(p.path)}, to match ${p.rule.description}:`]
  p.diff.groups.forEach((g, i) => {
    const pad = several ? '    ' : '  '
    if (several) lines.push(`  group ${i + 1}:${g.common.length + g.added.length === 0 ? ' (removed)' : ''}`)
    for (const k of g.common) lines.push(`${pad}  ${escapeControls(k)}`)
    for (const k of g.added) lines.push(`${pad}+ ${escapeControls(k)}`)
    for (const k of g.removed) lines.push(`${pad}- ${escapeControls(k)}`)
  })
  const { from, to } = p.diff.threshold
  if (from !== to) lines.push(`  groups needed to decrypt: ${from} -> ${to}`)
  if (p.diff.accessRemoved) {
    const why = p.diff.groups.some((g) => g.removed.length > 0) ? 'a key is removed' : 'more key groups are needed'
    lines.push(rotate ? `  the data key will be rotated: ${why}, and whoever could decrypt before may have kept the old data key` : `  the data key is kept (--no-rotate) although ${why}: anyone who kept it can decrypt values written later`)
  }
  return lines.join('\n') + '\n'
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  // Ctrl-C at the prompt: nothing has been written and no lock is held yet.
  rl.on('SIGINT', () => {
    process.stderr.write('\n')
    process.exit(130)
  })
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve('')) // end of input counts as "no"
      rl.question(question).then(resolve, () => resolve(''))
    })
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

export async function updatekeys(cli: Cli, args: string[], flags: UpdatekeysFlags): Promise<void> {
  const rotateOnRemoval = flags.rotate !== false
  const files = await resolveTargets(cli, args, { all: flags.all })
  if (files.length === 0) {
    cli.info('no encrypted file is covered by a creation rule')
    return
  }
  const plans = (await forEachFile(cli, files, 'reading', (path) => planFor(cli, path, flags), { writes: false })).map((r) => r.result)
  const changing = plans.filter((p) => p.diff.changed)
  for (const p of plans) if (!p.diff.changed) cli.info(`${cli.display(p.path)}: keys already match ${p.rule.description}`)
  if (changing.length === 0) return

  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true
  const asking = !flags.yes && interactive
  // The change is shown even with --quiet when we are about to ask about it.
  if (!cli.opts.quiet || asking) process.stderr.write(changing.map((p) => describe(cli, p, rotateOnRemoval)).join(''))
  if (!flags.yes) {
    if (!interactive) {
      throw usage(`not changing the keys of ${plural(changing.length, 'file')} without confirmation: there is no terminal to ask on`, 'review the changes above and rerun with --yes')
    }
    if (!(await confirm(`apply these key changes to ${plural(changing.length, 'file')}? [y/N] `))) {
      cli.info('nothing changed')
      return
    }
  }

  const order = decryptionOrder(undefined, cli.env)
  const results = await forEachFile(cli, changing.map((p) => p.path), 'updating keys', (path) =>
    withFileLock(path, async () => {
      let plan = changing.find((p) => p.path === path) as Plan
      if (Buffer.compare(readInput(path), plan.bytes) !== 0) {
        // Changed since it was shown (a concurrent set, say): fine unless its keys changed too.
        const again = await planFor(cli, path, flags)
        if (JSON.stringify([again.diff.groups, again.diff.threshold]) !== JSON.stringify([plan.diff.groups, plan.diff.threshold])) {
          throw new SecretsError('io', "the file's keys changed while waiting for confirmation; nothing was written", { hint: 'run updatekeys again' })
        }
        plan = again
      }
      const rotate = rotateOnRemoval && plan.diff.accessRemoved
      // Values are decrypted either way: it proves the data key is right before it is re-wrapped.
      // The MAC matters only when rotating (a new MAC would vouch for whatever the file holds).
      const opts = { format: formatFromPath(path), bytes: plan.bytes, ignoreMac: !rotate || (flags.ignoreMac ?? false), decryptionOrder: order }
      return withEncryptedFile(cli.workflow(), path, opts, async (f) => {
        const groups = keysFromSpecs(plan.specs, cli.env, () => {})
        const file = rotate ? (await f.doc.rotate(groups, plan.threshold)).file : await f.doc.rewrap(f.parsed, groups, plan.threshold)
        await writeEncrypted(cli.workflow(), path, f.store, file)
        return { rotate }
      })
    }),
  )
  const rotated = results.filter((r) => r.result.rotate).length
  if (results.length === 1 && results[0] !== undefined) {
    cli.info(`updated the keys of ${cli.display(results[0].path)} (${rotated === 1 ? 'new data key, every value re-encrypted' : 'same data key, values unchanged'})`)
  } else {
    cli.info(`updated the keys of ${plural(results.length, 'file')} (${rotated} with a new data key)`)
  }
}
