// Fast age X25519 unwrap on node:crypto's native primitives (X25519, HKDF-SHA256, HMAC,
// ChaCha20-Poly1305), following the age v1 spec (age-encryption.org/v1). Decrypt is the hot
// path: this avoids loading the pure-JS `age-encryption` stack (~140 ms cold) for one 32-byte
// payload. `age-encryption` stays the reference: tests check both agree with the `age` CLI.
import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto'
import { bech32 } from '@scure/base'
import { KeyError } from './types.js'

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex')

export interface X25519Identity {
  privateKey: KeyObject
  /** Our own public key (the recipient's raw 32 bytes), part of the HKDF salt. */
  publicKey: Buffer
}

/** Parse `AGE-SECRET-KEY-1...`; null for anything else (plugins, post-quantum: use the library). */
export function parseX25519Identity(s: string): X25519Identity | null {
  if (!s.startsWith('AGE-SECRET-KEY-1')) return null
  let secret: Uint8Array
  try {
    const d = bech32.decode(s.toLowerCase() as `${string}1${string}`, 1000)
    if (d.prefix !== 'age-secret-key-') return null
    secret = bech32.fromWords(d.words)
  } catch {
    return null
  }
  if (secret.length !== 32) return null
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: 'der', type: 'pkcs8' })
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  return { privateKey, publicKey: Buffer.from(String(jwk.x), 'base64url') }
}

interface Stanza {
  type: string
  args: string[]
  body: Buffer
}

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----'

/** Strict-enough armor decoding: the framing lines, base64 lines of at most 64 characters. */
export function dearmor(text: string): Buffer | null {
  const t = text.trim()
  if (!t.startsWith(ARMOR_BEGIN) || !t.endsWith(ARMOR_END)) return null
  const body = t.slice(ARMOR_BEGIN.length, t.length - ARMOR_END.length).replace(/\r?\n/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return null
  return Buffer.from(body, 'base64')
}

const b64raw = (s: string): Buffer | null => (/^[A-Za-z0-9+/]*$/.test(s) ? Buffer.from(s, 'base64') : null)

function parseHeader(file: Buffer): { stanzas: Stanza[]; macInput: Buffer; mac: Buffer; payload: Buffer } | null {
  let pos = 0
  const line = (): string | null => {
    const nl = file.indexOf(0x0a, pos)
    if (nl < 0) return null
    const l = file.subarray(pos, nl).toString('latin1')
    pos = nl + 1
    return l
  }
  if (line() !== 'age-encryption.org/v1') return null
  const stanzas: Stanza[] = []
  for (;;) {
    const start = pos
    const l = line()
    if (l === null) return null
    if (l.startsWith('--- ')) {
      const mac = b64raw(l.slice(4))
      if (mac === null || mac.length !== 32) return null
      return { stanzas, macInput: file.subarray(0, start + 3), mac, payload: file.subarray(pos) }
    }
    if (!l.startsWith('-> ')) return null
    const [type = '', ...args] = l.slice(3).split(' ')
    const chunks: Buffer[] = []
    for (;;) {
      const b = line()
      if (b === null) return null
      const dec = b64raw(b)
      if (dec === null || b.length > 64) return null
      chunks.push(dec)
      if (b.length < 64) break
    }
    stanzas.push({ type, args, body: Buffer.concat(chunks) })
  }
}

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32))

function chachaOpen(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < 16) return null
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
    d.setAuthTag(sealed.subarray(sealed.length - 16))
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])
  } catch {
    return null
  }
}

const LOW_ORDER = 'its age X25519 stanza carries a low-order share (the shared secret would be all zeros), which age refuses'
const LOW_ORDER_HINT = 'the file was damaged or crafted: restore it from git'

/** The file key from one stanza for one identity; null when it is not for this identity; KeyError when the stanza is invalid. */
function unwrapStanza(st: Stanza, id: X25519Identity): Buffer | null {
  if (st.type !== 'X25519' || st.args.length !== 1 || st.body.length !== 32) return null
  const share = b64raw(st.args[0] as string)
  if (share === null || share.length !== 32) return null
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey: id.privateKey, publicKey: createPublicKey({ key: Buffer.concat([SPKI_X25519, share]), format: 'der', type: 'spki' }) })
  } catch {
    // OpenSSL refuses to derive from a low-order point (its result would be all zeros).
    throw new KeyError(LOW_ORDER, LOW_ORDER_HINT)
  }
  // age's rule: an all-zero shared secret means a low-order share; the stanza is invalid.
  if (shared.every((b) => b === 0)) throw new KeyError(LOW_ORDER, LOW_ORDER_HINT)
  const wrapKey = hkdf(shared, Buffer.concat([share, id.publicKey]), 'age-encryption.org/v1/X25519')
  return chachaOpen(wrapKey, Buffer.alloc(12), st.body)
}

/** Decrypt a small armored age file with X25519 identities; null when none matches or the file is not one we handle. */
export function ageDecryptSmall(armored: string, identities: X25519Identity[]): Uint8Array | null {
  const file = dearmor(armored)
  if (file === null) return null
  const h = parseHeader(file)
  if (h === null) return null
  for (const st of h.stanzas) {
    for (const id of identities) {
      const fileKey = unwrapStanza(st, id)
      if (fileKey === null) continue
      const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(h.macInput).digest()
      if (!timingSafeEqual(mac, h.mac)) return null
      if (h.payload.length < 16) return null
      const payloadKey = hkdf(fileKey, h.payload.subarray(0, 16), 'payload')
      const body = h.payload.subarray(16)
      if (body.length > 64 * 1024 + 16) return null // multi-chunk payloads: leave them to the library
      const nonce = Buffer.alloc(12)
      nonce[11] = 1 // counter 0, last chunk
      return chachaOpen(payloadKey, nonce, body)
    }
  }
  return null
}
