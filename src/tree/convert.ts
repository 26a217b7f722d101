// Trees to plain JavaScript values (for the library API, JSON-ish consumers and tests).
// Comments are dropped; ints beyond 2^53 stay bigint so nothing is silently rounded.
import type { Node } from './types.js'

export type JsValue = string | number | bigint | boolean | null | Uint8Array | JsValue[] | { [key: string]: JsValue }

export function treeToJs(node: Node): JsValue {
  switch (node.kind) {
    case 'map': {
      const out: { [key: string]: JsValue } = {}
      // defineProperty: a key named __proto__ must be data, not the prototype
      for (const it of node.items) if (it.kind === 'entry') Object.defineProperty(out, it.key, { value: treeToJs(it.value), enumerable: true, writable: true, configurable: true })
      return out
    }
    case 'list':
      return node.items.filter((it) => it.kind !== 'comment').map((it) => treeToJs(it))
    case 'int':
      return node.value >= BigInt(Number.MIN_SAFE_INTEGER) && node.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(node.value) : node.value
    case 'null':
      return null
    default:
      return node.value
  }
}
