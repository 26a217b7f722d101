// YAML store: a YAML stream <-> one MapNode per document, typed and commented like sops's go-yaml
// v3 store (spec 6.1). The `yaml` package only supplies syntax (CST, AST, ranges); typing
// (yaml-resolve.ts), comment attribution and the writer (yaml-emit.ts) are ours, as the MAC needs.
import {
  Composer,
  LineCounter,
  Parser,
  isAlias,
  isMap,
  isPair,
  isScalar as isYamlScalar,
  isSeq,
  type Document,
  type Node as YNode,
  type Pair,
  type Scalar as YScalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'
import { SecretsError, formatKeyPath } from '../errors.js'
import { MAX_DEPTH, tooDeep } from '../tree/limits.js'
import {
  type Comment,
  type ListNode,
  type MapEntry,
  type MapNode,
  type Node,
  type ParsedFile,
  type PlainObject,
  type PlainValue,
  type Scalar,
  type ScalarStyle,
} from '../tree/types.js'
import { withLimits, type Store } from './store.js'
import { emitYaml, emitYamlValue } from './yaml-emit.js'
import { resolvePlain, type Resolved } from './yaml-resolve.js'

type Path = Array<string | number>

const inputError = (message: string, hint: string): SecretsError => new SecretsError('input', message, { hint })

// =============================================================================================
// Parsing

/** A map entry or list item of a block collection, as far as comment attribution cares. */
interface Slot {
  container: YNode
  /** Offset of the key (map) or of the `-` indicator (list). */
  start: number
  col: number
  /** The line on which a trailing `# comment` belongs to this slot (see addSlot). */
  commentLine: number
  /** That trailing comment follows a scalar value: it becomes an inline Comment. */
  inline: boolean
  /** End of a scalar value; own-line comments between start and here precede the entry. */
  valueEnd: number
}

interface Placed {
  /** Sort key inside the container: [entry offset, 0 = before the entry | 1 = the entry, tie]. */
  at: [number, number, number]
  comment: Comment
}

/** Per document: where each comment goes. ROOT stands for a root that is null or absent. */
const ROOT = Symbol('root')
type Owner = YNode | typeof ROOT

class DocContext {
  readonly comments = new Map<Owner, Placed[]>()
  /** Item start offsets of every collection, aligned with its AST items. */
  readonly itemStarts = new Map<YNode, number[]>()
  private readonly slots: Slot[] = []
  private readonly byLine = new Map<number, Slot[]>()
  private readonly flows: YNode[] = []
  /** Alias expansion guard: collections being converted right now, and a node budget. */
  readonly active = new Set<YNode>()
  budget: number
  /** go-yaml's alias ratio counters: nodes converted, those reached through an alias, alias nesting. */
  decodeCount = 0
  aliasCount = 0
  aliasDepth = 0

  constructor(
    readonly doc: Document.Parsed,
    readonly index: number,
    readonly src: string,
    readonly lines: LineCounter,
  ) {
    this.budget = 1_000_000 + src.length * 10
    if (doc.contents) this.indexNode(doc.contents)
  }

  line(offset: number): number {
    return this.lines.linePos(offset).line
  }

  private col(offset: number): number {
    return this.lines.linePos(offset).col - 1
  }

  /** Record every collection's slots (document order = start order). Aliases are not followed. */
  private indexNode(n: YNode): void {
    if (isMap(n) || isSeq(n)) {
      const flow = n.flow === true
      if (flow) this.flows.push(n)
      const starts: number[] = []
      const dashes = isSeq(n) && !flow ? this.dashOffsets(n) : undefined
      n.items.forEach((item: unknown, i: number) => {
        const pair = isPair(item) ? (item as Pair<YNode | null, YNode | null>) : undefined
        const value = pair ? pair.value : (item as YNode | null)
        const keyStart = pair && pair.key && typeof pair.key === 'object' ? pair.key.range?.[0] : undefined
        const start = dashes?.[i] ?? keyStart ?? value?.range?.[0] ?? n.range?.[0] ?? 0
        starts.push(start)
        if (!flow) this.addSlot(n, start, value)
        if (pair && pair.key && typeof pair.key === 'object') this.indexNode(pair.key)
        if (value) this.indexNode(value)
      })
      this.itemStarts.set(n, starts)
    }
  }

  /** The `-` offsets of a block sequence, from its CST token (the AST ranges start at the value). */
  private dashOffsets(seq: YAMLSeq): number[] | undefined {
    const tok = seq.srcToken
    if (!tok || tok.type !== 'block-seq') return undefined
    const out: number[] = []
    for (const it of tok.items) {
      const ind = it.start.find((t) => t.type === 'seq-item-ind')
      if (ind) out.push(ind.offset)
    }
    return out.length === seq.items.length ? out : undefined
  }

  private addSlot(container: YNode, start: number, value: YNode | null): void {
    const startLine = this.line(start)
    let commentLine = startLine
    let inline = false
    let valueEnd = start
    const range = value?.range
    if (value && range) {
      const block = isYamlScalar(value) && (value.type === 'BLOCK_LITERAL' || value.type === 'BLOCK_FOLDED')
      const emptyNull = isYamlScalar(value) && value.type === 'PLAIN' && value.source === ''
      if (block) {
        // `key: |  # c` — the comment sits on the header line.
        commentLine = this.line(range[0])
        inline = true
      } else if (!emptyNull && (isYamlScalar(value) || isAlias(value) || ((isMap(value) || isSeq(value)) && value.flow))) {
        commentLine = this.line(Math.max(range[0], range[1] - 1))
        inline = true
        valueEnd = range[1]
      }
    }
    const slot: Slot = { container, start, col: this.col(start), commentLine, inline, valueEnd }
    this.slots.push(slot)
    const onLine = this.byLine.get(commentLine)
    if (onLine) onLine.push(slot)
    else this.byLine.set(commentLine, [slot])
  }

  /** Attribute one comment (spec 6.1.4): pick its container and its place among the items. */
  place(offset: number, source: string): void {
    const comment: Comment = { kind: 'comment', text: source.slice(1).replace(/\r$/, '') }
    const flow = this.innermostFlow(offset)
    if (flow) return this.push(flow, { at: [offset, 0, 0], comment })

    const line = this.line(offset)
    const lineStart = offset - this.col(offset)
    const ownLine = this.src.slice(lineStart, offset).trim() === ''
    if (!ownLine) {
      // Same-line comment: it belongs with the last entry whose value ends on this line.
      const candidates = (this.byLine.get(line) ?? []).filter((s) => s.start < offset)
      const slot = candidates[candidates.length - 1]
      if (slot) {
        if (slot.inline) comment.inline = true
        return this.push(slot.container, { at: [slot.start, 0, offset], comment })
      }
    }
    const col = this.col(offset)
    const container = this.containerAtColumn(offset, col)
    if (container === ROOT) return this.push(ROOT, { at: [offset, 0, 0], comment })
    // A comment between a key and its (scalar) value goes before that entry, like sops.
    const own = this.slots.filter((s) => s.container === container && s.start < offset)
    const last = own[own.length - 1]
    const at: Placed['at'] = last && offset < last.valueEnd ? [last.start, 0, offset] : [offset, 0, 0]
    this.push(container, { at, comment })
  }

  /**
   * go-yaml attaches a comment block to the node that follows it at the same indentation, else
   * to the preceding node at that indentation: i.e. the innermost collection whose entries are at
   * the comment's column.
   */
  private containerAtColumn(offset: number, col: number): Owner {
    const slots = this.slots
    let i = slots.findIndex((s) => s.start > offset)
    if (i < 0) i = slots.length
    for (let j = i; j < slots.length; j++) {
      const s = slots[j]!
      if (s.col <= col) {
        if (s.col === col) return s.container
        break
      }
    }
    for (let j = i - 1; j >= 0; j--) {
      const s = slots[j]!
      if (s.col <= col) return s.container
    }
    const root = this.doc.contents
    return root && (isMap(root) || isSeq(root)) ? root : ROOT
  }

  private innermostFlow(offset: number): YNode | undefined {
    let best: YNode | undefined
    for (const f of this.flows) {
      const r = f.range!
      if (r[0] < offset && offset < r[1] && (!best || r[0] >= best.range![0])) best = f
    }
    return best
  }

  private push(owner: Owner, p: Placed): void {
    const list = this.comments.get(owner)
    if (list) list.push(p)
    else this.comments.set(owner, [p])
  }
}

const cmp = (a: readonly number[], b: readonly number[]): number => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!

/** Merge a collection's converted items with its comments, in source order. */
function mergeComments<T>(ctx: DocContext, owner: Owner, items: T[], starts: number[]): Array<T | Comment> {
  const placed = ctx.comments.get(owner)
  if (!placed || placed.length === 0) return items
  const all: Array<{ at: readonly number[]; item: T | Comment }> = items.map((item, i) => ({
    at: [starts[i] ?? 0, 1, 0],
    item,
  }))
  for (const p of placed) all.push({ at: p.at, item: { ...p.comment } })
  // Stable sort keeps items with equal keys (should not happen) in their original order.
  all.sort((a, b) => cmp(a.at, b.at))
  return all.map((x) => x.item)
}

const STYLES: Record<string, ScalarStyle> = {
  PLAIN: 'plain',
  QUOTE_SINGLE: 'single',
  QUOTE_DOUBLE: 'double',
  BLOCK_LITERAL: 'literal',
  BLOCK_FOLDED: 'folded',
}
const RESOLVABLE_TAGS = new Set(['null', 'bool', 'int', 'float', 'timestamp'].map((t) => `tag:yaml.org,2002:${t}`))

function scalarText(n: YScalar): string {
  if (typeof n.source === 'string') return n.source
  return typeof n.value === 'string' ? n.value : String(n.value)
}

/** What go-yaml would make of a scalar: quoted/block/`!!str`/custom tags -> string, else resolve. */
function resolveScalar(n: YScalar): Resolved {
  const tag = n.tag
  if (tag !== undefined && RESOLVABLE_TAGS.has(tag)) return resolvePlain(scalarText(n))
  if (tag !== undefined || n.type !== 'PLAIN') return { kind: 'str' }
  return resolvePlain(scalarText(n))
}

function where(ctx: DocContext, offset: number | undefined, path: Path): string {
  const at = offset === undefined ? '' : ` (line ${ctx.line(offset)})`
  const doc = ctx.index > 0 ? ` in document ${ctx.index + 1}` : ''
  return `${path.length ? formatKeyPath(path) : 'the document root'}${at}${doc}`
}

function convertScalar(ctx: DocContext, n: YScalar, path: Path): Scalar {
  if (n.value instanceof Uint8Array) {
    // `!!binary`: go-yaml decodes it and sops keeps the bytes as a string.
    const bytes = new Uint8Array(n.value) // a plain copy, not the library's Buffer
    try {
      return { kind: 'str', value: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
    } catch {
      return { kind: 'bytes', value: bytes }
    }
  }
  const r = resolveScalar(n)
  const source = scalarText(n)
  switch (r.kind) {
    case 'str': {
      const out: Scalar = { kind: 'str', value: typeof n.value === 'string' ? n.value : source }
      const style = STYLES[n.type ?? '']
      if (style) out.style = style
      return out
    }
    case 'uint':
      throw inputError(
        `the integer at ${where(ctx, n.range?.[0], path)} is beyond the signed 64-bit range`,
        'sops cannot store it as a number; quote it to keep it as a string',
      )
    case 'null':
      return { kind: 'null', source }
    case 'bool':
      return { kind: 'bool', value: r.value, source }
    case 'int':
      return { kind: 'int', value: r.value, source }
    case 'float':
      return { kind: 'float', value: r.value, source }
    case 'time':
      return { kind: 'time', value: r.value, source }
  }
}

function keyOf(ctx: DocContext, pair: Pair<unknown, unknown>, path: Path, mapStart: number | undefined): string {
  let k = pair.key as YNode | null
  const offset = k?.range?.[0] ?? mapStart
  if (k && isAlias(k)) k = (k.resolve(ctx.doc) as YNode | undefined) ?? null
  if (k && isYamlScalar(k) && !(k.value instanceof Uint8Array)) {
    const r = resolveScalar(k)
    if (r.kind === 'str') return typeof k.value === 'string' ? k.value : scalarText(k)
    throw inputError(
      `a map key at ${where(ctx, offset, path)} is not a string (it reads as ${r.kind === 'uint' ? 'int' : r.kind})`,
      'sops only supports string keys; quote the key',
    )
  }
  throw inputError(
    `a map key at ${where(ctx, offset, path)} is not a string`,
    'sops only supports string keys; use a quoted scalar key',
  )
}

/**
 * go-yaml v3's rule against alias bombs ("document contains excessive aliasing"): once more than
 * 100 nodes came through aliases and 1,000 were decoded, aliases may account for at most 99% of
 * the nodes, falling linearly to 10% between 400,000 and 4,000,000 decoded nodes.
 */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99
  if (decoded >= 4_000_000) return 0.1
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000)
}

