// Whole-file operations: encrypt a plain tree under a fresh data key, decrypt a sops tree and
// check its MAC, re-encrypt an edited tree under its existing key (unchanged values keep tokens).
// This layer owns the data key's lifetime: it never hands the key out; a DecryptedDocument holds
// it until close(), and read-only decryption zeroes it before returning.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { nodeCrypto, type CryptoBackend } from '../crypto/backend.js'
import { decryptToken, encryptBytes, isEncToken, parseEncToken } from '../crypto/cipher.js'
import { decodeUtf8, utf8 } from '../util/utf8.js'
import { normalizeLastModified, nowLastModified } from '../crypto/mac.js'
import { SecretsError } from '../errors.js'
import { checkDataKey, groupsFromMetadata, groupsToMetadata, unwrapDataKey, wrapDataKey, type KeyContext, type MasterKey } from '../keys/index.js'
import { storedThreshold } from '../keys/groups.js'
import type { MapNode, ParsedFile } from '../tree/types.js'
import { DEFAULT_RULE, SOPS_VERSION, readMetadata, writeMetadata, type Metadata, type SelectionRule } from '../model/metadata.js'
import { makeSelector, ruleProblem } from '../model/select.js'
import { IvStash, decryptBranches, encryptBranches, type WalkCounts } from './walk.js'

export { DEFAULT_RULE, type Metadata, type SelectionRule } from '../model/metadata.js'
export { IvStash } from './walk.js'

export interface EncryptOptions {
  groups: MasterKey[][]
  threshold?: number
  /** null: write no rule (binary files); undefined: the default `_unencrypted` suffix. */
  rule?: SelectionRule | null
  macOnlyEncrypted?: boolean
  /** Environment for master keys that need one to wrap (gpg home, AWS settings). */
  ctx?: KeyContext
}

export interface EncryptResult {
  file: ParsedFile
  counts: WalkCounts
}

function sealMac(key: Uint8Array, macHex: string, lastModified: string, crypto: CryptoBackend): string {
  return encryptBytes(key, utf8(macHex), lastModified, 'str', undefined, crypto.gcm)
}

/** Encrypt a plain file under a new data key wrapped by every master key (the key is zeroed before returning). */
export async function encryptDocument(plain: ParsedFile, opts: EncryptOptions): Promise<EncryptResult> {
  if (plain.metadata !== null) {
    throw new SecretsError('exists', 'the file is already encrypted (it has a sops metadata block)', {
      hint: 'decrypt it first, or use `secrets rotate` to re-encrypt it',
    })
  }
  const crypto = opts.ctx?.crypto ?? nodeCrypto
  const dataKey = new Uint8Array(randomBytes(32))
  try {
    const rule = opts.rule === undefined ? DEFAULT_RULE : opts.rule
    const macOnlyEncrypted = opts.macOnlyEncrypted ?? false
    const { branches, macHex, counts } = encryptBranches(plain.branches, {
      key: dataKey,
      select: makeSelector(rule ?? DEFAULT_RULE),
      macOnlyEncrypted,
      crypto,
    })
    await wrapDataKey(opts.groups, dataKey, opts.threshold ?? 0, opts.ctx)
    const lastModified = nowLastModified()
    const md: Metadata = {
      keyGroups: groupsToMetadata(opts.groups),
      shamirThreshold: opts.groups.length > 1 ? (opts.threshold ?? 0) || opts.groups.length : 0,
      lastModified,
      mac: sealMac(dataKey, macHex, lastModified, crypto),
      rule,
      macOnlyEncrypted,
      version: SOPS_VERSION,
    }
    return { file: { branches, metadata: writeMetadata(md) }, counts }
  } finally {
    dataKey.fill(0)
  }
}

export interface DecryptOptions {
  ctx: KeyContext
  ignoreMac?: boolean
  /** Key-type priority, e.g. ['age', 'pgp', 'kms']. */
  decryptionOrder?: readonly string[]
  /** Use this data key instead of unwrapping one (tests); the document zeroes its own copy. */
  dataKey?: Uint8Array
  /**
   * Remember every value's IV so a re-encryption keeps unchanged tokens (default true). Read-only
   * callers (decrypt, exec, render) pass false: no per-value bookkeeping, less memory, and the
   * data key is zeroed before decryptDocument returns (the document cannot be re-encrypted).
   */
  keepIvs?: boolean
}

/**
 * A decrypted file. It holds the data key (privately) until close(): re-encrypt, rotate or rewrap
 * go through it, and close() zeroes the key. Always close it (try/finally).
 */
export class DecryptedDocument {
  private key: Uint8Array | null

  constructor(
    key: Uint8Array,
    readonly branches: MapNode[],
    readonly metadata: Metadata,
    readonly groups: MasterKey[][],
    readonly stash: IvStash,
    readonly warnings: string[],
    /** Whether the stored MAC matched (always true without ignoreMac: a mismatch throws). */
    readonly macValid: boolean,
    private readonly crypto: CryptoBackend,
    private readonly ctx: KeyContext | undefined,
  ) {
    this.key = key
  }

  private dataKey(): Uint8Array {
    if (this.key === null) throw new SecretsError('internal', 'the document was closed (its data key is gone)')
    return this.key
  }

  /** Zero the data key; the document can then no longer be re-encrypted. Idempotent. */
  close(): void {
    this.key?.fill(0)
    this.key = null
  }

  get closed(): boolean {
    return this.key === null
  }

