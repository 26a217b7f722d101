// YAML writer: the tree -> text in go-yaml's layout as sops configures it (spec 6.1.5, 7.4).
// Every scalar is written so that go-yaml (and our reader) resolve it to the same type and value.
import {
  isScalar,
  type Comment,
  type ListNode,
  type MapEntry,
  type MapNode,
  type Node,
  type ParsedFile,
  type PlainValue,
  type Scalar,
  type ScalarStyle,
} from '../tree/types.js'
import type { EmitOptions } from './store.js'
import { formatGoFloatG, parseGoTimestamp, plainReadsAsString, resolvePlain } from './yaml-resolve.js'

/** Code points YAML can carry unescaped (its `c-printable`), minus line/BOM oddities we avoid. */
function isSafeChar(cp: number, allowTab: boolean): boolean {
  if (cp === 0x09) return allowTab
  if (cp === 0x0a) return true
  if (cp < 0x20 || cp === 0x7f) return false
  if (cp >= 0x80 && cp <= 0x9f) return false // C1 controls incl. NEL, a line break in YAML 1.1
  if (cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) return false
  if (cp >= 0xd800 && cp <= 0xdfff) return false // lone surrogate
  if (cp === 0xfffe || cp === 0xffff) return false
  return true
}

function allSafe(s: string, allowTab: boolean): boolean {
  for (const ch of s) if (!isSafeChar(ch.codePointAt(0)!, allowTab)) return false
  return true
}

/** Whether `s` can be written as a plain scalar in block context and read back unchanged. */
function plainSyntaxOk(s: string): boolean {
  if (s === '' || s.includes('\n') || !allSafe(s, false)) return false
  if (s[0] === ' ' || s[s.length - 1] === ' ') return false
  if (',[]{}#&*!|>\'"%@`?:'.includes(s[0]!)) return false
  if (s[0] === '-' && (s.length === 1 || s[1] === ' ')) return false
  if (s.startsWith('---') || s.startsWith('...')) return false
  return !s.includes(': ') && !s.endsWith(':') && !s.includes(' #')
}

const singleOk = (s: string): boolean => !s.includes('\n') && allSafe(s, false)
const singleQuote = (s: string): string => `'${s.replace(/'/g, "''")}'`

const ESCAPES: Record<number, string> = {
  0x00: '\\0',
  0x07: '\\a',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
  0x1b: '\\e',
  0x22: '\\"',
  0x5c: '\\\\',
  0x85: '\\N',
  0x2028: '\\L',
  0x2029: '\\P',
}

function doubleQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    const esc = ESCAPES[cp]
    if (esc) out += esc
    else if (isSafeChar(cp, false)) out += ch
    else if (cp <= 0xff) out += '\\x' + cp.toString(16).toUpperCase().padStart(2, '0')
    else out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0')
  }
  return out + '"'
}

/**
 * A literal block scalar (`|`, `|-`, `|+`), or undefined when the text cannot be one. `folded`
 * asks for `>` instead, which we only use for one line of text (we never fold lines ourselves).
 */
function literal(s: string, parentIndent: number, contentIndent: number, folded = false): ScalarOut | undefined {
  // With no visible character at all, parsers disagree on whitespace-only lines: quote instead.
  if (!/[^ \t\n]/.test(s) || !allSafe(s, true)) return undefined
  const trailing = /\n*$/.exec(s)![0].length
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+'
  const lines = s.split('\n')
  if (trailing > 0) lines.pop()
  if (folded && (lines.length !== 1 || /^[ \t]/.test(s))) return undefined
  // Indentation is auto-detected from the first non-empty line; a leading space needs a hint.
  const hint = /^\n* /.test(s) ? String(contentIndent - parentIndent) : ''
  // The `yaml` package drops a trailing whitespace-only line after an explicit indentation hint.
  if (hint && /^[ \t]*$/.test(lines[lines.length - 1]!)) return undefined
  const pad = ' '.repeat(contentIndent)
  return { head: `${folded ? '>' : '|'}${hint}${chomp}`, rest: lines.map((l) => (l === '' ? '' : pad + l)) }
}

interface ScalarOut {
  /** Text after `key: ` / `- ` (empty for an empty null). */
  head: string
  /** Following lines of a block scalar, already indented. */
  rest: string[]
}

