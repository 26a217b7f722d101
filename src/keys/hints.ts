// Phrases shared by the key kinds' errors: a short list of public keys, and the next step for a
// user whose keys a file was not made for.

/** `age1abc, age1def and 3 more`: recipients are public; a long list is cut. */
export function listKeys(keys: readonly string[], max = 3): string {
  const shown = keys.slice(0, max).join(', ')
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown
}

/** The next step for a user whose keys a file was not made for (recipients are public). */
export function accessHint(kind: 'age' | 'pgp', mine: readonly string[]): string {
  const what = kind === 'age' ? 'recipient' : 'PGP key'
  const flag = kind === 'age' ? '--add-age' : '--add-pgp'
  const first = mine[0] ?? (kind === 'age' ? 'age1...' : 'FINGERPRINT')
  const yours = mine.length > 1 ? `one of your ${what}s (${listKeys(mine)})` : `your ${what} ${first}`
  return `ask someone who can open it to add ${yours} to its creation rule and run \`secrets updatekeys\` (or \`secrets rotate ${flag} ${first}\`)`
}
