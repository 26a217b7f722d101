// JSON store (spec 6.2, 7.5): a hand-written parser that keeps key order, duplicate keys and exact
// integers (JSON.parse loses all three), and an emitter that writes what sops's Go encoder writes.
// Also home of the byte/string helpers the dotenv, INI and binary stores share.
import { SecretsError, formatKeyPath } from '../errors.js'
import { MAX_DEPTH, tooDeep } from '../tree/limits.js'
import type { Node, MapNode, ListNode, MapEntry, Comment, ParsedFile, PlainObject, PlainValue } from '../tree/types.js'
import { withLimits, type EmitOptions, type Store } from './store.js'
import { jsonText, plainJsonText, quoteJsonString, wrapJson } from '../tree/json-text.js'
import { decodeRuneGo, decodeUtf8Go, decodeUtf8Strict, utf8 } from '../util/utf8.js'

export { jsonText, quoteJsonString } from '../tree/json-text.js'


const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

// ---------------------------------------------------------------------------------------------
// Shared helpers

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** 1-based line and column (in code points) of a byte offset, for error messages. */
export function lineColAt(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1
  let column = 1
  const end = Math.min(offset, bytes.length)
  for (let i = 0; i < end; i++) {
    const c = bytes[i] as number
    if (c === 0x0a) {
      line++
      column = 1
    } else if ((c & 0xc0) !== 0x80) {
      column++ // count code points, not UTF-8 continuation bytes
    }
  }
  return { line, column }
}

// ---------------------------------------------------------------------------------------------
// Parser

function syntaxError(bytes: Uint8Array, offset: number, what: string): SecretsError {
  const { line, column } = lineColAt(bytes, offset)
  return new SecretsError('input', `invalid JSON at line ${line}, column ${column}: ${what}`, {
    hint: 'fix the JSON syntax at that position',
  })
}

/**
 * A string that cannot be stored exactly: invalid UTF-8 bytes or a lone surrogate escape (Go, and
 * so sops, would silently store U+FFFD instead). Thrown inside the parser and given its key path
 * while the recursion unwinds, then turned into one SecretsError naming the key.
 */
class StringProblem extends Error {
  readonly path: Array<string | number> = []
  constructor(
    readonly what: 'utf8' | 'surrogate',
    readonly inKey: boolean,
    readonly offset: number,
  ) {
    super('a string cannot be stored exactly')
  }
}

function stringProblemError(b: Uint8Array, p: StringProblem): SecretsError {
  const { line } = lineColAt(b, p.offset)
  const bad = p.what === 'utf8' ? 'is not valid UTF-8' : 'holds a lone surrogate escape (\\uD800-\\uDFFF without its pair)'
  const subject = p.inKey ? `a key ${p.path.length ? 'under ' + formatKeyPath(p.path) : 'at the top level'}` : 'the value'
  return new SecretsError('input', `${subject} ${bad} (line ${line}); it would be stored altered, as U+FFFD`, {
    where: p.inKey || p.path.length === 0 ? undefined : formatKeyPath(p.path),
    hint: p.what === 'utf8' ? 'save the file as UTF-8; encode binary data first (e.g. base64)' : 'escape a whole surrogate pair, or write the character itself',
  })
}

class JsonParser {
  private pos = 0
  constructor(private readonly b: Uint8Array) {}

