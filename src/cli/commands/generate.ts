// `secrets generate ENV`: fill every key declared under `generate:` that the environment lacks.
// `secrets rotate-values ENV --due`: renew generated values older than their rotation policy; report
// (never change) overdue values no generator can make. One locked, atomic write per file.
import { generators, rotationFor } from '../../config/policies.js'
import { SecretsError } from '../../errors.js'
import { writeStdout } from '../../io/files.js'
import { setAtPath } from '../../tree/mutate.js'
import { leafFingerprints } from '../../model/value-ages.js'
import { formatGeneratorSpec, generateValue, type GeneratorSpec } from '../../util/generate.js'
import { inventoryOf, variableAges, type Inventory } from '../../values/inventory.js'
import { humanAge } from '../../values/status-report.js'
import { type Cli, usage } from '../context.js'
import { modify } from './set.js'

interface Flags {
  dryRun?: boolean
  show?: boolean
}

async function load(cli: Cli, env: string): Promise<{ inv: Inventory; gens: Map<string, GeneratorSpec>; config: NonNullable<Awaited<ReturnType<Cli['config']>>> }> {
  if (env === '-') throw usage('this command needs an environment name, not stdin')
  const config = await cli.config()
  if (config === null) throw new SecretsError('config', 'no .secretsrc.yaml or .sops.yaml found', { hint: 'run `secrets init`, then declare generators under policies in .secretsrc.yaml' })
  const inv = await inventoryOf({ cwd: cli.cwd, config, ctx: cli.keyContext(), display: (p) => cli.display(p) }, env)
  for (const f of inv.files) if (f.metadata === null) throw new SecretsError('input', 'the file is not encrypted', { file: f.file, hint: `encrypt it first: secrets encrypt -i ${f.file}` })
  return { inv, gens: generators(config.policies, inv.name), config }
}

/** Write `values` (top-level key -> new value) into the environment's first file, under its lock. */
async function write(cli: Cli, inv: Inventory, values: Map<string, string>, verb: string, flags: Flags): Promise<void> {
  const target = inv.files[0]
  if (target === undefined) throw new SecretsError('input', `the environment ${inv.name} has no file`, { hint: `create it with \`secrets edit ${inv.name}\`` })
  const fileOf = new Map(inv.vars.map((v) => [v.name, inv.files.find((f) => f.file === v.file) ?? target]))
  // Each value goes back to the file that holds it (new ones to the first file): one write per file.
  const byFile = new Map<string, { path: string; entries: [string, string][] }>()
  for (const [k, v] of values) {
    const f = fileOf.get(k) ?? target
    const slot = byFile.get(f.path) ?? { path: f.path, entries: [] }
    slot.entries.push([k, v])
    byFile.set(f.path, slot)
  }
  for (const { path, entries } of byFile.values()) {
    await modify(cli, path, {}, (f, branch) => {
      for (const [k, v] of entries) setAtPath(branch, [k], { kind: 'str', value: v })
      return { write: true, notes: [`${verb} ${entries.map(([k]) => k).join(', ')} in ${cli.display(f.path)}`] }
    })
  }
  if (flags.show) await writeStdout([...values].map(([k, v]) => `${k}=${v}\n`).join(''))
}

export async function generate(cli: Cli, env: string, flags: Flags): Promise<void> {
  const { inv, gens } = await load(cli, env)
  if (gens.size === 0) {
    cli.info(`no generators are declared for ${inv.name} (policies.${inv.name}.generate or policies."*".generate in the config)`)
    return
  }
  const have = new Set(inv.vars.map((v) => v.name))
  const missing = [...gens].filter(([k]) => !have.has(k))
  if (missing.length === 0) {
    cli.info(`every generated key of ${inv.name} is present (${[...gens.keys()].join(', ')}); nothing to do`)
    return
  }
  if (flags.dryRun) {
    for (const [k, spec] of missing) cli.info(`would generate ${k} (${formatGeneratorSpec(spec)})`)
    return
  }
  await write(cli, inv, new Map(missing.map(([k, spec]) => [k, generateValue(spec)])), 'generated', flags)
}

export async function rotateValues(cli: Cli, env: string, keys: string[], flags: Flags & { due?: boolean }): Promise<void> {
  if (!flags.due && keys.length === 0) throw usage('say which values to renew', `--due renews the generated values past their rotation policy; or name keys: secrets rotate-values ${env} KEY...`)
  const { inv, gens, config } = await load(cli, env)
  const nowSec = Math.floor(Date.now() / 1000)
  const { agesFromGit } = await import('../../values/ages-git.js')
  const ages = variableAges(inv, nowSec, (f) => agesFromGit(f.path, leafMap(f)))
  const renew = new Map<string, GeneratorSpec>()
  const reportOnly: string[] = []
  for (const k of keys) {
    const spec = gens.get(k)
    if (spec === undefined) throw usage(`${k} has no generator`, `declare one under policies.${inv.name}.generate, or change it with \`secrets set ${inv.name} ${k}\``)
    renew.set(k, spec)
  }
  if (flags.due) {
    for (const v of inv.vars) {
      const rule = rotationFor(config.policies, inv.name, v.name)
      const age = ages.get(v.name)
      if (rule === undefined || age?.sec === undefined || age.sec * 1000 <= rule.maxAgeMs) continue
      const spec = gens.get(v.name)
      if (spec !== undefined) renew.set(v.name, spec)
      else reportOnly.push(`${v.name} is ${humanAge(age.sec)} old (policy ${rule.text}) and has no generator: rotate it at its source, then \`secrets set ${inv.name} ${v.name}\``)
    }
  }
  for (const line of reportOnly) cli.warn(`due: ${line}`)
  if (renew.size === 0) {
    cli.info(`no generated value of ${inv.name} is due`)
    return
  }
  if (flags.dryRun) {
    for (const [k, spec] of renew) cli.info(`would renew ${k} (${formatGeneratorSpec(spec)})`)
    return
  }
  await write(cli, inv, new Map([...renew].map(([k, spec]) => [k, generateValue(spec)])), 'renewed', flags)
}

function leafMap(f: Inventory['files'][number]): Map<string, string> {
  const b = f.parsed.branches[0]
  return b === undefined ? new Map<string, string>() : leafFingerprints(b)
}
