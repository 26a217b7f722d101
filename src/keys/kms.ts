// AWS KMS master key (spec 8.4): `enc` is the standard base64 of the CiphertextBlob that KMS
// Encrypt returns for the data key under `arn` and the encryption `context`. The AWS SDK costs
// ~150 ms to import, so it is loaded only inside wrap/unwrap.
import { hostname } from 'node:os'
import type { KmsKeySpec } from './spec.js'
import type { PlainObject } from '../tree/types.js'
import { createdAtNow, entryString } from './entry.js'
import { KeyError, type KeyContext, type MasterKey } from './types.js'

type KmsLib = typeof import('@aws-sdk/client-kms')
type KmsClient = InstanceType<KmsLib['KMSClient']>
interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}
type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>) | undefined

const ARN = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/
export const DEFAULT_KMS_TIMEOUT_MS = 10_000

/** The region of a KMS key ARN (sops's regex), or null when it is not a KMS ARN. */
export function regionOfArn(arn: string): string | null {
  return ARN.exec(arn)?.[1] ?? null
}

/** "sops@" + the hostname without characters outside sops's class (`@-_` is a range there too), cut to 64. */
export function roleSessionName(host: string = hostname()): string {
  return ('sops@' + host.replace(/[^a-zA-Z0-9=,.@-_]+/g, '')).slice(0, 64)
}

/** sops's identity string (8.6): `arn[+role][|ctx][|profile]`, ctx = sorted `k:v` joined by `,`. */
export function kmsKeyId(arn: string, role = '', context: Record<string, string> = {}, awsProfile = ''): string {
  let s = role ? `${arn}+${role}` : arn
  const ctx = Object.keys(context)
    .sort()
    .map((k) => `${k}:${context[k]}`)
    .join(',')
  if (ctx !== '' || awsProfile !== '') s += `|${ctx}`
  if (awsProfile !== '') s += `|${awsProfile}`
  return s
}

/** SECRETS_KMS_TIMEOUT_MS: the deadline for one KMS call, retries included. */
export function kmsTimeoutMs(env: NodeJS.ProcessEnv): number {
  const n = Number(env.SECRETS_KMS_TIMEOUT_MS)
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_KMS_TIMEOUT_MS
}

/** The SDK's service-specific endpoint variables, read from the given env rather than process.env. */
export function endpointFromEnv(env: NodeJS.ProcessEnv, service: 'KMS' | 'STS'): string | undefined {
  if (String(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).toLowerCase() === 'true') return undefined
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined
}

/**
 * The SDK packages are CommonJS. Node's import() gives their named exports; the esbuild bundle of
 * the CLI (scripts/bundle.mjs) gives a namespace with only `default`. Accept both.
 */
async function named<T extends object>(p: Promise<T>): Promise<T> {
  const m = await p
  const d = (m as { default?: unknown }).default
  return Object.keys(m).length === 1 && d !== null && typeof d === 'object' ? (d as T) : m
}

let kmsLibPromise: Promise<KmsLib> | undefined
const kmsLib = (): Promise<KmsLib> => (kmsLibPromise ??= named(import('@aws-sdk/client-kms')))

/**
 * On Node 20 (which we support) the first SDK client prints a multi-line notice about the SDK's
 * own future Node requirement: noise on a user's stderr. The SDK's own `state` flag says it was
 * shown already (process.env is left alone); an explicit setting of the variable wins.
 */
async function quietSdkNodeNotice(): Promise<void> {
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) return
  try {
    const core = await named(import('@aws-sdk/core/client')) as { state?: { warningEmitted?: boolean } }
    if (core.state !== undefined) core.state.warningEmitted = true
  } catch {
    // another SDK layout: the notice may be printed, nothing breaks
  }
}

interface ClientSettings {
  region: string
  endpoint: string | undefined
  timeoutMs: number
  maxAttempts: number
  profile: string
  role: string
}

/**
 * Credentials from the KeyContext's env, so a caller's env (and a test's) is what counts: the
 * named `aws_profile` first (as sops), then AWS_ACCESS_KEY_ID/SECRET in env, then AWS_PROFILE;
 * otherwise undefined = the SDK's default chain (which reads process.env, ~/.aws, SSO, IMDS).
 */
async function baseCredentials(env: NodeJS.ProcessEnv, profile: string): Promise<CredentialSource> {
  const files = {
    ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
    ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
  }
  if (profile !== '') {
    const { fromIni } = await named(import('@aws-sdk/credential-provider-ini'))
    return fromIni({ profile, ...files })
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    }
  }
  if (env.AWS_PROFILE) {
    const { fromIni } = await named(import('@aws-sdk/credential-provider-ini'))
    return fromIni({ profile: env.AWS_PROFILE, ...files })
  }
  return undefined
}

function commonConfig(s: ClientSettings, endpoint: string | undefined, credentials: CredentialSource): Record<string, unknown> {
  return {
    region: s.region,
    maxAttempts: s.maxAttempts,
    requestHandler: { connectionTimeout: s.timeoutMs, requestTimeout: s.timeoutMs },
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  }
}