  /** Run a top-level parse, turning a StringProblem into its SecretsError. */
  private located<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      if (e instanceof StringProblem) throw stringProblemError(this.b, e)
      throw e
    }
  }

  /** The top-level object as a map (with `sops` kept apart) plus the metadata. */
  parseDocument(): { branch: MapNode; metadata: PlainObject | null } {
    this.skipWs()
    if (this.b[this.pos] !== 0x7b) {
      if (this.pos >= this.b.length) throw syntaxError(this.b, this.pos, 'the file is empty')
      throw new SecretsError('input', 'a JSON secrets file must be an object at the top level ({...})', {
        hint: 'wrap the content in an object, e.g. {"data": [...]}',
      })
    }
    const start = this.pos
    const top = this.located(() => this.parseMap(0))
    this.skipWs()
    if (this.pos < this.b.length) throw syntaxError(this.b, this.pos, 'unexpected data after the top-level object')
    let metadata: PlainObject | null = null
    const items: Array<MapEntry | Comment> = []
    for (const it of top.items) {
      if (it.kind === 'entry' && it.key === 'sops') {
        if (metadata !== null) throw syntaxError(this.b, start, 'the top-level "sops" member appears twice')
        if (it.value.kind !== 'map') {
          throw new SecretsError('input', 'the top-level "sops" member is not an object', {
            hint: 'the sops metadata is damaged; restore the file from git',
          })
        }
        metadata = toPlainObject(it.value)
      } else {
        items.push(it)
      }
    }
    return { branch: { kind: 'map', items }, metadata }
  }

  /** Exactly one JSON value of any kind, nothing after it but whitespace. */
  parseSingleValue(): Node {
    this.skipWs()
    if (this.pos >= this.b.length) throw syntaxError(this.b, this.pos, 'the input is empty')
    const v = this.located(() => this.parseValue(0))
    this.skipWs()
    if (this.pos < this.b.length) throw syntaxError(this.b, this.pos, 'unexpected data after the value')
    return v
  }

  private skipWs(): void {
    const b = this.b
    while (this.pos < b.length) {
      const c = b[this.pos]
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++
      else break
    }
  }

  private expect(c: number, what: string): void {
    this.skipWs()
    if (this.b[this.pos] !== c) throw this.unexpected(what)
    this.pos++
  }

  private unexpected(expected: string): SecretsError {
    if (this.pos >= this.b.length) return syntaxError(this.b, this.pos, `unexpected end of input, expected ${expected}`)
    return syntaxError(this.b, this.pos, `unexpected character, expected ${expected}`)
  }

  /** One value whose key path has `depth` parts (the shared MAX_DEPTH limit, checked before recursing). */
  private parseValue(depth: number): Node {
    this.skipWs()
    const c = this.b[this.pos]
    if (depth > MAX_DEPTH) throw tooDeep()
    switch (c) {
      case 0x7b:
        return this.parseMap(depth)
      case 0x5b:
        return this.parseList(depth)
      case 0x22:
        return { kind: 'str', value: this.parseString(false) }
      case 0x74:
        this.literal('true')
        return { kind: 'bool', value: true }
      case 0x66:
        this.literal('false')
        return { kind: 'bool', value: false }
      case 0x6e:
        this.literal('null')
        return { kind: 'null' }
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.parseNumber()
        throw this.unexpected('a value')
    }
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.b[this.pos + i] !== word.charCodeAt(i)) {
        this.pos += i
        throw this.unexpected(`"${word}"`)
      }
    }
    this.pos += word.length
  }

  private parseMap(depth: number): MapNode {
    this.pos++ // {
    const items: MapEntry[] = []
    this.skipWs()
    if (this.b[this.pos] === 0x7d) {
      this.pos++
      return { kind: 'map', items }
    }
    for (;;) {
      this.skipWs()
      if (this.b[this.pos] !== 0x22) throw this.unexpected('a string key')
      const key = this.parseString(true)
      this.expect(0x3a, '":"')
      let value: Node
      try {
        value = this.parseValue(depth + 1)
      } catch (e) {
        if (e instanceof StringProblem) e.path.unshift(key)
        throw e
      }
      items.push({ kind: 'entry', key, value })
      this.skipWs()
      const c = this.b[this.pos]
      if (c === 0x2c) {
        this.pos++
        continue
      }
      if (c === 0x7d) {
        this.pos++
        return { kind: 'map', items }
      }
      throw this.unexpected('"," or "}"')
    }
  }

  private parseList(depth: number): ListNode {
    this.pos++ // [
    const items: Node[] = []
    this.skipWs()
    if (this.b[this.pos] === 0x5d) {
      this.pos++
      return { kind: 'list', items }
    }
    for (;;) {
      try {
        items.push(this.parseValue(depth + 1))
      } catch (e) {
        if (e instanceof StringProblem) e.path.unshift(items.length)
        throw e
      }
      this.skipWs()
      const c = this.b[this.pos]
      if (c === 0x2c) {
        this.pos++
        continue
      }
      if (c === 0x5d) {
        this.pos++
        return { kind: 'list', items }
      }
      throw this.unexpected('"," or "]"')
    }
  }

  private parseNumber(): Node {
    const b = this.b
    const start = this.pos
    let p = this.pos
    const digit = (i: number): boolean => {
      const c = b[i]
      return c !== undefined && c >= 0x30 && c <= 0x39
    }
    if (b[p] === 0x2d) p++
    if (b[p] === 0x30) p++
    else if (digit(p)) while (digit(p)) p++
    else {
      this.pos = p
      throw this.unexpected('a digit')
    }
    let integer = true
    if (b[p] === 0x2e) {
      integer = false
      p++
      if (!digit(p)) {
        this.pos = p
        throw this.unexpected('a digit after "."')
      }
      while (digit(p)) p++
    }
    if (b[p] === 0x65 || b[p] === 0x45) {
      integer = false
      p++
      if (b[p] === 0x2b || b[p] === 0x2d) p++
      if (!digit(p)) {
        this.pos = p
        throw this.unexpected('a digit in the exponent')
      }
      while (digit(p)) p++
    }
    this.pos = p
    let text = ''
    for (let i = start; i < p; i++) text += String.fromCharCode(b[i] as number)
    if (integer) {
      const v = BigInt(text)
      // `-0` is int 0 (Go strconv.ParseInt accepts it); beyond int64 the literal becomes a float.
      if (v >= INT64_MIN && v <= INT64_MAX) return { kind: 'int', value: v }
    }
    const f = Number(text)
    if (!Number.isFinite(f)) throw syntaxError(b, start, 'number out of range (overflows a 64-bit float)')
    return { kind: 'float', value: f, source: text }
  }

  /** A string starting at the opening quote, escapes resolved; invalid UTF-8 or a lone surrogate escape throws StringProblem. */
  private parseString(inKey: boolean): string {
    const b = this.b
    const open = this.pos
    this.pos++
    let out = ''
    let runStart = this.pos
    for (;;) {
      if (this.pos >= b.length) throw syntaxError(b, open, 'string is not closed')
      const c = b[this.pos] as number
      if (c === 0x22) {
        out += this.run(runStart, inKey)
        this.pos++
        return out
      }
      if (c < 0x20) throw syntaxError(b, this.pos, 'control character inside a string (escape it)')
      if (c !== 0x5c) {
        this.pos++
        continue
      }
      out += this.run(runStart, inKey)
      const e = b[this.pos + 1]
      this.pos += 2
      switch (e) {
        case 0x22:
          out += '"'
          break
        case 0x5c:
          out += '\\'
          break
        case 0x2f:
          out += '/'
          break
        case 0x62:
          out += '\b'
          break
        case 0x66:
          out += '\f'
          break
        case 0x6e:
          out += '\n'
          break
        case 0x72:
          out += '\r'
          break
        case 0x74:
          out += '\t'
          break
        case 0x75: {
          const u = this.hex4(this.pos)
          if (u < 0) throw syntaxError(b, this.pos - 2, 'invalid \\u escape')
          this.pos += 4
          if (u >= 0xd800 && u <= 0xdbff && b[this.pos] === 0x5c && b[this.pos + 1] === 0x75) {
            const lo = this.hex4(this.pos + 2)
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              out += String.fromCharCode(u, lo)
              this.pos += 6
              break
            }
          }
          // Go would decode a surrogate without its pair as U+FFFD: the stored text would differ.
          if (u >= 0xd800 && u <= 0xdfff) throw new StringProblem('surrogate', inKey, this.pos - 6)
          out += String.fromCharCode(u)
          break
        }
        default:
          throw syntaxError(b, this.pos - 2, 'invalid escape sequence in a string')
      }
      runStart = this.pos
    }
  }

  /** The raw bytes from `start` to the cursor as text; invalid UTF-8 throws StringProblem. */
  private run(start: number, inKey: boolean): string {
    if (start === this.pos) return ''
    try {
      return decodeUtf8Strict(this.b.subarray(start, this.pos))
    } catch {
      let at = start
      while (at < this.pos) {
        const [cp, size] = decodeRuneGo(this.b, at)
        if (cp === 0xfffd && size === 1) break
        at += size
      }
      throw new StringProblem('utf8', inKey, at)
    }
  }

  private hex4(at: number): number {
    let v = 0
    for (let i = 0; i < 4; i++) {
      const c = this.b[at + i]
      if (c === undefined) return -1
      let d: number
      if (c >= 0x30 && c <= 0x39) d = c - 0x30
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37
      else return -1
      v = v * 16 + d
    }
    return v
  }
}

