// `secrets edit FILE|ENV`: decrypt into a private temp dir, run the user's editor, re-encrypt
// under the same data key so only changed values get new ciphertext. A missing file is created
// from its creation rule. The lock is held throughout; plaintext never reaches argv or stdout.
import { existsSync, mkdirSync, unlinkSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { SecretsError } from '../../errors.js'
import { safeMessage } from '../../redact.js'
import { readBounded, writeFileAtomic } from '../../io/files.js'
import { lockPathFor, withFileLock } from '../../io/lock.js'
import { withPrivateTempDir } from '../../io/private-tmp.js'
import { formatFromPath, storeFor } from '../../stores/index.js'
import type { Format, Store } from '../../stores/store.js'
import type { ParsedFile } from '../../tree/types.js'
import { type Cli, formatFor, usage } from '../context.js'
import { describeDrift, keyDriftFor } from '../drift.js'
import { askYesNo, canPrompt, editorCommand, startEditor, type EditorCommand } from '../editor.js'
import { configIndent, openEncrypted, saveEncrypted } from '../file-ops.js'
import { encryptNew, selectionProblem } from '../../workflows/encrypt.js'
import { masterKeysFor } from '../../workflows/keys.js'

export interface EditFlags {
  ignoreMac?: boolean
  inputType?: string
  /** sops' --filename-override: this path, not the file's, picks the format and the creation rule. */
  filenameOverride?: string
}

/** The path whose name and creation rule count (--filename-override, else the file itself). */
const rulePathOf = (cli: Cli, path: string, flags: EditFlags): string => (flags.filenameOverride !== undefined ? resolve(cli.cwd, flags.filenameOverride) : path)

// What a new file starts as (sops's own example, so its users feel at home).
const EXAMPLES: Record<Format, string> = {
  yaml: 'hello: Welcome! Replace these examples with your secrets.\nexample_key: example_value\n# a comment\nexample_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n',
  json: '{"hello": "Welcome! Replace these examples with your secrets.", "example_key": "example_value", "example_array": ["example_value1", "example_value2"], "example_number": 1234.56789, "example_booleans": [true, false]}',
  dotenv: '# Welcome! Replace these examples with your secrets.\nhello=world\nexample_key=example_value\n',
  ini: '[example]\nhello = Welcome! Replace these examples with your secrets.\nexample_key = example_value\n',
  binary: 'Welcome! Replace this text with your secret.\n',
}

export async function edit(cli: Cli, arg: string, flags: EditFlags): Promise<void> {
  const { path } = await cli.target(arg)
  if (path === '-') throw usage('edit needs a file or an environment name, not stdin')
  const shown = cli.display(path)
  const editor = editorCommand(cli.env) // no editor: say so before decrypting anything
  try {
    if (!existsSync(path)) mkdirSync(dirname(path), { recursive: true })
    await withFileLock(path, async () => {
      // A signal ends us through process.exit, which skips withFileLock's `finally`: free the lock then too.
      const release = (): void => {
        try {
          unlinkSync(lockPathFor(path))
        } catch {
          // already gone
        }
      }
      process.once('exit', release)
      try {
        if (existsSync(path)) await editExisting(cli, editor, path, shown, flags)
        else await createNew(cli, editor, path, shown, flags)
      } finally {
        process.removeListener('exit', release)
      }
    })
  } catch (e) {
    throw e instanceof SecretsError ? e.inFile(shown) : e
  }
}

async function editExisting(cli: Cli, editor: EditorCommand, path: string, shown: string, flags: EditFlags): Promise<void> {
  const f = await openEncrypted(cli, path, { ...flags, inputType: flags.inputType ?? (flags.filenameOverride !== undefined ? formatFromPath(flags.filenameOverride) : undefined) })
  try {
    if (flags.ignoreMac) cli.info('MAC not checked (--ignore-mac): the saved file gets a fresh, valid MAC')
    const drift = await keyDriftFor(cli, rulePathOf(cli, path, flags), f.doc.groups, f.doc.metadata.shamirThreshold)
    if (drift !== null) cli.warn(`the master keys of ${shown} differ from ${drift.rule.description}: ${describeDrift(drift)} - run \`secrets updatekeys ${shown}\``)
    const indent = await configIndent(cli, f.store)
    const plain = f.store.emit({ branches: f.doc.branches, metadata: null }, indent !== undefined ? { indent } : {})
    const edited = await editUntilValid(cli, editor, f.store, basename(path), plain)
    if (edited === null) {
      if (f.doc.macValid) {
        cli.info(`no changes: ${shown} was not rewritten`)
        return
      }
      // --ignore-mac promised a fresh MAC: the values as they are, re-sealed (same tokens).
      await saveEncrypted(cli, f, f.doc.branches)
      cli.info(`no changes to the values: saved ${shown} with a fresh, valid MAC`)
      return
    }
    await saveEncrypted(cli, f, edited.branches)
    cli.info(`saved ${shown} (unchanged values kept their ciphertext)`)
  } finally {
    f.doc.close()
  }
}

async function createNew(cli: Cli, editor: EditorCommand, path: string, shown: string, flags: EditFlags): Promise<void> {
  const format = await formatFor(rulePathOf(cli, path, flags), flags.inputType)
  const store = await storeFor(format)
  // before the editor: a config problem must not cost the user their typing
  const plan = await masterKeysFor(cli.workflow(), rulePathOf(cli, path, flags), {})
  const problem = selectionProblem(format === 'binary' ? null : plan.rule?.selection)
  if (problem !== undefined) throw new SecretsError('usage', problem, { hint: 'fix the expression in the creation rule (Go RE2 syntax; no look-around)' })
  const indent = await configIndent(cli, store)
  const emitOpts = indent !== undefined ? { indent } : {}
  const example = store.emit(store.parse(new TextEncoder().encode(EXAMPLES[format]), 'plain'), emitOpts)
  cli.info(`${shown} does not exist: creating it with the keys of ${plan.source}`)
  const edited = await editUntilValid(cli, editor, store, basename(path), example)
  if (edited === null) {
    cli.info(`no changes to the example: ${shown} was not created`)
    return
  }
  // what the user typed is kept even when the rule encrypts none of it: a warning, not a refusal
  const res = await encryptNew(cli.workflow(), { plain: edited, format, rulePath: rulePathOf(cli, path, flags), plan, allowPlaintext: true, indent })
  writeFileAtomic(path, res.bytes)
  const { encrypted, plain } = res.counts
  if (encrypted === 0 && plain > 0) cli.warn(`every value of ${shown} is in clear: its selection rule encrypts none of them`)
  cli.info(`created ${shown}: ${encrypted} value${encrypted === 1 ? '' : 's'} encrypted, ${plain} left in clear`)
}

/**
 * Run the editor on `plain` (written 0600 into a private dir under the file's own name, so the
 * editor picks its syntax highlighting) until the result parses. null: byte-identical, nothing to do.
 * Invalid content: on a terminal the user may reopen the editor; otherwise abort, nothing written.
 */
async function editUntilValid(cli: Cli, editor: EditorCommand, store: Store, name: string, plain: Uint8Array): Promise<ParsedFile | null> {
  return withPrivateTempDir(
    async (dir) => {
      const file = dir.write(name, plain)
      for (;;) {
        const run = startEditor(editor, file, cli.childEnv())
        const unhook = dir.onSignal(() => run.kill())
        const res = await run.done.finally(unhook)
        if (res.code !== 0) {
          const how = res.signal !== null ? `was stopped by ${res.signal}` : `exited with code ${res.code}`
          throw new SecretsError('editor', `the editor ${how}`, { hint: 'nothing was saved; the file is unchanged' })
        }
        let edited: Uint8Array
        try {
          edited = readBounded(file)
        } catch (e) {
          if (e instanceof SecretsError) throw e // larger than the input cap
          throw new SecretsError('editor', 'the edited file disappeared from the temporary directory', { hint: 'nothing was saved; the file is unchanged' })
        }
        if (Buffer.compare(edited, plain) === 0) return null
        try {
          const parsed = store.parse(edited, 'plain')
          if (parsed.metadata !== null) {
            throw new SecretsError('input', 'the edited document has a top-level "sops" key', { hint: 'that key holds the encryption metadata and cannot be a value: rename it' })
          }
          return parsed
        } catch (e) {
          if (!(e instanceof SecretsError)) throw e
          if (!canPrompt()) throw new SecretsError(e.code, e.message, { where: e.where, hint: 'your changes were discarded; the file is unchanged' })
          process.stderr.write(`secrets: ${safeMessage(`${e.message}${e.where ? ` (${e.where})` : ''}`)}\n`)
          if (!(await askYesNo('secrets: reopen the editor to fix it? (no discards your changes)'))) {
            throw new SecretsError(e.code, 'edit abandoned: the edited content was not valid', { hint: 'your changes were discarded; the file is unchanged' })
          }
        }
      }
    },
    { prefix: 'secrets-edit-', env: cli.env },
  )
}
