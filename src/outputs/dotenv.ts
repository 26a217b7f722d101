// Variables as text for other programs to read back exactly: .env (the `dotenv` package's parser,
// and dotenvx's), the docker --env-file dialect, `export` lines for a POSIX shell, and JSON.
import { SecretsError } from '../errors.js'
import { formatPath } from '../tree/path.js'
import { checkVariables, type EnvVar } from './env.js'

export type DotenvFormat = 'dotenv' | 'docker' | 'shell' | 'json'
export const DOTENV_FORMATS: readonly DotenvFormat[] = ['dotenv', 'docker', 'shell', 'json']

export interface RenderedText {
  text: string
  /** Names (never values) whose value another reader would see differently, with why. */
  warnings: string[]
}

/** Render variables in one format. Names must be valid variable names; values must fit the format. */
export function renderVariables(vars: readonly EnvVar[], format: DotenvFormat): RenderedText {
  checkVariables(vars)
  const warnings: string[] = []
  let text: string
  switch (format) {
    case 'dotenv':
      text = vars.map((v) => `${v.name}=${dotenvQuote(v, warnings)}\n`).join('')
      break
    case 'shell':
      text = vars.map((v) => `export ${v.name}=${shellQuote(v.value)}\n`).join('')
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

/** POSIX single quotes: everything literal; a `'` becomes `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

// How each quote style of the `dotenv` parser (v16-v18) treats a value: single quotes and
// backticks are literal up to the closing quote (newlines included); double quotes turn `\n` and
// `\r` into line breaks and nothing else; no style escapes its own quote mark. The whole file has
// CR LF / CR turned into LF first, so a CR only survives as `\r` inside double quotes. dotenvx
// agrees on single quotes but expands `$VAR` and `$(cmd)` inside double quotes and backticks, and
// backslash escapes inside double quotes.
interface QuoteStyle {
  mark: string
  fits(s: string): boolean
  /** dotenvx reads it back unchanged too. */
  dotenvxSafe(s: string): boolean
  quote(s: string): string
}

const STYLES: QuoteStyle[] = [
  { mark: "'", fits: (s) => !/['\r]/.test(s), dotenvxSafe: () => true, quote: (s) => `'${s}'` },
  { mark: '`', fits: (s) => !/[`\r]/.test(s), dotenvxSafe: (s) => !s.includes('$'), quote: (s) => `\`${s}\`` },
  {
    mark: '"',
    fits: (s) => !s.includes('"') && !/\\[nr]/.test(s),
    dotenvxSafe: (s) => !/[$\\]/.test(s),
    quote: (s) => `"${s.replace(/\r/g, '\\r')}"`,
  },
  // Last resort for text holding all three quote marks: unquoted values end at `#` or a line
  // break and are trimmed, and a leading quote mark would start a quoted value.
  {
    mark: '',
    fits: (s) => s !== '' && !/[#\n\r\u2028\u2029]/.test(s) && !/^[\s'"`]|\s$/.test(s),
    dotenvxSafe: (s) => !/[$\\]/.test(s),
    quote: (s) => s,
  },
]

function dotenvQuote(v: EnvVar, warnings: string[]): string {
  const s = v.value
  const fitting = STYLES.filter((st) => st.fits(s))
  const style = fitting.find((st) => st.dotenvxSafe(s)) ?? fitting[0]
  if (style === undefined) {
    throw new SecretsError('input', `the value of ${v.name} cannot be written in .env syntax that dotenv reads back exactly: it mixes quote marks with #, a line break or surrounding spaces in a way no dotenv quoting can hold`, {
      where: formatPath(v.path),
      file: v.file,
      hint: 'use --format json or --format shell, or render docker-secrets',
    })
  }
  if (!style.dotenvxSafe(s)) warnings.push(`${v.name}: dotenvx would expand the $ or \\ in this value (dotenv reads it exactly)`)
  // A closing quote right after a backslash reads as an escaped quote, and both dotenv parsers
  // then look for a later closing quote that ends a line. A comment holding the same quote mark
  // followed by text ends that search, so the real closing quote wins.
  return style.quote(s) + (style.mark !== '' && s.endsWith('\\') ? ` #${style.mark} (the value ends with a backslash)` : '')
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
