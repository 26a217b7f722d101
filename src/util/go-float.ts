// Go's strconv.FormatFloat(x, verb, -1, 64), the one float formatter every format shares: the
// shortest digits that read back as the same float (JS toExponential() gives exactly those), laid
// out as Go's 'f', 'g', 'G' and encoding/json do. Special values are spelled as Go spells them;
// callers with other spellings (YAML's .inf) check for them first.

/** The shortest round-trip decimal digits of |x| > 0 and the exponent of the first digit. */
function shortest(x: number): { digits: string; exp: number } {
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential()) as RegExpExecArray
  return { digits: (m[1] as string) + (m[2] ?? ''), exp: Number(m[3]) }
}

function fixed(digits: string, exp: number): string {
  if (exp < 0) return `0.${'0'.repeat(-exp - 1)}${digits}`
  const whole = digits.padEnd(exp + 1, '0')
  const frac = whole.slice(exp + 1)
  return whole.slice(0, exp + 1) + (frac ? '.' + frac : '')
}

function exponent(digits: string, exp: number, e: 'e' | 'E'): string {
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  return `${mant}${e}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
}

/** strconv.FormatFloat(x, verb, -1, 64): 'f' never uses an exponent; 'g'/'G' do below 1e-4 and from 1e6 (Go's rule for the shortest form). */
export function formatGoFloat(x: number, verb: 'f' | 'g' | 'G'): string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return '+Inf'
  if (x === -Infinity) return '-Inf'
  const sign = x < 0 || Object.is(x, -0) ? '-' : ''
  if (x === 0) return sign + '0'
  const { digits, exp } = shortest(x)
  if (verb === 'f') return sign + fixed(digits, exp)
  if (exp < -4 || exp >= 6) return sign + exponent(digits, exp, verb === 'G' ? 'E' : 'e')
  return sign + fixed(digits, exp)
}

/** encoding/json's float: like JS `String(n)` for finite numbers, except that `-0` keeps its sign. */
export function formatGoJsonFloat(n: number): string {
  if (Object.is(n, -0)) return '-0'
  return String(n)
}
