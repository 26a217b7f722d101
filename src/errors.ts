// Typed errors. Every message names a file and a key path, never a value; the CLI maps `code`
// to an exit code in one place (src/cli/exit-codes.ts) and prints one line.
import { redactSecrets } from './redact.js'

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
  | 'missing-required' // an environment lacks keys its policy requires (exec, render, the library)
  | 'check' // a check found problems: `status --check`, `audit verify`
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

  /** `<what is wrong> (<file>[: <key path>]) - <what to do>` */
  line(): string {
    return redactSecrets(this.rawLine())
  }

  private rawLine(): string {
    const loc = [this.file, this.where].filter((x) => x !== undefined && x !== '').join(': ')
    return `${this.message}${loc ? ` (${loc})` : ''}${this.hint ? ` - ${this.hint}` : ''}`
  }
}

export function formatKeyPath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p)}]`)).join('')
}
