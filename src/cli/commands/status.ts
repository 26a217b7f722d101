// `secrets status [ENV...] [--json] [--check] [--html FILE]`: per environment its files, master keys,
// whether you can open them, key count, missing required keys, values past their rotation policy,
// key drift from the creation rule; plus files a rule covers that are not encrypted. Never a value.
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { generators, missingRequired, requiredKeys, rotationFor } from '../../config/policies.js'
import type { LoadedConfig } from '../../config/types.js'
import { SecretsError } from '../../errors.js'
import { readInput, writeFileAtomic, writeStdout } from '../../io/files.js'
import { groupsFromMetadata, unwrapDataKey } from '../../keys/index.js'
import { formatFromPath, storeFor } from '../../stores/index.js'
import { leafFingerprints } from '../../model/value-ages.js'
import { environmentNames, inventoryOf, variableAges } from '../../values/inventory.js'
import { complianceOf, renderStatusHtml, renderStatusText, type EnvironmentStatus, type FileStatus, type StatusReport, type ValueAge } from '../../values/status-report.js'
import { formatGeneratorSpec, type GeneratorSpec } from '../../util/generate.js'
import { type Cli } from '../context.js'
import { keyDriftFor } from '../drift.js'

interface Flags {
  json?: boolean
  check?: boolean
  html?: string
  open?: boolean
}

export async function status(cli: Cli, envs: string[], flags: Flags): Promise<void> {
  const config = await cli.config()
  const { listEnvironments } = await import('../../config/targets.js')
  const names = envs.length > 0 ? environmentNames(config, envs) : [...listEnvironments(config, cli.cwd).keys()]
  const nowSec = Math.floor(Date.now() / 1000)
  const { agesFromGit } = await import('../../values/ages-git.js')
  const environments: EnvironmentStatus[] = []
  const problems: string[] = []
  const seenFiles = new Set<string>()
  for (const name of names) {
    const env: EnvironmentStatus = { name, files: [], keyCount: 0, missingRequired: [], values: [], overdue: [], error: undefined }
    environments.push(env)
    try {
      const inv = await inventoryOf({ cwd: cli.cwd, config, ctx: cli.keyContext(), display: (p) => cli.display(p) }, name)
      const ages = variableAges(inv, nowSec, (f) => agesFromGit(f.path, f.parsed.branches[0] ? leafFingerprints(f.parsed.branches[0]) : new Map<string, string>()))
      const gens = config ? generators(config.policies, inv.name) : new Map<string, GeneratorSpec>()
      for (const f of inv.files) {
        seenFiles.add(f.path)
        const fs: FileStatus = {
          file: f.file,
          format: f.format,
          encrypted: f.metadata !== null,
          masterKeys: [],
          canOpen: undefined,
          openError: undefined,
          keyCount: inv.vars.filter((v) => v.file === f.file).length,
          drift: undefined,
        }
        env.files.push(fs)
        if (f.metadata === null) {
          problems.push(`${f.file} (${name}) is not encrypted`)
          continue
        }
        const groups = groupsFromMetadata(f.metadata.keyGroups)
        for (const [type, entries] of f.metadata.keyGroups.flatMap((g) => Object.entries(g))) {
          for (const e of entries ?? []) fs.masterKeys.push(`${type}:${identity(e)}`)
        }
        if (flags.open !== false) {
          try {
            const key = await unwrapDataKey(groups, f.metadata.shamirThreshold, { env: cli.env, warn: () => undefined })
            key.fill(0)
            fs.canOpen = true
          } catch (e) {
            fs.canOpen = false
            fs.openError = e instanceof SecretsError ? e.message.split(':')[0] : 'cannot open'
          }
        }
        const drift = await keyDriftFor(cli, f.path, groups, f.metadata.shamirThreshold).catch(() => null)
        if (drift !== null) {
          fs.drift = { added: drift.added.map((r) => `${r.kind}:${r.id}`), removed: drift.removed.map((r) => `${r.kind}:${r.id}`) }
          problems.push(`${f.file} (${name}): master keys differ from its creation rule (run secrets updatekeys ${f.file})`)
        }
      }
      env.keyCount = inv.vars.length
      env.missingRequired = config
        ? missingRequired(
            requiredKeys(config.policies, inv.name),
            inv.vars.map((v) => v.name),
          )
        : []
      for (const m of env.missingRequired) problems.push(`${name} lacks the required key ${m}`)
      for (const v of inv.vars) {
        const rule = config ? rotationFor(config.policies, inv.name, v.name) : undefined
        const age = ages.get(v.name)
        const overdue = rule !== undefined && age?.sec !== undefined && age.sec * 1000 > rule.maxAgeMs
        const spec = gens.get(v.name)
        const va: ValueAge = {
          name: v.name,
          file: v.file ?? '',
          ageSec: age?.sec,
          ageSource: age?.source ?? 'unknown',
          limitSec: rule === undefined ? undefined : Math.floor(rule.maxAgeMs / 1000),
          limitText: rule?.text,
          overdue,
          generator: spec === undefined ? undefined : formatGeneratorSpec(spec),
        }
        env.values.push(va)
        if (overdue) {
          env.overdue.push(va)
          problems.push(`${name}: ${v.name} is past its rotation policy (${rule?.text})`)
        }
      }
    } catch (e) {
      env.error = e instanceof SecretsError ? e.line() : 'cannot read the environment'
      problems.push(`${name}: ${env.error}`)
    }
  }
  const plaintextFiles = config ? await uncoveredPlaintext(cli, config, seenFiles) : []
  for (const p of plaintextFiles) problems.push(`${p} is covered by a creation rule but not encrypted`)
  const report: StatusReport = {
    generatedAt: new Date(nowSec * 1000).toISOString(),
    environments,
    plaintextFiles,
    compliance: complianceOf(environments.flatMap((e) => e.values)),
    problems,
  }
  if (flags.html !== undefined) {
    const out = resolve(cli.cwd, flags.html)
    writeFileAtomic(out, new TextEncoder().encode(renderStatusHtml(report)), 0o644)
    cli.info(`wrote ${cli.display(out)}`)
  }
  await writeStdout(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderStatusText(report))
  if (flags.check && problems.length > 0) {
    throw new SecretsError('check', `${problems.length} problem${problems.length === 1 ? '' : 's'} found`, { hint: 'see the report above; fix them, or drop --check' })
  }
}

