// File arguments of the commands that take many files (rotate, updatekeys): paths, environment
// names and globs (an argument is a glob only if it has glob characters and is not itself a
// file), de-duplicated; and `--all`: every encrypted file under the config folder a rule covers.
import { readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { SecretsError } from '../errors.js'
import { type Cli, usage } from './context.js'

const IGNORE = ['**/node_modules/**', '**/.git/**']
/** Files larger than this are not secrets files; `--all` skips them without reading. */
const MAX_SCAN_BYTES = 64 * 1024 * 1024

type FastGlob = typeof import('fast-glob')
const fastGlob = async (): Promise<FastGlob> => {
  const m = (await import('fast-glob')) as FastGlob & { default?: FastGlob }
  return m.default ?? m
}

function stat(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p)
  } catch {
    return undefined
  }
}

/** Absolute paths, in argument order, each file once (symlinks to one file count once). */
export async function resolveTargets(cli: Cli, args: readonly string[], opts: { all?: boolean | undefined } = {}): Promise<string[]> {
  if (args.length === 0 && !opts.all) throw usage('no files given', 'name files, environments or globs (quote globs: \'secrets/**/*.yaml\')')
  const out = new Map<string, string>()
  const add = (p: string): void => {
    let key = p
    try {
      key = realpathSync(p)
    } catch {
      // missing: the command reports it with its own message
    }
    if (!out.has(key)) out.set(key, p)
  }
  for (const arg of args) {
    if (arg === '-') throw usage('these commands change files in place: stdin cannot be used')
    const fg = /[*?[\]{}!]/.test(arg) && !stat(resolve(cli.cwd, arg))?.isFile() ? await fastGlob() : undefined
    if (fg !== undefined && fg.isDynamicPattern(arg)) {
      const found = await fg.glob(arg, { cwd: cli.cwd, absolute: true, onlyFiles: true, ignore: IGNORE })
      if (found.length === 0) throw usage(`no file matches "${arg}"`, 'check the pattern; quote it so the shell does not expand it first')
      for (const p of found.sort()) add(resolve(p))
      continue
    }
    // An environment of several files (a list, a glob, a directory) gives all of them.
    if (/[\\/]/.test(arg) && !stat(resolve(cli.cwd, arg))?.isDirectory()) {
      add((await cli.target(arg)).path)
    } else {
      const { resolveEnvironmentFiles } = await import('../config/index.js')
      for (const p of (await resolveEnvironmentFiles(await cli.config(), arg, cli.cwd)).files) add(p)
    }
  }
  if (opts.all) for (const p of await coveredFiles(cli)) add(p)
  return [...out.values()]
}

/** `--all`: encrypted files under the config folder that some creation rule matches. */
async function coveredFiles(cli: Cli): Promise<string[]> {
  const config = await cli.config()
  if (config === null || config.creationRules === undefined || config.creationRules.length === 0) {
    throw new SecretsError('config', '--all needs a config file with creation_rules', {
      hint: config === null ? 'run `secrets init`, or name the files instead' : `add creation_rules to ${cli.display(config.path)}, or name the files instead`,
    })
  }
  const { findCreationRule } = await import('../config/index.js')
  const covered = (path: string): boolean => findCreationRule(config, path, cli.cwd) !== null
  const fg = await fastGlob()
  const all = await fg.glob('**/*', { cwd: config.dir, absolute: true, onlyFiles: true, dot: true, ignore: IGNORE, followSymbolicLinks: false })
  const out: string[] = []
  for (const p of all.map((x) => resolve(x)).sort()) {
    if (p === config.path || /^\..*\.(lock|tmp|secrets-tmp)$/.test(basename(p))) continue
    if (!covered(p) || !(await isEncryptedFile(p))) continue
    out.push(p)
  }
  return out
}

/** A sops file of its extension's format: cheap byte check first, then a real parse of the metadata. */
async function isEncryptedFile(path: string): Promise<boolean> {
  const size = stat(path)?.size ?? Infinity
  if (size > MAX_SCAN_BYTES) return false
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch {
    return false
  }
  if (!bytes.includes('sops') || !bytes.includes('ENC[AES256_GCM,')) return false
  const { storeFor, formatFromPath } = await import('../stores/index.js')
  const { readMetadata } = await import('../model/metadata.js')
  try {
    readMetadata((await storeFor(formatFromPath(path))).parse(bytes, 'encrypted').metadata)
    return true
  } catch {
    return false
  }
}