/** One JSON value (object, list or scalar) as a tree: key order, duplicate keys and exact integers kept. */
export function parseJsonValue(bytes: Uint8Array): Node {
  return new JsonParser(bytes).parseSingleValue()
}

/** Assign without ever touching the prototype (a key may be `__proto__`). */
export function setOwn(o: PlainObject, k: string, v: PlainValue): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
}

function toPlainValue(n: Node): PlainValue {
  switch (n.kind) {
    case 'map':
      return toPlainObject(n)
    case 'list': {
      const out: PlainValue[] = []
      for (const it of n.items) if (it.kind !== 'comment') out.push(toPlainValue(it))
      return out
    }
    case 'str':
    case 'time':
      return n.value
    case 'bytes':
      return decodeUtf8Go(n.value)
    case 'int':
      return Number(n.value)
    case 'float':
    case 'bool':
      return n.value
    case 'null':
      return null
  }
}

function toPlainObject(m: MapNode): PlainObject {
  const o: PlainObject = {}
  for (const it of m.items) if (it.kind === 'entry') setOwn(o, it.key, toPlainValue(it.value))
  return o
}

// ---------------------------------------------------------------------------------------------
// Emitter

/** Indentation unit for opts.indent: -1 (default) = TAB, N >= 0 = N spaces (0: newlines only). */
export function jsonIndentUnit(indent: number | undefined): string {
  const n = indent ?? -1
  if (n === -1) return '\t'
  if (!Number.isInteger(n) || n < -1) {
    throw new SecretsError('usage', 'the JSON indent must be -1 (tab) or a number of spaces >= 0', {
      hint: 'fix stores.json.indent in the configuration',
    })
  }
  return ' '.repeat(n)
}