  /**
   * Re-encrypt an edited tree under the file's data key: values that did not change get their old
   * token back (stash), new or changed ones fresh IVs; lastmodified and mac refreshed.
   */
  reencrypt(branches: MapNode[]): { file: ParsedFile; counts: WalkCounts } {
    return sealUnder(this.dataKey(), branches, this.metadata, this.groups, this.stash, this.crypto)
  }

  /**
   * rotate: a new 32-byte data key wrapped by every key of `groups` (re-split with Shamir for
   * several), and every value re-encrypted under it. sops reuses the old IVs under the new key
   * (harmless: the key differs); we draw fresh ones, so no part of any token survives a rotation.
   */
  async rotate(groups: MasterKey[][], threshold: number): Promise<{ file: ParsedFile; counts: WalkCounts }> {
    this.dataKey()
    const key = new Uint8Array(randomBytes(32))
    const t = storedThreshold(groups.length, threshold)
    try {
      await wrapDataKey(groups, key, t, this.ctx)
      return sealUnder(key, this.branches, { ...this.metadata, shamirThreshold: t }, groups, new IvStash(), this.crypto)
    } finally {
      key.fill(0)
    }
  }

  /**
   * rewrap (sops's updatekeys): the same data key wrapped for `groups`; the encrypted values of
   * `file` (this document as read), its MAC, lastmodified and version are kept byte for byte.
   */
  async rewrap(file: ParsedFile, groups: MasterKey[][], threshold: number): Promise<ParsedFile> {
    const t = storedThreshold(groups.length, threshold)
    await wrapDataKey(groups, this.dataKey(), t, this.ctx)
    const md = readMetadata(file.metadata)
    return { branches: file.branches, metadata: writeMetadata({ ...md, keyGroups: groupsToMetadata(groups), shamirThreshold: t }) }
  }
}

function sealUnder(key: Uint8Array, branches: MapNode[], md: Metadata, groups: MasterKey[][], stash: IvStash, crypto: CryptoBackend): { file: ParsedFile; counts: WalkCounts } {
  const { branches: out, macHex, counts } = encryptBranches(branches, {
    key,
    select: makeSelector(md.rule ?? DEFAULT_RULE),
    macOnlyEncrypted: md.macOnlyEncrypted,
    stash,
    crypto,
  })
  const lastModified = nowLastModified()
  const next: Metadata = { ...md, keyGroups: groupsToMetadata(groups), lastModified, mac: sealMac(key, macHex, lastModified, crypto) }
  return { file: { branches: out, metadata: writeMetadata(next) }, counts }
}

/** Decrypt a sops file; refuses a missing or wrong MAC unless ignoreMac. */
export async function decryptDocument(file: ParsedFile, opts: DecryptOptions): Promise<DecryptedDocument> {
  const crypto = opts.ctx.crypto ?? nodeCrypto
  const metadata = readMetadata(file.metadata)
  const groups = groupsFromMetadata(metadata.keyGroups)
  const dataKey = checkDataKey(opts.dataKey !== undefined ? opts.dataKey.slice() : await unwrapDataKey(groups, metadata.shamirThreshold, opts.ctx, opts.decryptionOrder))
  const readOnly = opts.keepIvs === false
  try {
    const stash = new IvStash()
    const { branches, macHex, warnings } = decryptBranches(file.branches, {
      key: dataKey,
      select: makeSelector(metadata.rule ?? DEFAULT_RULE),
      macOnlyEncrypted: metadata.macOnlyEncrypted,
      stash: readOnly ? undefined : stash,
      crypto,
    })
    let macValid = true
    if (!opts.ignoreMac) verifyMac(metadata, dataKey, macHex, crypto)
    else {
      try {
        verifyMac(metadata, dataKey, macHex, crypto)
      } catch (e) {
        if (!(e instanceof SecretsError)) throw e
        macValid = false
      }
    }
    const problem = metadata.rule === null ? undefined : ruleProblem(metadata.rule)
    if (problem !== undefined) warnings.push(`${problem} (sops treats it the same way)`)
    const doc = new DecryptedDocument(dataKey, branches, metadata, groups, stash, warnings, macValid, crypto, opts.ctx)
    if (readOnly) doc.close()
    return doc
  } catch (e) {
    dataKey.fill(0)
    throw e
  }
}

function verifyMac(md: Metadata, key: Uint8Array, computed: string, crypto: CryptoBackend): void {
  const hint = 'the file was changed outside secrets/sops or is corrupted: restore it from git (or pass --ignore-mac to read it anyway)'
  if (md.mac === '') throw new SecretsError('mac', 'the file has no MAC, so tampering cannot be ruled out', { hint })
  const lm = normalizeLastModified(md.lastModified)
  if (lm === null) throw new SecretsError('mac', '"lastmodified" in the metadata is not an RFC 3339 time', { hint })
  const token = isEncToken(md.mac) ? parseEncToken(md.mac) : null
  if (token === null) throw new SecretsError('mac', 'the MAC in the metadata is not an encrypted value', { hint })
  let stored: string
  try {
    stored = decodeUtf8(decryptToken(key, token, lm, crypto.gcm))
  } catch {
    throw new SecretsError('mac', 'the MAC could not be decrypted (the MAC or lastmodified was altered)', { hint })
  }
  // Constant time: how much of a MAC matched must not show in how long the comparison took.
  const a = Buffer.from(stored)
  const b = Buffer.from(computed)
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new SecretsError('mac', 'MAC mismatch: the values do not match the MAC stored in the file', { hint })
}
