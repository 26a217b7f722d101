// `secrets exec ENV -- cmd args...`: the environment's variables go into the child's environment
// only (never argv, never disk); the child's exit code becomes ours.
import { checkVariables, mergeEnvironment } from '../../outputs/env.js'
import { runChild, SpawnError } from '../../io/child.js'
import { safeMessage } from '../../redact.js'
import { type Cli, usage } from '../context.js'
import { loadVariables, type VariableFlags } from '../delivery.js'

export interface ExecFlags extends VariableFlags {
  override?: boolean
  pristine?: boolean
  keep?: string[]
  shell?: boolean
  /** Pass SOPS_AGE_KEY on to the command (it is removed by default). */
  keepKeyEnv?: boolean
}

export async function exec(cli: Cli, arg: string, command: string[], flags: ExecFlags): Promise<void> {
  const [cmd, ...args] = command
  if (cmd === undefined) throw usage('no command to run', 'e.g. secrets exec production -- node server.js')
  if (flags.keep !== undefined && !flags.pristine) throw usage('--keep only makes sense with --pristine')
  const { vars, sources, name } = await loadVariables(cli, arg, flags)
  checkVariables(vars, { forProcess: true })
  const base: NodeJS.ProcessEnv = {}
  if (flags.pristine) {
    const parent = cli.childEnv(flags.keepKeyEnv)
    for (const name of flags.keep ?? []) if (parent[name] !== undefined) base[name] = parent[name]
  } else {
    Object.assign(base, cli.childEnv(flags.keepKeyEnv))
  }
  const { env, injected, kept } = mergeEnvironment(base, vars, { override: flags.override })
  const from = sources.length <= 3 ? sources.map((s) => s.file).join(', ') : `${name} (${sources.length} files)`
  cli.info(
    `injecting ${injected.length} variable${injected.length === 1 ? '' : 's'} from ${from}` +
      (kept.length > 0 ? `; already set, so kept (--override replaces them): ${kept.join(', ')}` : '') +
      (flags.pristine ? ' into an empty environment' : ''),
  )
  process.exit(await childExitCode(cmd, args, { env, shell: flags.shell, fallbackPath: cli.env.PATH }))
}

/** Run the child to its end; a command that cannot start gives 127/126 like a shell, with one line on stderr. */
export async function childExitCode(cmd: string, args: string[], opts: Parameters<typeof runChild>[2]): Promise<number> {
  try {
    return await runChild(cmd, args, opts)
  } catch (e) {
    if (!(e instanceof SpawnError)) throw e
    process.stderr.write(`secrets: ${safeMessage(e.message)} - check the command name and PATH\n`)
    return e.exitCode
  }
}
