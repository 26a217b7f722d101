// A small AWS KMS (JSON 1.1: TrentService.Encrypt / Decrypt) and STS (query: AssumeRole) on
// 127.0.0.1, enough for the real AWS SDK. Ciphertext blobs are bound to their key and encryption
// context like real KMS ones; errors have AWS's shapes; every request must carry a SigV4
// Authorization header scoped to the key's region and the right service.
//
// Blob layout (ours, opaque to clients): 0x01 | u16 len | key ARN | 12-byte nonce | AES-256-GCM
// ciphertext+tag, AAD = ARN | 0x00 | canonical context JSON.

import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

interface EmuKey {
  arn: string
  region: string
  secret: Buffer
  disabled: boolean
}

export interface EmuRequest {
  service: 'kms' | 'sts'
  operation: string
  accessKeyId: string
  region: string
  sessionToken: string | undefined
}

export interface KmsEmulator {
  /** http://127.0.0.1:PORT */
  url: string
  createKey(opts?: { region?: string; account?: string; disabled?: boolean }): string
  setDisabled(arn: string, disabled: boolean): void
  /** The next `n` KMS requests fail with ThrottlingException. */
  throttleNext(n: number): void
  /** AssumeRole of this role ARN fails with AccessDenied. */
  denyRole(roleArn: string): void
  /** Every request seen (after the signature check), oldest first. */
  requests: EmuRequest[]
  /** AssumeRole calls: role ARN, session name and the credentials handed out. */
  assumed: { roleArn: string; sessionName: string; accessKeyId: string }[]
  /** Requests refused for a bad or missing signature, with the reason (for test failure messages). */
  rejected: string[]
  /** Most Decrypt requests ever in flight at once (see `holdDecrypts`). */
  readonly maxInFlight: number
  close(): Promise<void>
}

const canonicalContext = (ctx: Record<string, string> | undefined): string =>
  JSON.stringify(
    Object.keys(ctx ?? {})
      .sort()
      .map((k) => [k, (ctx ?? {})[k]]),
  )

