// INI store (spec 6.4, 7.7): a port of the parts of go-ini v1.67 that sops uses - its reader
// (quoting, inline comments, continuation lines, comment attribution) and its "pretty" writer
// (aligned keys, `; ` comments) - so that values, comments and their AADs match sops exactly.
import { SecretsError, formatKeyPath } from '../errors.js'
import type { Node, MapNode, MapEntry, Comment, ParsedFile } from '../tree/types.js'
import { withLimits, type Store } from './store.js'
import { flattenMetadata, unflattenMetadata } from './flatten.js'
import { jsonText } from '../tree/json-text.js'
import { decodeUtf8Go, isValidUtf8, utf8 } from '../util/utf8.js'
import { displayText } from './dotenv.js'

const DEFAULT_SECTION = 'DEFAULT'
const SOPS_SECTION = 'sops'

// Go unicode.IsSpace (what strings.TrimSpace trims); differs from JS \s (U+0085 yes, U+FEFF no).
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const LEFT_SPACE = new RegExp(`^[${GO_SPACE}]+`)
const RIGHT_SPACE = new RegExp(`[${GO_SPACE}]+$`)

export function trimLeftGo(s: string): string {
  return s.replace(LEFT_SPACE, '')
}
export function trimGo(s: string): string {
  return s.replace(LEFT_SPACE, '').replace(RIGHT_SPACE, '')
}

/** UTF-8 length: go-ini aligns on byte lengths. */
function byteLength(s: string): number {
  return utf8(s).length
}

// ---------------------------------------------------------------------------------------------
// go-ini's in-memory model: unique section names (a repeated header re-opens the section),
// unique keys per section (a repeated key overwrites the value in place).

interface IniKey {
  name: string
  value: string
  comment: string
}
interface IniSection {
  name: string
  comment: string
  keys: Map<string, IniKey>
}

class IniFile {
  readonly sections = new Map<string, IniSection>()
  constructor() {
    this.section(DEFAULT_SECTION)
  }
  section(name: string): IniSection {
    let s = this.sections.get(name)
    if (s === undefined) {
      s = { name, comment: '', keys: new Map() }
      this.sections.set(name, s)
    }
    return s
  }
  static key(section: IniSection, name: string, value: string): IniKey {
    const existing = section.keys.get(name)
    if (existing !== undefined) {
      existing.value = value
      return existing
    }
    const k: IniKey = { name, value, comment: '' }
    section.keys.set(name, k)
    return k
  }
}

// ---------------------------------------------------------------------------------------------
// Reader

function parseError(line: number, what: string): SecretsError {
  return new SecretsError('input', `invalid INI at line ${line}: ${what}`, { hint: 'fix the INI syntax on that line' })
}

