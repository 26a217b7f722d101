// `secrets audit [--since 7d] [--env E] [--json]` lists the trail; `secrets audit verify` checks its
// hash chain. The trail holds names, never values (see src/audit/trail.ts).
import { existsSync } from 'node:fs'
import { trailPath, readTrail, verifyTrail, type AuditEntry } from '../../audit/trail.js'
import { parseDuration } from '../../config/policies.js'
import { SecretsError } from '../../errors.js'
import { writeStdout } from '../../io/files.js'
import { type Cli, usage } from '../context.js'

interface Flags {
  since?: string
  env?: string
  json?: boolean
}

export async function audit(cli: Cli, action: string | undefined, flags: Flags): Promise<void> {
  const path = trailPath(cli.env, await cli.config())
  if (action !== undefined && action !== 'verify' && action !== 'list')
    throw usage(`unknown audit action "${action.slice(0, 20)}"`, 'use `secrets audit` to list, `secrets audit verify` to check the trail')
  if (path === null) {
    cli.info('the audit trail is turned off (audit: false in the config, or SECRETS_AUDIT=off)')
    return
  }
  if (!existsSync(path)) {
    cli.info(`no audit trail yet at ${cli.display(path)}`)
    return
  }
  let text: string
  try {
    text = readTrail(path)
  } catch (e) {
    throw new SecretsError('input', `cannot read the audit trail (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: cli.display(path), hint: 'check its permissions' })
  }
  if (action === 'verify') {
    const r = verifyTrail(text)
    if (!r.ok)
      throw new SecretsError('check', `the audit trail is broken: ${r.problem ?? 'unknown problem'}`, {
        file: cli.display(path),
        where: `line ${r.line ?? '?'}`,
        hint: 'restore the trail from a backup; entries after the break cannot be trusted',
      })
    cli.info(`the audit trail is intact: ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} (${cli.display(path)})`)
    return
  }
  let cutoff = 0
  if (flags.since !== undefined) {
    const ms = parseDuration(flags.since)
    const abs = Date.parse(flags.since)
    if (ms !== undefined) cutoff = Date.now() - ms
    else if (Number.isFinite(abs)) cutoff = abs
    else throw usage(`--since takes a duration such as 7d or a date such as 2026-01-31 (got "${flags.since.slice(0, 20)}")`)
  }
  const entries: AuditEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    let e: AuditEntry
    try {
      e = JSON.parse(line) as AuditEntry
    } catch {
      continue
    }
    if (Date.parse(e.time) < cutoff) continue
    if (flags.env !== undefined && e.env !== flags.env) continue
    entries.push(e)
  }
  if (flags.json) {
    await writeStdout(entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : ''))
    return
  }
  const rows = entries.map((e) =>
    [e.time.replace(/\.\d+Z$/, 'Z'), `${e.user}@${e.host}`, e.command, e.env ?? '-', e.file ?? '-', e.keys === undefined ? '' : e.keys.join(','), e.masterKey ?? '', e.outcome]
      .map((c) => [...c].map((ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? '?' : ch)).join(''))
      .join('  '),
  )
  await writeStdout(rows.length === 0 ? '' : rows.join('\n') + '\n')
}
