// Whole-file operations: encrypt a plain tree under a fresh data key, decrypt a sops tree and
// check its MAC, re-encrypt an edited tree under its existing key (unchanged values keep tokens).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { decryptToken, encryptBytes, isEncToken, parseEncToken, selectGcmBackend } from '../crypto/cipher.js'
import { decodeUtf8, utf8 } from '../util/utf8.js'
import { normalizeLastModified, nowLastModified, selectMacBackend } from '../crypto/mac.js'
import { decodeAges, encodeAges, leafFingerprints, nextAges } from '../model/value-ages.js'
import { SecretsError } from '../errors.js'
import { checkDataKey, groupsFromMetadata, groupsToMetadata, unwrapDataKey, wrapDataKey, type KeyContext, type MasterKey } from '../keys/index.js'
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
  dataKey: Uint8Array
}

let backendsSelected: Promise<void> | undefined
/** Pick the crypto backends once per process (SECRETS_CRYPTO=noble selects the @noble reference). */
export function selectCryptoBackends(): Promise<void> {
  return (backendsSelected ??= Promise.all([selectGcmBackend(), selectMacBackend()]).then(() => undefined))
}

function sealMac(key: Uint8Array, macHex: string, lastModified: string): string {
  return encryptBytes(key, utf8(macHex), lastModified, 'str')
}

/** Encrypt a plain file under a new data key wrapped by every master key. */
export async function encryptDocument(plain: ParsedFile, opts: EncryptOptions): Promise<EncryptResult> {
  if (plain.metadata !== null) {
    throw new SecretsError('exists', 'the file is already encrypted (it has a sops metadata block)', {
      hint: 'decrypt it first, or use `secrets rotate` to re-encrypt it',
    })
  }
  await selectCryptoBackends()
  const dataKey = new Uint8Array(randomBytes(32))
  const rule = opts.rule === undefined ? DEFAULT_RULE : opts.rule
  const macOnlyEncrypted = opts.macOnlyEncrypted ?? false
  const { branches, macHex, counts } = encryptBranches(plain.branches, {
    key: dataKey,
    select: makeSelector(rule ?? DEFAULT_RULE),
    macOnlyEncrypted,
  })
  await wrapDataKey(opts.groups, dataKey, opts.threshold ?? 0, opts.ctx)
  const lastModified = nowLastModified()
  const md: Metadata = {
    keyGroups: groupsToMetadata(opts.groups),
    shamirThreshold: opts.groups.length > 1 ? (opts.threshold ?? 0) || opts.groups.length : 0,
    lastModified,
    mac: sealMac(dataKey, macHex, lastModified),
    rule,
    macOnlyEncrypted,
    version: SOPS_VERSION,
    valueAges: branches.length === 1 ? encodeAges(nextAges(undefined, undefined, leafFingerprints(branches[0] as MapNode), nowSec())) : undefined,
  }
  return { file: { branches, metadata: writeMetadata(md) }, counts, dataKey }
}

export interface DecryptOptions {
  ctx: KeyContext
  ignoreMac?: boolean
  /** Key-type priority, e.g. ['age', 'pgp', 'kms']. */
  decryptionOrder?: readonly string[]
  /** Use this data key instead of unwrapping one (tests, and callers that already hold it). */
  dataKey?: Uint8Array
  /**
   * Remember every value's IV so a re-encryption keeps unchanged tokens (default true). Read-only
   * callers (decrypt, exec, render) pass false: no per-value bookkeeping, less memory.
   */
  keepIvs?: boolean
}

export interface DecryptResult {
  branches: MapNode[]
  metadata: Metadata
  dataKey: Uint8Array
  groups: MasterKey[][]
  stash: IvStash
  warnings: string[]
  /** Whether the stored MAC matched (always true without ignoreMac: a mismatch throws). */
  macValid: boolean
  /** Each leaf's stored text as read (model/value-ages.ts), to tell which values a rewrite changed. */
  fingerprints: Map<string, string>
}

