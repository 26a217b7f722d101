// KmsKey against the real AWS SDK talking to test/support/kms-emulator.ts on 127.0.0.1.
// Hermetic: process.env loses every AWS variable and points the shared config files at nothing,
// so only the KeyContext env given to each call feeds the SDK.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createServer, type Server } from 'node:net'
import { tempDir } from '../support/cli.js'
import { join } from 'node:path'
import { KmsKey, kmsKeyId, kmsKeysFromSpecs, regionOfArn, roleSessionName } from '../../src/keys/kms.js'
import { keyFromMetadata, unwrapDataKey, wrapDataKey } from '../../src/keys/index.js'
import type { KeyContext } from '../../src/keys/types.js'
import { startKmsEmulator, type KmsEmulator } from '../support/kms-emulator.js'
import { keyError } from '../support/errors.js'

const dataKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff)
let emu: KmsEmulator
let nowhere: string

function envFor(endpoint: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_KMS: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    SECRETS_KMS_TIMEOUT_MS: '5000',
    ...extra,
  }
}
const ctxOf = (env: NodeJS.ProcessEnv): KeyContext => ({ env, warn: () => {} })


beforeAll(async () => {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) vi.stubEnv(k, undefined)
  nowhere = join(tempDir('secrets-kms-'), 'none')
  vi.stubEnv('AWS_CONFIG_FILE', nowhere)
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', nowhere)
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true')
  emu = await startKmsEmulator()
})
afterAll(async () => {
  await emu.close()
  vi.unstubAllEnvs()
})