/** go-ini cleanComment: from the first `#` or `;` on, or null. */
function cleanComment(s: string): string | null {
  const i = s.search(/[#;]/)
  return i < 0 ? null : s.slice(i)
}

/** go-ini hasSurroundedQuote: first and last character are the quote and it occurs nowhere else. */
function hasSurroundedQuote(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1
}

class IniParser {
  private pos = 0
  /** Number of the line last read (1-based). */
  private lineNo = 0
  private isEOF = false
  /** go-ini's pending comment buffer: whole comment lines (newline included) awaiting the next key/section. */
  private comment = ''
  readonly file = new IniFile()
  /** Lines each key was read from (first, last), to name the key an error is about. */
  readonly spans: Array<{ section: string; name: string; from: number; to: number }> = []

  constructor(private readonly text: string) {}

  /** bufio ReadBytes('\n'): the line with its newline; the last one (possibly empty) sets isEOF. */
  private readLine(): string {
    this.lineNo++
    const i = this.text.indexOf('\n', this.pos)
    if (i < 0) {
      const s = this.text.slice(this.pos)
      this.pos = this.text.length
      this.isEOF = true
      return s
    }
    const s = this.text.slice(this.pos, i + 1)
    this.pos = i + 1
    return s
  }

  parse(): IniFile {
    let section = this.file.section(DEFAULT_SECTION)
    while (!this.isEOF) {
      const line = trimLeftGo(this.readLine())
      const lineNo = this.lineNo
      if (line === '') continue
      if (line[0] === '#' || line[0] === ';') {
        this.comment += line
        continue
      }
      if (line[0] === '[') {
        const close = line.lastIndexOf(']')
        if (close < 0) throw parseError(lineNo, 'a section header is missing its closing "]"')
        const name = line.slice(1, close)
        if (name === '') throw parseError(lineNo, 'empty section name')
        section = this.file.section(name)
        const c = cleanComment(line.slice(close + 1))
        if (c !== null) this.comment += c
        section.comment = trimGo(this.comment)
        this.comment = ''
        continue
      }
      const { name, offset } = this.readKeyName(line, lineNo)
      if (name === '') throw parseError(lineNo, 'empty key name')
      const value = this.readValue(line.slice(offset), lineNo)
      this.spans.push({ section: section.name, name, from: lineNo, to: this.lineNo })
      const key = IniFile.key(section, name, value)
      key.comment = trimGo(this.comment)
      this.comment = ''
    }
    return this.file
  }

  private readKeyName(line: string, lineNo: number): { name: string; offset: number } {
    let quote = ''
    if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"'
    else if (line[0] === '`') quote = '`'
    if (quote !== '') {
      const start = quote.length
      let pos = line.indexOf(quote, start)
      if (pos < 0) throw parseError(lineNo, 'the quoted key is not closed')
      const rest = line.slice(pos + start).search(/[=:]/)
      if (rest < 0) throw parseError(lineNo, 'expected "key = value" but found no "=" or ":"')
      const name = trimGo(line.slice(start, pos))
      pos += rest
      return { name, offset: pos + start + 1 }
    }
    const end = line.search(/[=:]/)
    if (end < 0) throw parseError(lineNo, 'expected "key = value" but found no "=" or ":"')
    return { name: trimGo(line.slice(0, end)), offset: end + 1 }
  }

  private readValue(input: string, lineNo: number): string {
    let line = trimLeftGo(input)
    if (line === '') return ''
    let quote = ''
    if (line.length > 3 && line.startsWith('"""')) quote = '"""'
    else if (line[0] === '`') quote = '`'
    if (quote !== '') {
      const start = quote.length
      const pos = line.slice(start).lastIndexOf(quote)
      if (pos < 0) return this.readMultiline(line.slice(start), quote, lineNo)
      // go-ini ignores anything after the closing quote on a single-line quoted value.
      return line.slice(start, pos + start)
    }
    line = trimGo(line)
    if (line.endsWith('\\')) return this.readContinuation(line.slice(0, -1))
    const i = line.search(/[#;]/)
    if (i >= 0) {
      this.comment += line.slice(i)
      line = trimGo(line.slice(0, i))
    }
    if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1)
    return line
  }

  private readMultiline(first: string, quote: string, startLine: number): string {
    let val = first
    for (;;) {
      const next = this.readLine()
      const pos = next.lastIndexOf(quote)
      if (pos >= 0) {
        val += next.slice(0, pos)
        const c = cleanComment(next.slice(pos))
        if (c !== null) this.comment += trimGo(c)
        return val
      }
      val += next
      if (this.isEOF) throw parseError(startLine, `the quoted multi-line value (${quote}) is never closed`)
    }
  }

  private readContinuation(first: string): string {
    let val = first
    for (;;) {
      const next = trimGo(this.readLine())
      if (next === '') return val
      val += next
      if (!val.endsWith('\\')) return val
      val = val.slice(0, -1)
    }
  }
}

/** sops stripCommentChar: drop the leading run of `;`/space (or `#`/space). */
function stripCommentChar(c: string): string {
  if (c.startsWith(';')) return c.replace(/^[; ]+/, '')
  if (c.startsWith('#')) return c.replace(/^[# ]+/, '')
  return c
}

function stripBom(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3)
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) return bytes.subarray(2)
  return bytes
}

/**
 * Invalid UTF-8 would reach the tree as U+FFFD (go-ini, and so sops, decode that way) and the
 * stored secret would differ from the file: refuse it, naming the key when the bytes are in one.
 */
function refuseInvalidUtf8(bytes: Uint8Array): void {
  if (isValidUtf8(bytes)) return
  let at = 0
  while (at < bytes.length && isValidUtf8(bytes.subarray(at, Math.min(bytes.length, at + 4)).subarray(0, utf8SeqLength(bytes[at] as number)))) {
    at += utf8SeqLength(bytes[at] as number)
  }
  let line = 1
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++
  const parser = new IniParser(decodeUtf8Go(bytes))
  let where: string | undefined
  try {
    parser.parse()
  } catch {
    // The position is enough when the rest does not parse either.
  }
  const span = parser.spans.find((k) => k.from <= line && line <= k.to)
  if (span !== undefined) where = formatKeyPath([span.section, span.name])
  throw new SecretsError('input', `${span ? 'the key or value' : 'the text'} on line ${line} is not valid UTF-8; it would be stored altered, as U+FFFD`, {
    where,
    hint: 'save the file as UTF-8; encode binary data first (e.g. base64)',
  })
}

/** Bytes in the UTF-8 sequence a lead byte announces (1 for an invalid lead byte). */
function utf8SeqLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1
  if (lead >= 0xc2) return 2
  return 1
}

function parseIni(bytes: Uint8Array): ParsedFile {
  refuseInvalidUtf8(stripBom(bytes))
  const file = new IniParser(decodeUtf8Go(stripBom(bytes))).parse()
  const items: MapEntry[] = []
  let metadata = null
  for (const sec of file.sections.values()) {
    if (sec.name === SOPS_SECTION) {
      // 7.7: strings carry newlines as `\n` (3.13.2+) or as real newlines in `"""` (3.13.0/1).
      const pairs = [...sec.keys.values()].map((k): [string, string] => [k.name, k.value.replace(/\\n/g, '\n')])
      metadata = unflattenMetadata(pairs)
      continue
    }
    const sectionItems: Array<MapEntry | Comment> = []
    if (sec.comment !== '') sectionItems.push({ kind: 'comment', text: stripCommentChar(sec.comment) })
    for (const k of sec.keys.values()) {
      sectionItems.push({ kind: 'entry', key: k.name, value: { kind: 'str', value: k.value } })
      // The tree keeps a key's comment right after the key, although the file has it above.
      if (k.comment !== '') sectionItems.push({ kind: 'comment', text: stripCommentChar(k.comment) })
    }
    items.push({ kind: 'entry', key: sec.name, value: { kind: 'map', items: sectionItems } })
  }
  return { branches: [{ kind: 'map', items }], metadata }
}

// ---------------------------------------------------------------------------------------------
// Writer

function cannotEmit(what: string): SecretsError {
  return new SecretsError('input', `cannot write as INI: ${what}`, {
    hint: 'INI holds sections of flat key = value pairs; choose another output format',
  })
}

/** Load the tree into the go-ini model the way sops's encodeTree does. */
function buildIniFile(branch: MapNode | undefined): IniFile {
  const file = new IniFile()
  for (const it of branch?.items ?? []) {
    if (it.kind === 'comment') continue // sops drops top-level comments: INI has nowhere to put them
    if (it.value.kind !== 'map') throw cannotEmit(`the top-level key ${formatKeyPath([it.key])} is not a section (a map)`)
    if (it.key === '') throw cannotEmit('a section has an empty name')
    const section = file.section(it.key)
    const sectionItems = it.value.items
    let first = 0
    const head = sectionItems[0]
    if (head !== undefined && head.kind === 'comment') {
      section.comment = head.text
      first = 1
    }
    // A comment belongs to the key before it (written above that key); like sops, a later
    // comment replaces an earlier one and a comment with no key before it is dropped.
    let last: IniKey | null = null
    for (let i = first; i < sectionItems.length; i++) {
      const item = sectionItems[i] as MapEntry | Comment
      if (item.kind === 'comment') {
        if (last !== null) last.comment = item.text
        continue
      }
      const where = formatKeyPath([it.key, item.key])
      if (item.key === '') throw cannotEmit(`a key in section ${formatKeyPath([it.key])} is empty`)
      const v: Node = item.value
      if (v.kind === 'map' || v.kind === 'list') throw cannotEmit(`the value of ${where} is a ${v.kind}`)
      last = IniFile.key(section, item.key, displayText(v))
    }
  }
  return file
}

function commentLines(comment: string, trimPlain: boolean): string {
  let out = ''
  for (const line of comment.split('\n')) {
    if (line === '') out += ';\n' // go-ini would panic on an empty line; a bare `;` reads back the same
    else if (line[0] !== '#' && line[0] !== ';') out += '; ' + (trimPlain ? trimGo(line) : line) + '\n'
    else out += line[0] + ' ' + trimGo(line.slice(1)) + '\n'
  }
  return out
}

/** go-ini File.WriteTo with PrettyFormat/PrettySection (its defaults), as sops calls it. */
function writeIniFile(file: IniFile): string {
  let out = ''
  let i = 0
  for (const sec of file.sections.values()) {
    const index = i++
    if (sec.comment !== '') out += commentLines(sec.comment, false)
    if (index > 0 || sec.name.toUpperCase() !== DEFAULT_SECTION) out += '[' + sec.name + ']\n'
    else if (sec.keys.size === 0) continue // DEFAULT: no header when first, nothing when empty
    let align = 0
    for (const name of sec.keys.keys()) {
      let len = byteLength(name)
      if (name.includes('"') || /[=:]/.test(name)) len += 2
      else if (name.includes('`')) len += 6
      align = Math.max(align, len)
    }
    for (const key of sec.keys.values()) {
      if (key.comment !== '') out += commentLines(key.comment, true)
      let name = key.name
      if (name.includes('"') || /[=:]/.test(name)) name = '`' + name + '`'
      else if (name.includes('`')) name = '"""' + name + '"""'
      let val = key.value
      if (/[\n`]/.test(val)) val = '"""' + val + '"""'
      else if (/[#;]/.test(val)) val = '`' + val + '`'
      else if (trimGo(val).length !== val.length) val = '"' + val + '"'
      out += name + ' '.repeat(Math.max(0, align - byteLength(name))) + ' = ' + val + '\n'
    }
    out += '\n' // go-ini's PrettySection: a blank line after every section, the last one included
  }
  return out
}

function emitIni(file: ParsedFile): Uint8Array {
  const ini = buildIniFile(file.branches[0])
  if (file.metadata !== null) {
    const section = ini.section(SOPS_SECTION)
    for (const [k, v] of flattenMetadata(file.metadata)) IniFile.key(section, k, v.replace(/\n/g, '\\n'))
  }
  return utf8(writeIniFile(ini))
}

export const iniStore: Store = withLimits({
  format: 'ini',

  parse(bytes: Uint8Array): ParsedFile {
    return parseIni(bytes)
  },

  emit(file: ParsedFile): Uint8Array {
    return emitIni(file)
  },

  emitValue(node: Node): Uint8Array {
    if (node.kind === 'str') return utf8(node.value)
    if (node.kind === 'bytes') return node.value
    if (node.kind === 'map') return emitIni({ branches: [node], metadata: null })
    return utf8(jsonText(node, null)) // sops: json.Marshal of the value
  },
})
