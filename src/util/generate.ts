// Generated secret values: a small spec language (`hex:32`, `password:24`, `fernet`, ...) over
// node:crypto's CSPRNG. Every character-based generator samples without bias (rejection sampling).
import { randomBytes, randomUUID } from 'node:crypto'
import { SecretsError } from '../errors.js'

export type GeneratorKind = 'hex' | 'base64' | 'base64url' | 'alnum' | 'password' | 'uuid' | 'fernet'

export interface GeneratorSpec {
  kind: GeneratorKind
  /** Bytes for hex/base64/base64url, characters for alnum/password; unused for uuid/fernet. */
  size: number
}

/** The largest size a spec may ask for (bytes or characters). */
export const MAX_GENERATOR_SIZE = 4096

const SIZED: readonly GeneratorKind[] = ['hex', 'base64', 'base64url', 'alnum', 'password']
const FIXED: readonly GeneratorKind[] = ['uuid', 'fernet']

export const LOWER = 'abcdefghijklmnopqrstuvwxyz'
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
export const DIGITS = '0123456789'
/**
 * Symbols for `password:N`: none of them is a quote, backslash, `$`, backtick, space or `#`, so a
 * generated password survives shells, .env files, URLs' userinfo (after encoding) and YAML plain scalars.
 */
export const SYMBOLS = '!%+,-./:=?@^_~'
export const ALNUM = LOWER + UPPER + DIGITS
export const PASSWORD_CLASSES = [LOWER, UPPER, DIGITS, SYMBOLS] as const

export const GENERATOR_HELP = 'hex:N, base64:N, base64url:N (N random bytes), alnum:N, password:N (N characters), uuid, fernet'

/** Parse `hex:32`, `password:24`, `uuid`, `fernet`; throws SecretsError('usage') naming the spec. */
export function parseGeneratorSpec(text: string, where = 'generator'): GeneratorSpec {
  const m = /^([a-z0-9]+)(?::(\d+))?$/.exec(text.trim())
  const kind = m?.[1] as GeneratorKind | undefined
  const bad = (why: string): SecretsError => new SecretsError('usage', `invalid ${where} "${printable(text)}": ${why}`, { hint: `use one of ${GENERATOR_HELP}` })
  if (!m || kind === undefined || (!SIZED.includes(kind) && !FIXED.includes(kind))) throw bad('unknown kind')
  if (FIXED.includes(kind)) {
    if (m[2] !== undefined) throw bad(`${kind} takes no size`)
    return { kind, size: 0 }
  }
  if (m[2] === undefined) throw bad(`${kind} needs a size, e.g. ${kind}:32`)
  const size = Number(m[2])
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_GENERATOR_SIZE) throw bad(`the size must be from 1 to ${MAX_GENERATOR_SIZE}`)
  if (kind === 'password' && size < PASSWORD_CLASSES.length) throw bad(`a password needs at least ${PASSWORD_CLASSES.length} characters (one of each class)`)
  return { kind, size }
}

export function formatGeneratorSpec(spec: GeneratorSpec): string {
  return FIXED.includes(spec.kind) ? spec.kind : `${spec.kind}:${spec.size}`
}

/** A fresh value for `spec`, as text. */
export function generateValue(spec: GeneratorSpec): string {
  switch (spec.kind) {
    case 'hex':
      return randomBytes(spec.size).toString('hex')
    case 'base64':
      return randomBytes(spec.size).toString('base64')
    case 'base64url':
      return randomBytes(spec.size).toString('base64url')
    case 'alnum':
      return pick(ALNUM, spec.size)
    case 'password':
      return password(spec.size)
    case 'uuid':
      return randomUUID()
    case 'fernet':
      // Fernet.generate_key(): 32 random bytes, URL-safe base64 *with* padding (44 characters).
      return randomBytes(32).toString('base64url') + '='
  }
}

/** `n` characters drawn uniformly from `alphabet` (at most 256 symbols): bytes past the last whole multiple are redrawn. */
export function pick(alphabet: string, n: number): string {
  const k = alphabet.length
  if (k < 1 || k > 256) throw new RangeError('alphabet size must be 1..256')
  const limit = 256 - (256 % k)
  let out = ''
  while (out.length < n) {
    const buf = randomBytes(Math.max(16, Math.ceil((n - out.length) * 1.3)))
    for (const b of buf) {
      if (b >= limit) continue
      out += alphabet[b % k]
      if (out.length === n) break
    }
  }
  return out
}

/** Uniform over all strings of the password alphabet that contain every class (redraw until they do). */
function password(n: number): string {
  const alphabet = PASSWORD_CLASSES.join('')
  for (;;) {
    const s = pick(alphabet, n)
    if (PASSWORD_CLASSES.every((cls) => [...s].some((c) => cls.includes(c)))) return s
  }
}

function printable(s: string): string {
  const cut = s.length > 40 ? `${s.slice(0, 40)}...` : s
  return [...cut].map((c) => (c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')
}