/** Decrypt a sops file; refuses a missing or wrong MAC unless ignoreMac. */
export async function decryptDocument(file: ParsedFile, opts: DecryptOptions): Promise<DecryptResult> {
  await selectCryptoBackends()
  const metadata = readMetadata(file.metadata)
  const groups = groupsFromMetadata(metadata.keyGroups)
  const dataKey = checkDataKey(opts.dataKey ?? (await unwrapDataKey(groups, metadata.shamirThreshold, opts.ctx, opts.decryptionOrder)))
  const stash = new IvStash()
  const { branches, macHex, warnings } = decryptBranches(file.branches, {
    key: dataKey,
    select: makeSelector(metadata.rule ?? DEFAULT_RULE),
    macOnlyEncrypted: metadata.macOnlyEncrypted,
    stash: opts.keepIvs === false ? undefined : stash,
  })
  let macValid = true
  if (!opts.ignoreMac) verifyMac(metadata, dataKey, macHex)
  else {
    try {
      verifyMac(metadata, dataKey, macHex)
    } catch (e) {
      if (!(e instanceof SecretsError)) throw e
      macValid = false
    }
  }
  const problem = metadata.rule === null ? undefined : ruleProblem(metadata.rule)
  if (problem !== undefined) warnings.push(`${problem} (sops treats it the same way)`)
  return { branches, metadata, dataKey, groups, stash, warnings, macValid, fingerprints: opts.keepIvs === false ? new Map<string, string>() : fingerprintsOf(file.branches) }
}

function fingerprintsOf(branches: MapNode[]): Map<string, string> {
  return branches.length === 1 ? leafFingerprints(branches[0] as MapNode) : new Map<string, string>()
}

const nowSec = (): number => Math.floor(Date.now() / 1000)

function verifyMac(md: Metadata, key: Uint8Array, computed: string): void {
  const hint = 'the file was changed outside secrets/sops or is corrupted: restore it from git (or pass --ignore-mac to read it anyway)'
  if (md.mac === '') throw new SecretsError('mac', 'the file has no MAC, so tampering cannot be ruled out', { hint })
  const lm = normalizeLastModified(md.lastModified)
  if (lm === null) throw new SecretsError('mac', '"lastmodified" in the metadata is not an RFC 3339 time', { hint })
  const token = isEncToken(md.mac) ? parseEncToken(md.mac) : null
  if (token === null) throw new SecretsError('mac', 'the MAC in the metadata is not an encrypted value', { hint })
  let stored: string
  try {
    stored = decodeUtf8(decryptToken(key, token, lm))
  } catch {
    throw new SecretsError('mac', 'the MAC could not be decrypted (the MAC or lastmodified was altered)', { hint })
  }
  // Constant time: how much of a MAC matched must not show in how long the comparison took.
  const a = Buffer.from(stored)
  const b = Buffer.from(computed)
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new SecretsError('mac', 'MAC mismatch: the values do not match the MAC stored in the file', { hint })
}

/**
 * Re-encrypt an edited tree under the file's existing data key: values that did not change get
 * their old token back (stash), new or changed ones fresh IVs; lastmodified and mac refreshed.
 */
export function reencryptDocument(branches: MapNode[], dec: DecryptResult, newKey?: Uint8Array): { file: ParsedFile; counts: WalkCounts; changed: string[] } {
  const key = newKey ?? dec.dataKey
  const md = dec.metadata
  const {
    branches: out,
    macHex,
    counts,
  } = encryptBranches(branches, {
    key,
    select: makeSelector(md.rule ?? DEFAULT_RULE),
    macOnlyEncrypted: md.macOnlyEncrypted,
    stash: dec.stash,
  })
  const lastModified = nowLastModified()
  // A new data key re-encrypts every value and changes none: every age stays.
  const after = out.length === 1 ? leafFingerprints(out[0] as MapNode) : new Map<string, string>()
  const valueAges = out.length === 1 ? encodeAges(nextAges(decodeAges(md.valueAges), dec.fingerprints, after, nowSec(), newKey !== undefined)) : md.valueAges
  const next: Metadata = { ...md, keyGroups: groupsToMetadata(dec.groups), lastModified, mac: sealMac(key, macHex, lastModified), valueAges }
  return { file: { branches: out, metadata: writeMetadata(next) }, counts, changed: newKey !== undefined ? [] : changedKeys(dec.fingerprints, after) }
}

/** Key paths (model/value-ages.ts pathKey) added, removed or given a new token between two versions. */
function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = []
  for (const [k, fp] of after) if (before.get(k) !== fp) out.push(k)
  for (const k of before.keys()) if (!after.has(k)) out.push(k)
  return out
}
