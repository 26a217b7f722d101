// A Kubernetes Secret manifest (v1) from variables: names checked against the API server's own
// rules here, so a bad key fails with a clear message instead of at `kubectl apply`.
import { Document, isMap } from 'yaml'
import { SecretsError } from '../errors.js'
import { formatPath } from '../tree/path.js'
import type { EnvVar } from './env.js'
import { styleUserScalar } from './yaml-quote.js'

export interface KubernetesSecretOptions {
  name: string
  namespace?: string | undefined
  labels?: Record<string, string> | undefined
  annotations?: Record<string, string> | undefined
  /** Default `Opaque`. */
  type?: string | undefined
  /** Plain `stringData` instead of base64 `data`. */
  stringData?: boolean | undefined
}

// k8s.io/apimachinery/pkg/util/validation
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/
/** The API server refuses Secrets above 1 MiB. */
export const KUBERNETES_SECRET_LIMIT = 1024 * 1024

const usage = (msg: string, hint: string): SecretsError => new SecretsError('usage', msg, { hint })

export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s)
}

/** A Secret data key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..` (IsConfigMapKey). */
export function secretKeyProblem(key: string): string | null {
  if (key.length > 253) return 'is longer than 253 characters'
  if (!CONFIG_MAP_KEY.test(key)) return 'may only contain letters, digits, "-", "_" and "."'
  if (key === '.' || key === '..' || key.startsWith('..')) return 'must not be "." or start with ".."'
  return null
}

/** Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain, name a qualified name of at most 63. */
function checkQualifiedKey(key: string, what: string): void {
  const slash = key.indexOf('/')
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined
  const name = slash >= 0 ? key.slice(slash + 1) : key
  const ok = (prefix === undefined || isDnsSubdomain(prefix)) && name.length <= 63 && QUALIFIED_NAME.test(name)
  if (!ok) throw usage(`${what} key "${key}" is not valid in Kubernetes`, 'use [prefix/]name: name up to 63 letters, digits, "-", "_", "." starting and ending alphanumeric; prefix a DNS subdomain')
}

function checkOptions(o: KubernetesSecretOptions): void {
  if (!isDnsSubdomain(o.name)) throw usage(`"${o.name}" is not a valid Secret name`, 'use lower-case letters, digits, "-" and ".", starting and ending alphanumeric, at most 253 characters')
  if (o.namespace !== undefined && !(o.namespace.length <= 63 && DNS_LABEL.test(o.namespace))) {
    throw usage(`"${o.namespace}" is not a valid namespace`, 'use lower-case letters, digits and "-", starting and ending alphanumeric, at most 63 characters')
  }
  for (const [k, v] of Object.entries(o.labels ?? {})) {
    checkQualifiedKey(k, 'label')
    if (v !== '' && !(v.length <= 63 && QUALIFIED_NAME.test(v)))
      throw usage(`the value of label "${k}" is not valid in Kubernetes`, 'label values: up to 63 letters, digits, "-", "_", ".", starting and ending alphanumeric (or empty)')
  }
  for (const k of Object.keys(o.annotations ?? {})) checkQualifiedKey(k, 'annotation')
  if (o.type !== undefined && o.type.trim() === '') throw usage('the Secret type is empty', 'leave --type out for Opaque, or name one such as kubernetes.io/tls')
}

/** The Secret as a YAML document. Throws SecretsError naming the first key Kubernetes would refuse. */
export function renderKubernetesSecret(vars: readonly EnvVar[], opts: KubernetesSecretOptions): string {
  checkOptions(opts)
  const values: Record<string, string> = {}
  let size = 0
  for (const v of vars) {
    const problem = secretKeyProblem(v.name)
    if (problem !== null) {
      throw new SecretsError('input', `"${v.name}" cannot be a Kubernetes Secret key: it ${problem}`, {
        where: formatPath(v.path),
        file: v.file,
        hint: 'rename the key, or leave it out with --only',
      })
    }
    const bytes = Buffer.from(v.value, 'utf8')
    size += bytes.length
    values[v.name] = opts.stringData ? v.value : bytes.toString('base64')
  }
  if (size > KUBERNETES_SECRET_LIMIT) {
    throw new SecretsError('input', `the values add up to ${size} bytes, more than the 1 MiB a Kubernetes Secret can hold`, { hint: 'split them with --only into several Secrets' })
  }
  const metadata: Record<string, unknown> = { name: opts.name }
  if (opts.namespace !== undefined) metadata.namespace = opts.namespace
  if (opts.labels !== undefined && Object.keys(opts.labels).length > 0) metadata.labels = opts.labels
  if (opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) metadata.annotations = opts.annotations
  const dataKey = opts.stringData ? 'stringData' : 'data'
  const doc = new Document({ apiVersion: 'v1', kind: 'Secret', metadata, type: opts.type ?? 'Opaque', [dataKey]: values }, { version: '1.1' })
  styleUserScalar(doc.getIn(['metadata', 'name'], true))
  styleUserScalar(doc.getIn(['metadata', 'namespace'], true))
  styleUserScalar(doc.getIn(['type'], true))
  for (const path of [['metadata', 'labels'], ['metadata', 'annotations'], [dataKey]]) {
    const m = doc.getIn(path)
    if (!isMap(m)) continue
    for (const pair of m.items) {
      styleUserScalar(pair.key)
      styleUserScalar(pair.value)
    }
  }
  // lineWidth 0: never fold long base64 or text lines.
  return doc.toString({ lineWidth: 0, minContentWidth: 0 })
}

/** `k=v` pairs from the command line (`--label app=api`); the value may contain `=`. */
export function parsePairs(pairs: readonly string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=')
    if (eq <= 0) throw usage(`--${what} "${p}" is not key=value`, `e.g. --${what} app=api`)
    out[p.slice(0, eq)] = p.slice(eq + 1)
  }
  return out
}
