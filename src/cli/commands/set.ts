// `secrets set|unset|get ENV PATH`: change or read one value. The value comes from stdin (or a
// hidden prompt), never argv; writes hold the file lock, and only the touched value gets a new token.
import { existsSync } from 'node:fs'
import { SecretsError } from '../../errors.js'
import { brokenLink, writeStdout } from '../../io/files.js'
import { withFileLock } from '../../io/lock.js'
import { readSecretValue } from '../../io/secret-input.js'
import { scalarText } from '../../outputs/env.js'
import { parseJsonValue } from '../../stores/json.js'
import { jsonText } from '../../tree/json-text.js'
import { isValidUtf8 } from '../../util/utf8.js'
import { MAX_DEPTH, assertDepth, tooDeep } from '../../tree/limits.js'
import { setAtPath, unsetAtPath } from '../../tree/mutate.js'
import { formatGeneratorSpec, generateValue, parseGeneratorSpec } from '../../util/generate.js'
import { formatPath, getAtPath, parseTreePath, type PathPart } from '../../tree/path.js'
import type { MapNode, Node } from '../../tree/types.js'
import { getAtPathOrSuggest } from '../../tree/suggest.js'
import { type Cli, usage } from '../context.js'
import { openEncrypted, saveEncrypted, type OpenFile } from '../file-ops.js'

export interface SetFlags {
  valueStdin?: boolean
  valueFile?: string
  json?: boolean
  raw?: boolean
  allowEmpty?: boolean
  idempotent?: boolean
  ignoreMac?: boolean
  /** A generator spec (`hex:32`): the value is made here instead of read. */
  generate?: string
  /** With --generate: print the generated value on stdout. */
  show?: boolean
}

export async function set(cli: Cli, file: string, pathArg: string, flags: SetFlags, extra: string[] = []): Promise<void> {
  if (extra.length > 0) throw usage('values are never taken from the command line (shell history and `ps` would show them)', `pipe it in: printf %s "$VALUE" | secrets set ${file} '${pathArg}'`)
  if (flags.valueStdin && flags.valueFile !== undefined) throw usage('--value-stdin and --value-file cannot be used together')
  const path = keyPath(pathArg)
  if (path[0] === 'sops') throw usage('the top-level key "sops" is reserved for the metadata', 'choose another key name')
  if (flags.generate !== undefined && (flags.valueStdin || flags.valueFile !== undefined || flags.json))
    throw usage('--generate makes the value: it cannot be combined with --value-stdin, --value-file or --json')
  if (flags.show && flags.generate === undefined) throw usage('--show prints a generated value: it goes with --generate')
  const spec = flags.generate === undefined ? undefined : parseGeneratorSpec(flags.generate, '--generate')
  // Refuse what no reader would read back (the shared nesting limit), before asking for the value.
  if (path.length > MAX_DEPTH) throw tooDeep('the key path')
  const target = await existingTarget(cli, file)
  let value: Node
  if (spec !== undefined) value = { kind: 'str', value: generateValue(spec) }
  else value = valueNode(await readSecretValue({ file: flags.valueFile, raw: flags.raw, prompt: `value for ${formatPath(path)} (input hidden): ` }), flags)
  assertDepth(value, path.length, 'the key path and the value together')
  await modify(cli, target, flags, (f, branch) => {
    const before = peek(branch, path)
    const changed = setAtPath(branch, path, value)
    if (!changed && flags.idempotent) return { write: false, notes: [`${formatPath(path)} already has that value; ${cli.display(f.path)} not rewritten`] }
    const notes = [`${before === undefined ? 'added' : 'set'} ${formatPath(path)} in ${cli.display(f.path)}${spec ? ` (generated ${formatGeneratorSpec(spec)})` : ''}`]
    if (changed && before !== undefined && value.kind === 'str' && ['int', 'float', 'bool'].includes(before.kind)) {
      notes.push(`${formatPath(path)} was a ${before.kind === 'bool' ? 'boolean' : 'number'} and is now a string (--json keeps numbers and booleans typed)`)
    }
    return { write: true, notes }
  })
  if (flags.show && value.kind === 'str') await writeStdout(value.value + (process.stdout.isTTY ? '\n' : ''))
}

