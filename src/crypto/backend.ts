// The two implementations of the value cipher and the MAC hash behind one shape: node:crypto
// (native, ~6x faster per value, the default) and @noble/ciphers + @noble/hashes (pure JS, audited,
// the reference). A key session (keys/session.ts) holds one; tests prove both give identical bytes.
import { nobleGcm, nodeGcm, type GcmBackend } from './cipher.js'
import { nobleSha512, nodeSha512, type Sha512Factory } from './mac.js'

export type CryptoName = 'node' | 'noble'

export interface CryptoBackend {
  readonly name: CryptoName
  readonly gcm: GcmBackend
  readonly sha512: Sha512Factory
}

export const nodeCrypto: CryptoBackend = { name: 'node', gcm: nodeGcm, sha512: nodeSha512 }

/** The @noble reference (loaded on first use: it is not on the fast path). */
export async function nobleCrypto(): Promise<CryptoBackend> {
  const [gcm, sha512] = await Promise.all([nobleGcm(), nobleSha512()])
  return { name: 'noble', gcm, sha512 }
}

export async function cryptoBackend(name: CryptoName = 'node'): Promise<CryptoBackend> {
  return name === 'noble' ? nobleCrypto() : nodeCrypto
}
