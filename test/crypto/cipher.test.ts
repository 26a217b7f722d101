import { describe, expect, it } from 'vitest'
import { createCipheriv, randomBytes } from 'node:crypto'
import { decryptToken, encryptBytes, parseEncToken } from '../../src/crypto/cipher.js'
import { utf8 } from '../../src/util/utf8.js'
import { MacHasher, normalizeLastModified } from '../../src/crypto/mac.js'
import { shamirCombine, shamirSplit } from '../../src/crypto/shamir.js'
import { canonicalBytes, formatFloatFixed, scalarFromPlaintext } from '../../src/tree/scalars.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const seq = Uint8Array.from({ length: 32 }, (_, i) => i)

describe('value cipher (spec 3.7 known answers)', () => {
  it('decrypts the sops unit-test token and fails with another AAD', () => {
    const key = new Uint8Array(32).fill(0x66)
    const t = parseEncToken('ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]')!
    expect(Buffer.from(decryptToken(key, t, 'bar:')).toString()).toBe('foo')
    expect(() => decryptToken(key, t, '')).toThrow(/failed authentication/)
  })
  it('encrypts to the exact known tokens with a fixed IV', () => {
    expect(encryptBytes(seq, utf8('c4r1b0u'), 'app2:db:password:', 'str', new Uint8Array(32).fill(0x11))).toBe(
      'ENC[AES256_GCM,data:0j68TL2+Sg==,iv:ERERERERERERERERERERERERERERERERERERERERERE=,tag:tq2v/NHABqb0XMtv6IEWxQ==,type:str]',
    )
    expect(encryptBytes(seq, utf8(' a comment'), ':', 'comment', new Uint8Array(32).fill(0x22))).toBe(
      'ENC[AES256_GCM,data:JBBYIUITUNOdqQ==,iv:IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=,tag:LeiMMZWxFKH2heTw0xvaAA==,type:comment]',
    )
  })
  it('gives the same bytes as node:crypto AES-256-GCM with a 32-byte nonce', () => {
    const iv = new Uint8Array(32).fill(7)
    const c = createCipheriv('aes-256-gcm', seq, iv)
    c.setAAD(Buffer.from('a:b:'))
    const data = Buffer.concat([c.update('hello world'), c.final()])
    const tag = c.getAuthTag()
    expect(encryptBytes(seq, utf8('hello world'), 'a:b:', 'str', iv)).toBe(
      `ENC[AES256_GCM,data:${data.toString('base64')},iv:${Buffer.from(iv).toString('base64')},tag:${tag.toString('base64')},type:str]`,
    )
  })
  it('rejects a flipped bit in data, iv and tag', () => {
    const tok = encryptBytes(seq, utf8('secret'), 'k:', 'str')
    const t = parseEncToken(tok)!
    for (const field of ['data', 'iv', 'tag'] as const) {
      const copy = { ...t, [field]: Uint8Array.from(t[field]) }
      copy[field][0]! ^= 1
      expect(() => decryptToken(seq, copy, 'k:')).toThrow(/failed authentication/)
    }
  })
  it('returns null for non-tokens and rejects broken base64', () => {
    expect(parseEncToken('hello')).toBeNull()
    expect(() => parseEncToken('ENC[AES256_GCM,data:@@,iv:AA==,tag:AA==,type:str]')).toThrow(/corrupted/)
  })
})

describe('MAC (spec 5.5 known answers)', () => {
  it('hashes x 1 True 1.5', () => {
    const m = new MacHasher(false)
    for (const s of [
      { kind: 'str', value: 'x' },
      { kind: 'int', value: 1n },
      { kind: 'bool', value: true },
      { kind: 'float', value: 1.5 },
    ] as const)
      m.update(canonicalBytes(s)!)
    expect(m.hex()).toBe('D1D5748EBE9DD929AC37BE14BA6F094821D8BD31BB242BD9FCB98FB81C8833C75F4E1671EBCA2B2440C3971514EA9BDDC2428461972405379E7772D08C933485')
  })
  it('mac_only_encrypted prefix', () => {
    const m = new MacHasher(true)
    m.update(utf8('x'))
    expect(m.hex()).toBe('F2FCD883120AC9CC76A0079910AFF53A3F3A4AFB78C110FB8C8B361E38777DE722FABB66A132749D5C71138D4B1E3BFDF7CAD284A785AF59ABA5109BDDD799A0')
  })
  it('empty tree', () => {
    expect(new MacHasher(false).hex()).toBe('CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE47D0D13C5D85F2B0FF8318D2877EEC2F63B931BD47417A81A538327AF927DA3E')
  })
  it('normalises lastmodified like sops', () => {
    expect(normalizeLastModified('2020-01-01T00:00:00.5+00:00')).toBe('2020-01-01T00:00:00Z')
    expect(normalizeLastModified('2020-01-01T00:00:00+02:00')).toBe('2020-01-01T00:00:00+02:00')
    expect(normalizeLastModified('yesterday')).toBeNull()
  })
})

