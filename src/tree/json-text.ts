// A tree value as JSON text the way Go's encoding/json writes it (sops's JSON store, the value of
// a nested key given to a program as one variable, `get --json`): HTML-safe string escapes, Go's
// float form, int64 exact. Only text; the JSON store parses and lays out whole files.
import { SecretsError, formatKeyPath } from '../errors.js'
import { formatGoJsonFloat } from '../util/go-float.js'
import { decodeUtf8Go } from '../util/utf8.js'
import type { Node, PlainValue } from './types.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const HEX = '0123456789abcdef'

/** Go json.Marshal of a string: HTML-safe escapes (`<` `>` `&`), U+2028/2029, `\b` `\f` (Go >= 1.22). */
export function quoteJsonString(s: string): string {
  let out = '"'
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    let esc: string | null = null
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      switch (c) {
        case 0x22:
          esc = '\\"'
          break
        case 0x5c:
          esc = '\\\\'
          break
        case 0x0a:
          esc = '\\n'
          break
        case 0x0d:
          esc = '\\r'
          break
        case 0x09:
          esc = '\\t'
          break
        case 0x08:
          esc = '\\b'
          break
        case 0x0c:
          esc = '\\f'
          break
        default:
          esc = '\\u00' + HEX[c >> 4] + HEX[c & 0xf]
      }
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? '\\u2028' : '\\u2029'
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate cannot be UTF-8 encoded; Go writes invalid UTF-8 as \ufffd.
      const next = s.charCodeAt(i + 1)
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
      esc = '\\ufffd'
    }
    if (esc !== null) {
      out += s.slice(start, i) + esc
      start = i + 1
    }
  }
  return out + s.slice(start) + '"'
}

/** Go's JSON float format: like JS `String(n)` for finite numbers, except that `-0` keeps its sign. */
export function formatJsonFloat(n: number): string {
  return formatGoJsonFloat(n)
}

const JSON_INT = /^-?(?:0|[1-9]\d*)$/
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/** A JSON number literal our parser reads back as a float (not an int64). */
function reparsesAsFloat(text: string): boolean {
  if (!JSON_NUMBER.test(text)) return false
  if (!JSON_INT.test(text)) return true
  const v = BigInt(text)
  return v < INT64_MIN || v > INT64_MAX
}

type Path = Array<string | number>

/**
 * One value as JSON text. `indent` null = compact (Go json.Marshal), otherwise json.Indent style with
 * that unit; `depth` is the current nesting level.
 */
export function jsonText(n: Node, indent: string | null, depth = 0, path: Path = []): string {
  switch (n.kind) {
    case 'map': {
      const parts: string[] = []
      for (const it of n.items) {
        if (it.kind === 'comment') continue // JSON has no comments (sops drops them too)
        parts.push(quoteJsonString(it.key) + (indent === null ? ':' : ': ') + jsonText(it.value, indent, depth + 1, [...path, it.key]))
      }
      return wrapJson('{', '}', parts, indent, depth)
    }
    case 'list': {
      const parts: string[] = []
      let i = 0
      for (const it of n.items) {
        if (it.kind === 'comment') continue
        parts.push(jsonText(it, indent, depth + 1, [...path, i++]))
      }
      return wrapJson('[', ']', parts, indent, depth)
    }
    case 'str':
    case 'time':
      return quoteJsonString(n.value)
    case 'bytes':
      return quoteJsonString(decodeUtf8Go(n.value))
    case 'int':
      return n.value.toString()
    case 'float':
      if (!Number.isFinite(n.value)) {
        throw new SecretsError('input', `JSON cannot hold NaN or Infinity (at ${formatKeyPath(path) || 'the top level'})`, {
          hint: 'use another output format, or change the value',
        })
      }
      // Re-emit the literal the file used (`1.0` stays a float after a round trip) when it is
      // valid JSON for the same number; otherwise Go's shortest form.
      if (n.source !== undefined && reparsesAsFloat(n.source) && Object.is(Number(n.source), n.value)) return n.source
      return formatJsonFloat(n.value)
    case 'bool':
      return n.value ? 'true' : 'false'
    case 'null':
      return 'null'
  }
}

export function plainJsonText(v: PlainValue, indent: string | null, depth: number): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return quoteJsonString(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SecretsError('internal', 'metadata holds a non-finite number')
    return Number.isInteger(v) && Math.abs(v) < 1e21 ? BigInt(v).toString() : formatJsonFloat(v)
  }
  if (Array.isArray(v))
    return wrapJson(
      '[',
      ']',
      v.map((x) => plainJsonText(x, indent, depth + 1)),
      indent,
      depth,
    )
  const parts = Object.keys(v).map((k) => quoteJsonString(k) + (indent === null ? ':' : ': ') + plainJsonText(v[k] as PlainValue, indent, depth + 1))
  return wrapJson('{', '}', parts, indent, depth)
}

export function wrapJson(open: string, close: string, parts: string[], indent: string | null, depth: number): string {
  if (parts.length === 0) return open + close
  if (indent === null) return open + parts.join(',') + close
  const inner = '\n' + indent.repeat(depth + 1)
  return open + inner + parts.join(',' + inner) + '\n' + indent.repeat(depth) + close
}
