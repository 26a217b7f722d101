// The CLI side of src/workflows/files.ts: flags (--input-type, --decryption-order) to options,
// the "reading stdin as ..." note, and the Cli's workflow context.
import type { Store } from '../stores/store.js'
import type { MapNode } from '../tree/types.js'
import { configIndent as indentFor, openEncrypted as open, saveEncrypted as save, type OpenFile } from '../workflows/files.js'
import { type Cli, decryptionOrder, formatFor, noteStdinFormat } from './context.js'

export type { OpenFile } from '../workflows/files.js'

export async function openEncrypted(cli: Cli, path: string, opts: { ignoreMac?: boolean; inputType?: string; decryptionOrder?: string; readOnly?: boolean } = {}): Promise<OpenFile> {
  const format = await formatFor(path, opts.inputType)
  if (opts.inputType === undefined) noteStdinFormat(cli, path, format)
  return open(cli.workflow(), path, { format, ignoreMac: opts.ignoreMac ?? false, decryptionOrder: decryptionOrder(opts.decryptionOrder, cli.env), ...(opts.readOnly ? { readOnly: true } : {}) })
}

/** Indent for a store from the config's `stores:` section. */
export async function configIndent(cli: Cli, store: Store): Promise<number | undefined> {
  return indentFor(await cli.config(), store.format)
}

/** Re-encrypt `branches` under the file's data key (unchanged values keep their tokens) and write atomically. */
export async function saveEncrypted(cli: Cli, f: OpenFile, branches: MapNode[]): Promise<void> {
  await save(cli.workflow(), f, branches)
}