describe('canonical scalars', () => {
  it('formats floats like Go FormatFloat(f, -1)', () => {
    const cases: Array<[number, string]> = [
      [1e21, '1000000000000000000000'],
      [1.5e-7, '0.00000015'],
      [1234.5678e6, '1234567800'],
      [25.4, '25.4'],
      [1.0, '1'],
      [-0, '-0'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [NaN, 'NaN'],
      [-2.5e-10, '-0.00000000025'],
      [1.7976931348623157e308, '17976931348623157' + '0'.repeat(292)],
    ]
    for (const [x, s] of cases) expect(formatFloatFixed(x)).toBe(s)
  })
  it('decodes typed plaintext and re-encodes canonically', () => {
    expect(scalarFromPlaintext(utf8('true'), 'bool')).toEqual({ kind: 'bool', value: true })
    expect(Buffer.from(canonicalBytes(scalarFromPlaintext(utf8('true'), 'bool'))!).toString()).toBe('True')
    expect(Buffer.from(canonicalBytes(scalarFromPlaintext(utf8('1.50'), 'float'))!).toString()).toBe('1.5')
    expect(scalarFromPlaintext(utf8('9223372036854775807'), 'int')).toEqual({ kind: 'int', value: 9223372036854775807n })
    expect(() => scalarFromPlaintext(utf8('9223372036854775808'), 'int')).toThrow()
    expect(scalarFromPlaintext(utf8('2024-01-01T10:00:00.500+00:00'), 'time')).toEqual({ kind: 'time', value: '2024-01-01T10:00:00.5Z' })
    expect(scalarFromPlaintext(Uint8Array.from([0xff, 0xfe]), 'str').kind).toBe('bytes')
    expect(() => scalarFromPlaintext(utf8('x'), 'weird')).toThrow(/unknown value type/)
  })
})

describe('Shamir (spec 8.8 known answers)', () => {
  it('small example', () => {
    const shares = shamirSplit(hex('42'), 3, 2, () => hex('01'))
    expect(shares.map((s) => Buffer.from(s).toString('hex'))).toEqual(['4301', '4002', '4103'])
    expect(Buffer.from(shamirCombine([shares[0]!, shares[2]!])).toString('hex')).toBe('42')
  })
  it('32-byte example, every pair recombines', () => {
    const secret = hex('8c68886c50b5b72965a3cb99c5172e1d74a8aca27b39ee880b535d6907e59f68')
    const shares = shamirSplit(secret, 3, 2, (j) => Uint8Array.of((7 * j + 1) % 256))
    expect(shares.map((s) => Buffer.from(s).toString('hex'))).toEqual([
      '8d60877a4d919c1b5ce38cd7904b4d7705d0d324f6ad752aa2e3ead7c2294cb201',
      '8e7896406afde14d172345056fafe8c9965852b57a0ac3d74228280e966622c702',
      '8f70995677d9ca7f2e63024b3af38ba3e7202d33f79e5875eb989fb053aaf11d03',
    ])
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const)
      expect(shamirCombine([shares[a]!, shares[b]!])).toEqual(secret)
  })
  it('random 3-of-5 split recombines from any three', () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 3)
    const shares = shamirSplit(secret, 5, 3)
    expect(shamirCombine([shares[4]!, shares[1]!, shares[2]!])).toEqual(secret)
    expect(shamirCombine([shares[0]!, shares[1]!])).not.toEqual(secret)
  })
})

describe('node:crypto and @noble backends agree', () => {
  it('seal/open give identical bytes on random inputs, including 32-byte nonces', async () => {
    const { nodeGcm, nobleGcm } = await import('../../src/crypto/cipher.js')
    const noble = await nobleGcm()
    for (let i = 0; i < 200; i++) {
      const key = new Uint8Array(randomBytes(32))
      const iv = new Uint8Array(randomBytes(i % 3 === 0 ? 12 : 32))
      const pt = new Uint8Array(randomBytes(i))
      const aad = new Uint8Array(randomBytes(i % 17))
      const a = nodeGcm.seal(key, iv, pt, aad)
      expect(noble.seal(key, iv, pt, aad)).toEqual(a)
      expect(noble.open(key, iv, a, aad)).toEqual(pt)
      expect(nodeGcm.open(key, iv, a, aad)).toEqual(pt)
    }
  })
  it('the node:crypto SHA-512 MAC equals @noble/hashes', async () => {
    const { sha512 } = await import('@noble/hashes/sha2.js')
    const m = new MacHasher(false)
    m.update(utf8('x1True1.5'))
    expect(m.hex()).toBe(
      Buffer.from(sha512(utf8('x1True1.5')))
        .toString('hex')
        .toUpperCase(),
    )
  })
})