function stringOut(s: string, style: ScalarStyle | undefined, pi: number, ci: number): ScalarOut {
  const one = (head: string): ScalarOut => ({ head, rest: [] })
  if (s.includes('\n')) {
    if (style === 'double') return one(doubleQuote(s))
    return (style === 'folded' ? literal(s, pi, ci, true) : undefined) ?? literal(s, pi, ci) ?? one(doubleQuote(s))
  }
  // Keep the style the text was written in while it still reads back as the same string.
  if (style === 'plain' && plainReadsAsString(s) && plainSyntaxOk(s)) return one(s)
  if (style === 'single' && singleOk(s)) return one(singleQuote(s))
  if (style === 'double') return one(doubleQuote(s))
  if (style === 'literal' || style === 'folded') {
    const lit = literal(s, pi, ci, style === 'folded')
    if (lit) return lit
  }
  if (!plainReadsAsString(s)) return one(doubleQuote(s))
  if (plainSyntaxOk(s)) return one(s)
  return one(singleOk(s) ? singleQuote(s) : doubleQuote(s))
}

function keyText(k: string): string {
  if (plainReadsAsString(k) && plainSyntaxOk(k)) return k
  return singleOk(k) && plainReadsAsString(k) ? singleQuote(k) : doubleQuote(k)
}

/** The source text of a clear scalar, when it still reads back as the same value. */
function validSource(n: Scalar): string | undefined {
  if (!('source' in n) || n.source === undefined) return undefined
  const r = resolvePlain(n.source)
  if (r.kind !== n.kind) return undefined
  switch (n.kind) {
    case 'null':
      return n.source
    case 'bool':
    case 'int':
    case 'time':
      return (r as { value: unknown }).value === n.value ? n.source : undefined
    case 'float':
      return Object.is((r as { value: number }).value, n.value) ? n.source : undefined
    default:
      return undefined
  }
}

function scalarOut(n: Scalar, pi: number, ci: number): ScalarOut {
  if (n.kind === 'str') return stringOut(n.value, n.style, pi, ci)
  if (n.kind === 'bytes') {
    try {
      return stringOut(new TextDecoder('utf-8', { fatal: true }).decode(n.value), undefined, pi, ci)
    } catch {
      return { head: `!!binary ${Buffer.from(n.value).toString('base64')}`, rest: [] }
    }
  }
  const src = validSource(n)
  if (src !== undefined) return { head: src, rest: [] }
  switch (n.kind) {
    case 'int':
      return { head: n.value.toString(), rest: [] }
    case 'float': {
      const g = formatGoFloatG(n.value)
      // Go would write 1.0 as `1`, which reads back as an int; `.0` keeps the type.
      return { head: /^-?[0-9]+$/.test(g) ? g + '.0' : g, rest: [] }
    }
    case 'bool':
      return { head: String(n.value), rest: [] }
    case 'null':
      return { head: 'null', rest: [] }
    case 'time':
      return { head: parseGoTimestamp(n.value) !== undefined ? n.value : doubleQuote(n.value), rest: [] }
  }
}

const commentLines = (c: Comment, pad: string): string[] => c.text.split(/\r\n|\r|\n/).map((t) => `${pad}#${t}`)

/** Append without a spread: `push(...lines)` passes every line as an argument and overflows the stack on large files. */
function append(out: string[], lines: readonly string[]): void {
  for (const l of lines) out.push(l)
}

const isEmptyContainer = (n: Node): boolean => (n.kind === 'map' || n.kind === 'list') && n.items.length === 0

class Emitter {
  constructor(private readonly unit: number) {}

  /** go-yaml: a nested block aligns to the next multiple of the indent. */
  private next(indent: number): number {
    return this.unit * Math.floor((indent + this.unit) / this.unit)
  }

  /** A value written after `key:` or `- `: same line for scalars and empty collections. */
  private valueLines(head: string, value: Node, indent: number, childIndent: number, inline?: Comment): string[] {
    const tail = inline ? ` #${inline.text}` : ''
    if (isScalar(value)) {
      const out = scalarOut(value, indent, childIndent)
      const text = out.head === '' && inline ? 'null' : out.head
      return [(text === '' ? head : `${head} ${text}`) + tail, ...out.rest]
    }
    if (value.items.length === 0) return [`${head} ${value.kind === 'map' ? '{}' : '[]'}${tail}`]
    return [head, ...this.block(value, childIndent)]
  }

