// Opening and saving one encrypted file, shared by every command and the library: parse + decrypt
// (MAC checked unless asked not to, warnings reported), then re-encrypt + atomic write with the
// config's indent. The data key stays inside the DecryptedDocument; callers close() it.
import type { LoadedConfig } from '../config/types.js'
import { decryptDocument, type DecryptedDocument } from '../document/index.js'
import { SecretsError } from '../errors.js'
import { readInput, writeFileAtomic } from '../io/files.js'
import { storeFor, type Format } from '../stores/index.js'
import type { Store } from '../stores/store.js'
import type { MapNode, ParsedFile } from '../tree/types.js'
import { shown, type WorkflowContext } from './context.js'

export interface OpenFile {
  path: string
  store: Store
  /** The file as parsed (still encrypted). */
  parsed: ParsedFile
  /** The decrypted document; it holds the data key until close(). */
  doc: DecryptedDocument
  /** The exact bytes read, to detect "nothing changed". */
  original: Uint8Array
}

export interface OpenOptions {
  format: Format
  ignoreMac?: boolean | undefined
  decryptionOrder?: readonly string[] | undefined
  /** Read-only: no IV bookkeeping, and the data key is zeroed at once (cannot be saved back). */
  readOnly?: boolean
  /** The bytes, when the caller has read them already (updatekeys compares them). */
  bytes?: Uint8Array
}

/** Read, parse and decrypt an encrypted file; its decryption warnings go to the context. */
export async function openEncrypted(wc: WorkflowContext, path: string, opts: OpenOptions): Promise<OpenFile> {
  const store = await storeFor(opts.format)
  const original = opts.bytes ?? readInput(path)
  const parsed = store.parse(original, 'encrypted')
  const doc = await decryptDocument(parsed, {
    ctx: wc.keys,
    ignoreMac: opts.ignoreMac ?? false,
    ...(opts.readOnly ? { keepIvs: false } : {}),
    ...(opts.decryptionOrder ? { decryptionOrder: opts.decryptionOrder } : {}),
  })
  for (const w of doc.warnings) wc.warn(`${w} (${shown(wc, path)})`)
  return { path, store, parsed, doc, original }
}

/** Run `fn` on an open file; the data key is zeroed afterwards, whatever happens. */
export async function withEncryptedFile<T>(wc: WorkflowContext, path: string, opts: OpenOptions, fn: (f: OpenFile) => Promise<T>): Promise<T> {
  const f = await openEncrypted(wc, path, opts)
  try {
    return await fn(f)
  } finally {
    f.doc.close()
  }
}

/** Indent for a format from the config's `stores:` section. */
export function configIndent(config: LoadedConfig | null, format: Format): number | undefined {
  if (config === null) return undefined
  const st = config.stores
  return format === 'yaml' ? st.yamlIndent : format === 'binary' ? st.jsonBinaryIndent : format === 'json' ? st.jsonIndent : undefined
}

/** Emit an encrypted file with the config's indent (or `indent`) and write it atomically. */
export async function writeEncrypted(wc: WorkflowContext, path: string, store: Store, file: ParsedFile, indent?: number): Promise<void> {
  const n = indent ?? configIndent(await wc.config(), store.format)
  writeFileAtomic(path, store.emit(file, n !== undefined ? { indent: n } : {}))
}

/** Re-encrypt `branches` under the file's data key (unchanged values keep their tokens) and write atomically. */
export async function saveEncrypted(wc: WorkflowContext, f: OpenFile, branches: MapNode[]): Promise<void> {
  const { file } = f.doc.reencrypt(branches)
  await writeEncrypted(wc, f.path, f.store, file)
}

/** The plain text of a decrypted tree in `format` (for decrypt and edit). */
export async function emitPlain(format: Format, branches: MapNode[], indent?: number): Promise<Uint8Array> {
  const store = await storeFor(format)
  return store.emit({ branches, metadata: null }, indent !== undefined ? { indent } : {})
}

export function inFile(e: unknown, file: string): unknown {
  return e instanceof SecretsError ? e.inFile(file) : e
}