export async function unset(cli: Cli, file: string, pathArg: string, flags: { idempotent?: boolean; ignoreMac?: boolean }): Promise<void> {
  const path = keyPath(pathArg)
  const target = await existingTarget(cli, file)
  await modify(cli, target, flags, (f, branch) => {
    const removed = unsetAtPath(branch, path, { missingOk: flags.idempotent ?? false })
    return { write: removed, notes: [removed ? `removed ${formatPath(path)} from ${cli.display(f.path)}` : `${formatPath(path)} is not in ${cli.display(f.path)}; nothing to do`] }
  })
}

export async function get(cli: Cli, file: string, pathArg: string, flags: { json?: boolean; ignoreMac?: boolean }): Promise<void> {
  const path = keyPath(pathArg)
  const { path: target } = await cli.target(file)
  cli.noteAudit({ keys: [pathArg] })
  let out: Uint8Array | string
  try {
    const f = await openEncrypted(cli, target, { ignoreMac: flags.ignoreMac ?? false })
    f.dec.dataKey.fill(0)
    const node = getAtPathOrSuggest(f.dec.branches[0] ?? { kind: 'map', items: [] }, path)
    // Exactly what `exec` would put in the environment; containers (and --json) as JSON.
    if (flags.json || node.kind === 'map' || node.kind === 'list') out = jsonText(node, null)
    else out = node.kind === 'bytes' ? node.value : scalarText(node, path)
  } catch (e) {
    throw e instanceof SecretsError ? e.inFile(cli.display(target)) : e
  }
  await writeStdout(out)
  if (process.stdout.isTTY) await writeStdout('\n') // a terminal only: keep the prompt off the value's line
}

function keyPath(arg: string): PathPart[] {
  const path = parseTreePath(arg)
  if (path.length === 0) throw usage('an empty key path addresses the whole file', 'give a key path such as \'["db"]["password"]\' or db.password (or use `secrets decrypt`)')
  return path
}

/** Resolve the file and fail before any prompt when it does not exist. */
export async function existingTarget(cli: Cli, arg: string): Promise<string> {
  const { path } = await cli.target(arg)
  if (path === '-') throw usage('set and unset change a file in place; they cannot work on stdin')
  if (!existsSync(path)) {
    const link = brokenLink(path) // a dangling link or a loop says so
    throw new SecretsError('input', link?.message ?? 'file not found', { file: cli.display(path), hint: link?.hint ?? `create it with \`secrets edit ${arg}\`` })
  }
  return path
}

/** The typed node for the value bytes: JSON with --json, else a UTF-8 string. */
function valueNode(bytes: Uint8Array, flags: SetFlags): Node {
  if (bytes.length === 0 && !flags.allowEmpty) {
    throw usage('the value is empty (nothing came on stdin)', 'pipe the value in, e.g. printf %s "$VALUE" | secrets set ..., or pass --allow-empty to store an empty string')
  }
  if (flags.json) {
    try {
      return parseJsonValue(bytes)
    } catch (e) {
      const detail = e instanceof SecretsError ? e.message.replace(/^invalid JSON /, '') : 'cannot parse'
      throw usage(`the value is not valid JSON (${detail})`, 'quote strings ("text"), or leave out --json to store the input as a string')
    }
  }
  if (!isValidUtf8(bytes)) throw usage('the value is not UTF-8 text', 'encode binary data first, e.g. base64 < file | secrets set ...')
  return { kind: 'str', value: new TextDecoder().decode(bytes) }
}

function peek(root: MapNode, path: PathPart[]): Node | undefined {
  try {
    return getAtPath(root, path)
  } catch {
    return undefined
  }
}

export type Change = (f: OpenFile, branch: MapNode) => { write: boolean; notes: string[] }

/** Lock, decrypt, let `change` edit branch 0, re-encrypt and write atomically; then print its notes. */
export async function modify(cli: Cli, path: string, flags: { ignoreMac?: boolean }, change: Change): Promise<void> {
  try {
    await withFileLock(path, async () => {
      const f = await openEncrypted(cli, path, { ignoreMac: flags.ignoreMac ?? false })
      try {
        if (flags.ignoreMac) cli.info('MAC not checked (--ignore-mac): the new MAC will vouch for everything the file now holds')
        const branches = f.dec.branches.length > 0 ? f.dec.branches : [{ kind: 'map', items: [] } satisfies MapNode]
        const { write, notes } = change(f, branches[0] as MapNode)
        if (write) await saveEncrypted(cli, f, branches)
        for (const n of notes) cli.info(n)
      } finally {
        f.dec.dataKey.fill(0)
      }
    })
  } catch (e) {
    throw e instanceof SecretsError ? e.inFile(cli.display(path)) : e
  }
}
