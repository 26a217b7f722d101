// Plain-scalar typing exactly like go-yaml v3 (the parser sops uses), plus Go's float 'g' and
// RFC 3339 time formatting. The MAC depends on these types, so the `yaml` npm schema is not used.
// Spec: docs/sops-format.md 6.1.2 (resolution table) and 6.1.3 (timestamps).
import { formatGoFloat } from '../util/go-float.js'

export type Resolved =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  /** Above int64 but within uint64: go-yaml yields a uint64, which sops rejects ("unknown type"). */
  | { kind: 'uint'; value: bigint }
  | { kind: 'float'; value: number }
  /** `value` is the canonical RFC 3339 text (Go time.MarshalText). */
  | { kind: 'time'; value: string }
  | { kind: 'str' }

const INT64_MAX = (1n << 63n) - 1n
const UINT64_MAX = (1n << 64n) - 1n

// go-yaml's resolveMap: only consulted when the first character hints at it (see HINT below).
const FIXED = new Map<string, Resolved>()
for (const s of ['true', 'True', 'TRUE']) FIXED.set(s, { kind: 'bool', value: true })
for (const s of ['false', 'False', 'FALSE']) FIXED.set(s, { kind: 'bool', value: false })
for (const s of ['', '~', 'null', 'Null', 'NULL']) FIXED.set(s, { kind: 'null' })
for (const s of ['.nan', '.NaN', '.NAN']) FIXED.set(s, { kind: 'float', value: NaN })
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) FIXED.set(s, { kind: 'float', value: Infinity })
for (const s of ['-.inf', '-.Inf', '-.INF']) FIXED.set(s, { kind: 'float', value: -Infinity })
for (const s of ['-0', '-0.0']) FIXED.set(s, { kind: 'float', value: -0 })

/** go-yaml's resolveTable: the first byte decides which rules are even tried. */
function hint(c: string | undefined): 'M' | '.' | 'D' | undefined {
  if (c === undefined) return 'M'
  if ('yYnNtTfFoO~'.includes(c)) return 'M'
  if (c === '.') return '.'
  if (c === '+' || c === '-' || (c >= '0' && c <= '9')) return 'D'
  return undefined
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
// Go ParseFloat on text starting with '.': decimal digits with Go-literal underscores.
const DOT_FLOAT = /^\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?$/

/** Resolve the text of an untagged plain scalar like go-yaml v3 `resolve("", text)`. */
export function resolvePlain(text: string): Resolved {
  const h = hint(text[0])
  if (h === undefined) return { kind: 'str' }
  const fixed = FIXED.get(text)
  if (fixed !== undefined) return fixed
  if (h === '.') {
    if (DOT_FLOAT.test(text)) {
      const v = Number(text.replace(/_/g, ''))
      if (Number.isFinite(v)) return { kind: 'float', value: v }
    }
    return { kind: 'str' }
  }
  if (h === 'D') {
    const t = parseGoTimestamp(text)
    if (t !== undefined) return { kind: 'time', value: t }
    const plain = text.replace(/_/g, '')
    const n = parseGoInt(plain)
    if (n !== undefined) return n
    // Go ParseFloat reports overflow as an error, and go-yaml then keeps the text as a string.
    if (YAML_STYLE_FLOAT.test(plain)) {
      const v = Number(plain)
      if (Number.isFinite(v)) return { kind: 'float', value: v }
    }
  }
  return { kind: 'str' }
}

/** strconv.ParseInt(s, 0, 64), falling back to ParseUint(s, 0, 64) like go-yaml does. */
function parseGoInt(s: string): Resolved | undefined {
  let body = s
  let neg = false
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-'
    body = body.slice(1)
  }
  const mag = parseGoUnsigned(body)
  if (mag === undefined) return undefined
  if (neg ? mag <= INT64_MAX + 1n : mag <= INT64_MAX) return { kind: 'int', value: neg ? -mag : mag }
  // ParseUint accepts no sign at all.
  if (body === s && mag <= UINT64_MAX) return { kind: 'uint', value: mag }
  return undefined
}

/** Go ParseUint with base 0: 0x/0o/0b prefixes, a bare leading 0 means octal. */
function parseGoUnsigned(s: string): bigint | undefined {
  if (s === '') return undefined
  let digits = s
  let re = /^[0-9]+$/
  let prefix = ''
  if (s[0] === '0') {
    const p = s.length >= 3 ? s[1]!.toLowerCase() : ''
    if (p === 'x') [digits, re, prefix] = [s.slice(2), /^[0-9a-fA-F]+$/, '0x']
    else if (p === 'o') [digits, re, prefix] = [s.slice(2), /^[0-7]+$/, '0o']
    else if (p === 'b') [digits, re, prefix] = [s.slice(2), /^[01]+$/, '0b']
    else {
      digits = s.slice(1)
      if (digits === '') return 0n
      ;[re, prefix] = [/^[0-7]+$/, '0o']
    }
  }
  if (!re.test(digits)) return undefined
  return BigInt(prefix + digits)
}

// ---------------------------------------------------------------------------------------------
// Timestamps: go-yaml tries Go time.Parse with four layouts; we replay that parse by hand.

interface Cursor {
  s: string
  i: number
}

