// age master key (X25519 recipients via `age-encryption`): `enc` is an armored age file whose
// payload is the data key or a Shamir share (spec 8.2).
import type { PlainObject } from '../tree/types.js'
import { loadAgeIdentities, type AgeIdentities } from './age-identities.js'
import { ageDecryptSmall, parseX25519Identity, type X25519Identity } from './age-unwrap.js'
import { KeyError, type KeyContext, type MasterKey } from './types.js'
import { describeRecipient } from '../redact.js'

type AgeLib = typeof import('age-encryption')
let agePromise: Promise<AgeLib> | undefined
const ageLib = (): Promise<AgeLib> => (agePromise ??= import('age-encryption'))


/** Is this a recipient string we can encrypt to? (X25519 `age1...`; the library also knows age1pq1/tag.) */
export function isAgeRecipient(s: string): boolean {
  return /^age1[02-9ac-hj-np-z]{58}$/.test(s) || /^age1(pq|tag|tagpq)1[02-9ac-hj-np-z]+$/.test(s)
}

export class AgeKey implements MasterKey {
  readonly kind = 'age' as const
  constructor(
    readonly recipient: string,
    private enc = '',
  ) {}

  get id(): string {
    return this.recipient
  }

  static fromMetadata(entry: PlainObject): AgeKey {
    return new AgeKey(String(entry.recipient ?? '').trim(), String(entry.enc ?? ''))
  }

  async wrap(dataKey: Uint8Array): Promise<void> {
    const age = await ageLib()
    const e = new age.Encrypter()
    try {
      e.addRecipient(this.recipient)
    } catch {
      throw new KeyError(`${describeRecipient(this.recipient)} is not a valid age recipient`, 'give the public key (age1 followed by 58 characters; `age-keygen -y KEYFILE` prints it)')
    }
    this.enc = age.armor.encode(await e.encrypt(dataKey))
  }

  async unwrap(ctx: KeyContext): Promise<Uint8Array> {
    if (this.enc === '') throw new KeyError('the entry has no "enc" value')
    // once per session: SOPS_AGE_KEY_CMD is a blocking spawn, and one command may open many files
    const load = (): AgeIdentities & { native: X25519Identity[] } => {
      const loaded = loadAgeIdentities(ctx, this.recipient)
      return { ...loaded, native: loaded.identities.map(parseX25519Identity).filter((x): x is X25519Identity => x !== null) }
    }
    const ids = ctx.cache !== undefined ? ctx.cache.get('age-identities', load) : load()
    if (ids.identities.length === 0) {
      throw new KeyError(`no age identity found; looked in ${ids.looked.join(', ')}`, 'set SOPS_AGE_KEY_FILE to your key file, or run `secrets keygen`')
    }
    // Fast path: X25519 identities on node:crypto; the library handles everything else.
    const fast = ids.native.length > 0 ? ageDecryptSmall(this.enc, ids.native) : null
    if (fast !== null) return new Uint8Array(fast)
    const age = await ageLib()
    let file: Uint8Array
    try {
      file = age.armor.decode(this.enc)
    } catch {
      throw new KeyError('its "enc" value is not a valid armored age file')
    }
    const d = new age.Decrypter()
    for (const id of ids.identities) {
      try {
        d.addIdentity(id)
      } catch {
        ctx.warn('an age identity was skipped: it is not a valid AGE-SECRET-KEY')
      }
    }
    try {
      return await d.decrypt(file)
    } catch {
      throw new KeyError(
        `none of the ${ids.identities.length} age identit${ids.identities.length === 1 ? 'y' : 'ies'} found (${ids.looked.join(', ')}) matches`,
        `get the identity for ${this.recipient} and point SOPS_AGE_KEY_FILE at it`,
      )
    }
  }

  toMetadata(): PlainObject {
    return { recipient: this.recipient, enc: this.enc }
  }
}

/** A new X25519 identity and its recipient. */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const age = await ageLib()
  const identity = await age.generateX25519Identity()
  return { identity, recipient: await age.identityToRecipient(identity) }
}
