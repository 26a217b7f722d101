// Binary store (spec 6.5, 7.8): a plain file is one opaque value `data` (its exact bytes); the
// encrypted form is the JSON document {"data": "ENC[...]", "sops": {...}} written by the JSON store.
import { SecretsError } from '../errors.js'
import type { Node, ParsedFile } from '../tree/types.js'
import { withLimits, type EmitOptions, type Store } from './store.js'
import { jsonStore } from './json.js'
import { utf8 } from '../util/utf8.js'

function rawData(file: ParsedFile): Uint8Array {
  const branch = file.branches[0]
  for (const it of branch?.items ?? []) {
    if (it.kind !== 'entry' || it.key !== 'data') continue
    if (it.value.kind === 'bytes') return it.value.value
    if (it.value.kind === 'str') return utf8(it.value.value)
    throw new SecretsError('input', 'cannot write a binary file: "data" does not hold a string', {
      hint: 'choose a structured output format (yaml or json)',
    })
  }
  throw new SecretsError('input', 'cannot write a binary file: the document has no "data" value', {
    hint: 'choose a structured output format (yaml or json)',
  })
}

export const binaryStore: Store = withLimits({
  format: 'binary',

  parse(bytes: Uint8Array, mode: 'plain' | 'encrypted'): ParsedFile {
    if (mode === 'encrypted') return jsonStore.parse(bytes, mode)
    // Copy: the caller may reuse its buffer, and the bytes are hashed and encrypted later.
    return {
      branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: { kind: 'bytes', value: bytes.slice() } }] }],
      metadata: null,
    }
  },

  emit(file: ParsedFile, opts?: EmitOptions): Uint8Array {
    // Decrypted output is the original bytes, nothing added (no trailing newline).
    if (file.metadata === null) return rawData(file)
    return jsonStore.emit(file, opts)
  },

  emitValue(node: Node): Uint8Array {
    if (node.kind === 'str') return utf8(node.value)
    if (node.kind === 'bytes') return node.value
    if (node.kind === 'map') return rawData({ branches: [node], metadata: null })
    throw new SecretsError('usage', 'a binary file holds one opaque value; there is nothing to extract', {
      hint: 'decrypt the whole file instead of using --extract',
    })
  },
})
