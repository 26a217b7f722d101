// Read-modify-write of an encrypted file, shared by edit, set, unset, rotate and updatekeys:
// parse + decrypt (MAC checked unless asked not to), then re-encrypt + atomic write.
import { decryptDocument, reencryptDocument, type DecryptResult } from '../document/index.js'
import { readInput, writeFileAtomic } from '../io/files.js'
import { storeFor } from '../stores/index.js'
import type { Store } from '../stores/store.js'
import type { MapNode, ParsedFile } from '../tree/types.js'
import { type Cli, decryptionOrder, formatFor, noteStdinFormat } from './context.js'

export interface OpenFile {
  path: string
  store: Store
  /** The file as parsed (still encrypted). */
  parsed: ParsedFile
  dec: DecryptResult
  /** The exact bytes read, to detect "nothing changed". */
  original: Uint8Array
}

export async function openEncrypted(cli: Cli, path: string, opts: { ignoreMac?: boolean; inputType?: string; decryptionOrder?: string } = {}): Promise<OpenFile> {
  const format = await formatFor(path, opts.inputType)
  if (opts.inputType === undefined) noteStdinFormat(cli, path, format)
  const store = await storeFor(format)
  const original = readInput(path)
  const parsed = store.parse(original, 'encrypted')
  const order = decryptionOrder(opts.decryptionOrder, cli.env)
  const dec = await decryptDocument(parsed, { ctx: cli.keyContext(), ignoreMac: opts.ignoreMac ?? false, ...(order ? { decryptionOrder: order } : {}) })
  for (const w of dec.warnings) cli.warn(`${w} (${cli.display(path)})`)
  return { path, store, parsed, dec, original }
}

/** Indent for a store from the config's `stores:` section. */
export async function configIndent(cli: Cli, store: Store): Promise<number | undefined> {
  const cfg = await cli.config()
  if (cfg === null) return undefined
  return store.format === 'yaml' ? cfg.stores.yamlIndent : store.format === 'binary' ? cfg.stores.jsonBinaryIndent : store.format === 'json' ? cfg.stores.jsonIndent : undefined
}

/** Re-encrypt `branches` under the file's data key (unchanged values keep their tokens) and write atomically. */
export async function saveEncrypted(cli: Cli, f: OpenFile, branches: MapNode[]): Promise<void> {
  const { file } = reencryptDocument(branches, f.dec)
  const indent = await configIndent(cli, f.store)
  writeFileAtomic(f.path, f.store.emit(file, indent !== undefined ? { indent } : {}))
}