function excessiveAliasing(ctx: DocContext): SecretsError {
  return inputError(
    `aliases expand the document too much (${ctx.aliasCount} of ${ctx.decodeCount} nodes came through aliases)`,
    'reduce the use of YAML anchors and aliases (the limit is the one go-yaml applies)',
  )
}

function convert(ctx: DocContext, n: YNode | null, path: Path): Node {
  if (path.length > MAX_DEPTH) throw tooDeep()
  ctx.decodeCount++
  if (ctx.aliasDepth > 0) ctx.aliasCount++
  if (--ctx.budget < 0) throw excessiveAliasing(ctx)
  if (ctx.aliasCount > 100 && ctx.decodeCount > 1000 && ctx.aliasCount / ctx.decodeCount > allowedAliasRatio(ctx.decodeCount)) {
    throw excessiveAliasing(ctx)
  }
  if (n === null) return { kind: 'null' }
  if (isAlias(n)) {
    const target = n.resolve(ctx.doc) as YNode | undefined
    if (!target) throw inputError(`unknown alias at ${where(ctx, n.range?.[0], path)}`, 'define the anchor before using it')
    if (ctx.active.has(target)) {
      throw inputError(`recursive alias at ${where(ctx, n.range?.[0], path)}`, 'an alias cannot refer to its own parent')
    }
    ctx.aliasDepth++
    try {
      return convert(ctx, target, path)
    } finally {
      ctx.aliasDepth--
    }
  }
  if (isYamlScalar(n)) return convertScalar(ctx, n, path)
  if (!isMap(n) && !isSeq(n)) throw inputError(`unsupported YAML node at ${where(ctx, undefined, path)}`, 'check the file')
  ctx.active.add(n)
  try {
    const starts = ctx.itemStarts.get(n) ?? []
    if (isSeq(n)) {
      const items = (n as YAMLSeq<YNode | null>).items.map((it, i) => convert(ctx, it, [...path, i]))
      const out: ListNode = { kind: 'list', items: mergeComments<Node>(ctx, n, items, starts) }
      if (n.flow) out.flow = true
      return out
    }
    const seen = ctx.index === 0 ? new Map<string, number>() : undefined
    const entries = (n as YAMLMap<unknown, YNode | null>).items.map((pair, i): MapEntry => {
      const key = keyOf(ctx, pair, path, n.range?.[0])
      if (seen && key !== '<<') {
        // sops decodes document 0 into a Go map first, which rejects duplicate keys.
        const first = seen.get(key)
        if (first !== undefined) {
          throw inputError(
            `duplicate key ${formatKeyPath([...path, key])} at line ${ctx.line(starts[i] ?? 0)} (first defined at line ${ctx.line(first)})`,
            'remove or rename one of them',
          )
        }
        seen.set(key, starts[i] ?? 0)
      }
      return { kind: 'entry', key, value: convert(ctx, pair.value, [...path, key]) }
    })
    const out: MapNode = { kind: 'map', items: mergeComments<MapEntry>(ctx, n, entries, starts) }
    if (n.flow) out.flow = true
    return out
  } finally {
    ctx.active.delete(n)
  }
}

