// Scalar styles for YAML we hand to other tools. kubectl reads YAML with go-yaml v2 and compose v1
// with PyYAML, both YAML 1.1: plain `on`, `yes`, `y` or `0o14` would not come back as strings.
// Names and values from the user stay plain only when every reader agrees they are strings.
import { isScalar } from 'yaml'

const SAFE_PLAIN = /^(?:[A-Za-z_/]|\.\/)[A-Za-z0-9_./+=-]*$/
const YAML11_WORDS = /^(?:y|yes|n|no|true|false|on|off|null)$/i

export function safePlain(s: string): boolean {
  return SAFE_PLAIN.test(s) && !YAML11_WORDS.test(s)
}

/** Quote a string scalar node unless plain is safe; multi-line text as a literal block. */
export function styleUserScalar(node: unknown): void {
  if (!isScalar(node) || typeof node.value !== 'string') return
  if (node.value.includes('\n')) node.type = 'BLOCK_LITERAL'
  else if (!safePlain(node.value)) node.type = 'QUOTE_DOUBLE'
}
