// The command-line program's entry (bundled into dist/cli/bundle.js; dist/cli/main.js, generated
// from scripts/cli-entry.cjs, answers --help/--version itself and loads the bundle with a V8 code
// cache). Loads the commander program and maps errors to one stderr line and an exit code.
import { SecretsError } from '../errors.js'
import { EXIT_CODES } from './exit-codes.js'
import { safeMessage } from '../redact.js'
import { MAX_DEPTH } from '../tree/limits.js'

const debugEnabled = (): boolean => process.argv.includes('--debug') || process.env.SECRETS_DEBUG === '1'

/** A multi-line text (a stack trace) for stderr: each line redacted and escaped. */
const safeLines = (text: string): string => text.split('\n').map(safeMessage).join('\n')

function fail(e: unknown): never {
  if (e instanceof RangeError) {
    // A JS engine limit (stack depth, array or string length) that no store guard caught first:
    // the input was too large or too deep. Input problems exit 3, like every other one.
    e = new SecretsError('input', 'the input is too large or too deeply nested to process', {
      hint: `keep nesting under ${MAX_DEPTH} levels and split very large files; rerun with --debug for details`,
      cause: e,
    })
  }
  if (e instanceof SecretsError) {
    process.stderr.write(`secrets: ${e.line()}\n`)
    if (debugEnabled() && e.stack) process.stderr.write(safeLines(e.stack) + '\n')
    process.exit(EXIT_CODES[e.code])
  }
  // commander's own errors (help shown, unknown option...) carry a `commander.*` code
  const c = e as { code?: unknown; exitCode?: unknown }
  if (typeof c.code === 'string' && c.code.startsWith('commander.')) process.exit(c.exitCode === 0 ? 0 : EXIT_CODES.usage)
  // Unknown errors may quote input text (JSON.parse does): print no message unless debugging.
  const name = e instanceof Error ? e.name : typeof e
  if (debugEnabled()) process.stderr.write(safeLines(`secrets: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`) + '\n')
  else process.stderr.write(`secrets: unexpected error (${name}) - rerun with --debug for details, and please report it\n`)
  process.exit(EXIT_CODES.internal)
}

// A reader that went away (`secrets decrypt f | head -1`) ends the command quietly with 141 (128+SIGPIPE,
// what a shell reports for a program killed by SIGPIPE), as sops does. Other stdout errors are reported.
const EXIT_STDOUT_CLOSED = 141
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(EXIT_STDOUT_CLOSED)
    if (stream === process.stdout) fail(new SecretsError('io', `cannot write to stdout (${e.code ?? 'error'})`, { hint: 'check where the output goes' }))
    process.exit(EXIT_CODES.io)
  })
}

void (async () => {
  try {
    const { buildProgram } = await import('./program.js')
    await buildProgram(process.argv.slice(2)).parseAsync(process.argv)
  } catch (e) {
    fail(e)
  }
})()
