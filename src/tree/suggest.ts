// "Did you mean": the key paths of a tree that end with the path the user gave, for `get prod
// DB_HOST` on a file where the key is `database.DB_HOST`. Key names are not values; they are
// shown escaped (a dotted path only when every part is a plain word).
import { SecretsError, formatKeyPath } from '../errors.js'
import { getAtPath, type PathPart } from './path.js'
import type { Node } from './types.js'

/** Visit at most this many nodes: a suggestion must never cost more than the lookup itself. */
const MAX_VISITS = 200_000

const sameKey = (a: PathPart, b: PathPart, fold: boolean): boolean => (typeof a === 'string' && typeof b === 'string' && fold ? a.toLowerCase() === b.toLowerCase() : a === b)

function endsWith(path: readonly PathPart[], tail: readonly PathPart[], fold: boolean): boolean {
  if (path.length <= tail.length) return false // a longer path only: the exact one was not found
  for (let i = 1; i <= tail.length; i++) if (!sameKey(path[path.length - i] as PathPart, tail[tail.length - i] as PathPart, fold)) return false
  return true
}

/**
 * Full paths in `root` that end with `tail` (exact key names first; when there are none, names
 * compared without case), at most `limit`, in document order.
 */
export function pathsEndingWith(root: Node, tail: readonly PathPart[], limit = 3): PathPart[][] {
  if (tail.length === 0) return []
  const exact: PathPart[][] = []
  const folded: PathPart[][] = []
  let visits = 0
  const stack: Array<{ node: Node; path: PathPart[] }> = [{ node: root, path: [] }]
  while (stack.length > 0 && visits < MAX_VISITS && exact.length < limit) {
    const { node, path } = stack.pop() as { node: Node; path: PathPart[] }
    visits++
    if (endsWith(path, tail, false)) exact.push(path)
    else if (folded.length < limit && endsWith(path, tail, true)) folded.push(path)
    const children: Array<{ node: Node; path: PathPart[] }> = []
    if (node.kind === 'map') {
      for (const it of node.items) if (it.kind === 'entry') children.push({ node: it.value, path: [...path, it.key] })
    } else if (node.kind === 'list') {
      node.items.forEach((it, i) => {
        if (it.kind !== 'comment') children.push({ node: it, path: [...path, i] })
      })
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as { node: Node; path: PathPart[] })
  }
  return exact.length > 0 ? exact : folded
}

/** `database.DB_HOST` when every part is a plain word (what the user would type), else `["a.b"]["c"]`. */
export function displayPath(path: readonly PathPart[]): string {
  const plain = path.every((p) => typeof p === 'number' || (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p) && p.length <= 100))
  return plain ? path.join('.') : formatKeyPath(path).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** getAtPath; when a key is not there, the error's hint names the full paths that end with it. */
export function getAtPathOrSuggest(root: Node, path: PathPart[]): Node {
  try {
    return getAtPath(root, path)
  } catch (e) {
    if (!(e instanceof SecretsError) || !e.message.startsWith('key not found')) throw e
    const found = pathsEndingWith(root, path)
    if (found.length === 0) throw e
    const names = found.map(displayPath)
    throw new SecretsError(e.code, e.message, {
      where: e.where,
      hint: `did you mean ${names.length === 1 ? names[0] : `one of ${names.join(', ')}`}? (give the full key path; keys are case-sensitive)`,
    })
  }
}
