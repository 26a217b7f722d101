// `secrets exec-file ENV -- cmd --config {}`: the decrypted file (its own format or
// --output-type) at a private path put in place of `{}`; gone when the child exits.
import { basename, extname } from 'node:path'
import { SecretsError } from '../../errors.js'
import { withServedFile } from '../../io/served-file.js'
import { formatFromPath, parseFormat, storeFor, type Format } from '../../stores/index.js'
import { type Cli, usage } from '../context.js'
import { loadEnvironment } from '../delivery.js'
import { childExitCode } from './exec.js'

export interface ExecFileFlags {
  /** Pass SOPS_AGE_KEY on to the command (it is removed by default). */
  keepKeyEnv?: boolean
  inputType?: string
  outputType?: string
  /** The served file's name (sops' --filename). */
  filename?: string
  /** false (`--no-fifo`): a plain 0600 regular file. */
  fifo?: boolean
  decryptionOrder?: string
}

const EXTENSION: Record<Format, string> = { yaml: '.yaml', json: '.json', dotenv: '.env', ini: '.ini', binary: '' }

/** A name for the served file: one path component, printable, not `.`/`..`. */
function checkFilename(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name === '.' || name === '..' || /[/\\\u0000-\u001f\u007f]/.test(name) || Buffer.byteLength(name) > 255) {
    throw usage(`--filename takes a file name, not a path: ${JSON.stringify(name)}`, 'e.g. --filename config.yaml')
  }
  return name
}

export async function execFile(cli: Cli, arg: string, command: string[], flags: ExecFileFlags): Promise<void> {
  const [cmd, ...args] = command
  if (cmd === undefined) throw usage('no command to run', 'e.g. secrets exec-file production -- psql --config {}')
  if (!command.some((a) => a.includes('{}'))) throw usage('the command has no {} for the file path', 'e.g. secrets exec-file production -- cat {}')
  const filename = flags.filename !== undefined ? checkFilename(flags.filename) : undefined
  const inputFormat = flags.inputType !== undefined ? parseFormat(flags.inputType) : undefined
  // One file is served: an environment of several is refused (listing them) before anything is decrypted.
  const target = arg !== '-' ? await cli.target(arg) : undefined
  // A name without a known extension reads as a sops binary file (as in sops); when it is not one,
  // say that --input-type is the way out rather than quote a parser's complaint.
  const guessed = inputFormat === undefined && target !== undefined && formatFromPath(target.path) === 'binary'
  const unknownType = (e: unknown): unknown =>
    guessed && e instanceof SecretsError && e.code === 'input'
      ? new SecretsError('usage', 'cannot tell the format from the file name (no .yaml, .json, .env or .ini extension), and it is not a sops binary file', {
          file: cli.display(target.path),
          hint: 'give it with --input-type, e.g. --input-type yaml',
        })
      : e
  let bytes: Uint8Array
  let src: Awaited<ReturnType<typeof loadEnvironment>>['sources'][number]
  let outFormat: Format
  try {
    const { sources } = await loadEnvironment(cli, arg, { decryptionOrder: flags.decryptionOrder, inputFormat })
    const first = sources[0]
    if (first === undefined || sources.length !== 1) throw usage('exec-file serves one file', `name one of ${sources.map((s) => s.file).join(', ')}`)
    src = first
    outFormat = flags.outputType !== undefined ? parseFormat(flags.outputType) : src.format
    bytes = (await storeFor(outFormat)).emit({ branches: src.branches, metadata: null })
  } catch (e) {
    throw unknownType(e)
  }
  // Keep a telling name (programs pick a parser by extension): production.yaml, or production.json when converted.
  const base = basename(src.path)
  const name = filename ?? (outFormat === src.format || outFormat === 'binary' ? base : basename(base, extname(base)) + EXTENSION[outFormat])
  const code = await withServedFile(name, bytes, { regularFile: flags.fifo === false, env: cli.env }, async (path, kind) => {
    cli.info(`decrypted ${src.file} to ${kind === 'link' ? 'a private read-only file (unlinked, held open by secrets)' : 'a private file (mode 0600)'}, removed when the command ends`)
    return childExitCode(
      cmd.replaceAll('{}', path),
      args.map((a) => a.replaceAll('{}', path)),
      { env: cli.childEnv(flags.keepKeyEnv) },
    )
  })
  bytes.fill(0)
  process.exit(code)
}