async function assumeRole(env: NodeJS.ProcessEnv, s: ClientSettings, base: CredentialSource): Promise<AwsCredentials> {
  const { STSClient, AssumeRoleCommand } = await named(import('@aws-sdk/client-sts'))
  const sts = new STSClient(commonConfig(s, endpointFromEnv(env, 'STS'), base))
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: s.role, RoleSessionName: roleSessionName() }), { abortSignal: AbortSignal.timeout(s.timeoutMs) })
    const c = out.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials')
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) }
  } catch (e) {
    const { code, detail } = awsErrorParts(e)
    throw new KeyError(`could not assume role ${s.role}: ${code}${detail}`, 'check that your credentials may call sts:AssumeRole on that role and that its trust policy allows you')
  } finally {
    sts.destroy()
  }
}

// One client per env object and settings: decrypting 100 files with one key assumes the role
// once. Entries expire well before assumed-role credentials (1 h) so a long-lived library user
// never holds stale ones; a failed attempt is not kept.
const CLIENT_TTL_MS = 10 * 60_000
type ClientCache = Map<string, { client: Promise<KmsClient>; until: number }>

/** Clients live in the key session (KeyContext.cache); without one, each call makes its own. */
function kmsClient(env: NodeJS.ProcessEnv, s: ClientSettings, ctx?: KeyContext): Promise<KmsClient> {
  const fresh = (): ClientCache => new Map<string, { client: Promise<KmsClient>; until: number }>()
  const byEnv = ctx?.cache !== undefined ? ctx.cache.get('kms-clients', fresh) : fresh()
  const cacheKey = JSON.stringify(s)
  const hit = byEnv.get(cacheKey)
  if (hit !== undefined && hit.until > Date.now()) return hit.client
  const client = (async () => {
    await quietSdkNodeNotice()
    const { KMSClient } = await kmsLib()
    let creds = await baseCredentials(env, s.profile)
    if (s.role !== '') creds = await assumeRole(env, s, creds)
    return new KMSClient(commonConfig(s, s.endpoint, creds))
  })()
  const entry = { client, until: Date.now() + CLIENT_TTL_MS }
  byEnv.set(cacheKey, entry)
  client.catch(() => {
    if (byEnv.get(cacheKey) === entry) byEnv.delete(cacheKey)
  })
  return client
}

function awsErrorParts(e: unknown): { code: string; detail: string } {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string } }
  const code = err.code ?? err.cause?.code ?? err.name ?? 'Error'
  const msg = (err.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 200)
  return { code, detail: msg !== '' && msg !== code ? ` (${msg})` : '' }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'])
const TIMED_OUT = new Set(['TimeoutError', 'AbortError', 'ETIMEDOUT', 'RequestTimeout', 'RequestTimeoutException'])

