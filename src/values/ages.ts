// When each value last changed. Kept in the sops metadata block as one extra field
// (`secrets_value_ages`, a JSON object: key path -> Unix seconds) that sops ignores on read. Our
// rewriting commands carry it along: a value whose ciphertext token did not change keeps its age,
// a changed or new one gets "now", and a data-key rotation (every token new, no value changed)
// keeps them all. When sops itself rewrote the file the field is gone; then `agesFromGit` dates
// each value by the first commit that holds its current ciphertext.
import { execFileSync } from 'node:child_process'
import { dirname } from 'node:path'
import type { PathPart } from '../tree/path.js'
import type { MapNode, Node } from '../tree/types.js'

export const AGES_FIELD = 'secrets_value_ages'

/** Seconds since the epoch, per key path (see pathKey). */
export type Ages = Map<string, number>

/** A single top-level name stands for itself; anything deeper is its path as a JSON array. */
export function pathKey(path: readonly PathPart[]): string {
  return path.length === 1 && typeof path[0] === 'string' && !path[0].startsWith('[') ? path[0] : JSON.stringify(path)
}

export function encodeAges(ages: Ages): string {
  const o: Record<string, number> = {}
  for (const k of [...ages.keys()].sort()) o[k] = ages.get(k) as number
  return JSON.stringify(o)
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
    } else if (node.kind !== 'comment') {
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
    const prev = old?.get(k)
    if (!unchanged) out.set(k, nowSec)
    else if (prev !== undefined) out.set(k, prev) // unchanged with no known age: left to the git fallback
  }
  return out
}

/**
 * Ages from git: the commit time of the oldest commit whose version of `file` holds each leaf's
 * current ciphertext token. Leaves not found (uncommitted changes) are absent. Bounded: at most
 * `maxCommits` commits are read. Returns undefined when git is unavailable or the file is untracked.
 */
export function agesFromGit(file: string, current: Map<string, string>, maxCommits = 500): Ages | undefined {
  const tokenToKey = new Map<string, string>()
  for (const [k, fp] of current) {
    const m = /ENC\[AES256_GCM,data:[^\]]*\]/.exec(fp)
    if (m) tokenToKey.set(m[0], k)
  }
  let log: string
  try {
    log = execFileSync('git', ['log', `-n${maxCommits}`, '--reverse', '--format=%x00%ct', '-p', '--unified=0', '--no-color', '--no-ext-diff', '--', file], {
      cwd: dirname(file),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
  } catch {
    return undefined
  }
  if (log.trim() === '') return undefined
  const out: Ages = new Map()
  let when = 0
  for (const line of log.split('\n')) {
    if (line.startsWith('\u0000')) {
      when = Number(line.slice(1))
      continue
    }
    if (!line.startsWith('+') || line.startsWith('+++')) continue
    const re = /ENC\[AES256_GCM,data:[^\]]*\]/g
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      const key = tokenToKey.get(m[0])
      if (key !== undefined && !out.has(key)) out.set(key, when)
    }
  }
  return out
}