function convertRoot(ctx: DocContext): MapNode {
  const root = ctx.doc.contents as YNode | null
  let tree: Node
  if (root === null || (isYamlScalar(root) && resolveScalar(root).kind === 'null')) tree = { kind: 'map', items: [] }
  else tree = convert(ctx, root, [])
  if (tree.kind !== 'map') {
    throw inputError(
      `the root of document ${ctx.index + 1} is a ${tree.kind === 'list' ? 'list' : 'scalar'}, not a map`,
      'sops needs a map at the top level; wrap the content in a key',
    )
  }
  const rootComments = ctx.comments.get(ROOT)
  if (rootComments?.length) {
    tree.items = mergeComments<MapEntry | Comment>(ctx, ROOT, tree.items, tree.items.map(() => Infinity))
  }
  return tree
}

interface RawComment {
  offset: number
  source: string
}

const COLLECTION_TOKENS = new Set(['block-map', 'block-seq', 'flow-collection'])

/**
 * Every comment token of the CST in document order (comments live in start/sep/end/props token
 * lists), walked without recursion; refuses collections nested deeper than MAX_DEPTH allows
 * before the `yaml` composer (which recurses per level) ever sees them.
 */
function scanCst(tokens: readonly unknown[]): RawComment[] {
  const out: RawComment[] = []
  // [token, collections enclosing it (itself included when it is one)]
  const stack: Array<[unknown, number]> = []
  for (let i = tokens.length - 1; i >= 0; i--) stack.push([tokens[i], 0])
  while (stack.length > 0) {
    const [tok, outer] = stack.pop()!
    if (Array.isArray(tok)) {
      for (let i = tok.length - 1; i >= 0; i--) stack.push([tok[i], outer])
      continue
    }
    if (tok === null || typeof tok !== 'object') continue
    const t = tok as Record<string, unknown>
    if (t['type'] === 'comment' && typeof t['offset'] === 'number' && typeof t['source'] === 'string') {
      out.push({ offset: t['offset'], source: t['source'] })
      continue
    }
    let depth = outer
    if (typeof t['type'] === 'string' && COLLECTION_TOKENS.has(t['type'])) {
      // A collection at this nesting holds values whose key path is `depth` parts long.
      depth = outer + 1
      if (depth > MAX_DEPTH + 1) throw tooDeep()
    }
    const values = Object.values(t)
    for (let i = values.length - 1; i >= 0; i--) if (typeof values[i] === 'object') stack.push([values[i], depth])
  }
  return out
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw inputError('the file is not valid UTF-8', 'YAML files must be UTF-8 encoded')
  }
}

