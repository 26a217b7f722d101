// Tree paths: sops' `["a"][0]["b"]` syntax (spec 11.1) plus a dotted shorthand (`db.password`),
// and walking a tree along one.
import { SecretsError, formatKeyPath } from '../errors.js'
import type { Node } from './types.js'

export type PathPart = string | number

/** Parse `["a"][0]['b']` (sops' naive grammar) or, if it does not start with `[`, `a.b.0`-style dots. */
export function parseTreePath(s: string): PathPart[] {
  if (s === '') return []
  if (!s.startsWith('[')) {
    return s.split('.').map((p) => {
      if (p === '') throw badPath(s)
      return /^\d+$/.test(p) ? Number(p) : p
    })
  }
  const out: PathPart[] = []
  for (const piece of s.split('[')) {
    if (piece === '') continue
    if (!piece.endsWith(']')) throw badPath(s)
    const inner = piece.slice(0, -1)
    if (inner.startsWith('"') || inner.startsWith("'")) out.push(inner.slice(1, -1))
    else if (/^\d+$/.test(inner)) out.push(Number(inner))
    else throw badPath(s)
  }
  return out
}

function badPath(s: string): SecretsError {
  return new SecretsError('usage', `"${s.slice(0, 80)}" is not a valid key path`, {
    hint: `use ["key"]["nested"][0] or key.nested.0`,
  })
}

/** Walk to the node at `path`; list indexes count every element including comments (as sops does). */
export function getAtPath(root: Node, path: PathPart[]): Node {
  let cur: Node = root
  for (let i = 0; i < path.length; i++) {
    const part = path[i] as PathPart
    const shown = (): string => formatPath(path.slice(0, i + 1))
    if (typeof part === 'string') {
      if (cur.kind !== 'map') throw new SecretsError('input', 'key not found: the parent is not a map', { where: shown(), hint: 'check the path' })
      const found: Node | undefined = cur.items.find((it) => it.kind === 'entry' && it.key === part)?.kind === 'entry'
        ? (cur.items.find((it) => it.kind === 'entry' && it.key === part) as { value: Node }).value
        : undefined
      if (found === undefined) throw new SecretsError('input', 'key not found', { where: shown(), hint: 'check the path (keys are case-sensitive)' })
      cur = found
    } else {
      if (cur.kind !== 'list') throw new SecretsError('input', 'index used on something that is not a list', { where: shown(), hint: 'check the path' })
      const item = cur.items[part]
      if (item === undefined || item.kind === 'comment') throw new SecretsError('input', 'index out of bounds', { where: shown(), hint: 'check the path' })
      cur = item
    }
  }
  return cur
}

export function formatPath(path: PathPart[]): string {
  return formatKeyPath(path)
}
