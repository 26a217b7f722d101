// The decrypted files of an environment, ready for the env mapping. An environment may be several
// files: they are decrypted concurrently (their master-key unwraps overlap, one key session so
// identities load once), then merge in order; a variable defined twice is an error naming both
// files (see outputs/env.ts).
import { formatFromPath, type Format } from '../stores/index.js'
import type { MapNode } from '../tree/types.js'
import { shown, type WorkflowContext } from './context.js'
import { inFile, openEncrypted } from './files.js'

export interface DecryptedSource {
  /** Absolute path. */
  path: string
  /** How the path is shown in messages. */
  file: string
  format: Format
  branches: MapNode[]
}

export interface SourceOptions {
  decryptionOrder?: readonly string[] | undefined
  /** Format of every file, instead of guessing from the extension. */
  format?: Format | undefined
  ignoreMac?: boolean | undefined
}

/** Decrypt every file read-only (MAC checked, data keys zeroed at once), in order. */
export async function decryptSources(wc: WorkflowContext, paths: readonly string[], opts: SourceOptions = {}): Promise<DecryptedSource[]> {
  return Promise.all(
    paths.map(async (path) => {
      const file = shown(wc, path)
      try {
        const format = opts.format ?? formatFromPath(path)
        const f = await openEncrypted(wc, path, { format, readOnly: true, ignoreMac: opts.ignoreMac, decryptionOrder: opts.decryptionOrder })
        return { path, file, format, branches: f.doc.branches }
      } catch (e) {
        throw inFile(e, file)
      }
    }),
  )
}
