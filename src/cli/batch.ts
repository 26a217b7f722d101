// One read-modify-write per file over many files (rotate, updatekeys): a few files in flight so
// slow unwraps (KMS, gpg) overlap, each file written on its own under its own lock; a progress
// line on a terminal; a failed file is reported and the others still go ahead.
import { SecretsError } from '../errors.js'
import type { Cli } from './context.js'

const CONCURRENCY = 8

export interface BatchResult<T> {
  path: string
  result: T
}

/**
 * Run `fn` for every file. One file: its error is thrown as is (located in the file). Several:
 * each failure is printed as it happens and, at the end, one error says how many failed (exit
 * code of the first failure); the results of the files that succeeded are returned in order.
 * `writes: false` for a read-only pass (its failure message then says nothing was changed).
 */
export async function forEachFile<T>(
  cli: Cli,
  files: readonly string[],
  verb: string,
  fn: (path: string) => Promise<T>,
  opts: { writes?: boolean } = {},
): Promise<Array<BatchResult<T>>> {
  const located = (e: unknown, path: string): SecretsError =>
    (e instanceof SecretsError
      ? e
      : e instanceof RangeError
        ? new SecretsError('input', 'the file is too large or too deeply nested to process', { cause: e })
        : new SecretsError('internal', `unexpected error (${e instanceof Error ? e.name : typeof e})`, { cause: e })
    ).inFile(cli.display(path))
  if (files.length === 1) {
    const path = files[0] as string
    try {
      return [{ path, result: await fn(path) }]
    } catch (e) {
      throw located(e, path)
    }
  }
  const progress = process.stderr.isTTY === true && !cli.opts.quiet
  const results: Array<BatchResult<T> | undefined> = new Array<BatchResult<T> | undefined>(files.length)
  const failures: SecretsError[] = []
  let done = 0
  let next = 0
  const show = (): void => {
    if (progress) process.stderr.write(`\r\x1b[K${verb} ${done}/${files.length}`)
  }
  const clear = (): void => {
    if (progress) process.stderr.write('\r\x1b[K')
  }
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      const path = files[i] as string
      try {
        results[i] = { path, result: await fn(path) }
      } catch (e) {
        const err = located(e, path)
        failures.push(err)
        clear()
        process.stderr.write(`secrets: ${err.line()}\n`)
      }
      done++
      show()
    }
  }
  show()
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker))
  clear()
  if (failures.length > 0) {
    const first = failures[0] as SecretsError
    throw new SecretsError(first.code, `${failures.length} of ${files.length} files failed (see above)`, {
      hint: opts.writes === false ? 'nothing was changed' : failures.length < files.length ? 'the other files were updated; fix the failures and rerun for those files' : 'nothing was changed',
    })
  }
  return results.filter((r): r is BatchResult<T> => r !== undefined)
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`
