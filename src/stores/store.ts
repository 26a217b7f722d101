// The store contract: bytes of one format <-> { branches, metadata }. Stores know nothing about
// crypto or keys; the document layer does the rest.
import { assertDepth, guardLimits } from '../tree/limits.js'
import type { Node, ParsedFile } from '../tree/types.js'

export type Format = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary'
export const FORMATS: readonly Format[] = ['yaml', 'json', 'dotenv', 'ini', 'binary']

export interface EmitOptions {
  /** YAML: spaces per level (default 4, like sops). JSON: -1 = TAB (default), N = N spaces. */
  indent?: number
}

export interface Store {
  readonly format: Format
  /**
   * Parse a file. `plain` = a file about to be encrypted (binary: the whole file is one value;
   * other stores still return a metadata block if one is present so the caller can refuse it);
   * `encrypted` = a sops file (binary: the JSON wrapper).
   * Throws SecretsError('input') naming the line/position on malformed input; never echoes values.
   */
  parse(bytes: Uint8Array, mode: 'plain' | 'encrypted'): ParsedFile
  /** Emit a file; metadata null = a plain (decrypted) file. Binary with null metadata = the raw bytes. */
  emit(file: ParsedFile, opts?: EmitOptions): Uint8Array
  /** Emit one extracted value (`decrypt --extract`): strings raw without newline, others per format. */
  emitValue(node: Node): Uint8Array
}

/**
 * The same store with the shared limits enforced at its edges: emit refuses a tree deeper than
 * MAX_DEPTH (so nothing is written that a reader would refuse), and a JS engine limit hit inside
 * parse or emit (stack, array or string length) becomes SecretsError('input') instead of a crash.
 */
export function withLimits(store: Store): Store {
  return {
    format: store.format,
    parse: (bytes, mode) => guardLimits(() => store.parse(bytes, mode), 'the file'),
    emit(file, opts) {
      for (const b of file.branches) assertDepth(b)
      return guardLimits(() => store.emit(file, opts), 'the document')
    },
    emitValue(node) {
      assertDepth(node, 0, 'the value')
      return guardLimits(() => store.emitValue(node), 'the value')
    },
  }
}