function identity(e: Record<string, unknown>): string {
  for (const k of ['recipient', 'fp', 'arn', 'resource_id', 'vault_url', 'vault_address']) {
    const v = e[k]
    if (typeof v === 'string' && v !== '') return k === 'vault_url' && typeof e.name === 'string' ? `${v}/keys/${e.name}` : v
  }
  return '?'
}

/** Files under the secrets folder (and the environments' files) that hold no sops metadata. */
async function uncoveredPlaintext(cli: Cli, config: LoadedConfig, seen: Set<string>): Promise<string[]> {
  const root = resolve(config.dir, config.secretsDir)
  const out: string[] = []
  const files: string[] = []
  const walk = (dir: string, depth: number): void => {
    if (depth > 8 || files.length > 10_000) return
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue
      const p = join(dir, n)
      let st
      try {
        st = statSync(p)
      } catch {
        continue
      }
      if (st.isDirectory()) walk(p, depth + 1)
      else if (st.isFile()) files.push(p)
    }
  }
  walk(root, 0)
  const { findCreationRule } = await import('../../config/match.js')
  for (const p of files) {
    if (seen.has(p) || /\.(md|txt|lock)$/i.test(p)) continue // an environment's own files are reported with it
    let rule
    try {
      rule = findCreationRule(config, p, cli.cwd)
    } catch {
      continue
    }
    if (rule === null) continue
    try {
      const parsed = (await storeFor(formatFromPath(p))).parse(readInput(p), 'encrypted')
      if (parsed.metadata === null) out.push(cli.display(p))
    } catch {
      // unreadable or not a sops file of its format (a binary file without the wrapper): plaintext too
      if (formatFromPath(p) === 'binary') out.push(cli.display(p))
    }
  }
  return out
}
