// Canonical plaintext bytes of a scalar (what is encrypted and hashed, spec 3.4) and the way
// back from decrypted bytes plus a type tag to a typed scalar.
import { SecretsError } from '../errors.js'
import type { Scalar } from './types.js'
import { formatGoFloat } from '../util/go-float.js'
import { decodeUtf8, decodeUtf8Strict, utf8 } from '../util/utf8.js'


/** Go strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatFixed(x: number): string {
  return formatGoFloat(x, 'f')
}

/** Canonical bytes; null for null scalars (skipped entirely: not encrypted, not hashed). */
export function canonicalBytes(s: Scalar): Uint8Array | null {
  switch (s.kind) {
    case 'str':
      return utf8(s.value)
    case 'bytes':
      return s.value
    case 'int':
      return utf8(s.value.toString())
    case 'float':
      return utf8(formatFloatFixed(s.value))
    case 'bool':
      return utf8(s.value ? 'True' : 'False')
    case 'time':
      return utf8(s.value)
    case 'null':
      return null
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Typed scalar from decrypted bytes and the token's type tag (Go Atoi / ParseFloat / ParseBool / RFC 3339). */
export function scalarFromPlaintext(bytes: Uint8Array, type: string): Scalar {
  const text = (): string => decodeUtf8(bytes)
  switch (type) {
    case 'str': {
      try {
        return { kind: 'str', value: decodeUtf8Strict(bytes) }
      } catch {
        return { kind: 'bytes', value: bytes }
      }
    }
    case 'bytes':
      return { kind: 'bytes', value: bytes }
    case 'int': {
      const t = text()
      if (!/^[+-]?\d+$/.test(t)) throw badPlaintext('int')
      const v = BigInt(t)
      if (v < INT64_MIN || v > INT64_MAX) throw badPlaintext('int')
      return { kind: 'int', value: v }
    }
    case 'float': {
      const v = parseGoFloat(text())
      if (v === null) throw badPlaintext('float')
      return { kind: 'float', value: v }
    }
    case 'bool': {
      const t = text()
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(t)) return { kind: 'bool', value: true }
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(t)) return { kind: 'bool', value: false }
      throw badPlaintext('bool')
    }
    case 'time': {
      const v = canonicalTime(text())
      if (v === null) throw badPlaintext('time')
      return { kind: 'time', value: v }
    }
    default:
      throw new SecretsError('decrypt', `unknown value type "${type.slice(0, 20)}"`)
  }
}

function badPlaintext(type: string): SecretsError {
  return new SecretsError('decrypt', `a decrypted value is not a valid ${type}`, {
    hint: 'the file was written by a broken tool; re-set the value',
  })
}

/** Go strconv.ParseFloat(s, 64), the forms that matter: decimal, exponent, inf/nan, underscores in base forms. */
export function parseGoFloat(s: string): number | null {
  const lower = s.toLowerCase()
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity
  if (lower === 'nan') return NaN
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Number(s)
  if (/^[+-]?0x[0-9a-f_]*(\.[0-9a-f_]*)?(p[+-]?\d+)?$/i.test(s)) {
    const neg = s.startsWith('-')
    const body = s.replace(/^[+-]?0x/i, '').replace(/_/g, '')
    const [mant = '', expPart] = body.split(/p/i) as [string, string?]
    const [ip = '', fp = ''] = mant.split('.') as [string, string?]
    if (ip + fp === '') return null
    let v = parseInt(ip || '0', 16)
    for (let i = 0; i < fp.length; i++) v += parseInt(fp[i] as string, 16) / 16 ** (i + 1)
    v *= 2 ** Number(expPart ?? '0')
    return neg ? -v : v
  }
  return null
}

/** RFC 3339 text -> Go time.MarshalText form (Z for offset 0, fraction without trailing zeros). */
export function canonicalTime(s: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s)
  if (m === null) return null
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m as unknown as string[]
  const fr = frac.slice(0, 9).replace(/0+$/, '')
  const z = zone === 'z' || zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone
  return `${y}-${mo}-${d}T${h}:${mi}:${sec}${fr ? '.' + fr : ''}${z}`
}
