// The sops MAC: one SHA-512 over the canonical bytes of every hashed value, in document order,
// written as uppercase hex and stored encrypted with `lastmodified` as additional data (spec 5).
import { createHash } from 'node:crypto'
import { rfc3339Seconds } from '../util/clock.js'

export interface Sha512 {
  update(b: Uint8Array): unknown
  digest(): Uint8Array
}
/** SHA-512 constructors: node:crypto (native, the default) and @noble/hashes (the audited reference). */
export type Sha512Factory = () => Sha512
export const nodeSha512: Sha512Factory = () => createHash('sha512')
export async function nobleSha512(): Promise<Sha512Factory> {
  const { sha512 } = await import('@noble/hashes/sha2.js')
  return () => sha512.create()
}

/** SHA-256("sops"): fed first when mac_only_encrypted is set, so the two MAC modes never collide. */
const MAC_ONLY_ENCRYPTED_PREFIX = Uint8Array.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b, 0x3b,
  0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
])

export class MacHasher {
  private readonly h: Sha512
  constructor(macOnlyEncrypted: boolean, sha512: Sha512Factory = nodeSha512) {
    this.h = sha512()
    if (macOnlyEncrypted) this.h.update(MAC_ONLY_ENCRYPTED_PREFIX)
  }
  update(bytes: Uint8Array): void {
    if (bytes.length > 0) this.h.update(bytes)
  }
  /** 128 uppercase hex characters. */
  hex(): string {
    return Buffer.from(this.h.digest()).toString('hex').toUpperCase()
  }
}

/** Normalise `lastmodified` the way sops does before using it as AAD (drop fraction, +00:00 -> Z). */
export function normalizeLastModified(s: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s.trim())
  if (m === null) return null
  const [, d, t, zone] = m as unknown as [string, string, string, string]
  const z = zone === 'z' || zone === 'Z' || zone === '+00:00' || zone === '-00:00' ? 'Z' : zone
  return `${d}T${t}${z}`
}

/** Current UTC time, whole seconds: `2026-05-22T20:16:23Z`. */
export function nowLastModified(date?: Date): string {
  return rfc3339Seconds(date)
}
