// The decrypted files of an environment, ready for the env mapping. An environment may be several
// files: they are decrypted concurrently (their master-key unwraps overlap), then merge in order,
// and a variable defined twice is an error naming both files (see env.ts).
import { decryptDocument } from '../document/index.js'
import { SecretsError } from '../errors.js'
import { readInput } from '../io/files.js'
import type { KeyContext } from '../keys/types.js'
import { formatFromPath, storeFor, type Format } from '../stores/index.js'
import type { MapNode } from '../tree/types.js'

export interface DecryptedSource {
  /** Absolute path. */
  path: string
  /** How the path is shown in messages. */
  file: string
  format: Format
  branches: MapNode[]
}

export interface SourceOptions {
  ctx: KeyContext
  decryptionOrder?: readonly string[] | undefined
  /** Format of every file, instead of guessing from the extension. */
  format?: Format | undefined
  display?: (path: string) => string
}

/** Decrypt every file (concurrently: master-key unwraps are the slow part), MAC checked, in order. */
export async function decryptSources(paths: readonly string[], opts: SourceOptions): Promise<DecryptedSource[]> {
  const display = opts.display ?? ((p: string) => p)
  return Promise.all(
    paths.map(async (path) => {
      const file = display(path)
      try {
        const format = opts.format ?? formatFromPath(path)
        const parsed = (await storeFor(format)).parse(readInput(path), 'encrypted')
        const dec = await decryptDocument(parsed, { ctx: opts.ctx, keepIvs: false, ...(opts.decryptionOrder ? { decryptionOrder: opts.decryptionOrder } : {}) })
        dec.dataKey.fill(0)
        for (const w of dec.warnings) opts.ctx.warn(`${w} (${file})`)
        return { path, file, format, branches: dec.branches }
      } catch (e) {
        throw e instanceof SecretsError ? e.inFile(file) : e
      }
    }),
  )
}
