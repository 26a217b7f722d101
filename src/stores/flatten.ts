// Flattening of the metadata block for the formats that only hold flat string pairs (spec 7.6,
// 7.7): dotenv writes `sops_<path>=...`, INI a `[sops]` section of `<path> = ...`, where a path is
// a top-level field followed by `__map_<key>` / `__list_<index>` steps.
import { SecretsError } from '../errors.js'
import { MAX_DEPTH } from '../tree/limits.js'
import type { PlainObject, PlainValue } from '../tree/types.js'
import { setOwn } from './json.js'

const MAP_SEP = '__map_'
const LIST_SEP = '__list_'

/** A flattened scalar as text: strings as is, numbers in decimal, booleans `true`/`false`. */
function scalarText(v: string | number | boolean): string {
  if (typeof v === 'string') return v
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  return Number.isInteger(v) && Math.abs(v) < 1e21 ? BigInt(v).toString() : String(v)
}

/**
 * Depth-first flattening in the object's own key order (the caller sorts, so the output follows
 * the 3.13 layout). Nulls and empty maps/lists produce no pair at all, exactly like sops.
 */
export function flattenMetadata(md: PlainObject): Array<[string, string]> {
  const out: Array<[string, string]> = []
  const walk = (prefix: string, v: PlainValue): void => {
    if (v === null) return
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(prefix + LIST_SEP + i, x))
    } else if (typeof v === 'object') {
      for (const k of Object.keys(v)) walk(prefix + MAP_SEP + k, v[k] as PlainValue)
    } else {
      out.push([prefix, scalarText(v)])
    }
  }
  for (const k of Object.keys(md)) walk(k, md[k] as PlainValue)
  return out
}

type Step = { map: string } | { list: number }

/** Split a flat key at every `__map_` / `__list_` (like sops's tokenizer, which scans left to right). */
function tokenize(flatKey: string): Step[] {
  const steps: Step[] = []
  let kind: 'map' | 'list' = 'map'
  let start = 0
  let i = 0
  const finish = (end: number): void => {
    const text = flatKey.slice(start, end)
    if (kind === 'map') {
      steps.push({ map: text })
    } else {
      if (!/^\d+$/.test(text) || text.length > 9) throw badFlat(flatKey, 'has a list index that is not a number')
      steps.push({ list: Number(text) })
    }
  }
  while (i < flatKey.length) {
    if (flatKey.startsWith(MAP_SEP, i)) {
      finish(i)
      kind = 'map'
      i += MAP_SEP.length
      start = i
    } else if (flatKey.startsWith(LIST_SEP, i)) {
      finish(i)
      kind = 'list'
      i += LIST_SEP.length
      start = i
    } else {
      i++
    }
  }
  finish(flatKey.length)
  // The metadata block sits under `sops`, one level below the top of the document.
  if (steps.length + 1 > MAX_DEPTH) throw badFlat(flatKey.slice(0, 60) + '…', `nests deeper than ${MAX_DEPTH} levels`)
  return steps
}

function badFlat(flatKey: string, what: string): SecretsError {
  return new SecretsError('input', `the sops metadata key "${flatKey}" ${what}`, {
    hint: 'the metadata block is damaged; restore the file from git',
  })
}

type Tree =
  | { t: 'leaf'; v: string }
  | { t: 'map'; m: Map<string, Tree> }
  | { t: 'list'; m: Map<number, Tree> }

/**
 * Rebuild the metadata object from flat pairs (prefix already removed, newlines already decoded).
 * Errors: a path given twice, a path that is both a value and a container, a list whose indices
 * are not exactly 0..n-1. Like sops (DecodeNonStrings), `shamir_threshold` becomes a number and
 * `mac_only_encrypted` a boolean; every other value stays a string.
 */
export function unflattenMetadata(pairs: ReadonlyArray<readonly [string, string]>): PlainObject {
  const root: Tree = { t: 'map', m: new Map() }
  for (const [flatKey, value] of pairs) {
    const steps = tokenize(flatKey)
    let node: Tree = root
    steps.forEach((step, idx) => {
      const last = idx === steps.length - 1
      const next = steps[idx + 1]
      const key = 'map' in step ? step.map : step.list
      if (node.t === 'leaf') throw badFlat(flatKey, 'is both a value and a container')
      if ('map' in step !== (node.t === 'map')) throw badFlat(flatKey, 'mixes a map and a list at the same place')
      const children = node.m as Map<string | number, Tree>
      const existing = children.get(key)
      if (last) {
        if (existing !== undefined) {
          throw badFlat(flatKey, existing.t === 'leaf' ? 'appears twice' : 'is both a value and a container')
        }
        children.set(key, { t: 'leaf', v: value })
        return
      }
      const wantList = next !== undefined && 'list' in next
      if (existing === undefined) {
        const created: Tree = wantList ? { t: 'list', m: new Map() } : { t: 'map', m: new Map() }
        children.set(key, created)
        node = created
      } else {
        if (existing.t === 'leaf') throw badFlat(flatKey, 'is both a value and a container')
        node = existing
      }
    })
  }
  const build = (n: Tree, path: string): PlainValue => {
    if (n.t === 'leaf') return n.v
    if (n.t === 'map') {
      const o: PlainObject = {}
      for (const [k, v] of n.m) setOwn(o, k, build(v, path === '' ? k : path + MAP_SEP + k))
      return o
    }
    const out: PlainValue[] = []
    for (let i = 0; i < n.m.size; i++) {
      const item = n.m.get(i)
      if (item === undefined) throw badFlat(path, 'is a list whose indices are not 0, 1, 2, ...')
      out.push(build(item, path + LIST_SEP + i))
    }
    return out
  }
  const md = build(root, '') as PlainObject
  decodeNonStrings(md)
  return md
}

/** sops stores.DecodeNonStrings: the two non-string top-level fields get their types back. */
function decodeNonStrings(md: PlainObject): void {
  const mac = md['mac_only_encrypted']
  if (mac !== undefined) setOwn(md, 'mac_only_encrypted', mac === 'true')
  const st = md['shamir_threshold']
  if (typeof st === 'string') {
    if (!/^[+-]?\d{1,9}$/.test(st)) {
      throw new SecretsError('input', 'the sops metadata field "shamir_threshold" is not an integer', {
        hint: 'the metadata block is damaged; restore the file from git',
      })
    }
    setOwn(md, 'shamir_threshold', Number(st))
  }
}
