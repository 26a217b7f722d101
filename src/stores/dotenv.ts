// dotenv store (spec 6.3, 7.6): sops's deliberately naive `KEY=VALUE` lines - no trimming, no
// quotes, no `export` - with `sops_*` keys holding the flattened metadata. Also exports the
// "display" rendering of typed scalars (spec 11.5) that the INI store uses as well.
import { SecretsError, formatKeyPath } from '../errors.js'
import type { Node, MapEntry, Comment, ParsedFile, Scalar } from '../tree/types.js'
import { withLimits, type Store } from './store.js'
import { flattenMetadata, unflattenMetadata } from './flatten.js'
import { concatBytes } from './json.js'
import { formatGoFloat } from '../util/go-float.js'
import { decodeUtf8Go, isValidUtf8, utf8 } from '../util/utf8.js'

const SOPS_PREFIX = 'sops_'
const NL = 0x0a
const BACKSLASH = 0x5c
const LETTER_N = 0x6e

/** Go strconv.FormatFloat(v, 'G', -1, 64) plus the `.0` sops adds when the text would read as an integer. */
export function displayFloat(v: number): string {
  const text = formatGoFloat(v, 'G')
  return Number.isFinite(v) && !/[.E]/.test(text) ? text + '.0' : text
}

/**
 * A scalar as plain text when a format has no types (dotenv, INI): ints decimal, floats per
 * displayFloat, bools `true`/`false`, times RFC 3339 without fraction, null as empty text.
 */
export function displayText(s: Scalar): string {
  switch (s.kind) {
    case 'str':
      return s.value
    case 'bytes':
      return decodeUtf8Go(s.value)
    case 'int':
      return s.value.toString()
    case 'float':
      return displayFloat(s.value)
    case 'bool':
      return s.value ? 'true' : 'false'
    case 'time':
      return s.value.replace(/\.\d+(?=Z$|[+-]\d\d:\d\d$)/, '')
    case 'null':
      return ''
  }
}

/** Replace every two-byte `\n` by a newline byte (sops does this on the whole value). */
function unescapeNewlines(b: Uint8Array): Uint8Array {
  let hits = 0
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === BACKSLASH && b[i + 1] === LETTER_N) hits++
  if (hits === 0) return b
  const out = new Uint8Array(b.length - hits)
  let o = 0
  for (let i = 0; i < b.length; i++) {
    if (b[i] === BACKSLASH && b[i + 1] === LETTER_N) {
      out[o++] = NL
      i++
    } else {
      out[o++] = b[i] as number
    }
  }
  return out
}

function escapeNewlinesBytes(b: Uint8Array): Uint8Array {
  if (!b.includes(NL)) return b
  const parts: number[] = []
  for (const c of b) {
    if (c === NL) parts.push(BACKSLASH, LETTER_N)
    else parts.push(c)
  }
  return Uint8Array.from(parts)
}

function cannotEmit(what: string): SecretsError {
  return new SecretsError('input', `cannot write as dotenv: ${what}`, {
    hint: 'dotenv holds only flat KEY=VALUE pairs; choose another output format',
  })
}

function notUtf8(what: string): SecretsError {
  return new SecretsError('input', `${what} is not valid UTF-8; it would be stored altered, as U+FFFD`, {
    hint: 'save the file as UTF-8 (values may hold any bytes, keys and comments may not)',
  })
}

