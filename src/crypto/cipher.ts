// The sops value cipher: AES-256-GCM with a 32-byte nonce, the key path as additional data,
// serialised as `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]` (spec section 3).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SecretsError } from '../errors.js'
import { utf8 } from '../util/utf8.js'

/**
 * AES-256-GCM seal/open. Two interchangeable backends: @noble/ciphers (the reference) and
 * node:crypto (native; the default, as it spares start-up and is ~6x faster per value).
 * A key session (keys/session.ts) picks one; tests check both give identical bytes.
 */
export interface GcmBackend {
  seal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array
  open(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array
}

export const nodeGcm: GcmBackend = {
  seal(key, iv, plaintext, aad) {
    const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
    c.setAAD(aad)
    const head = c.update(plaintext)
    const tail = c.final()
    const out = new Uint8Array(head.length + tail.length + 16)
    out.set(head)
    out.set(tail, head.length)
    out.set(c.getAuthTag(), head.length + tail.length)
    return out
  },
  open(key, iv, sealed, aad) {
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
    d.setAAD(aad)
    d.setAuthTag(sealed.subarray(sealed.length - 16))
    const head = d.update(sealed.subarray(0, sealed.length - 16))
    const tail = d.final() // throws when authentication fails
    return new Uint8Array(Buffer.concat([head, tail]))
  },
}

export async function nobleGcm(): Promise<GcmBackend> {
  const { gcm } = await import('@noble/ciphers/aes.js')
  return {
    seal: (key, iv, plaintext, aad) => gcm(key, iv, aad).encrypt(plaintext),
    open: (key, iv, sealed, aad) => gcm(key, iv, aad).decrypt(sealed),
  }
}


export type TokenType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes' | 'comment'
const TOKEN_TYPES = new Set<string>(['str', 'int', 'float', 'bool', 'time', 'bytes', 'comment'])

export interface EncToken {
  data: Uint8Array
  iv: Uint8Array
  tag: Uint8Array
  type: string
}

// sops: ^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\] (greedy, unanchored at the end)
const TOKEN_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/

export function isEncToken(s: string): boolean {
  return s.startsWith('ENC[AES256_GCM,') && TOKEN_RE.test(s)
}

/** Parse a token; null when the string is not one. Throws when it is one but is malformed. */
export function parseEncToken(s: string): EncToken | null {
  const m = TOKEN_RE.exec(s)
  if (m === null) return null
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string]
  for (const part of [data, iv, tag]) {
    if (!B64_RE.test(part) || part.length % 4 !== 0) {
      throw new SecretsError('decrypt', 'an encrypted value is corrupted (bad base64 in its token)', {
        hint: 'restore the file from git; the token was edited by hand or damaged',
      })
    }
  }
  return { data: b64decode(data), iv: b64decode(iv), tag: b64decode(tag), type }
}

export function formatEncToken(t: EncToken): string {
  return `ENC[AES256_GCM,data:${b64encode(t.data)},iv:${b64encode(t.iv)},tag:${b64encode(t.tag)},type:${t.type}]`
}

export function randomIv(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/** Encrypt plaintext bytes; `iv` is fresh unless the caller reuses one for an unchanged value (spec 3.8). */
export function encryptBytes(key: Uint8Array, plaintext: Uint8Array, aad: string, type: TokenType, iv: Uint8Array = randomIv(), gcm: GcmBackend = nodeGcm): string {
  const sealed = gcm.seal(key, iv, plaintext, utf8(aad))
  const data = sealed.subarray(0, sealed.length - 16)
  const tag = sealed.subarray(sealed.length - 16)
  return formatEncToken({ data, iv, tag, type })
}

/** Decrypt a parsed token; throws SecretsError('decrypt') on authentication failure. */
export function decryptToken(key: Uint8Array, token: EncToken, aad: string, gcm: GcmBackend = nodeGcm): Uint8Array {
  if (token.iv.length === 0) throw new SecretsError('decrypt', 'an encrypted value has an empty IV')
  if (token.tag.length !== 16) throw new SecretsError('decrypt', 'an encrypted value has a tag that is not 16 bytes')
  if (!TOKEN_TYPES.has(token.type)) {
    throw new SecretsError('decrypt', `an encrypted value has an unknown type tag "${token.type.slice(0, 20)}"`)
  }
  const sealed = new Uint8Array(token.data.length + 16)
  sealed.set(token.data)
  sealed.set(token.tag, token.data.length)
  try {
    return gcm.open(key, token.iv, sealed, utf8(aad))
  } catch {
    throw new SecretsError('decrypt', 'a value failed authentication (tampered value, key name, type or IV, or a different data key)')
  }
}


export function b64encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}
export function b64decode(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'))
}
