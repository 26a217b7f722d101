// Go RE2 syntax -> JavaScript RegExp (u flag). sops matches `path_regex` and the selection
// regexes with Go's regexp package, so we translate rather than trust JS semantics: `.` excludes
// only `\n`, `\s` is ASCII, `$` is end of text, inline flags are scoped, look-around is refused.
type Range = [number, number]
interface Flags {
  i: boolean
  s: boolean
  m: boolean
}

export type RegexResult = { ok: true; regex: RegExp } | { ok: false; error: string }

const MAX_CP = 0x10ffff
const SYNTAX = new Set('^$\\.*+?()[]{}|/')
const POSIX: Record<string, Range[]> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
    [0x5f, 0x5f],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
}
const PERL: Record<string, Range[]> = {
  d: [[0x30, 0x39]],
  s: [
    [0x09, 0x0a],
    [0x0c, 0x0d],
    [0x20, 0x20],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
}
const CATEGORIES = new Set('C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs Any'.split(' '))
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 }

class Unsupported extends Error {}

function complement(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: Range[] = []
  let next = 0
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1])
    next = Math.max(next, hi + 1)
  }
  if (next <= MAX_CP) out.push([next, MAX_CP])
  return out
}

/** The other-case forms of one code point (simple case mapping, plus the Kelvin/long-s folds). */
function caseVariants(cp: number): number[] {
  const c = String.fromCodePoint(cp)
  const forms = new Set([c.toLowerCase(), c.toUpperCase()])
  if ('kK\u212a'.includes(c)) ['k', 'K', '\u212a'].forEach((x) => forms.add(x))
  if ('sS\u017f'.includes(c)) ['s', 'S', '\u017f'].forEach((x) => forms.add(x))
  const out: number[] = []
  for (const f of forms) {
    const arr = Array.from(f)
    if (arr.length === 1 && arr[0] !== c) out.push(f.codePointAt(0) as number)
  }
  return out
}

/** A Perl class (\\d \\s \\w) with the case folds Go adds under (?i): \\w gains U+017F and U+212A. */
function foldedPerl(name: string): Range[] {
  const base = PERL[name] as Range[]
  return name === 'w' ? [...base, [0x17f, 0x17f], [0x212a, 0x212a]] : base
}

/** A small (ASCII) set plus every other case form of its members. */
function foldClosure(set: Range[]): Range[] {
  const out = [...set]
  for (const [lo, hi] of set) for (let cp = lo; cp <= hi; cp++) for (const v of caseVariants(cp)) out.push([v, v])
  return out
}

