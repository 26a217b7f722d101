// Typed errors. Every message names a file and a key path, never a value; the CLI maps `code`
// to an exit code in one place (src/cli/exit-codes.ts) and prints one line.
import { safeMessage } from './redact.js'

export type ErrorCode =
  | 'usage' // bad flags or arguments
  | 'input' // a file cannot be read or parsed
  | 'config' // .secretsrc.yaml / .sops.yaml problem
  | 'no-key' // could not get the data key
  | 'mac' // MAC mismatch or missing
  | 'decrypt' // a value could not be decrypted (tampered, wrong key)
  | 'plaintext' // refusing to leave a file without encrypted values
  | 'exists' // refusing to overwrite / already encrypted
  | 'io' // writing failed
  | 'editor' // the editor could not run or failed; nothing was written
  | 'internal'

export class SecretsError extends Error {
  readonly code: ErrorCode
  /** What the user can do about it; printed after ` - `. */
  readonly hint: string | undefined
  /** The key path inside the file (`["db"]["password"]`), when the error is about one value. */
  readonly where: string | undefined
  /** The file the error is about. */
  readonly file: string | undefined

  constructor(code: ErrorCode, message: string, opts: { hint?: string | undefined; where?: string | undefined; file?: string | undefined; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SecretsError'
    this.code = code
    this.hint = opts.hint
    this.where = opts.where
    this.file = opts.file
  }

  /** Same error, located in a file (kept when already located). */
  inFile(file: string): SecretsError {
    if (this.file !== undefined) return this
    return new SecretsError(this.code, this.message, { hint: this.hint, where: this.where, file, cause: this.cause })
  }

  /** `<what is wrong> (<file>[: <key path>]) - <what to do>`: one line, secrets redacted, control characters escaped. */
  line(): string {
    return safeMessage(this.rawLine())
  }

  private rawLine(): string {
    const loc = [this.file, this.where].filter((x) => x !== undefined && x !== '').join(': ')
    return `${this.message}${loc ? ` (${loc})` : ''}${this.hint ? ` - ${this.hint}` : ''}`
  }
}

/**
 * `["db"][0]["password"]`, for messages: very long keys are shortened and a path of many parts
 * shows its first and last parts around the number left out, so a hostile path stays one line.
 */
export function formatKeyPath(path: readonly (string | number)[]): string {
  const part = (p: string | number): string => (typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p.length > 100 ? p.slice(0, 100) + '…' : p)}]`)
  if (path.length <= 12) return path.map(part).join('')
  return `${path.slice(0, 8).map(part).join('')}[…${path.length - 11} more…]${path.slice(-3).map(part).join('')}`
}
