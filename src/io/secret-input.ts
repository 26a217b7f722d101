// Reading one secret value without it ever touching argv: all of stdin or a file, or, when stdin is
// a terminal, a prompt on stderr with echo turned off (the value never appears on screen).
import { SecretsError } from '../errors.js'
import { checkStdinReadable, maxInputBytes, readInput, tooLarge } from './files.js'

/** All bytes of stdin (a pipe, a file, /dev/null), at most the input cap (SECRETS_MAX_INPUT_BYTES). */
export async function readAllStdin(): Promise<Uint8Array> {
  checkStdinReadable()
  const limit = maxInputBytes()
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of process.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    chunks.push(b)
    total += b.length
    if (total > limit) {
      for (const c of chunks) c.fill(0)
      process.stdin.destroy()
      throw tooLarge('stdin', limit)
    }
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/**
 * One line typed on the terminal, not echoed. Backspace and Ctrl-U edit, Enter or Ctrl-D on an
 * empty line ends, Ctrl-C interrupts (SIGINT). The terminal mode is restored on every path.
 */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin
  return new Promise((resolve, reject) => {
    let typed = ''
    const finish = (err?: SecretsError): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(typed)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0004') {
          if (typed === '') return finish()
          continue
        }
        if (ch === '\u0003') {
          // Raw mode turned Ctrl-C into a character: act as the signal would (exit 130, like edit).
          finish(new SecretsError('usage', 'cancelled', { hint: 'nothing was changed' }))
          process.stderr.write('secrets: cancelled - nothing was changed\n')
          process.kill(process.pid, 'SIGINT')
          return
        }
        if (ch === '\u007f' || ch === '\b') typed = Array.from(typed).slice(0, -1).join('')
        else if (ch === '\u0015') typed = ''
        else if (ch >= ' ' || ch === '\t') typed += ch
      }
    }
    stdin.setEncoding('utf8')
    stdin.setRawMode(true) // echo off before the prompt shows, so nothing typed after it is echoed
    process.stderr.write(question)
    stdin.resume()
    stdin.on('data', onData)
  })
}

export interface SecretSource {
  /** Read this file instead of stdin. */
  file?: string | undefined
  /** Keep the bytes exactly; otherwise one trailing newline (`\n` or `\r\n`) is dropped. */
  raw?: boolean | undefined
  /** The prompt shown when stdin is a terminal. */
  prompt: string
}

/**
 * The value bytes: from `file`, from stdin when it is a pipe or a file, or from a hidden prompt
 * when stdin is a terminal. `echo value |`, `<<< value` and editor-saved files all end with a
 * newline nobody meant as part of a secret, so exactly one is dropped unless `raw`.
 */
export async function readSecretValue(src: SecretSource): Promise<Uint8Array> {
  if (src.file === undefined && process.stdin.isTTY) return new TextEncoder().encode(await promptHidden(src.prompt))
  const bytes = src.file !== undefined ? readInput(src.file) : await readAllStdin()
  if (src.raw) return bytes
  let end = bytes.length
  if (bytes[end - 1] === 0x0a) {
    end--
    if (bytes[end - 1] === 0x0d) end--
  }
  return bytes.subarray(0, end)
}
