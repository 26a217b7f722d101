// Changing what protects a decrypted file: `rotate` (a new data key, every value re-encrypted,
// new MAC) and `rewrap` (the same data key under other master keys; values, MAC, lastmodified
// and version untouched, as sops's updatekeys does).
import { randomBytes } from 'node:crypto'
import { groupsToMetadata, wrapDataKey, type MasterKey } from '../keys/index.js'
import { storedThreshold } from '../keys/groups.js'
import type { ParsedFile } from '../tree/types.js'
import { reencryptDocument, type DecryptResult } from './index.js'
import { readMetadata, writeMetadata } from '../model/metadata.js'
import { IvStash, type WalkCounts } from './walk.js'

/**
 * A new 32-byte data key wrapped by every key of `groups` (re-split with Shamir for several),
 * and every value re-encrypted under it. sops reuses the old IVs under the new key (harmless:
 * the key differs); we draw fresh ones, so no part of any token survives a rotation.
 */
export async function rotateDocument(dec: DecryptResult, groups: MasterKey[][], threshold: number): Promise<{ file: ParsedFile; counts: WalkCounts }> {
  const key = new Uint8Array(randomBytes(32))
  const t = storedThreshold(groups.length, threshold)
  try {
    await wrapDataKey(groups, key, t)
    const metadata = { ...dec.metadata, shamirThreshold: t }
    return reencryptDocument(dec.branches, { ...dec, groups, metadata, stash: new IvStash() }, key)
  } finally {
    key.fill(0)
  }
}

/** Wrap the file's existing data key for `groups`; the encrypted values are kept byte for byte. */
export async function rewrapDocument(file: ParsedFile, dataKey: Uint8Array, groups: MasterKey[][], threshold: number): Promise<ParsedFile> {
  const t = storedThreshold(groups.length, threshold)
  await wrapDataKey(groups, dataKey, t)
  const md = readMetadata(file.metadata)
  return { branches: file.branches, metadata: writeMetadata({ ...md, keyGroups: groupsToMetadata(groups), shamirThreshold: t }) }
}
