// The master-key contract: each kind wraps and unwraps the data key (or a Shamir share) and
// round-trips its metadata entry. Kinds live in their own modules and are loaded lazily.
import type { KeyType } from '../model/metadata.js'
import type { PlainObject } from '../tree/types.js'
import type { CryptoBackend } from '../crypto/backend.js'
import type { KeyCache } from './session.js'

export interface KeyContext {
  env: NodeJS.ProcessEnv
  /** Informational warnings (stderr), e.g. an identity file readable by others. */
  warn: (message: string) => void
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

/** Something wrong with where the user's keys come from (SOPS_AGE_KEY_FILE points nowhere...). */
export interface KeyNote {
  message: string
  hint: string
}

/** What a KeyError knows beyond its message, for the combined "could not get the data key" line. */
export interface KeyErrorInfo {
  /**
   * no-identity: the user has no key of this kind at all; no-match: they have some, but not one
   * this entry was made for; damaged: the entry cannot be read, or does not open with the user's
   * key that it names (`ours`). Undefined: another failure (gpg prompt, KMS access, network).
   */
  reason?: 'no-identity' | 'no-match' | 'damaged'
  /** The entry names a key the user holds (so the entry itself is at fault). */
  ours?: boolean
  /** The user's own public keys of this kind (age recipients, PGP fingerprints): public, never private keys. */
  mine?: string[]
  /** One phrase about the user's keys of this kind and where they were looked for. */
  holder?: string
  /** Problems with the key sources, reported even when another key opens the file. */
  notes?: KeyNote[]
}

/** Why one master key could not unwrap; collected into the "could not get the data key" message. */
export class KeyError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly info: KeyErrorInfo = {},
  ) {
    super(message)
    this.name = 'KeyError'
  }
}

/** Warn about key-source problems, each once per key session (one CLI run or library call shares one). */
export function reportNotes(ctx: KeyContext, notes: readonly KeyNote[] | undefined): void {
  if (notes === undefined || notes.length === 0) return
  const fresh = (): Set<string> => new Set<string>()
  const seen = ctx.cache !== undefined ? ctx.cache.get('reported-notes', fresh) : fresh()
  for (const n of notes) {
    const line = `${n.message} - ${n.hint}`
    if (seen.has(line)) continue
    seen.add(line)
    ctx.warn(line)
  }
}
