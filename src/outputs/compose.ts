// A compose override file for `docker compose -f docker-compose.yml -f <override> ...`: either
// file-based secrets (top-level `secrets:` with `file:`, listed under each service, optionally
// with the NAME_FILE=/run/secrets/NAME convention) or the values under each service's `environment:`.
import { posix } from 'node:path'
import { Document, isMap, isSeq } from 'yaml'
import { SecretsError } from '../errors.js'
import { secretFiles } from './docker-secrets.js'
import { checkVariables, type EnvVar } from './env.js'
import { styleUserScalar } from './yaml-quote.js'

export type ComposeMode = 'file' | 'environment'

export interface ComposeOptions {
  services: readonly string[]
  /** `file` (default): Docker secrets files; `environment`: values inline (the override then holds secrets). */
  mode?: ComposeMode | undefined
  /** file mode: also set `<VARIABLE>_FILE=/run/secrets/<name>` in each service's environment. */
  fileEnv?: boolean | undefined
  /** file mode: the secrets directory as compose resolves it (relative to the project directory), e.g. `./.secrets/production`. */
  secretsDir?: string | undefined
  /** file mode: variable -> secret name. */
  map?: Readonly<Record<string, string>> | undefined
}

const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/

export function renderCompose(vars: readonly EnvVar[], opts: ComposeOptions): string {
  if (opts.services.length === 0) throw new SecretsError('usage', 'no service named', { hint: 'pass --service NAME (repeatable)' })
  for (const s of opts.services) {
    if (!SERVICE_NAME.test(s)) throw new SecretsError('usage', `"${s}" is not a valid compose service name`, { hint: 'use letters, digits, ".", "_" and "-"' })
  }
  const mode = opts.mode ?? 'file'
  const doc: Record<string, unknown> = {}
  const services: Record<string, Record<string, unknown>> = {}
  if (mode === 'environment') {
    if (opts.fileEnv) throw new SecretsError('usage', '--file-env needs --mode file', { hint: 'NAME_FILE points at /run/secrets/NAME, which only file mode creates' })
    checkVariables(vars)
    // `$` starts an interpolation in compose files; `$$` is a literal dollar.
    const environment = Object.fromEntries(vars.map((v) => [v.name, v.value.replace(/\$/g, '$$$$')]))
    for (const s of opts.services) services[s] = { environment }
  } else {
    const files = secretFiles(vars, opts.map)
    const dir = opts.secretsDir ?? '.'
    doc.secrets = Object.fromEntries(files.map((f) => [f.name, { file: posix.join(dir, f.name).replace(/^(?!\/|\.\.?\/)/, './') }]))
    for (const s of opts.services) {
      const svc: Record<string, unknown> = { secrets: files.map((f) => f.name) }
      if (opts.fileEnv) svc.environment = Object.fromEntries(files.map((f) => [`${f.variable}_FILE`, `/run/secrets/${f.name}`]))
      services[s] = svc
    }
  }
  doc.services = services
  // No `version:` key: Compose v2 calls it obsolete, and v1 (1.27+) merges files without it.
  const y = new Document(doc, { version: '1.1' })
  quoteUserStrings(y)
  return y.toString({ lineWidth: 0, minContentWidth: 0 })
}

// Every name and value that comes from the user, styled so that PyYAML (compose v1) and go-yaml
// (compose v2) both read a string.
function quoteUserStrings(y: Document): void {
  const quote = styleUserScalar
  const eachPair = (m: unknown, fn: (key: unknown, value: unknown) => void): void => {
    if (isMap(m)) for (const p of m.items) fn(p.key, p.value)
  }
  eachPair(y.get('secrets'), (name, def) => {
    quote(name)
    eachPair(def, (_k, v) => quote(v))
  })
  eachPair(y.get('services'), (name, svc) => {
    quote(name)
    if (!isMap(svc)) return
    const list = svc.get('secrets')
    if (isSeq(list)) list.items.forEach(quote)
    eachPair(svc.get('environment'), (k, v) => {
      quote(k)
      quote(v)
    })
  })
}