function toPlain(n: Node): PlainValue {
  switch (n.kind) {
    case 'map': {
      const o: { [key: string]: PlainValue } = {}
      for (const it of n.items) {
        if (it.kind !== 'entry') continue
        // defineProperty: a `__proto__` key must stay a key.
        Object.defineProperty(o, it.key, { value: toPlain(it.value), enumerable: true, writable: true, configurable: true })
      }
      return o
    }
    case 'list':
      return n.items.filter((i): i is Node => i.kind !== 'comment').map(toPlain)
    case 'str':
      return n.value
    case 'bytes':
      return new TextDecoder().decode(n.value)
    case 'int':
      return Number(n.value)
    case 'float':
      return n.value
    case 'bool':
      return n.value
    case 'null':
      return null
    case 'time':
      // Metadata timestamps are strings to sops; keep the text as written.
      return n.source ?? n.value
  }
}

function parseYaml(bytes: Uint8Array): ParsedFile {
  const src = decodeUtf8(bytes)
  const lines = new LineCounter()
  const tokens = Array.from(new Parser(lines.addNewLine).parse(src))
  const raw = scanCst(tokens)
  const composer = new Composer({ schema: 'failsafe', keepSourceTokens: true, uniqueKeys: false, prettyErrors: false })
  const docs = Array.from(composer.compose(tokens, false, src.length))
  if (docs.length === 0) {
    if (raw.length === 0) throw inputError('file cannot be completely empty', 'add at least one key')
    // Only comments: sops still sees one document holding them.
    return { branches: [{ kind: 'map', items: raw.map((c) => ({ kind: 'comment', text: c.source.slice(1).replace(/\r$/, '') })) }], metadata: null }
  }
  for (const doc of docs) {
    const err = doc.errors[0]
    if (err) {
      const pos = lines.linePos(err.pos[0])
      throw inputError(`invalid YAML at line ${pos.line}, column ${pos.col}: ${err.message.split('\n')[0]}`, 'fix the YAML syntax')
    }
  }

  const ctxs = docs.map((doc, i) => new DocContext(doc, i, src, lines))
  const docTokens = tokens.filter((t) => t.type === 'document')
  const docStarts = docTokens.length === docs.length ? docTokens.map((t) => t.offset) : docs.map((d) => d.range[0])
  for (const c of raw) {
    // A comment belongs to the last document starting at or before it (leading ones: the first).
    let d = 0
    while (d + 1 < docStarts.length && docStarts[d + 1]! <= c.offset) d++
    ctxs[d]!.place(c.offset, c.source)
  }

  let metadata: PlainObject | null = null
  const branches = ctxs.map((ctx) => {
    const tree = convertRoot(ctx)
    const block = tree.items.find((it): it is MapEntry => it.kind === 'entry' && it.key === 'sops')
    if (!block) return tree
    // Only document 0's block counts; the copies sops writes into later documents are dropped.
    tree.items = tree.items.filter((it) => !(it.kind === 'entry' && it.key === 'sops'))
    if (ctx.index === 0) {
      if (block.value.kind !== 'map') {
        throw inputError('the top-level `sops` key is not a map', 'sops metadata must be a map; rename the key in a plain file')
      }
      metadata = toPlain(block.value) as PlainObject
    }
    return tree
  })
  return { branches, metadata }
}

export const yamlStore: Store = withLimits({
  format: 'yaml',
  parse: (bytes) => parseYaml(bytes),
  emit: emitYaml,
  emitValue: emitYamlValue,
})