describe('KmsKey metadata and identity', () => {
  it('writes sops fields: aws_profile always, role and context only when set', () => {
    const k = new KmsKey({ arn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' }, { createdAt: '2026-01-02T03:04:05Z', enc: 'AAAA' })
    expect(k.toMetadata()).toEqual({ arn: 'arn:aws:kms:eu-west-1:111122223333:key/abc', created_at: '2026-01-02T03:04:05Z', enc: 'AAAA', aws_profile: '' })
    const r = KmsKey.fromMetadata({
      arn: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
      role: 'arn:aws:iam::111122223333:role/R',
      context: { b: '2', a: 'x' },
      created_at: '2026-01-02T03:04:05Z',
      enc: 'AAAA',
      aws_profile: 'dev',
    })
    expect(r.toMetadata()).toEqual({
      arn: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
      role: 'arn:aws:iam::111122223333:role/R',
      context: { b: '2', a: 'x' },
      created_at: '2026-01-02T03:04:05Z',
      enc: 'AAAA',
      aws_profile: 'dev',
    })
    expect(r.id).toBe('arn:aws:kms:eu-west-1:111122223333:key/abc+arn:aws:iam::111122223333:role/R|a:x,b:2|dev')
    expect(kmsKeyId('A', '', {}, 'p')).toBe('A||p')
    expect(kmsKeyId('A', '', { k: 'v' })).toBe('A|k:v')
    expect(keyFromMetadata('kms', r.toMetadata())).toBeInstanceOf(KmsKey)
  })

  it('a new entry has created_at now, RFC 3339 whole seconds UTC', () => {
    const [k] = kmsKeysFromSpecs([{ arn: 'arn:aws:kms:us-east-1:1:key/x' }])
    expect(String(k?.toMetadata().created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('takes the region from the ARN as sops does, and rejects other strings', async () => {
    expect(regionOfArn('arn:aws:kms:eu-central-1:123456789012:key/1234')).toBe('eu-central-1')
    expect(regionOfArn('arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/x')).toBe('us-gov-west-1')
    expect(regionOfArn('arn:aws:s3:::bucket')).toBeNull()
    const e = await keyError(new KmsKey({ arn: 'not-an-arn' }, { env: envFor(emu.url) }).wrap(dataKey))
    expect(e.message).toContain('"not-an-arn" is not a KMS key ARN')
  })

  it('role session name: sops@ + hostname without odd characters (sops keeps the @-_ range), cut to 64', () => {
    expect(roleSessionName('build-host.example.com')).toBe('sops@buildhost.example.com')
    expect(roleSessionName('a b[c]_d^e')).toBe('sops@ab[c]_d^e')
    expect(roleSessionName('x'.repeat(100))).toHaveLength(64)
  })
})

describe('KmsKey with the AWS SDK against an emulated KMS', () => {
  it('round trip; the stored entry has the sops fields and aws_profile ""', async () => {
    const arn = emu.createKey({ region: 'eu-west-3' })
    const env = envFor(emu.url)
    const k = new KmsKey({ arn }, { env })
    await k.wrap(dataKey)
    const m = k.toMetadata()
    expect(Object.keys(m).sort()).toEqual(['arn', 'aws_profile', 'created_at', 'enc'])
    expect(m.aws_profile).toBe('')
    expect(String(m.enc)).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    const back = KmsKey.fromMetadata(m)
    expect(await back.unwrap(ctxOf(env))).toEqual(dataKey)
    // The SDK signed for the key's region and service, with the KeyContext's credentials.
    const seen = emu.requests.filter((r) => r.service === 'kms').slice(-2)
    expect(seen.map((r) => [r.operation, r.region, r.accessKeyId])).toEqual([
      ['Encrypt', 'eu-west-3', 'AKIDEXAMPLE'],
      ['Decrypt', 'eu-west-3', 'AKIDEXAMPLE'],
    ])
  })

  it('through wrapDataKey / unwrapDataKey with an encryption context', async () => {
    const arn = emu.createKey()
    const env = envFor(emu.url)
    const k = new KmsKey({ arn, context: { app: 'web', env: 'prod' } }, { env })
    await wrapDataKey([[k]], dataKey, 0)
    expect(k.toMetadata().context).toEqual({ app: 'web', env: 'prod' })
    const back = keyFromMetadata('kms', k.toMetadata())
    expect(await unwrapDataKey([[back]], 0, ctxOf(env))).toEqual(dataKey)
  })

  it('a different encryption context fails clearly (InvalidCiphertextException)', async () => {
    const arn = emu.createKey()
    const env = envFor(emu.url)
    const k = new KmsKey({ arn, context: { app: 'web' } }, { env })
    await k.wrap(dataKey)
    const m = { ...k.toMetadata(), context: { app: 'api' } }
    const e = await keyError(KmsKey.fromMetadata(m).unwrap(ctxOf(env)))
    expect(e.message).toContain(arn)
    expect(e.message).toContain('InvalidCiphertextException')
    expect(e.hint).toContain('context')
    // and no context at all where one was used
    const { context: _c, ...noCtx } = k.toMetadata()
    expect((await keyError(KmsKey.fromMetadata(noCtx).unwrap(ctxOf(env)))).message).toContain('InvalidCiphertextException')
  })

  it('an unknown key is NotFoundException', async () => {
    const arn = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000'
    const e = await keyError(new KmsKey({ arn }, { env: envFor(emu.url) }).wrap(dataKey))
    expect(e.message).toMatch(new RegExp(`AWS KMS Encrypt with ${arn} failed: NotFoundException`))
    expect(e.hint).toContain('check the ARN')
  })

  it('a disabled key is DisabledException, on encrypt and on decrypt', async () => {
    const env = envFor(emu.url)
    const dis = emu.createKey({ disabled: true })
    const e = await keyError(new KmsKey({ arn: dis }, { env }).wrap(dataKey))
    expect(e.message).toContain('DisabledException')
    expect(e.hint).toContain('disabled')
    const arn = emu.createKey()
    const k = new KmsKey({ arn }, { env })
    await k.wrap(dataKey)
    emu.setDisabled(arn, true)
    expect((await keyError(k.unwrap(ctxOf(env)))).message).toContain('DisabledException')
  })

  it('throttling is retried by the SDK and then succeeds', async () => {
    const arn = emu.createKey()
    const env = envFor(emu.url)
    const k = new KmsKey({ arn }, { env })
    const before = emu.requests.length
    emu.throttleNext(2)
    await k.wrap(dataKey)
    expect(emu.requests.length - before).toBe(3)
    emu.throttleNext(1)
    expect(await k.unwrap(ctxOf(env))).toEqual(dataKey)
  })

  it('throttling beyond the retries fails naming ThrottlingException', async () => {
    const arn = emu.createKey()
    const k = new KmsKey({ arn }, { env: envFor(emu.url, { AWS_MAX_ATTEMPTS: '2' }) })
    emu.throttleNext(5)
    const e = await keyError(k.wrap(dataKey))
    emu.throttleNext(0)
    expect(e.message).toContain('ThrottlingException')
  })

  it('a blob made under another key is refused (IncorrectKeyException)', async () => {
    const env = envFor(emu.url)
    const a = new KmsKey({ arn: emu.createKey() }, { env })
    await a.wrap(dataKey)
    const other = emu.createKey()
    const m = { ...a.toMetadata(), arn: other }
    expect((await keyError(KmsKey.fromMetadata(m).unwrap(ctxOf(env)))).message).toContain('IncorrectKeyException')
  })

  it('an enc that is not base64 fails before any request', async () => {
    const n = emu.requests.length
    const e = await keyError(KmsKey.fromMetadata({ arn: emu.createKey(), enc: 'not base64!', created_at: '2026-01-01T00:00:00Z', aws_profile: '' }).unwrap(ctxOf(envFor(emu.url))))
    expect(e.message).toContain('base64')
    expect(emu.requests.length).toBe(n)
  })

  it('an unreachable endpoint (closed port) fails quickly and says so', async () => {
    const port = await closedPort()
    const arn = emu.createKey()
    const started = Date.now()
    const e = await keyError(new KmsKey({ arn }, { env: envFor(`http://127.0.0.1:${port}`, { SECRETS_KMS_TIMEOUT_MS: '1500' }) }).wrap(dataKey))
    expect(Date.now() - started).toBeLessThan(3000)
    expect(e.message).toContain(arn)
    expect(e.message).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+|no answer from/)
    expect(e.hint).toMatch(/AWS_ENDPOINT_URL_KMS/)
  })

  it('an endpoint that never answers fails within SECRETS_KMS_TIMEOUT_MS', async () => {
    const silent = await silentServer()
    try {
      const arn = emu.createKey()
      const k = KmsKey.fromMetadata({ arn, enc: 'AQID', created_at: '2026-01-01T00:00:00Z', aws_profile: '' })
      const started = Date.now()
      const e = await keyError(k.unwrap(ctxOf(envFor(silent.url, { SECRETS_KMS_TIMEOUT_MS: '400' }))))
      expect(Date.now() - started).toBeLessThan(2500)
      expect(e.message).toContain('no answer from')
      expect(e.message).toContain('within 400 ms')
      expect(e.hint).toContain('SECRETS_KMS_TIMEOUT_MS')
    } finally {
      await silent.close()
    }
  })

  it('the emulator refuses a request signed for another region (the check the tests rely on)', async () => {
    const arn = emu.createKey({ region: 'ap-south-1' })
    const wrongRegionArn = arn.replace('ap-south-1', 'eu-north-1')
    // The same key id under another region's ARN: the SDK signs for eu-north-1, the key lives in ap-south-1.
    const e = await keyError(new KmsKey({ arn: wrongRegionArn }, { env: envFor(emu.url) }).wrap(dataKey))
    expect(e.message).toContain('InvalidSignatureException')
    expect(emu.rejected.at(-1)).toContain('region "eu-north-1"')
  })

  it('the emulator: Decrypt without KeyId finds the key from the blob, as KMS does for symmetric keys', async () => {
    const { KMSClient, DecryptCommand } = await import('@aws-sdk/client-kms')
    const arn = emu.createKey({ region: 'eu-west-1' })
    const k = new KmsKey({ arn, context: { a: '1' } }, { env: envFor(emu.url) })
    await k.wrap(dataKey)
    const client = new KMSClient({ region: 'eu-west-1', endpoint: emu.url, credentials: { accessKeyId: 'AKIDRAW', secretAccessKey: 'x' } })
    const out = await client.send(new DecryptCommand({ CiphertextBlob: Buffer.from(String(k.toMetadata().enc), 'base64'), EncryptionContext: { a: '1' } }))
    expect(out.KeyId).toBe(arn)
    expect(out.Plaintext).toEqual(dataKey)
    client.destroy()
  })

  it('the emulator refuses an unsigned request with an AWS-shaped error', async () => {
    const r = await fetch(emu.url, { method: 'POST', headers: { 'x-amz-target': 'TrentService.Encrypt', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' })
    expect(r.status).toBe(400)
    expect(await r.json()).toEqual({ __type: 'InvalidSignatureException', message: 'missing Authorization header' })
  })

  it('a role is assumed through STS first (RoleSessionName sops@host) and its credentials used', async () => {
    const arn = emu.createKey({ region: 'us-west-2' })
    const role = 'arn:aws:iam::123456789012:role/deployer'
    const env = envFor(emu.url)
    const k = new KmsKey({ arn, role }, { env })
    await k.wrap(dataKey)
    const a = emu.assumed.at(-1)
    expect(a?.roleArn).toBe(role)
    expect(a?.sessionName).toBe(roleSessionName())
    const enc = emu.requests.filter((r) => r.service === 'kms').at(-1)
    expect(enc?.accessKeyId).toBe(a?.accessKeyId)
    expect(enc?.sessionToken).toBeTruthy()
    expect(emu.requests.filter((r) => r.service === 'sts').at(-1)?.region).toBe('us-west-2')
    expect(k.toMetadata().role).toBe(role)
    expect(await KmsKey.fromMetadata(k.toMetadata()).unwrap(ctxOf(env))).toEqual(dataKey)
  })

  it('a role that cannot be assumed fails naming the role', async () => {
    const role = 'arn:aws:iam::123456789012:role/forbidden'
    emu.denyRole(role)
    const e = await keyError(new KmsKey({ arn: emu.createKey(), role }, { env: envFor(emu.url) }).wrap(dataKey))
    expect(e.message).toContain(`could not assume role ${role}: AccessDenied`)
  })

  it('aws_profile loads credentials from that profile of the shared credentials file', async () => {
    const { writeFileSync } = await import('node:fs')
    const dir = tempDir('secrets-kms-profile-')
    writeFileSync(join(dir, 'credentials'), '[team]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s3cr3t\n')
    const env = envFor(emu.url, { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') })
    const k = new KmsKey({ arn: emu.createKey(), awsProfile: 'team' }, { env })
    await k.wrap(dataKey)
    expect(emu.requests.at(-1)?.accessKeyId).toBe('AKIDPROFILE')
    expect(k.toMetadata().aws_profile).toBe('team')
    expect(k.id).toMatch(/\|\|team$/)
  })
})

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** Accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>()
  const s: Server = createServer((sock) => {
    sockets.add(sock)
    sock.on('error', () => {})
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const x of sockets) x.destroy()
        s.close(() => r())
      }),
  }
}