/** The whole file text: branch 0 (plus `"sops"` as the last member when metadata is given), trailing newline. */
export function emitJsonDocument(file: ParsedFile, opts?: EmitOptions): string {
  const unit = jsonIndentUnit(opts?.indent)
  const branch: MapNode = file.branches[0] ?? { kind: 'map', items: [] }
  const parts: string[] = []
  for (const it of branch.items) {
    if (it.kind === 'comment') continue
    parts.push(quoteJsonString(it.key) + ': ' + jsonText(it.value, unit, 1, [it.key]))
  }
  if (file.metadata !== null) parts.push('"sops": ' + plainJsonText(file.metadata, unit, 1))
  return wrapJson('{', '}', parts, unit, 0) + '\n'
}

export const jsonStore: Store = withLimits({
  format: 'json',

  parse(bytes: Uint8Array): ParsedFile {
    const { branch, metadata } = new JsonParser(bytes).parseDocument()
    return { branches: [branch], metadata }
  },

  emit(file: ParsedFile, opts?: EmitOptions): Uint8Array {
    return utf8(emitJsonDocument(file, opts))
  },

  emitValue(node: Node): Uint8Array {
    if (node.kind === 'str') return utf8(node.value)
    if (node.kind === 'bytes') return node.value
    if (node.kind === 'map') return jsonStore.emit({ branches: [node], metadata: null })
    return utf8(jsonText(node, '\t'))
  },
})
