// `secrets rotate FILES...`: per file, under its lock: decrypt (MAC checked), add or remove master
// keys, then a new data key wrapped for every key re-encrypts every value. The new file replaces
// the old one by rename, so at every moment the file on disk is the old or the new one, whole.
import { parseKmsList, kmsKeyIdentity } from '../../config/index.js'
import { writeFileAtomic } from '../../io/files.js'
import { withFileLock } from '../../io/lock.js'
import { AgeKey, KmsKey, PgpKey, type MasterKey } from '../../keys/index.js'
import { checkAgeRecipients, editGroups, keyLabel, pgpRef, type KeyRef } from '../../keys/groups.js'
import { forEachFile, plural } from '../batch.js'
import type { Cli } from '../context.js'
import { configIndent, openEncrypted } from '../file-ops.js'
import { resolveTargets } from '../targets.js'

export interface RotateFlags {
  addAge?: string[]
  rmAge?: string[]
  addPgp?: string[]
  rmPgp?: string[]
  addKms?: string[]
  rmKms?: string[]
  ignoreMac?: boolean
  decryptionOrder?: string
}

export async function rotate(cli: Cli, args: string[], flags: RotateFlags): Promise<void> {
  checkAgeRecipients(flags.addAge ?? [], '--add-age')
  const addKms = parseKmsList((flags.addKms ?? []).join(','))
  // Key objects hold their wrapped `enc`: every file gets its own.
  const newKeys = (): MasterKey[] => [
    ...(flags.addAge ?? []).map((r) => new AgeKey(r)),
    ...(flags.addPgp ?? []).map((fp) => new PgpKey(fp, { env: cli.env })),
    ...addKms.map((k) => new KmsKey(k, { env: cli.env })),
  ]
  const remove: KeyRef[] = [
    ...(flags.rmAge ?? []).map((id): KeyRef => ({ kind: 'age', id })),
    ...(flags.rmPgp ?? []).map(pgpRef),
    ...parseKmsList((flags.rmKms ?? []).join(',')).map((k): KeyRef => ({ kind: 'kms', id: kmsKeyIdentity(k) })),
  ]
  const files = await resolveTargets(cli, args)
  const notFound = new Map(remove.map((r) => [keyLabel(r), r]))

  const results = await forEachFile(cli, files, 'rotating', (path) =>
    withFileLock(path, async () => {
      const f = await openEncrypted(cli, path, { ignoreMac: flags.ignoreMac ?? false, ...(flags.decryptionOrder ? { decryptionOrder: flags.decryptionOrder } : {}) })
      try {
        const edit = editGroups(f.doc.groups, newKeys(), remove)
        for (const k of edit.removed) notFound.delete(keyLabel(k))
        const { file, counts } = await f.doc.rotate(edit.groups, f.doc.metadata.shamirThreshold)
        const indent = await configIndent(cli, f.store)
        writeFileAtomic(path, f.store.emit(file, indent !== undefined ? { indent } : {}))
        return { values: counts.encrypted, keys: edit.groups.flat().length, groups: edit.groups.length, added: edit.added.length, removed: edit.removed.length }
      } finally {
        f.doc.close()
      }
    }),
  )

  for (const r of notFound.values()) cli.warn(`${keyLabel(r)} is not a master key of ${files.length === 1 ? 'the file' : 'any of these files'}: nothing removed`)
  const only = results.length === 1 ? results[0] : undefined
  if (only !== undefined) {
    const r = only.result
    const changes = [r.added > 0 ? `${r.added} added` : '', r.removed > 0 ? `${r.removed} removed` : ''].filter(Boolean).join(', ')
    cli.info(
      `rotated ${cli.display(only.path)}: new data key, ${plural(r.values, 'value')} re-encrypted, wrapped for ${plural(r.keys, 'master key')}` +
        (r.groups > 1 ? ` in ${r.groups} groups` : '') +
        (changes ? ` (${changes})` : ''),
    )
  } else {
    const values = results.reduce((n, r) => n + r.result.values, 0)
    cli.info(`rotated ${plural(results.length, 'file')}: a new data key each, ${plural(values, 'value')} re-encrypted`)
  }
}
