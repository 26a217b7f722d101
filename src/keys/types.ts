// The master-key contract: each kind wraps and unwraps the data key (or a Shamir share) and
// round-trips its metadata entry. Kinds live in their own modules and are loaded lazily.
import type { KeyType } from '../model/metadata.js'
import type { PlainObject } from '../tree/types.js'
import type { CryptoBackend } from '../crypto/backend.js'
import type { KeyCache } from './session.js'

export interface KeyContext {
  env: NodeJS.ProcessEnv
  /** Informational warnings (stderr), e.g. an identity file readable by others. */
  warn(message: string): void
  /** Per-session caches (identities, KMS clients); without one nothing is cached (KeySession has one). */
  readonly cache?: KeyCache
  /** The cipher and hash implementation (default node:crypto). */
  readonly crypto?: CryptoBackend
}

export interface MasterKey {
  readonly kind: KeyType
  /** The identity string sops uses (age: recipient, pgp: fingerprint, kms: arn[+role]...). */
  readonly id: string
  /**
   * Wrap `dataKey` (32 bytes, or a 33-byte Shamir share); afterwards toMetadata() holds `enc`.
   * `ctx` carries the environment (GNUPGHOME, AWS settings) when the caller has one.
   */
  wrap(dataKey: Uint8Array, ctx?: KeyContext): Promise<void>
  /** Recover the wrapped bytes; throws KeyError saying why this key could not be used. */
  unwrap(ctx: KeyContext): Promise<Uint8Array>
  /** The metadata entry (keys in any order; the writer sorts them). */
  toMetadata(): PlainObject
}

/** Why one master key could not unwrap; collected into the "could not get the data key" message. */
export class KeyError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'KeyError'
  }
}