const rangeText = ([lo, hi]: Range): string => (lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`)

function classChar(cp: number): string {
  const c = String.fromCodePoint(cp)
  return /[A-Za-z0-9]/.test(c) ? c : `\\u{${cp.toString(16)}}`
}

function literal(cp: number, fold: boolean): string {
  const c = String.fromCodePoint(cp)
  if (fold) {
    const variants = caseVariants(cp)
    if (variants.length > 0) return `[${[cp, ...variants].map(classChar).join('')}]`
  }
  if (SYNTAX.has(c)) return `\\${c}`
  if (cp < 0x20 || cp === 0x7f) return `\\u{${cp.toString(16)}}`
  return c
}

class Translator {
  private pos = 0
  private readonly cps: string[]
  private flags: Flags = { i: false, s: false, m: false }
  private readonly stack: Flags[] = []

  constructor(
    src: string,
    private readonly globalI: boolean,
  ) {
    this.cps = Array.from(src)
  }

  private peek(k = 0): string | undefined {
    return this.cps[this.pos + k]
  }
  private rest(): string {
    return this.cps.slice(this.pos).join('')
  }
  private fold(): boolean {
    return this.flags.i && !this.globalI
  }

  run(): string {
    let out = ''
    while (this.pos < this.cps.length) out += this.atom()
    return out
  }

  private atom(): string {
    const c = this.cps[this.pos++] as string
    switch (c) {
      case '.':
        return this.flags.s ? '[^]' : '[^\\n]'
      case '^':
        return this.flags.m ? '(?<![^\\n])' : '^'
      case '$':
        return this.flags.m ? '(?![^\\n])' : '$'
      case '[':
        return this.charClass()
      case '(':
        return this.group()
      case ')':
        this.flags = this.stack.pop() ?? this.flags
        return ')'
      case '|':
      case '*':
      case '+':
      case '?':
        return c
      case '{': {
        const m = /^(\d+)(,(\d*))?\}/.exec(this.rest())
        if (m === null) return '\\{'
        if (Number(m[1]) > 1000 || (m[3] !== undefined && m[3] !== '' && Number(m[3]) > 1000)) throw new Unsupported('repeat count above 1000')
        this.pos += Array.from(m[0]).length
        return `{${m[0]}`
      }
      case '}':
        return '\\}'
      case '\\':
        return this.escape()
      default:
        return literal(c.codePointAt(0) as number, this.fold())
    }
  }

  private group(): string {
    const saved = { ...this.flags }
    if (this.peek() !== '?') {
      this.stack.push(saved)
      return '('
    }
    const rest = this.rest()
    const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(rest)
    if (named !== null) {
      if (/^[0-9]/.test(named[1] as string)) throw new Unsupported('group names starting with a digit')
      this.pos += named[0].length
      this.stack.push(saved)
      return `(?<${named[1]}>`
    }
    if (/^\?(=|!|<=|<!)/.test(rest)) throw new Unsupported('look-around (not RE2 syntax)')
    const fl = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest)
    if (fl === null || (fl[1] === '' && (fl[2] ?? '') === '' && fl[3] === ')')) throw new Unsupported(`group syntax (${rest.slice(0, 4)}`)
    const on = fl[1] ?? ''
    const off = fl[2] ?? ''
    // U (ungreedy) changes how much a match takes, never whether there is one: patterns here only
    // answer "does it match", so it is accepted and has nothing to translate.
    this.pos += fl[0].length
    const next = { ...this.flags }
    for (const f of on) if (f !== 'U') next[f as keyof Flags] = true
    for (const f of off) if (f !== 'U') next[f as keyof Flags] = false
    if (fl[3] === ')') {
      this.flags = next
      return ''
    }
    this.stack.push(saved)
    this.flags = next
    return '(?:'
  }

  /** Escapes outside a class. */
  private escape(): string {
    const c = this.peek()
    if (c === undefined) throw new Unsupported('trailing backslash')
    switch (c) {
      case 'A':
        this.pos++
        return '^'
      case 'z':
        this.pos++
        return '$'
      case 'b':
      case 'B':
        this.pos++
        return `\\${c}`
      case 'd':
      case 'D':
      case 'w':
      case 'W': {
        this.pos++
        if (!this.fold()) return `\\${c}`
        // Go folds the class first, then negates: (?i)\W excludes the other forms of k and s too
        const set = foldedPerl(c.toLowerCase())
        return `[${c === c.toLowerCase() ? '' : '^'}${set.map(rangeText).join('')}]`
      }
      case 's':
        this.pos++
        return '[\\t\\n\\f\\r ]'
      case 'S':
        this.pos++
        return '[^\\t\\n\\f\\r ]'
      case 'p':
      case 'P':
        return this.property()
      case 'Q': {
        this.pos++
        const rest = this.rest()
        const end = rest.indexOf('\\E')
        const text = end < 0 ? rest : rest.slice(0, end)
        this.pos += Array.from(text).length + (end < 0 ? 0 : 2)
        return Array.from(text)
          .map((ch) => literal(ch.codePointAt(0) as number, this.fold()))
          .join('')
      }
      default:
        return literal(this.escapedChar(), this.fold())
    }
  }

  /** A single-character escape (after the backslash): octal, hex, \n-style, punctuation. */
  private escapedChar(): number {
    const c = this.cps[this.pos++] as string
    if (/[0-7]/.test(c) && (c === '0' || /[0-7]/.test(this.peek() ?? ''))) {
      let digits = c
      while (digits.length < 3 && /[0-7]/.test(this.peek() ?? '')) digits += this.cps[this.pos++]
      return parseInt(digits, 8)
    }
    if (c === 'x') {
      const rest = this.rest()
      const m = /^\{([0-9A-Fa-f]+)\}/.exec(rest) ?? /^([0-9A-Fa-f]{2})/.exec(rest)
      if (m === null) throw new Unsupported('invalid \\x escape')
      const cp = parseInt(m[1] as string, 16)
      if (cp > MAX_CP) throw new Unsupported('\\x escape beyond U+10FFFF')
      this.pos += m[0].length
      return cp
    }
    const simple = SIMPLE_ESCAPES[c]
    if (simple !== undefined) return simple
    const cp = c.codePointAt(0) as number
    if (cp < 0x80 && !/[A-Za-z0-9]/.test(c)) return cp
    throw new Unsupported(`escape \\${c}`)
  }

  /** \pL, \p{Greek}, \p{^L}, \PL -> \p{L} / \p{Script=Greek} / \P{...}. */
  private property(): string {
    let neg = this.cps[this.pos++] === 'P'
    let name: string
    if (this.peek() === '{') {
      const m = /^\{(\^?)([A-Za-z_]+)\}/.exec(this.rest())
      if (m === null) throw new Unsupported('invalid \\p{...} class')
      this.pos += m[0].length
      if (m[1] === '^') neg = !neg
      name = m[2] as string
    } else {
      name = this.cps[this.pos++] ?? ''
      if (!/^[A-Za-z]$/.test(name)) throw new Unsupported('invalid \\p class')
    }
    const prop = CATEGORIES.has(name) ? name : `Script=${name}`
    return `\\${neg ? 'P' : 'p'}{${prop}}`
  }

  private charClass(): string {
    let negated = false
    if (this.peek() === '^') {
      negated = true
      this.pos++
    }
    const ranges: Range[] = []
    const props: string[] = []
    let first = true
    for (;;) {
      const c = this.peek()
      if (c === undefined) throw new Unsupported('missing closing ]')
      if (c === ']' && !first) {
        this.pos++
        break
      }
      first = false
      if (c === '[' && this.peek(1) === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.rest())
        if (m !== null) {
          const set = POSIX[m[2] as string]
          if (set === undefined) throw new Unsupported(`POSIX class [:${m[2]}:]`)
          // Go folds a negated set before negating it: [[:^alpha:]] under (?i) excludes U+017F too
          ranges.push(...(m[1] === '^' ? complement(this.flags.i ? foldClosure(set) : set) : set))
          this.pos += m[0].length
          continue
        }
      }
      const lo = this.classAtom(ranges, props)
      if (lo === undefined) continue
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++
        const hi = this.classAtom(ranges, props)
        if (hi === undefined || hi < lo) throw new Unsupported('invalid character class range')
        ranges.push([lo, hi])
      } else {
        ranges.push([lo, lo])
      }
    }
    if (this.fold()) {
      for (const [lo, hi] of [...ranges]) {
        if (hi - lo > 0x3000) continue // huge ranges already span both cases in practice
        for (let cp = lo; cp <= hi; cp++) for (const v of caseVariants(cp)) ranges.push([v, v])
      }
    }
    const body = ranges.map(([lo, hi]) => (lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`)).join('')
    return `[${negated ? '^' : ''}${body}${props.join('')}]`
  }

  /** One class member: returns its code point, or pushes a set (\d, \pL ...) and returns undefined. */
  private classAtom(ranges: Range[], props: string[]): number | undefined {
    const c = this.cps[this.pos++] as string
    if (c !== '\\') return c.codePointAt(0)
    const e = this.peek()
    if (e === undefined) throw new Unsupported('trailing backslash')
    const lower = e.toLowerCase()
    const perl = PERL[lower]
    if (perl !== undefined && 'dswDSW'.includes(e)) {
      this.pos++
      const set = this.flags.i ? foldedPerl(lower) : perl
      ranges.push(...(e === lower ? set : complement(set)))
      return undefined
    }
    if (e === 'p' || e === 'P') {
      props.push(this.property())
      return undefined
    }
    return this.escapedChar()
  }
}

