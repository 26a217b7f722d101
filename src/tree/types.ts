// The in-memory document every store produces and consumes: ordered maps and lists of typed
// scalars and comments. Order is sacred (it drives the MAC), so maps are item lists, never JS
// objects, and duplicate keys survive.

/** How a YAML scalar was written; other stores ignore it. Only a hint for emitting. */
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded'

export interface StrScalar {
  kind: 'str'
  value: string
  style?: ScalarStyle | undefined
}
/** Raw bytes that are a string for sops (the binary store's whole file). Encrypted as type `str`. */
export interface BytesScalar {
  kind: 'bytes'
  value: Uint8Array
}
export interface IntScalar {
  kind: 'int'
  /** int64 range; bigint so that values beyond 2^53 keep their exact decimal text. */
  value: bigint
  /** The text the source file used (e.g. `017`, `0x1F`), kept so a clear value re-emits as written. */
  source?: string | undefined
}
export interface FloatScalar {
  kind: 'float'
  value: number
  source?: string | undefined
}
export interface BoolScalar {
  kind: 'bool'
  value: boolean
  source?: string | undefined
}
export interface TimeScalar {
  kind: 'time'
  /** Canonical RFC 3339 (Go time.MarshalText): `2024-01-01T00:00:00Z`, fraction without trailing zeros. */
  value: string
  source?: string | undefined
}
export interface NullScalar {
  kind: 'null'
  source?: string | undefined
}
export type Scalar = StrScalar | BytesScalar | IntScalar | FloatScalar | BoolScalar | TimeScalar | NullScalar

export interface Comment {
  kind: 'comment'
  /** Text after the `#` (YAML/dotenv, leading space kept) or after `; `/`# ` (INI). */
  text: string
  /** YAML: the comment stood on the same line as the preceding value. */
  inline?: boolean | undefined
}

export interface MapEntry {
  kind: 'entry'
  key: string
  value: Node
}

export interface MapNode {
  kind: 'map'
  items: Array<MapEntry | Comment>
  /** YAML flow style (`{a: 1}`) in the source; emitters may ignore it. */
  flow?: boolean | undefined
}

export interface ListNode {
  kind: 'list'
  items: Array<Node | Comment>
  flow?: boolean | undefined
}

export type Node = MapNode | ListNode | Scalar

/** The metadata block in a format-neutral shape: plain JSON-like values, insertion order kept. */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue }
export type PlainObject = { [key: string]: PlainValue }

/** What a store parses to and emits from. YAML may hold several documents; others hold one. */
export interface ParsedFile {
  branches: MapNode[]
  /** The `sops` block (YAML/JSON), `sops_*` keys (dotenv), `[sops]` (INI), un-flattened; null when absent. */
  metadata: PlainObject | null
}

export function isScalar(n: Node): n is Scalar {
  return n.kind !== 'map' && n.kind !== 'list'
}

export const str = (value: string): StrScalar => ({ kind: 'str', value })
export const entry = (key: string, value: Node): MapEntry => ({ kind: 'entry', key, value })
export const map = (items: Array<MapEntry | Comment> = []): MapNode => ({ kind: 'map', items })
export const list = (items: Array<Node | Comment> = []): ListNode => ({ kind: 'list', items })
export const comment = (text: string): Comment => ({ kind: 'comment', text })