/** Go time.Parse getnum(s, false): one or two digits. */
function num12(c: Cursor): number | undefined {
  const d = (k: number): boolean => c.s[k] !== undefined && c.s[k] >= '0' && c.s[k] <= '9'
  if (!d(c.i)) return undefined
  if (!d(c.i + 1)) return Number(c.s[c.i++])
  const v = Number(c.s.slice(c.i, c.i + 2))
  c.i += 2
  return v
}

function lit(c: Cursor, ch: string): boolean {
  if (c.s[c.i] !== ch) return false
  c.i++
  return true
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

interface TimeFields {
  year: number
  month: number
  day: number
  hour: number
  min: number
  sec: number
  /** Fraction digits as written, at most 9 kept (Go truncates the rest). */
  frac: string
  /** Offset in minutes east of UTC. */
  offset: number
}

function parseDate(c: Cursor, f: TimeFields): boolean {
  if (!/^[0-9]{4}$/.test(c.s.slice(0, 4))) return false
  f.year = Number(c.s.slice(0, 4))
  c.i = 4
  if (!lit(c, '-')) return false
  const month = num12(c)
  if (month === undefined || month < 1 || month > 12 || !lit(c, '-')) return false
  const day = num12(c)
  if (day === undefined) return false
  f.month = month
  f.day = day
  return true
}

function parseClock(c: Cursor, f: TimeFields): boolean {
  const hour = num12(c)
  if (hour === undefined || hour > 23 || !lit(c, ':')) return false
  const min = num12(c)
  if (min === undefined || min > 59 || !lit(c, ':')) return false
  const sec = num12(c)
  if (sec === undefined || sec > 59) return false
  ;[f.hour, f.min, f.sec] = [hour, min, sec]
  // Optional fraction, '.' or ',' then any number of digits (Go keeps the first nine).
  if ((c.s[c.i] === '.' || c.s[c.i] === ',') && /[0-9]/.test(c.s[c.i + 1] ?? '')) {
    const m = /^[0-9]+/.exec(c.s.slice(c.i + 1))!
    f.frac = m[0].slice(0, 9)
    c.i += 1 + m[0].length
  }
  return true
}

/** Go `Z07:00`: `Z` or ±hh:mm (offset hour <= 24, minute <= 60 are tolerated, as in Go). */
function parseZone(c: Cursor, f: TimeFields): boolean {
  if (lit(c, 'Z')) return true
  const m = /^([+-])([0-9]{2}):([0-9]{2})/.exec(c.s.slice(c.i))
  if (!m) return false
  const hh = Number(m[2])
  const mm = Number(m[3])
  if (hh > 24 || mm > 60) return false
  f.offset = (m[1] === '-' ? -1 : 1) * (hh * 60 + mm)
  c.i += 6
  return true
}

function tryLayout(s: string, sep: 'T' | 't' | ' ' | null): TimeFields | undefined {
  const f: TimeFields = { year: 0, month: 0, day: 0, hour: 0, min: 0, sec: 0, frac: '', offset: 0 }
  const c: Cursor = { s, i: 0 }
  if (!parseDate(c, f)) return undefined
  if (sep === ' ') {
    // A space in a Go layout matches one or more spaces.
    if (c.s[c.i] !== ' ') return undefined
    while (c.s[c.i] === ' ') c.i++
    if (!parseClock(c, f)) return undefined
  } else if (sep !== null) {
    if (!lit(c, sep) || !parseClock(c, f) || !parseZone(c, f)) return undefined
  }
  if (c.i !== s.length) return undefined
  if (f.day < 1 || f.day > daysIn(f.month, f.year)) return undefined
  return f
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/**
 * go-yaml's parseTimestamp: the text must start with four digits and `-`; returns the canonical
 * RFC 3339 text Go's time.MarshalText would write (fraction without trailing zeros, `Z` for +00:00).
 */
export function parseGoTimestamp(s: string): string | undefined {
  if (!/^[0-9]{4}-/.test(s)) return undefined
  const f = tryLayout(s, 'T') ?? tryLayout(s, 't') ?? tryLayout(s, ' ') ?? tryLayout(s, null)
  if (f === undefined) return undefined
  const frac = f.frac.replace(/0+$/, '')
  const off = Math.abs(f.offset)
  const zone = f.offset === 0 ? 'Z' : `${f.offset < 0 ? '-' : '+'}${pad(Math.floor(off / 60))}:${pad(off % 60)}`
  return (
    `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.min)}:${pad(f.sec)}` +
    `${frac ? '.' + frac : ''}${zone}`
  )
}

// ---------------------------------------------------------------------------------------------
// Writing side.

const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'])
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/

/**
 * Whether `s`, written as a plain scalar, still reads back as that string: go-yaml's encoder test
 * (resolves to !!str, not a YAML 1.1 bool, not base-60) plus `<<`, which sops writes quoted.
 */
export function plainReadsAsString(s: string): boolean {
  return resolvePlain(s).kind === 'str' && !OLD_BOOLS.has(s) && !BASE60_FLOAT.test(s) && s !== '<<'
}

/** Go strconv.FormatFloat(x, 'g', -1, 64) with go-yaml's `.inf`/`-.inf`/`.nan` spellings. */
export function formatGoFloatG(x: number): string {
  if (Number.isNaN(x)) return '.nan'
  if (x === Infinity) return '.inf'
  if (x === -Infinity) return '-.inf'
  return formatGoFloat(x, 'g')
}