/** Translate and compile; the error says why a pattern cannot be used. */
export function translateRegex(re2: string): RegexResult {
  // A leading (?i) that is never switched off maps onto the JS `i` flag (full Unicode folding);
  // other case-insensitive scopes are expanded into classes.
  // Not with \b or \B: under the JS i flag they count U+017F and U+212A as word characters, Go never does.
  const globalI = /^\(\?[ms]*i[imsU]*\)/.test(re2) && !/\(\?[imsU]*-[msU]*i/.test(re2) && !/\\[bB]/.test(re2)
  let source: string
  try {
    source = new Translator(re2, globalI).run()
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, error: `unsupported in RE2 patterns here: ${e.message}` }
    throw e
  }
  try {
    return { ok: true, regex: new RegExp(source, globalI ? 'iu' : 'u') }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    return { ok: false, error: `invalid regular expression: ${msg.split(': ').pop() ?? msg}` }
  }
}

/** The compiled pattern, or null when it is invalid (sops: an invalid regex never matches). */
export function compileRegex(re2: string): RegExp | null {
  const r = translateRegex(re2)
  return r.ok ? r.regex : null
}

/** Why a pattern is unusable, or undefined when it compiles (for CLI warnings). */
export function regexError(re2: string): string | undefined {
  const r = translateRegex(re2)
  return r.ok ? undefined : r.error
}
