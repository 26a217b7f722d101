// UTF-8 text <-> bytes, one encoder and decoder for the whole program. `decodeUtf8Strict` throws
// on invalid bytes (a value that must be text); `decodeUtf8` replaces them (messages, comments).
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

export function utf8(s: string): Uint8Array {
  return encoder.encode(s)
}

export function decodeUtf8(b: Uint8Array): string {
  return decoder.decode(b)
}

/** Throws a TypeError when `b` is not valid UTF-8. */
export function decodeUtf8Strict(b: Uint8Array): string {
  return strictDecoder.decode(b)
}

/** True when the bytes are valid UTF-8 (so a str scalar holds them without loss). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictDecoder.decode(bytes)
    return true
  } catch {
    return false
  }
}

/** Bytes -> string the way Go's string handling sees it: each byte of an invalid UTF-8 sequence becomes one U+FFFD. */
export function decodeUtf8Go(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const slice = bytes.subarray(start, end)
  try {
    return strictDecoder.decode(slice)
  } catch {
    // WHATWG replaces a truncated sequence with a single U+FFFD, Go with one per byte; the
    // difference reaches the MAC, so decode by hand on this (rare) path.
  }
  let out = ''
  let i = 0
  while (i < slice.length) {
    const [cp, size] = decodeRuneGo(slice, i)
    out += String.fromCodePoint(cp)
    i += size
  }
  return out
}

/** Go utf8.DecodeRune: [code point, width]; (U+FFFD, 1) on any invalid sequence. */
export function decodeRuneGo(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i] as number
  if (c0 < 0x80) return [c0, 1]
  const cont = (j: number, lo = 0x80, hi = 0xbf): number => {
    const c = b[i + j]
    return c !== undefined && c >= lo && c <= hi ? c : -1
  }
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1)
    if (c1 >= 0) return [((c0 & 0x1f) << 6) | (c1 & 0x3f), 2]
  } else if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf)
    const c2 = c1 >= 0 ? cont(2) : -1
    if (c2 >= 0) return [((c0 & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f), 3]
  } else if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf)
    const c2 = c1 >= 0 ? cont(2) : -1
    const c3 = c2 >= 0 ? cont(3) : -1
    if (c3 >= 0) return [((c0 & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f), 4]
  }
  return [0xfffd, 1]
}