const aad = (arn: string, ctx: Record<string, string> | undefined): Buffer => Buffer.concat([Buffer.from(arn), Buffer.from([0]), Buffer.from(canonicalContext(ctx))])

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (b: Buffer) => parts.push(b))
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..., Signature=...`. */
function parseAuthorization(h: string | undefined): { accessKeyId: string; region: string; service: string } | string {
  if (h === undefined) return 'missing Authorization header'
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(h)
  if (m === null) return `malformed Authorization header: ${h}`
  if (!(m[5] as string).split(';').includes('host') || !(m[5] as string).split(';').includes('x-amz-date')) return 'SignedHeaders lacks host or x-amz-date'
  return { accessKeyId: m[1] as string, region: m[3] as string, service: m[4] as string }
}

export interface KmsEmulatorOptions {
  /**
   * Hold every Decrypt answer until this many Decrypt requests are in flight together (then all
   * are answered), so a test can see whether a client overlaps its calls without measuring time.
   * A client that never gets there is answered after `holdTimeoutMs` (default 3000), so it
   * finishes and the test fails on `maxInFlight` instead of hanging.
   */
  holdDecrypts?: number
  holdTimeoutMs?: number
}

/** Environment that points the real AWS SDK at `emu` with test credentials and no AWS files of the machine. */
export function emulatorEnv(emu: { url: string }): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_KMS: emu.url,
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  }
}

export async function startKmsEmulator(opts: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
  const keys = new Map<string, EmuKey>()
  const sessions = new Map<string, string>() // access key id -> session token handed out by AssumeRole
  const denied = new Set<string>()
  let throttle = 0
  const requests: EmuRequest[] = []
  const assumed: KmsEmulator['assumed'] = []
  const rejected: string[] = []
  let inFlight = 0
  let maxInFlight = 0
  const held: Array<() => void> = []
  const releaseHeld = (): void => {
    for (const go of held.splice(0)) go()
  }
  // Decrypt: count the request as in flight and, with holdDecrypts, wait for the others.
  const enterDecrypt = async (): Promise<void> => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const n = opts.holdDecrypts
    if (n === undefined) return
    if (inFlight >= n) return releaseHeld()
    await new Promise<void>((go) => {
      held.push(go)
      setTimeout(releaseHeld, opts.holdTimeoutMs ?? 3000).unref()
    })
  }

  const kmsError = (res: ServerResponse, type: string, message?: string, status = 400): void => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() })
    res.end(JSON.stringify(message === undefined ? { __type: type } : { __type: type, message }))
  }
  const kmsOk = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() })
    res.end(JSON.stringify(body))
  }
  const stsError = (res: ServerResponse, code: string, message: string, status = 403): void => {
    res.writeHead(status, { 'content-type': 'text/xml' })
    res.end(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    )
  }

  // By ARN, else by key id (also the id inside an ARN naming another region: that request is
  // then refused by the scope check, which is what the region test wants to see).
  const findKey = (id: string): EmuKey | undefined => {
    const keyId = /:key\/(.+)$/.exec(id)?.[1] ?? id
    return keys.get(id) ?? [...keys.values()].find((k) => k.arn.endsWith(`:key/${keyId}`))
  }

  function checkScope(res: ServerResponse, auth: ReturnType<typeof parseAuthorization>, service: string, region: string | undefined, json: boolean): auth is Exclude<typeof auth, string> {
    let why: string | undefined
    if (typeof auth === 'string') why = auth
    else if (auth.service !== service) why = `credential scope names service "${auth.service}", expected "${service}"`
    else if (region !== undefined && auth.region !== region) why = `credential scope names region "${auth.region}", the key is in "${region}"`
    else if (auth.accessKeyId.startsWith('ASIA') && !sessions.has(auth.accessKeyId)) why = `unknown temporary access key ${auth.accessKeyId}`
    if (why === undefined) return true
    rejected.push(why)
    if (json) kmsError(res, 'InvalidSignatureException', why)
    else stsError(res, 'InvalidClientTokenId', why)
    return false
  }

  async function handleKms(req: IncomingMessage, res: ServerResponse, op: string): Promise<void> {
    const auth = parseAuthorization(req.headers.authorization)
    let body: Record<string, unknown>
    try {
      body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>
    } catch {
      return kmsError(res, 'SerializationException', 'body is not JSON')
    }
    const ctx = body.EncryptionContext as Record<string, string> | undefined
    let key: EmuKey | undefined
    let blob: { arn: string; nonce: Buffer; ct: Buffer } | undefined
    if (op === 'Encrypt') {
      key = findKey(String(body.KeyId ?? ''))
    } else if (op === 'Decrypt') {
      const raw = Buffer.from(String(body.CiphertextBlob ?? ''), 'base64')
      if (raw.length > 3 && raw[0] === 1) {
        const n = raw.readUInt16BE(1)
        const arn = raw.subarray(3, 3 + n).toString('utf8')
        const rest = raw.subarray(3 + n)
        if (rest.length > 28) blob = { arn, nonce: rest.subarray(0, 12), ct: rest.subarray(12) }
      }
      key = blob ? keys.get(blob.arn) : undefined
    } else {
      return kmsError(res, 'UnknownOperationException', undefined)
    }
    // The scope check needs the key's region; an unknown key is checked against nothing.
    if (!checkScope(res, auth, 'kms', key?.region, true)) return
    const a = auth
    requests.push({ service: 'kms', operation: op, accessKeyId: a.accessKeyId, region: a.region, sessionToken: req.headers['x-amz-security-token'] as string | undefined })
    if (throttle > 0) {
      throttle--
      return kmsError(res, 'ThrottlingException', 'Rate exceeded')
    }
    if (op === 'Encrypt') {
      if (key === undefined) return kmsError(res, 'NotFoundException', `Key '${String(body.KeyId)}' does not exist`)
      if (key.disabled) return kmsError(res, 'DisabledException', `${key.arn} is disabled.`)
      const plain = Buffer.from(String(body.Plaintext ?? ''), 'base64')
      if (plain.length < 1 || plain.length > 4096) return kmsError(res, 'ValidationException', 'Plaintext must be 1 to 4096 bytes')
      const nonce = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', key.secret, nonce)
      c.setAAD(aad(key.arn, ctx))
      const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
      const arnBytes = Buffer.from(key.arn)
      const head = Buffer.alloc(3)
      head[0] = 1
      head.writeUInt16BE(arnBytes.length, 1)
      return kmsOk(res, { CiphertextBlob: Buffer.concat([head, arnBytes, nonce, ct]).toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' })
    }
    // Decrypt
    await enterDecrypt()
    res.on('close', () => inFlight--)
    if (blob === undefined || key === undefined) return kmsError(res, 'InvalidCiphertextException', undefined)
    if (body.KeyId !== undefined) {
      const asked = findKey(String(body.KeyId))
      if (asked === undefined) return kmsError(res, 'NotFoundException', `Key '${String(body.KeyId)}' does not exist`)
      if (asked !== key) return kmsError(res, 'IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.')
    }
    if (key.disabled) return kmsError(res, 'DisabledException', `${key.arn} is disabled.`)
    try {
      const d = createDecipheriv('aes-256-gcm', key.secret, blob.nonce)
      d.setAAD(aad(key.arn, ctx))
      d.setAuthTag(blob.ct.subarray(blob.ct.length - 16))
      const plain = Buffer.concat([d.update(blob.ct.subarray(0, blob.ct.length - 16)), d.final()])
      return kmsOk(res, { KeyId: key.arn, Plaintext: plain.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' })
    } catch {
      return kmsError(res, 'InvalidCiphertextException', undefined)
    }
  }

  async function handleSts(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = parseAuthorization(req.headers.authorization)
    const form = new URLSearchParams(await readBody(req))
    if (!checkScope(res, auth, 'sts', undefined, false)) return
    const a = auth
    requests.push({ service: 'sts', operation: form.get('Action') ?? '', accessKeyId: a.accessKeyId, region: a.region, sessionToken: req.headers['x-amz-security-token'] as string | undefined })
    if (form.get('Action') !== 'AssumeRole') return stsError(res, 'InvalidAction', `unsupported action ${form.get('Action')}`, 400)
    const roleArn = form.get('RoleArn') ?? ''
    const sessionName = form.get('RoleSessionName') ?? ''
    if (denied.has(roleArn)) return stsError(res, 'AccessDenied', `User: ${a.accessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`)
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      return stsError(res, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`, 400)
    }
    const accessKeyId = 'ASIA' + randomBytes(8).toString('hex').toUpperCase()
    const token = randomBytes(24).toString('base64')
    sessions.set(accessKeyId, token)
    assumed.push({ roleArn, sessionName, accessKeyId })
    const exp = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z')
    res.writeHead(200, { 'content-type': 'text/xml' })
    res.end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${randomBytes(20).toString('hex')}</SecretAccessKey>` +
        `<SessionToken>${token}</SessionToken><Expiration>${exp}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROA0000:${sessionName}</AssumedRoleId><Arn>${roleArn}/${sessionName}</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    )
  }

  const server: Server = createServer((req, res) => {
    const target = req.headers['x-amz-target']
    const p =
      typeof target === 'string' && target.startsWith('TrentService.')
        ? handleKms(req, res, target.slice('TrentService.'.length))
        : String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
          ? handleSts(req, res)
          : Promise.resolve(kmsError(res, 'UnknownOperationException', `no X-Amz-Target: ${String(target)}`))
    p.catch((e: unknown) => {
      if (!res.headersSent) kmsError(res, 'KMSInternalException', String(e), 500)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    createKey({ region = 'us-east-1', account = '123456789012', disabled = false } = {}) {
      const arn = `arn:aws:kms:${region}:${account}:key/${randomUUID()}`
      keys.set(arn, { arn, region, secret: randomBytes(32), disabled })
      return arn
    },
    setDisabled(arn, disabled) {
      const k = keys.get(arn)
      if (k === undefined) throw new Error(`no emulated key ${arn}`)
      k.disabled = disabled
    },
    throttleNext(n) {
      throttle = n
    },
    denyRole(roleArn) {
      denied.add(roleArn)
    },
    requests,
    assumed,
    rejected,
    get maxInFlight() {
      return maxInFlight
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
