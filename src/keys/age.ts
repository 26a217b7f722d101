// age master key (X25519 recipients via `age-encryption`): `enc` is an armored age file whose
// payload is the data key or a Shamir share (spec 8.2).
import type { PlainObject } from '../tree/types.js'
import { loadAgeIdentities, type AgeIdentities } from './age-identities.js'
import { ageDecryptSmall, parseX25519Identity, type X25519Identity } from './age-unwrap.js'
import { KeyError, reportNotes, type KeyContext, type KeyNote, type MasterKey } from './types.js'
import { describeRecipient } from '../redact.js'
import { bech32 } from '@scure/base'
import { accessHint, listKeys } from './hints.js'

type AgeLib = typeof import('age-encryption')
let agePromise: Promise<AgeLib> | undefined
const ageLib = (): Promise<AgeLib> => (agePromise ??= import('age-encryption'))

type LoadedIdentities = AgeIdentities & { native: X25519Identity[]; recipients?: Promise<string[]> }
function identitiesFor(ctx: KeyContext, recipient: string): LoadedIdentities {
  // once per key session: SOPS_AGE_KEY_CMD is a blocking spawn, and one command may open many files
  const load = (): LoadedIdentities => {
    const loaded = loadAgeIdentities(ctx, recipient)
    return { ...loaded, native: loaded.identities.map(parseX25519Identity).filter((x): x is X25519Identity => x !== null) }
  }
  return ctx.cache !== undefined ? ctx.cache.get('age-identities', load) : load()
}

/** The public recipients of the user's identities (computed on the failure path only). */
function recipientsOf(ids: LoadedIdentities): Promise<string[]> {
  return (ids.recipients ??= (async () => {
    const out: string[] = []
    for (const id of ids.identities) {
      const x = id.startsWith('AGE-SECRET-KEY-1') ? parseX25519Identity(id) : null
      if (x !== null) out.push(bech32.encode('age', bech32.toWords(x.publicKey)))
      else {
        try {
          out.push(await (await ageLib()).identityToRecipient(id))
        } catch {
          // a plugin identity: its recipient cannot be derived here
        }
      }
    }
    return [...new Set(out)]
  })())
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`


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
    const ids = identitiesFor(ctx, this.recipient)
    const notes = ids.problems
    const looked = ids.looked.join(', ')
    if (ids.identities.length === 0) {
      throw new KeyError(
        `no age identity found; looked in ${looked}`,
        notes[0]?.hint ?? 'if you have an age key, set SOPS_AGE_KEY_FILE to its file; if not, run `secrets keygen`, then ask someone who can open the file to add the recipient it prints and run `secrets updatekeys`',
        { reason: 'no-identity', holder: `you have no age identity (looked in ${looked})`, mine: [], notes },
      )
    }
    // Fast path: X25519 identities on node:crypto; the library handles everything else.
    const fast = ids.native.length > 0 && this.enc !== '' ? ageDecryptSmall(this.enc, ids.native) : null
    if (fast !== null) {
      reportNotes(ctx, notes)
      return new Uint8Array(fast)
    }
    const age = await ageLib()
    let failure: string | null = null // why the entry is unreadable; null: it parsed but nothing matched
    let file: Uint8Array | undefined
    if (this.enc === '') failure = 'the entry has no "enc" value'
    else {
      try {
        file = age.armor.decode(this.enc)
      } catch {
        failure = 'its "enc" value is not a valid armored age file'
      }
    }
    if (file !== undefined) {
      const d = new age.Decrypter()
      for (const id of ids.identities) {
        try {
          d.addIdentity(id)
        } catch {
          ctx.warn('an age identity was skipped: it is not a valid AGE-SECRET-KEY')
        }
      }
      try {
        const key = await d.decrypt(file)
        reportNotes(ctx, notes)
        return key
      } catch (e) {
        const msg = e instanceof Error ? e.message : ''
        // the library's words only (printable ASCII, cut): its messages may quote header bytes
        if (!/no identity matched/.test(msg)) failure = `its "enc" value is damaged (age: ${msg.slice(0, 60).replace(/[^\x20-\x7e]/g, '?') || 'unreadable'})`
      }
    }
    throw await this.failure(ids, failure, notes)
  }

  /** Tell a damaged entry apart from "not made for your identities", naming the user's recipients. */
  private async failure(ids: LoadedIdentities, unreadable: string | null, notes: KeyNote[]): Promise<KeyError> {
    const mine = await recipientsOf(ids)
    const n = ids.identities.length
    const holder =
      mine.length > 0
        ? `your age identities are for ${listKeys(mine)} (looked in ${ids.looked.join(', ')})`
        : `you have ${plural(n, 'age identity', 'age identities')} whose recipient cannot be derived (looked in ${ids.looked.join(', ')})`
    const ours = mine.includes(this.recipient)
    if (ours) {
      return new KeyError(
        `the entry is damaged or was tampered with: your identity for this recipient does not open it${unreadable !== null ? ` (${unreadable})` : ''}`,
        'restore the file from git (`git log -p FILE`), or ask someone else who can open it to run `secrets rotate` on it',
        { reason: 'damaged', ours: true, holder, mine, notes },
      )
    }
    if (unreadable !== null) return new KeyError(unreadable, undefined, { reason: 'damaged', holder, mine, notes })
    return new KeyError(`none of the ${plural(n, 'age identity', 'age identities')} found (${ids.looked.join(', ')}) matches`, notes[0]?.hint ?? accessHint('age', mine), {
      reason: 'no-match',
      holder,
      mine,
      notes,
    })
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