function kmsFailure(op: 'Encrypt' | 'Decrypt', arn: string, e: unknown, s: ClientSettings): KeyError {
  if (e instanceof KeyError) return e
  const { code, detail } = awsErrorParts(e)
  const where = s.endpoint ?? `the ${s.region} endpoint`
  const what = `AWS KMS ${op} with ${arn} failed: ${code}`
  switch (code) {
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
    case 'IncompleteSignature':
      return new KeyError(what + detail, `check the AWS credentials in use${s.profile ? ` (profile "${s.profile}")` : ''} and that the key policy allows kms:${op}`)
    case 'NotFoundException':
      return new KeyError(what + detail, `check the ARN (region ${s.region}) and that the key exists and is not deleted`)
    case 'InvalidCiphertextException':
      return new KeyError(what + detail, 'the ciphertext does not match this key and encryption context: check the entry\'s "context" is the one used to encrypt')
    case 'IncorrectKeyException':
      return new KeyError(what + detail, 'the ciphertext was made under another KMS key than the entry\'s arn')
    case 'DisabledException':
      return new KeyError(what + detail, 'the KMS key is disabled: enable it, or decrypt with another master key')
    case 'KMSInvalidStateException':
      return new KeyError(what + detail, 'the KMS key is not usable in its current state (pending deletion or import?)')
    case 'ThrottlingException':
      return new KeyError(what + ' (still throttled after retries)', 'try again later, or raise AWS_MAX_ATTEMPTS')
    case 'CredentialsProviderError':
      return new KeyError(`${what}: no AWS credentials found${detail}`, 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in (aws sso login)')
  }
  if (UNREACHABLE.has(code)) {
    return new KeyError(`${what}: could not reach ${where}`, 'check the network, proxy and AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL')
  }
  if (TIMED_OUT.has(code)) {
    return new KeyError(`${what}: no answer from ${where} within ${s.timeoutMs} ms`, 'check the network and AWS_ENDPOINT_URL_KMS, or raise SECRETS_KMS_TIMEOUT_MS')
  }
  return new KeyError(what + detail)
}

function decodeBase64(s: string): Uint8Array | null {
  const t = s.trim()
  if (t === '' || t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return null
  return new Uint8Array(Buffer.from(t, 'base64'))
}

export class KmsKey implements MasterKey {
  readonly kind = 'kms' as const
  readonly arn: string
  readonly role: string
  readonly context: Record<string, string>
  readonly awsProfile: string
  readonly createdAt: string
  private enc: string
  private readonly env: NodeJS.ProcessEnv

  /** `env` serves wrap(), which gets no KeyContext; `createdAt` defaults to now (a new entry). */
  constructor(spec: KmsKeySpec, opts: { createdAt?: string; enc?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.arn = spec.arn.replace(/\s+/g, '')
    this.role = (spec.role ?? '').replace(/\s+/g, '')
    this.context = { ...(spec.context ?? {}) }
    this.awsProfile = spec.awsProfile ?? ''
    this.createdAt = opts.createdAt ?? createdAtNow()
    this.enc = opts.enc ?? ''
    this.env = opts.env ?? process.env
  }

  get id(): string {
    return kmsKeyId(this.arn, this.role, this.context, this.awsProfile)
  }

  static fromMetadata(entry: PlainObject, env?: NodeJS.ProcessEnv): KmsKey {
    const s = (k: string): string => entryString(entry, k)
    const context: Record<string, string> = {}
    const c = entry.context ?? entry[Object.keys(entry).find((x) => x.toLowerCase() === 'context') ?? '']
    if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
      for (const [k, v] of Object.entries(c)) context[k] = v === null ? '' : String(v)
    }
    return new KmsKey({ arn: s('arn'), role: s('role'), context, awsProfile: s('aws_profile') }, { createdAt: s('created_at'), enc: s('enc'), ...(env ? { env } : {}) })
  }

  private settings(env: NodeJS.ProcessEnv): ClientSettings {
    const region = regionOfArn(this.arn)
    if (region === null) {
      throw new KeyError(`"${this.arn}" is not a KMS key ARN`, 'KMS keys look like arn:aws:kms:REGION:ACCOUNT:key/ID (or alias/NAME)')
    }
    const attempts = Number(env.AWS_MAX_ATTEMPTS)
    return {
      region,
      endpoint: endpointFromEnv(env, 'KMS'),
      timeoutMs: kmsTimeoutMs(env),
      maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 3,
      profile: this.awsProfile,
      role: this.role,
    }
  }

  private encryptionContext(): Record<string, string> | undefined {
    return Object.keys(this.context).length > 0 ? this.context : undefined
  }

  async wrap(dataKey: Uint8Array, ctx?: KeyContext): Promise<void> {
    const env = ctx?.env ?? this.env
    const s = this.settings(env)
    try {
      const client = await kmsClient(env, s, ctx)
      const { EncryptCommand } = await kmsLib()
      const ec = this.encryptionContext()
      const out = await client.send(new EncryptCommand({ KeyId: this.arn, Plaintext: dataKey, ...(ec ? { EncryptionContext: ec } : {}) }), {
        abortSignal: AbortSignal.timeout(s.timeoutMs),
      })
      if (out.CiphertextBlob === undefined || out.CiphertextBlob.length === 0) throw new KeyError(`AWS KMS Encrypt with ${this.arn} returned no ciphertext`)
      this.enc = Buffer.from(out.CiphertextBlob).toString('base64')
    } catch (e) {
      throw kmsFailure('Encrypt', this.arn, e, s)
    }
  }

  async unwrap(ctx: KeyContext): Promise<Uint8Array> {
    if (this.enc === '') throw new KeyError('the entry has no "enc" value')
    const s = this.settings(ctx.env)
    const blob = decodeBase64(this.enc)
    if (blob === null) throw new KeyError('its "enc" value is not standard base64')
    try {
      const client = await kmsClient(ctx.env, s, ctx)
      const { DecryptCommand } = await kmsLib()
      const ec = this.encryptionContext()
      const out = await client.send(new DecryptCommand({ KeyId: this.arn, CiphertextBlob: blob, ...(ec ? { EncryptionContext: ec } : {}) }), {
        abortSignal: AbortSignal.timeout(s.timeoutMs),
      })
      if (out.Plaintext === undefined) throw new KeyError(`AWS KMS Decrypt with ${this.arn} returned no plaintext`)
      return out.Plaintext
    } catch (e) {
      throw kmsFailure('Decrypt', this.arn, e, s)
    }
  }

  toMetadata(): PlainObject {
    const m: PlainObject = { arn: this.arn }
    if (this.role !== '') m.role = this.role
    if (Object.keys(this.context).length > 0) m.context = { ...this.context }
    m.created_at = this.createdAt
    m.enc = this.enc
    m.aws_profile = this.awsProfile
    return m
  }
}

/** KMS master keys for the specs of a creation rule or the command line (new entries). */
export function kmsKeysFromSpecs(specs: readonly KmsKeySpec[], env?: NodeJS.ProcessEnv): KmsKey[] {
  return specs.map((k) => new KmsKey(k, env ? { env } : {}))
}