function parseDotenv(bytes: Uint8Array): ParsedFile {
  const items: Array<MapEntry | Comment> = []
  const meta: Array<[string, string]> = []
  let start = 0
  let lineNo = 0
  while (start <= bytes.length) {
    let end = bytes.indexOf(NL, start)
    if (end < 0) end = bytes.length
    lineNo++
    const line = bytes.subarray(start, end)
    start = end + 1
    if (line.length === 0) continue
    // A blank line of a CRLF file is a lone CR; sops rejects it (no `=`), we simply skip it.
    if (line.length === 1 && line[0] === 0x0d) continue
    if (line[0] === 0x23) {
      const text = line.subarray(1)
      if (!isValidUtf8(text)) throw notUtf8(`the comment on line ${lineNo}`)
      items.push({ kind: 'comment', text: decodeUtf8Go(text) })
      continue
    }
    const eq = line.indexOf(0x3d)
    if (eq < 0) {
      throw new SecretsError('input', `invalid dotenv line ${lineNo}: expected KEY=VALUE but found no "="`, {
        hint: 'every non-empty line must be KEY=VALUE or a comment starting with #',
      })
    }
    const keyBytes = line.subarray(0, eq)
    // Values are bytes to sops and kept exactly; a key (or comment) would silently become U+FFFD.
    if (!isValidUtf8(keyBytes)) throw notUtf8(`the key on line ${lineNo}`)
    const key = decodeUtf8Go(keyBytes)
    const raw = unescapeNewlines(line.subarray(eq + 1))
    if (key.startsWith(SOPS_PREFIX)) {
      // A CRLF file (say, after git's autocrlf) ends every metadata value with CR: never part of it.
      meta.push([key.slice(SOPS_PREFIX.length), decodeUtf8Go(raw).replace(/\r$/, '')])
      continue
    }
    // Values are raw bytes for sops; keep invalid UTF-8 as bytes so the MAC sees the same bytes.
    const value: Scalar = isValidUtf8(raw) ? { kind: 'str', value: decodeUtf8Go(raw) } : { kind: 'bytes', value: raw.slice() }
    items.push({ kind: 'entry', key, value })
  }
  return { branches: [{ kind: 'map', items }], metadata: meta.length > 0 ? unflattenMetadata(meta) : null }
}

function emitDotenv(file: ParsedFile): Uint8Array {
  const parts: Uint8Array[] = []
  const branch = file.branches[0]
  for (const it of branch?.items ?? []) {
    if (it.kind === 'comment') {
      // One `#` line per line of text: a multi-line comment (from INI) must not break the file.
      for (const l of it.text.split('\n')) parts.push(utf8('#' + l + '\n'))
      continue
    }
    const where = formatKeyPath([it.key])
    if (/[=\n]/.test(it.key)) throw cannotEmit(`the key ${where} contains "=" or a newline`)
    if (it.key.startsWith('#')) throw cannotEmit(`the key ${where} starts with "#" (it would read back as a comment)`)
    if (it.key.startsWith(SOPS_PREFIX)) throw cannotEmit(`the key ${where} starts with "sops_", which is reserved for metadata`)
    const v: Node = it.value
    if (v.kind === 'map' || v.kind === 'list') throw cannotEmit(`the value of ${where} is a ${v.kind === 'map' ? 'map' : 'list'}`)
    const value = v.kind === 'bytes' ? v.value : utf8(displayText(v))
    parts.push(utf8(it.key + '='), escapeNewlinesBytes(value), utf8('\n'))
  }
  if (file.metadata !== null) {
    for (const [k, v] of flattenMetadata(file.metadata)) parts.push(utf8(`${SOPS_PREFIX}${k}=${v.replace(/\n/g, '\\n')}\n`))
  }
  return concatBytes(parts)
}

export const dotenvStore: Store = withLimits({
  format: 'dotenv',

  parse(bytes: Uint8Array): ParsedFile {
    return parseDotenv(bytes)
  },

  emit(file: ParsedFile): Uint8Array {
    return emitDotenv(file)
  },

  emitValue(node: Node): Uint8Array {
    if (node.kind === 'str') return utf8(node.value)
    if (node.kind === 'bytes') return node.value
    if (node.kind === 'map') return emitDotenv({ branches: [node], metadata: null })
    throw new SecretsError('usage', 'the dotenv format can only extract string values', {
      hint: 'extract with --output-type json or yaml instead',
    })
  },
})
