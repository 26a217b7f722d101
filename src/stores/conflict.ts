// A file left half-merged by git holds conflict markers (`<<<<<<< ours`, `=======`,
// `>>>>>>> theirs`) that no format parses. When parsing fails on such a file, say it is a merge
// conflict and how to finish it, instead of the parser's puzzle ("Implicit keys ...").
import { SecretsError } from '../errors.js'
import type { Store } from './store.js'

const START = /^<{7}(?: |$)/
const OTHER = /^(?:={7}|>{7}(?: |$)|\|{7}(?: |$))/

/** The 1-based line of the first `<<<<<<<` marker when the text also has a `=======` or `>>>>>>>` line. */
export function conflictMarkerLine(bytes: Uint8Array): number | undefined {
  // Markers are ASCII at the start of a line: a cheap scan before any decoding.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  if (!text.includes('<<<<<<<')) return undefined
  const lines = text.split(/\r?\n|\r/)
  const start = lines.findIndex((l) => START.test(l))
  if (start < 0 || !lines.some((l, i) => i > start && OTHER.test(l))) return undefined
  return start + 1
}

export function mergeConflictError(line: number, mode: 'plain' | 'encrypted'): SecretsError {
  return new SecretsError('input', `the file has git merge conflict markers (<<<<<<< at line ${line}, then ======= and >>>>>>>): a merge or rebase was not finished`, {
    hint:
      mode === 'encrypted'
        ? "an encrypted file cannot be merged line by line: keep one side (git checkout --ours or --theirs on the file), then redo the other side's changes with secrets edit or secrets set, and git add the file"
        : 'edit the file to keep the lines you want and delete the marker lines, then git add it',
  })
}

/** The same store, whose parse failures on a half-merged file say so. */
export function withConflictCheck(store: Store): Store {
  return {
    format: store.format,
    parse(bytes, mode) {
      try {
        return store.parse(bytes, mode)
      } catch (e) {
        const line = e instanceof SecretsError ? conflictMarkerLine(bytes) : undefined
        if (line === undefined) throw e
        throw mergeConflictError(line, mode)
      }
    },
    emit: (file, opts) => store.emit(file, opts),
    emitValue: (node) => store.emitValue(node),
  }
}
