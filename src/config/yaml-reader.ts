// Typed, located reads over a parsed YAML config: every accessor names the field it reads and
// throws SecretsError('config') with the file and `line N` of the offending node. Aliases are
// resolved and `<<` merge keys applied, as go-yaml does when sops unmarshals its config.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { SecretsError } from '../errors.js'

export type YValue = Node | null

export class ConfigReader {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parse YAML text; a syntax error becomes SecretsError('config') at its line. */
  static parse(file: string, text: string): ConfigReader {
    const lines = new LineCounter()
    const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true, uniqueKeys: true, merge: true })
    const err = doc.errors[0]
    if (err !== undefined) {
      const line = err.linePos?.[0]?.line
      const msg = err.message.split(' at line ')[0] ?? err.message
      throw new SecretsError('config', `invalid YAML: ${msg}`, {
        file,
        where: line === undefined ? undefined : `line ${line}`,
        hint: 'fix the YAML syntax of the config file',
      })
    }
    return new ConfigReader(file, doc, lines)
  }

  get root(): YValue {
    return this.resolve(this.doc.contents)
  }

  /** The whole document as plain JS (aliases and merges applied). */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: -1 })
  }

  /** A node as plain JS, for fields kept raw. */
  js(node: YValue): unknown {
    return node === null ? null : node.toJS(this.doc, { maxAliasCount: -1 })
  }

  line(node: YValue): number | undefined {
    const start = node?.range?.[0]
    return start === undefined ? undefined : this.lines.linePos(start).line
  }

  fail(node: YValue, field: string, message: string, hint?: string): never {
    const line = this.line(node)
    throw new SecretsError('config', `${field}: ${message}`, {
      file: this.file,
      where: line === undefined ? undefined : `line ${line}`,
      hint,
    })
  }

  resolve(node: unknown): YValue {
    let n = node
    for (let i = 0; i < 100 && isAlias(n); i++) n = n.resolve(this.doc)
    if (n === undefined || n === null) return null
    if (isAlias(n)) return null
    return n as Node
  }

  /** A short name of the node's type, for messages. */
  describe(node: YValue): string {
    if (node === null || (isScalar(node) && node.value === null)) return 'null'
    if (isMap(node)) return 'a map'
    if (isSeq(node)) return 'a list'
    if (isScalar(node)) {
      const v = node.value
      if (typeof v === 'string') return 'a string'
      if (typeof v === 'number' || typeof v === 'bigint') return 'a number'
      if (typeof v === 'boolean') return 'a boolean'
    }
    return 'an unsupported value'
  }

  isNull(node: YValue): boolean {
    return node === null || (isScalar(node) && node.value === null)
  }

  /** A map's fields by key, `<<` merges applied (explicit keys win). null -> empty. */
  fields(node: YValue, field: string): Map<string, YValue> {
    const out = new Map<string, YValue>()
    if (this.isNull(node)) return out
    if (!isMap(node)) this.fail(node, field, `expected a map, got ${this.describe(node)}`)
    const merges: YValue[] = []
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key)
      if (keyNode !== null && !isScalar(keyNode)) this.fail(keyNode, field, 'map keys must be plain values')
      const value = this.resolve(pair.value)
      // with `merge: true` the yaml library marks a plain `<<` key with a symbol value
      if (keyNode !== null && typeof keyNode.value === 'symbol') {
        merges.push(value)
        continue
      }
      out.set(keyNode === null || keyNode.value === null ? '' : String(keyNode.value), value)
    }
    for (const m of merges) {
      const sources = isSeq(m) ? m.items.map((i) => this.resolve(i)) : [m]
      for (const src of sources) {
        for (const [k, v] of this.fields(src, `${field}.<<`)) if (!out.has(k)) out.set(k, v)
      }
    }
    return out
  }

  /** A list's items; null -> empty. */
  list(node: YValue, field: string): YValue[] {
    if (this.isNull(node)) return []
    if (!isSeq(node)) this.fail(node, field, `expected a list, got ${this.describe(node)}`)
    return node.items.map((i) => this.resolve(i))
  }

  /**
   * A string field as go-yaml fills a Go `string`: any scalar gives its source text (`5` -> "5"),
   * null gives undefined, a map or list is an error.
   */
  text(node: YValue, field: string): string | undefined {
    if (this.isNull(node)) return undefined
    if (!isScalar(node)) this.fail(node, field, `expected a string, got ${this.describe(node)}`)
    if (typeof node.value === 'string') return node.value
    return node.source ?? String(node.value)
  }

  /** Only a real string scalar (what a Go `interface{}` field accepts as a string). */
  isString(node: YValue): node is Node & { value: string } {
    return isScalar(node) && typeof node.value === 'string'
  }

  int(node: YValue, field: string): number | undefined {
    if (this.isNull(node)) return undefined
    if (isScalar(node) && typeof node.value === 'number' && Number.isSafeInteger(node.value)) return node.value
    return this.fail(node, field, `expected an integer, got ${this.describe(node)}`)
  }

  bool(node: YValue, field: string): boolean | undefined {
    if (this.isNull(node)) return undefined
    if (isScalar(node) && typeof node.value === 'boolean') return node.value
    return this.fail(node, field, `expected true or false, got ${this.describe(node)}`)
  }
}