  /** Inline comments ride on the next entry's line when its value is written on that line. */
  private items<T extends Node | MapEntry>(
    items: Array<T | Comment>,
    pad: string,
    write: (item: T, inline: Comment | undefined) => string[],
  ): string[] {
    const out: string[] = []
    items.forEach((it, i) => {
      if (it.kind === 'comment') {
        const nxt = items[i + 1]
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- TS does not narrow the generic T through `kind` without it
        const target = nxt && nxt.kind !== 'comment' ? (nxt.kind === 'entry' ? nxt.value : (nxt as Node)) : undefined
        const rides = it.inline === true && target !== undefined && (isScalar(target) || isEmptyContainer(target))
        if (!rides) append(out, commentLines(it, pad))
        return
      }
      const prev = items[i - 1]
      const inline = prev && prev.kind === 'comment' && prev.inline === true ? prev : undefined
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- TS does not narrow the generic T through `kind` without it
      const target = it.kind === 'entry' ? it.value : (it as Node)
      append(out, write(it, inline && (isScalar(target) || isEmptyContainer(target)) ? inline : undefined))
    })
    return out
  }

  block(n: MapNode | ListNode, indent: number): string[] {
    const pad = ' '.repeat(indent)
    if (n.kind === 'map') {
      return this.items<MapEntry>(n.items, pad, (e, inline) => {
        const k = keyText(e.key)
        // Implicit keys are limited to 1024 characters; longer ones use the explicit `? ` form.
        if (k.length > 1000) return [`${pad}? ${k}`, ...this.valueLines(`${pad}:`, e.value, indent, this.next(indent), inline)]
        return this.valueLines(`${pad}${k}:`, e.value, indent, this.next(indent), inline)
      })
    }
    return this.items<Node>(n.items, pad, (item, inline) => {
      if (isScalar(item) || isEmptyContainer(item)) return this.valueLines(`${pad}-`, item, indent, indent + 2, inline)
      // A nested collection starts right after `- ` (go-yaml's compact form), unless it opens
      // with a comment, which must stay on its own line to stay inside that collection.
      const inner = this.block(item, indent + 2)
      const first = item.items[0]!
      if (first.kind === 'comment') return [`${pad}-`, ...inner]
      return [`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1)]
    })
  }

  document(root: MapNode): string[] {
    if (root.items.length === 0) return ['{}']
    return this.block(root, 0)
  }
}

function fromPlain(v: PlainValue): Node {
  if (v === null) return { kind: 'null' }
  if (typeof v === 'string') return { kind: 'str', value: v }
  if (typeof v === 'boolean') return { kind: 'bool', value: v }
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { kind: 'int', value: BigInt(v) } : { kind: 'float', value: v }
  if (Array.isArray(v)) return { kind: 'list', items: v.map(fromPlain) }
  return { kind: 'map', items: Object.entries(v).map(([key, val]) => ({ kind: 'entry', key, value: fromPlain(val) })) }
}

/** go-yaml's rule for the indent setting: outside 2..9 it falls back to 2. */
function indentUnit(opts: EmitOptions | undefined): number {
  const n = opts?.indent ?? 4
  return Number.isInteger(n) && n >= 2 && n <= 9 ? n : 2
}

export function emitYaml(file: ParsedFile, opts?: EmitOptions): Uint8Array {
  const em = new Emitter(indentUnit(opts))
  const meta: MapEntry | undefined = file.metadata ? { kind: 'entry', key: 'sops', value: fromPlain(file.metadata) } : undefined
  const branches = file.branches.length > 0 ? file.branches : [{ kind: 'map', items: [] } as MapNode]
  const out: string[] = []
  branches.forEach((b, i) => {
    if (i > 0) out.push('---')
    // Every document carries its own copy of the metadata, as the last top-level key.
    append(out, em.document(meta ? { ...b, items: [...b.items, meta] } : b))
  })
  return new TextEncoder().encode(out.join('\n') + '\n')
}

export function emitYamlValue(node: Node): Uint8Array {
  if (node.kind === 'str') return new TextEncoder().encode(node.value)
  if (node.kind === 'bytes') return node.value
  const em = new Emitter(4)
  let lines: string[]
  if (node.kind === 'map') lines = em.document(node)
  else if (node.kind === 'list') lines = node.items.length === 0 ? ['[]'] : em.block(node, 0)
  else {
    const out = scalarOut(node, 0, 2)
    lines = [out.head === '' ? 'null' : out.head, ...out.rest]
  }
  return new TextEncoder().encode(lines.join('\n') + '\n')
}
