// A throwaway test CA and a server certificate for the AWS endpoints, made
// with Node's crypto only (no `openssl` CLI needed): ECDSA P-256 keys, and
// X.509 v3 certificates DER-encoded by hand and signed with crypto.sign.
// The CA certificate goes to the child process in SSL_CERT_FILE; our HTTPS
// CONNECT proxy terminates TLS with the leaf.

import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

// ---- minimal DER encoder -------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  while (n > 0) {
    bytes.unshift(n & 0xff)
    n >>>= 8
  }
  return Buffer.from([0x80 | bytes.length, ...bytes])
}
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), len(body.length), body])
}
const seq = (...c: Buffer[]) => tlv(0x30, ...c)
const set = (...c: Buffer[]) => tlv(0x31, ...c)
const octets = (b: Buffer) => tlv(0x04, b)
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]))
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'))
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b)
const explicit = (n: number, c: Buffer) => tlv(0xa0 | n, c)
function uint(b: Buffer): Buffer {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  const v = b.subarray(i)
  return tlv(0x02, (v[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), v]) : v)
}
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const out: number[] = [40 * parts[0]! + parts[1]!]
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f]
    let v = Math.floor(p / 128)
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    out.push(...stack)
  }
  return tlv(0x06, Buffer.from(out))
}
function time(d: Date): Buffer {
  const y = d.getUTCFullYear()
  const pad = (n: number) => String(n).padStart(2, '0')
  const body = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`
  return y < 2050 ? tlv(0x17, Buffer.from(`${pad(y % 100)}${body}`)) : tlv(0x18, Buffer.from(`${y}${body}`))
}
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))), set(seq(oid('2.5.4.10'), utf8('secrets test'))))
const ext = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value))

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'))

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' })
}
/** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 method 1). */
function keyId(pub: KeyObject): Buffer {
  const der = spki(pub)
  // SPKI = SEQ { AlgorithmIdentifier, BIT STRING }; the EC point is the trailing 65 bytes.
  return createHash('sha1').update(der.subarray(der.length - 65)).digest()
}

function certificate(opts: {
  subject: string
  issuer: string
  subjectKey: KeyObject
  issuerKey: KeyObject
  issuerPub: KeyObject
  extensions: Buffer[]
  days: number
}): Buffer {
  const now = Date.now()
  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f
  const tbs = seq(
    explicit(0, tlv(0x02, Buffer.from([2]))),
    uint(serial),
    ECDSA_SHA256,
    name(opts.issuer),
    seq(time(new Date(now - 86_400_000)), time(new Date(now + opts.days * 86_400_000))),
    name(opts.subject),
    spki(opts.subjectKey),
    explicit(3, seq(...opts.extensions)),
  )
  const sig = sign('sha256', tbs, opts.issuerKey) // DER-encoded ECDSA signature
  return seq(tbs, ECDSA_SHA256, bits(sig))
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

export interface TestTls {
  caCertPem: string
  leafCertPem: string
  leafKeyPem: string
  hosts: string[]
}

/** Makes a fresh CA and a leaf certificate for `hosts` (DNS names, wildcards allowed). */
export function makeTestTls(hosts: string[]): TestTls {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const caId = keyId(ca.publicKey)
  const caDer = certificate({
    subject: 'secrets test CA',
    issuer: 'secrets test CA',
    subjectKey: ca.publicKey,
    issuerKey: ca.privateKey,
    issuerPub: ca.publicKey,
    days: 30,
    extensions: [
      ext('2.5.29.19', true, seq(bool(true))), // basicConstraints CA:TRUE
      ext('2.5.29.15', true, bits(Buffer.from([0x06]), 1)), // keyUsage keyCertSign, cRLSign
      ext('2.5.29.14', false, octets(caId)), // subjectKeyIdentifier
    ],
  })
  const leafDer = certificate({
    subject: hosts[0] ?? 'localhost',
    issuer: 'secrets test CA',
    subjectKey: leaf.publicKey,
    issuerKey: ca.privateKey,
    issuerPub: ca.publicKey,
    days: 30,
    extensions: [
      ext('2.5.29.19', true, seq()), // basicConstraints CA:FALSE
      ext('2.5.29.15', true, bits(Buffer.from([0x80]), 7)), // keyUsage digitalSignature
      ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage serverAuth
      ext('2.5.29.17', false, seq(...hosts.map((h) => tlv(0x82, Buffer.from(h, 'ascii'))))), // subjectAltName dNSName
      ext('2.5.29.35', false, seq(tlv(0x80, caId))), // authorityKeyIdentifier
    ],
  })
  const caCertPem = pem('CERTIFICATE', caDer)
  const leafCertPem = pem('CERTIFICATE', leafDer)
  // Self-check with Node's own X.509 parser: fails loudly if the encoding is off.
  const caX = new X509Certificate(caCertPem)
  const leafX = new X509Certificate(leafCertPem)
  if (!caX.ca || !caX.verify(ca.publicKey) || !leafX.verify(ca.publicKey) || !leafX.checkIssued(caX)) {
    throw new Error('generated test certificates do not verify')
  }
  return {
    caCertPem,
    leafCertPem,
    leafKeyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    hosts,
  }
}
