// Read one config file into a LoadedConfig: sops sections (`creation_rules`, `stores`) with sops
// meaning, our own (`environments`, `secrets_dir`), and everything else kept raw for later.
import { basename, dirname, isAbsolute, resolve } from 'node:path'
import { SecretsError } from '../errors.js'
import { readBounded } from '../io/files.js'
import { conflictMarkerLine } from '../stores/conflict.js'
import { parseCreationRules } from './rules.js'
import type { LoadedConfig, StoresConfig } from './types.js'
import { ConfigReader, type YValue } from './yaml-reader.js'

export const DEFAULT_SECRETS_DIR = 'secrets'

/** Load and validate a config file; throws SecretsError('config') with the file and `line N` where known. */
export function loadConfig(path: string): LoadedConfig {
  const file = resolve(path)
  let text: string
  try {
    text = Buffer.from(readBounded(file)).toString('utf8')
  } catch (e) {
    if (e instanceof SecretsError) throw e.inFile(file)
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error'
    throw new SecretsError('config', `cannot read config file (${code})`, {
      file,
      hint: 'check SECRETS_CONFIG / SOPS_CONFIG or the --config path',
      cause: e,
    })
  }
  try {
    return parseConfig(file, text)
  } catch (e) {
    const line = e instanceof SecretsError ? conflictMarkerLine(Buffer.from(text, 'utf8')) : undefined
    if (line === undefined) throw e
    throw new SecretsError('config', `the config file has git merge conflict markers (<<<<<<< at line ${line}, then ======= and >>>>>>>): a merge or rebase was not finished`, {
      file,
      hint: 'edit it to keep the lines you want and delete the marker lines, then git add it',
    })
  }
}

/** Parse config text as if read from `file` (absolute). */
export function parseConfig(file: string, text: string): LoadedConfig {
  const r = ConfigReader.parse(file, text)
  const root = r.root
  const f = r.fields(root, '(top level)')
  const secretsDir = normalizeRel(r.text(f.get('secrets_dir') ?? null, 'secrets_dir') ?? DEFAULT_SECRETS_DIR)
  return {
    path: file,
    dir: dirname(file),
    kind: /^\.secretsrc\./.test(basename(file)) ? 'secretsrc' : 'sops',
    creationRules: parseCreationRules(r, f.get('creation_rules')),
    environments: parseEnvironments(r, f.get('environments') ?? null, secretsDir),
    secretsDir,
    stores: parseStores(r, f.get('stores') ?? null),
    raw: r.toJS() ?? {},
  }
}

function normalizeRel(p: string): string {
  const s = p.replace(/[\\/]+$/, '')
  return s === '' ? '.' : s
}

// `name: path`, `name: {path}`, `name: {paths: [...]}`, `name: [...]`, or nothing
// (`<secrets_dir>/<name>.yaml`). A one-element list is the same as a single path.
function parseEnvironments(r: ConfigReader, node: YValue, secretsDir: string): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>()
  for (const [name, value] of r.fields(node, 'environments')) {
    const at = `environments.${name}`
    if (name === '' || /[\\/]/.test(name)) r.fail(value ?? node, at, 'an environment name must be non-empty and contain no path separator')
    const pathList = (list: YValue, field: string): string[] => {
      const items = r.list(list, field)
      if (items.length === 0) r.fail(list, field, 'must name at least one file, directory or glob')
      return items.map((it, i) => {
        const p = r.text(it, `${field}[${i}]`)
        if (p === undefined || p === '') r.fail(it ?? list, `${field}[${i}]`, 'must not be empty')
        return p
      })
    }
    let paths: string[] | undefined
    if (r.isNull(value)) paths = undefined
    else if (r.isString(value)) paths = [value.value]
    else if (r.describe(value) === 'a list') paths = pathList(value, at)
    else {
      const f = r.fields(value, at)
      const one = f.get('path')
      const many = f.get('paths')
      if (one !== undefined && many !== undefined) r.fail(value, at, 'give either path or paths, not both')
      if (many !== undefined) paths = pathList(many, `${at}.paths`)
      else {
        const p = r.text(one ?? null, `${at}.path`)
        paths = p === undefined ? undefined : [p]
      }
    }
    if (paths?.[0] === '') r.fail(value, `${at}.path`, 'must not be empty')
    out.set(name, paths === undefined ? `${secretsDir}/${name}.yaml` : paths.length === 1 ? (paths[0] as string) : paths)
  }
  return out
}

function parseStores(r: ConfigReader, node: YValue): StoresConfig {
  const f = r.fields(node, 'stores')
  const indent = (store: string): number | undefined =>
    r.int(r.fields(f.get(store) ?? null, `stores.${store}`).get('indent') ?? null, `stores.${store}.indent`)
  const out: StoresConfig = {}
  const y = indent('yaml')
  const j = indent('json')
  const jb = indent('json_binary')
  if (y !== undefined) out.yamlIndent = y
  if (j !== undefined) out.jsonIndent = j
  if (jb !== undefined) out.jsonBinaryIndent = jb
  return out
}

/** Absolute path of a config-relative path. */
export function fromConfigDir(dir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dir, p)
}
