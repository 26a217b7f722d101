// Limits every reader and writer shares, so that whatever one command writes every command reads
// back: the nesting depth of a document, and the guard that turns a JS engine limit (a stack
// overflow, an array or string too long) into one clear SecretsError instead of a crash.
import { SecretsError } from '../errors.js'
import type { Node } from './types.js'

/**
 * The deepest key path a document may hold: a value at `a.b.c` is at depth 3. Every store refuses
 * deeper input and every writer refuses to produce it (`set` with a longer path, `--json` values
 * that would nest further). 256 keeps each recursive step (the `yaml` package's composer, our
 * emitters, the encryption walk) far from the JS stack limit; no real secrets file nests this far.
 */
export const MAX_DEPTH = 256

export function tooDeep(what = 'the document'): SecretsError {
  return new SecretsError('input', `${what} nests deeper than ${MAX_DEPTH} levels`, {
    hint: `secrets files may nest at most ${MAX_DEPTH} keys deep; flatten the structure`,
  })
}

/** The longest key path in a tree (0 for an empty map), found without recursion. */
export function treeDepth(root: Node): number {
  let max = 0
  const stack: Array<[Node, number]> = [[root, 0]]
  while (stack.length > 0) {
    const [n, d] = stack.pop()!
    if (d > max) max = d
    if (n.kind === 'map') {
      for (const it of n.items) if (it.kind === 'entry') stack.push([it.value, d + 1])
    } else if (n.kind === 'list') {
      for (const it of n.items) if (it.kind !== 'comment') stack.push([it, d + 1])
    }
  }
  return max
}

/** Refuse a tree (or `base` levels above it) deeper than MAX_DEPTH, before anything recursive walks it. */
export function assertDepth(root: Node, base = 0, what?: string): void {
  if (base + treeDepth(root) > MAX_DEPTH) throw tooDeep(what)
}

/** A JS engine limit hit while processing input: stack overflow, "Invalid array/string length". */
export function isEngineLimit(e: unknown): e is RangeError {
  return e instanceof RangeError
}

/** Run `fn`; an engine limit becomes SecretsError('input') saying the input is too large or deep. */
export function guardLimits<T>(fn: () => T, what = 'the input'): T {
  try {
    return fn()
  } catch (e) {
    if (isEngineLimit(e)) {
      throw new SecretsError('input', `${what} is too large or too deeply nested to process`, {
        hint: `keep nesting under ${MAX_DEPTH} levels, and split very large files`,
        cause: e,
      })
    }
    throw e
  }
}
