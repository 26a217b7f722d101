// When each value last changed. Kept in the sops metadata block as one extra field
// (`secrets_value_ages`, a JSON object: key path -> Unix seconds) that sops ignores on read. Our
// rewriting commands carry it along: a value whose ciphertext token did not change keeps its age,
// a changed or new one gets "now", and a data-key rotation (every token new, no value changed)
// keeps them all. When sops itself rewrote the file the field is gone; then ages-git.ts dates
// each value by the first commit that holds its current ciphertext.
import type { PathPart } from '../tree/path.js'
import type { MapNode, Node } from '../tree/types.js'

export const AGES_FIELD = 'secrets_value_ages'

/** Seconds since the epoch, per key path (see pathKey); "*" is the default for unlisted paths. */
export type Ages = Map<string, number>

/** A single top-level name stands for itself; anything deeper is its path as a JSON array. */
export function pathKey(path: readonly PathPart[]): string {
  const simple = path.length === 1 && typeof path[0] === 'string' && path[0] !== DEFAULT_KEY && !path[0].startsWith('[')
  return simple ? (path[0] as string) : JSON.stringify(path)
}

/** In the encoded field, the age of every value not listed (no key path encodes to it). */
const DEFAULT_KEY = '*'

/**
 * Compact JSON: the most common age under "*", then only the values whose age differs, so the
 * field stays small however many keys the file has (a new file: `{"*":1764547200}`).
 */
export function encodeAges(ages: Ages): string {
  const counts = new Map<number, number>()
  for (const v of ages.values()) counts.set(v, (counts.get(v) ?? 0) + 1)
  let common: number | undefined
  let best = 0
  for (const [v, n] of counts) if (n > best || (n === best && common !== undefined && v < common)) [common, best] = [v, n]
  const o: Record<string, number> = {}
  if (common !== undefined && best > 1) o[DEFAULT_KEY] = common
  for (const k of [...ages.keys()].sort()) {
    const v = ages.get(k) as number
    if (v !== o[DEFAULT_KEY]) o[k] = v
  }
  return JSON.stringify(o)
}

/** The age of the value at `key`: its own entry, else the default of the field. */
export function ageOf(ages: Ages, key: string): number | undefined {
  return ages.get(key) ?? ages.get(DEFAULT_KEY)
}

/** Lenient: anything unreadable is no ages at all (status then falls back to git). */
export function decodeAges(text: unknown): Ages | undefined {
  if (typeof text !== 'string' || text === '') return undefined
  try {
    const o = JSON.parse(text) as unknown
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined
    const out: Ages = new Map()
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out.set(k, v)
    return out
  } catch {
    return undefined
  }
}

/** Every leaf of a (typically encrypted) tree: key path -> a fingerprint of its stored text. */
export function leafFingerprints(root: MapNode): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (node: Node, path: PathPart[]): void => {
    if (node.kind === 'map') {
      for (const it of node.items) if (it.kind === 'entry') walk(it.value, [...path, it.key])
    } else if (node.kind === 'list') {
      let i = 0
      for (const it of node.items) if (it.kind !== 'comment') walk(it, [...path, i++])
    } else {
      out.set(pathKey(path), fingerprint(node))
    }
  }
  walk(root, [])
  return out
}

function fingerprint(node: Node): string {
  switch (node.kind) {
    case 'bytes':
      return `bytes:${Buffer.from(node.value).toString('base64')}`
    case 'null':
      return 'null'
    case 'int':
      return `int:${node.value.toString()}`
    case 'str':
    case 'float':
    case 'bool':
    case 'time':
      return `${node.kind}:${String(node.value)}`
    default:
      return ''
  }
}

/**
 * The ages after a write. `before`/`after` are the leaf fingerprints of the encrypted tree as it was
 * and as it is written; a leaf whose fingerprint is unchanged keeps its age. `keepAll` (a data-key
 * rotation, updatekeys) keeps every existing age.
 */
export function nextAges(old: Ages | undefined, before: Map<string, string> | undefined, after: Map<string, string>, nowSec: number, keepAll = false): Ages {
  const out: Ages = new Map()
  for (const [k, fp] of after) {
    const unchanged = keepAll || (before !== undefined && before.get(k) === fp)
    const prev = old === undefined ? undefined : ageOf(old, k)
    if (!unchanged) out.set(k, nowSec)
    else if (prev !== undefined) out.set(k, prev) // unchanged with no known age: left to the git fallback
  }
  return out
}
