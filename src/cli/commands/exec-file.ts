// `secrets exec-file ENV -- cmd --config {}`: the decrypted file (its own format or
// --output-type) at a private path put in place of `{}`; gone when the child exits.
import { basename, extname } from 'node:path'
import { withServedFile } from '../../io/served-file.js'
import { parseFormat, storeFor, type Format } from '../../stores/index.js'
import { type Cli, usage } from '../context.js'
import { loadEnvironment } from '../delivery.js'
import { childExitCode } from './exec.js'

export interface ExecFileFlags {
  /** Pass SOPS_AGE_KEY on to the command (it is removed by default). */
  keepKeyEnv?: boolean
  outputType?: string
  fifo?: boolean
  decryptionOrder?: string
}

const EXTENSION: Record<Format, string> = { yaml: '.yaml', json: '.json', dotenv: '.env', ini: '.ini', binary: '' }

export async function execFile(cli: Cli, arg: string, command: string[], flags: ExecFileFlags): Promise<void> {
  const [cmd, ...args] = command
  if (cmd === undefined) throw usage('no command to run', 'e.g. secrets exec-file production -- psql --config {}')
  if (!command.some((a) => a.includes('{}'))) throw usage('the command has no {} for the file path', 'e.g. secrets exec-file production -- cat {}')
  // One file is served: an environment of several is refused (listing them) before anything is decrypted.
  if (arg !== '-') await cli.target(arg)
  const { sources } = await loadEnvironment(cli, arg, flags)
  const src = sources[0]
  if (src === undefined || sources.length !== 1) throw usage('exec-file serves one file', `name one of ${sources.map((s) => s.file).join(', ')}`)
  const outFormat = flags.outputType !== undefined ? parseFormat(flags.outputType) : src.format
  const bytes = (await storeFor(outFormat)).emit({ branches: src.branches, metadata: null })
  // Keep a telling name (programs pick a parser by extension): production.yaml, or production.json when converted.
  const base = basename(src.path)
  const name = outFormat === src.format || outFormat === 'binary' ? base : basename(base, extname(base)) + EXTENSION[outFormat]
  await cli.writeAudit('exec-file', 'delivered')
  const code = await withServedFile(name, bytes, { fifo: flags.fifo ?? true, env: cli.env }, async (path, kind) => {
    cli.info(`decrypted ${src.file} to a private ${kind === 'fifo' ? 'FIFO' : 'file (mode 0600)'}, removed when the command ends`)
    return childExitCode(
      cmd.replaceAll('{}', path),
      args.map((a) => a.replaceAll('{}', path)),
      { env: cli.childEnv(flags.keepKeyEnv) },
    )
  })
  bytes.fill(0)
  process.exit(code)
}
