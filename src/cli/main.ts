#!/usr/bin/env node
// The `secrets` entry point: answers `--help` and `--version` without loading anything, else
// loads the command-line program (src/cli/program.ts) and maps errors to one stderr line and
// an exit code. Kept tiny: every millisecond here is paid by every invocation.
import { SecretsError } from '../errors.js'
import { EXIT_CODES } from './exit-codes.js'
import { VERSION } from '../version.js'
import { redactSecrets } from '../redact.js'

/** Replaced at bundle time by the program's own `--help` text (scripts/bundle.mjs). */
declare const __SECRETS_HELP__: string | undefined

const debugEnabled = (): boolean => process.argv.includes('--debug') || process.env.SECRETS_DEBUG === '1'

function fail(e: unknown): never {
  if (e instanceof SecretsError) {
    process.stderr.write(`secrets: ${e.line()}\n`)
    if (debugEnabled() && e.stack) process.stderr.write(redactSecrets(e.stack) + '\n')
    process.exit(EXIT_CODES[e.code])
  }
  // commander's own errors (help shown, unknown option...) carry a `commander.*` code
  const c = e as { code?: unknown; exitCode?: unknown }
  if (typeof c.code === 'string' && c.code.startsWith('commander.')) process.exit(c.exitCode === 0 ? 0 : EXIT_CODES.usage)
  // Unknown errors may quote input text (JSON.parse does): print no message unless debugging.
  const name = e instanceof Error ? e.name : typeof e
  if (debugEnabled()) process.stderr.write(redactSecrets(`secrets: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`))
  else process.stderr.write(`secrets: unexpected error (${name}) - rerun with --debug for details, and please report it\n`)
  process.exit(EXIT_CODES.internal)
}

const argv = process.argv.slice(2)
const prebuiltHelp = typeof __SECRETS_HELP__ === 'string' && process.env.SECRETS_FULL_HELP !== '1' ? __SECRETS_HELP__ : undefined
if (prebuiltHelp !== undefined && (argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')))) {
  // no arguments: help on stderr and the usage exit code, as the commander path does
  if (argv.length === 0) {
    process.stderr.write(prebuiltHelp)
    process.exitCode = EXIT_CODES.usage
  } else process.stdout.write(prebuiltHelp)
} else if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(VERSION + '\n')
} else {
  try {
    const { buildProgram } = await import('./program.js')
    await buildProgram(argv).parseAsync(process.argv)
  } catch (e) {
    fail(e)
  }
}
