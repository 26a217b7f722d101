// Last line of defence for messages: age private keys (identities) never reach stderr, even when
// a user pastes one where a recipient belongs. Messages are built to never hold values; this
// catches the one secret users commonly put in the wrong place.
const IDENTITY = /AGE-(?:SECRET-KEY-(?:PQ-)?1|PLUGIN-[A-Z0-9-]+1)[0-9A-Z]+/g

export function redactSecrets(text: string): string {
  return text.replace(IDENTITY, (m) => `${m.slice(0, m.indexOf('1') + 1)}…(redacted)`)
}

/** How to name a string the user gave as an age recipient, without quoting a private key. */
export function describeRecipient(s: string): string {
  if (/^AGE-(SECRET-KEY|PLUGIN)-/i.test(s.trim())) return 'an age identity (a PRIVATE key)'
  return `"${s.slice(0, 80)}"`
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Text quoted from a file (a key, a version, a recipient) made safe for a terminal and for one
 * line: control characters (C0, DEL, C1, line/paragraph separators, bidi overrides) become
 * visible escapes (`\r`, `\x1b`, `\u202e`), so a crafted file cannot move the cursor, recolour
 * or rewrite what the user sees, and a CRLF file does not print a raw carriage return.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c]
    if (named !== undefined) return named
    const cp = c.charCodeAt(0)
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`
  })
}

/** A message ready for stderr: secrets redacted, control characters escaped. */
export function safeMessage(text: string): string {
  return escapeControls(redactSecrets(text))
}
