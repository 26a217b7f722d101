// Changing a tree in place along a key path (sops `set` / `unset`, spec 11.2): replace or append
// one value, creating the maps and lists on the way, or remove one; report whether anything changed.
// List indexes count every item including comments, exactly as getAtPath does.
import { SecretsError } from '../errors.js'
import { formatPath, type PathPart } from './path.js'
import { isScalar, type ListNode, type MapNode, type Node } from './types.js'

type Container = MapNode | ListNode

/**
 * Put `value` at `path` under `root` (mutated in place). An existing key gets its value replaced
 * where it stands; a missing key is appended at the end of its map, with maps (for key parts) or
 * lists (for index parts) created for the rest of the path; an index >= the list's length appends;
 * a scalar standing where the path needs a map or list is replaced. Returns false when the value
 * was already equal (the old node, with its source text and style, is then left untouched).
 * Throws when the path addresses a map with an index, a list with a key, or a comment item.
 */
export function setAtPath(root: MapNode, path: readonly PathPart[], value: Node): boolean {
  if (path.length === 0) throw noPath()
  let cur: Container = root
  for (let i = 0; i < path.length; i++) {
    const part = path[i] as PathPart
    const rest = path.slice(i + 1)
    const slot = locate(cur, path, i)
    if (slot === undefined) {
      // Missing: append what the rest of the path describes, at the end (no padding for lists).
      const built = buildFromPath(rest, value)
      if (cur.kind === 'map') cur.items.push({ kind: 'entry', key: part as string, value: built })
      else cur.items.push(built)
      return true
    }
    const child = slot.get()
    if (rest.length === 0) {
      if (nodesEqual(child, value)) return false
      slot.put(value)
      return true
    }
    if (isScalar(child)) {
      slot.put(buildFromPath(rest, value))
      return true
    }
    cur = child
  }
  /* c8 ignore next */
  throw new Error('unreachable')
}

/**
 * Remove the key or list element at `path` (mutated in place). Returns true when something was
 * removed; a missing key or index throws unless `missingOk`, which makes it return false.
 */
export function unsetAtPath(root: MapNode, path: readonly PathPart[], opts: { missingOk?: boolean } = {}): boolean {
  if (path.length === 0) throw noPath()
  let cur: Container = root
  for (let i = 0; i < path.length; i++) {
    let slot: Slot | undefined
    try {
      slot = locate(cur, path, i)
    } catch (e) {
      // A scalar or the wrong container kind on the way also means "not there" for --idempotent.
      if (opts.missingOk && e instanceof SecretsError) return false
      throw e
    }
    if (slot === undefined) {
      if (opts.missingOk) return false
      throw notFound(path, i, cur)
    }
    if (i === path.length - 1) {
      slot.remove()
      return true
    }
    const child = slot.get()
    if (isScalar(child)) {
      if (opts.missingOk) return false
      throw mismatch(path, i + 1, child)
    }
    cur = child
  }
  /* c8 ignore next */
  throw new Error('unreachable')
}

/** Same type and value, recursively (maps and lists in order, comments included); style and source text ignored. */
export function nodesEqual(a: Node, b: Node): boolean {
  switch (a.kind) {
    case 'map':
      return (
        b.kind === 'map' &&
        a.items.length === b.items.length &&
        a.items.every((x, i) => {
          const y = b.items[i]
          if (y === undefined || x.kind !== y.kind) return false
          if (x.kind === 'comment') return y.kind === 'comment' && x.text === y.text
          return y.kind === 'entry' && x.key === y.key && nodesEqual(x.value, y.value)
        })
      )
    case 'list':
      return (
        b.kind === 'list' &&
        a.items.length === b.items.length &&
        a.items.every((x, i) => {
          const y = b.items[i]
          if (y === undefined) return false
          if (x.kind === 'comment' || y.kind === 'comment') return x.kind === 'comment' && y.kind === 'comment' && x.text === y.text
          return nodesEqual(x, y)
        })
      )
    case 'bytes':
      return b.kind === 'bytes' && Buffer.from(a.value).equals(Buffer.from(b.value))
    case 'float':
      // Object.is: -0 and 0 encrypt to different text; NaN equals itself.
      return b.kind === 'float' && Object.is(a.value, b.value)
    case 'null':
      return b.kind === 'null'
    default:
      return b.kind === a.kind && (b as { value: unknown }).value === a.value
  }
}

interface Slot {
  get(): Node
  put(n: Node): void
  remove(): void
}

/** The item `path[i]` addresses inside `cur`, or undefined when it is missing. */
function locate(cur: Container, path: readonly PathPart[], i: number): Slot | undefined {
  const part = path[i] as PathPart
  if (typeof part === 'string') {
    if (cur.kind !== 'map') throw mismatch(path, i, cur)
    const at = cur.items.findIndex((it) => it.kind === 'entry' && it.key === part)
    if (at < 0) return undefined
    const items = cur.items
    const entry = items[at] as { kind: 'entry'; key: string; value: Node }
    return { get: () => entry.value, put: (n) => (entry.value = n), remove: () => items.splice(at, 1) }
  }
  if (cur.kind !== 'list') throw mismatch(path, i, cur)
  const items = cur.items
  if (part >= items.length) return undefined
  const item = items[part] as Node | { kind: 'comment' }
  if (item.kind === 'comment') {
    throw new SecretsError('input', `index ${part} is a comment line of this list (indexes count comments, as in sops)`, {
      where: formatPath(path.slice(0, i + 1)),
      hint: 'use the index of a value',
    })
  }
  return { get: () => item, put: (n) => (items[part] = n), remove: () => items.splice(part, 1) }
}

/** The value that `rest` describes around `leaf`: `["a"][0]` -> {a: [leaf]}. */
function buildFromPath(rest: readonly PathPart[], leaf: Node): Node {
  let node = leaf
  for (let i = rest.length - 1; i >= 0; i--) {
    const part = rest[i] as PathPart
    node = typeof part === 'string' ? { kind: 'map', items: [{ kind: 'entry', key: part, value: node }] } : { kind: 'list', items: [node] }
  }
  return node
}

const kindName = (n: Node): string => (n.kind === 'map' ? 'a map' : n.kind === 'list' ? 'a list' : 'a single value')

function mismatch(path: readonly PathPart[], i: number, found: Node): SecretsError {
  const part = path[i] as PathPart
  const shown = formatPath(path.slice(0, i)) || 'the top level'
  const wanted = typeof part === 'string' ? `a key ("${part}")` : `an index ([${part}])`
  return new SecretsError('input', `${shown} is ${kindName(found)}, but the path gives it ${wanted}`, {
    where: formatPath(path.slice(0, i + 1)),
    hint: typeof part === 'string' ? 'address list elements with [N]' : 'address map keys with ["key"]',
  })
}

function notFound(path: readonly PathPart[], i: number, cur: Container): SecretsError {
  return new SecretsError('input', cur.kind === 'list' ? 'index out of bounds' : 'key not found', {
    where: formatPath(path.slice(0, i + 1)),
    hint: 'check the path (keys are case-sensitive); `secrets decrypt` shows the file',
  })
}

function noPath(): SecretsError {
  return new SecretsError('usage', 'an empty key path addresses the whole file', { hint: 'give a key path such as ["db"]["password"] or db.password' })
}
