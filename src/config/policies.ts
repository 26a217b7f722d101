// `policies:` in .secretsrc.yaml: per environment (or "*" for all) the keys that must exist
// (`required`), how missing ones are generated (`generate`) and how old a value may grow before it
// is due for rotation (`rotation`). Parsing here; what a policy means for a file lives in values/.
import { parseGeneratorSpec, type GeneratorSpec } from '../util/generate.js'
import type { ConfigReader, YValue } from './yaml-reader.js'

export interface RotationRule {
  /** A key-name glob (`*_PASSWORD`, `JWT_*`) or an exact name. */
  pattern: string
  maxAgeMs: number
  /** As written (`90d`), for messages. */
  text: string
}

export interface EnvPolicy {
  /** Key names or globs that must be present. */
  required: string[]
  /** Key name -> generator, in the order written. */
  generate: Map<string, GeneratorSpec>
  rotation: RotationRule[]
  /** `default:` under rotation. */
  rotationDefault: RotationRule | undefined
}

/** Environment name (or "*") -> its policy section. */
export type Policies = Map<string, EnvPolicy>

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 }

/** `90d`, `12h`, `2w`, `1y` (365 days), `30m`, `45s` -> milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d{1,6})\s*([smhdwy])\s*$/.exec(text)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = UNITS[m[2] as string] as number
  return n > 0 ? n * unit : undefined
}

export function parsePolicies(r: ConfigReader, node: YValue | undefined): Policies {
  const out: Policies = new Map()
  if (node === undefined || r.isNull(node)) return out
  for (const [env, section] of r.fields(node, 'policies')) {
    const at = `policies.${env}`
    const f = r.fields(section, at)
    for (const [k, v] of f) if (!['required', 'generate', 'rotation'].includes(k)) r.fail(v ?? section, `${at}.${k}`, 'unknown policy field', 'use required, generate or rotation')
    const required = r.list(f.get('required') ?? null, `${at}.required`).map((it, i) => {
      const name = r.text(it, `${at}.required[${i}]`)
      if (name === undefined || name === '') r.fail(it ?? section, `${at}.required[${i}]`, 'must be a key name or glob')
      return name
    })
    const generate = new Map<string, GeneratorSpec>()
    for (const [key, spec] of r.fields(f.get('generate') ?? null, `${at}.generate`)) {
      const text = r.text(spec, `${at}.generate.${key}`)
      if (text === undefined) r.fail(spec ?? section, `${at}.generate.${key}`, 'must be a generator such as hex:32')
      try {
        generate.set(key, parseGeneratorSpec(text, `generator for ${key}`))
      } catch (e) {
        r.fail(
          spec,
          `${at}.generate.${key}`,
          (e as Error).message.replace(/^invalid generator for \S+ /, 'invalid generator '),
          'use hex:N, base64:N, base64url:N, alnum:N, password:N, uuid or fernet',
        )
      }
    }
    const rotation: RotationRule[] = []
    let rotationDefault: RotationRule | undefined
    for (const [pattern, age] of r.fields(f.get('rotation') ?? null, `${at}.rotation`)) {
      const text = r.text(age, `${at}.rotation.${pattern}`)
      const ms = text === undefined ? undefined : parseDuration(text)
      if (ms === undefined || text === undefined) r.fail(age ?? section, `${at}.rotation.${pattern}`, 'must be a duration such as 90d', 'write a number and a unit: s, m, h, d, w or y (365 days)')
      const rule = { pattern, maxAgeMs: ms, text: text.trim() }
      if (pattern === 'default') rotationDefault = rule
      else rotation.push(rule)
    }
    out.set(env, { required, generate, rotation, rotationDefault })
  }
  return out
}

/** `*` matches any run of characters, `?` one; everything else literally. Names are case-sensitive. */
export function globMatches(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  )
  return re.test(name)
}

export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern)
}

/** The sections that apply to `env`: its own first, then "*". */
function sections(policies: Policies, env: string | undefined): EnvPolicy[] {
  const own = env === undefined ? undefined : policies.get(env)
  const all = env === '*' ? undefined : policies.get('*')
  return [own, all].filter((p): p is EnvPolicy => p !== undefined)
}

/** Required names/globs for `env` (its own and "*"), without repeats. */
export function requiredKeys(policies: Policies, env: string | undefined): string[] {
  return [...new Set(sections(policies, env).flatMap((p) => p.required))]
}

/** Key -> generator for `env`: the environment's own entries win over "*". */
export function generators(policies: Policies, env: string | undefined): Map<string, GeneratorSpec> {
  const out = new Map<string, GeneratorSpec>()
  for (const p of sections(policies, env).reverse()) for (const [k, v] of p.generate) out.set(k, v)
  return out
}

/**
 * The rotation rule for `name`: the environment's patterns, then "*"'s, then the environment's
 * `default`, then "*"'s `default`. Within one section an exact name beats a glob, and among globs
 * the one with the most literal characters wins (`DB_*_PASSWORD` over `*_PASSWORD`).
 */
export function rotationFor(policies: Policies, env: string | undefined, name: string): RotationRule | undefined {
  const secs = sections(policies, env)
  for (const p of secs) {
    const exact = p.rotation.find((r) => !isGlob(r.pattern) && r.pattern === name)
    if (exact) return exact
    const globs = p.rotation.filter((r) => isGlob(r.pattern) && globMatches(r.pattern, name))
    if (globs.length > 0) return globs.reduce((a, b) => (literalLength(b.pattern) > literalLength(a.pattern) ? b : a))
  }
  for (const p of secs) if (p.rotationDefault) return p.rotationDefault
  return undefined
}

function literalLength(p: string): number {
  return p.replace(/[*?]/g, '').length
}

/** Which required entries no name in `names` satisfies (a glob is satisfied by any match). */
export function missingRequired(required: readonly string[], names: Iterable<string>): string[] {
  const have = [...names]
  return required.filter((req) => (isGlob(req) ? !have.some((n) => globMatches(req, n)) : !have.includes(req)))
}
