// Variables as text for other programs to read back exactly: .env (the `dotenv` package's parser,
// and dotenvx's), the docker --env-file dialect, `export` lines for a POSIX shell, and JSON.
import { SecretsError } from '../errors.js'
import { formatPath } from '../tree/path.js'
import { checkVariables, type EnvVar } from './env.js'

export type DotenvFormat = 'dotenv' | 'docker' | 'shell' | 'json'
export const DOTENV_FORMATS: readonly DotenvFormat[] = ['dotenv', 'docker', 'shell', 'json']

export interface RenderedText {
  text: string
  /** Names (never values) with a note for the user; no format warns today (values that a reader
   *  would see differently are refused instead), kept for library callers' onWarning. */
  warnings: string[]
}

/** Render variables in one format. Names must be valid variable names; values must fit the format. */
export function renderVariables(vars: readonly EnvVar[], format: DotenvFormat): RenderedText {
  checkVariables(vars)
  const warnings: string[] = []
  let text: string
  switch (format) {
    case 'dotenv':
      checkDotenvValues(vars)
      text = vars.map((v) => `${v.name}=${dotenvQuote(v.value)}\n`).join('')
      break
    case 'shell':
      text = vars.map((v) => `export ${v.name}=${shellQuote(noNul(v))}\n`).join('')
      break
    case 'docker':
      text = vars.map((v) => `${v.name}=${dockerValue(v)}\n`).join('')
      break
    case 'json': {
      const o: Record<string, string> = {}
      for (const v of vars) o[v.name] = v.value
      text = JSON.stringify(o, null, 2) + '\n'
      break
    }
  }
  return { text, warnings }
}

// A shell drops NUL bytes while reading a script, so the variable would differ from the value.
function noNul(v: EnvVar): string {
  if (!v.value.includes('\0')) return v.value
  throw new SecretsError('input', `the value of ${v.name} contains a NUL byte, which no shell variable can hold`, {
    where: formatPath(v.path),
    file: v.file,
    hint: 'use --format json, or render docker-secrets (one file per value)',
  })
}

/** POSIX single quotes: everything literal; a `'` becomes `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

// A .env file is read by three kinds of reader, and what `render dotenv` writes must mean the same
// value to each of them and run nothing in any:
// - the `dotenv` package (v16-v18): single quotes and backticks are literal up to the closing
//   quote (line breaks included); double quotes turn `\n` and `\r` into line breaks and nothing
//   else; no style escapes its own quote mark; CR LF / CR become LF in the whole file first;
// - dotenvx: the same quotes, but `$VAR`, `${VAR}` and `$(command)` are expanded (the command
//   run) everywhere except in single quotes, backslash escapes apply in double quotes, and a value
//   starting with `encrypted:` is decrypted (or reported as undecryptable);
// - a POSIX shell (`set -a; . ./.env`): single quotes are literal; double quotes still expand
//   `$`, backticks and `\`; unquoted text splits words and runs commands; backticks run a command.
// So a value is written in single quotes when it holds no `'`, else in double quotes when it holds
// none of `"` `$` `` ` `` `\`. Anything else (a `'` together with one of those, a CR, which only
// dotenv's `"\r"` can carry and a shell reads as two characters, a NUL, which no shell variable
// holds, or a leading `encrypted:`) has no spelling all three read back exactly: it is refused,
// never written with a warning.
const SINGLE_QUOTABLE = /^[^'\r\0]*$/
const DOUBLE_QUOTABLE = /^[^"$`\\\r\0]*$/

/** Refuse, naming every variable (never a value) that no .env spelling can hold. */
function checkDotenvValues(vars: readonly EnvVar[]): void {
  const bad = vars.flatMap((v) => {
    const why = dotenvRefusal(v.value)
    return why === undefined ? [] : [{ v, why }]
  })
  const first = bad[0]
  if (first === undefined) return
  const hint = 'use --format shell (for `source`) or --format json, or render docker-secrets (one file per value)'
  if (bad.length === 1) {
    throw new SecretsError('input', `the value of ${first.v.name} cannot be written in .env syntax that dotenv, dotenvx and a shell all read back exactly: ${first.why}`, {
      where: formatPath(first.v.path),
      file: first.v.file,
      hint,
    })
  }
  const names =
    bad
      .slice(0, 10)
      .map((b) => b.v.name)
      .join(', ') + (bad.length > 10 ? ` and ${bad.length - 10} more` : '')
  throw new SecretsError('input', `the values of ${names} cannot be written in .env syntax that dotenv, dotenvx and a shell all read back exactly (first: ${first.v.name}, ${first.why})`, {
    file: first.v.file,
    hint: `${hint}, or leave them out with --only`,
  })
}

function dotenvQuote(s: string): string {
  if (SINGLE_QUOTABLE.test(s)) {
    // A closing quote right after a backslash reads as an escaped quote to both dotenv parsers,
    // which then look for a later closing quote that ends a line. A comment holding the same quote
    // mark ends that search, so the real closing quote wins (a shell sees a plain comment).
    return `'${s}'` + (s.endsWith('\\') ? " #' (the value ends with a backslash)" : '')
  }
  return `"${s}"` // checkDotenvValues made sure it holds none of " $ ` \ CR NUL
}

/** Why no .env spelling holds the value for every reader, or undefined when one does. */
function dotenvRefusal(s: string): string | undefined {
  if (s.includes('\0')) return 'it contains a NUL byte, which no shell variable can hold'
  if (s.includes('\r')) return 'it contains a carriage return, which a shell and dotenv cannot read back alike'
  if (s.startsWith('encrypted:')) return 'it starts with "encrypted:", which dotenvx would try to decrypt'
  if (!SINGLE_QUOTABLE.test(s) && !DOUBLE_QUOTABLE.test(s)) {
    return 'it holds a single quote together with a double quote, $, a backtick or a backslash, which double quotes would not keep literal'
  }
  return undefined
}

// docker's --env-file takes everything after the first `=` literally, up to the end of the line.
function dockerValue(v: EnvVar): string {
  if (/[\n\r]/.test(v.value)) {
    throw new SecretsError('input', `the value of ${v.name} contains a line break, which the docker --env-file format cannot hold`, {
      where: formatPath(v.path),
      file: v.file,
      hint: 'use --format dotenv or render docker-secrets',
    })
  }
  return v.value
}
