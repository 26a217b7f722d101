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
