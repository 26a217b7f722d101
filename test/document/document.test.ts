// Unit tests of the document layer: which values the six selection rules encrypt, the MAC check
// (what it catches, what --ignore-mac lets through, mac_only_encrypted), and re-keying (re-encrypt
// keeps unchanged tokens, rotate changes every token and the key, rewrap changes only the wrapping),
// the data key's lifetime, and the two crypto implementations giving identical bytes.
import { beforeAll, describe, expect, it } from 'vitest'
import { decryptDocument, encryptDocument, type DecryptedDocument } from '../../src/document/index.js'
import { SecretsError } from '../../src/errors.js'
import { AgeKey, generateAgeIdentity } from '../../src/keys/age.js'
import { KeySession } from '../../src/keys/session.js'
import type { MasterKey } from '../../src/keys/types.js'
import type { SelectionRule } from '../../src/model/metadata.js'
import { storeFor } from '../../src/stores/index.js'
import { treeToJs, type JsValue } from '../../src/tree/convert.js'
import type { MapNode, ParsedFile } from '../../src/tree/types.js'

interface Id {
  identity: string
  recipient: string
}
let alice: Id
let bob: Id
beforeAll(async () => {
  alice = await generateAgeIdentity()
  bob = await generateAgeIdentity()
})

const session = (...ids: Id[]): KeySession => new KeySession({ env: { SOPS_AGE_KEY: ids.map((i) => i.identity).join('\n'), HOME: '/nonexistent' } })
const yaml = async (text: string): Promise<ParsedFile> => (await storeFor('yaml')).parse(Buffer.from(text), 'plain')
const emit = async (f: ParsedFile): Promise<string> => Buffer.from((await storeFor('yaml')).emit(f)).toString()
const reparse = async (f: ParsedFile): Promise<ParsedFile> => (await storeFor('yaml')).parse(Buffer.from(await emit(f)), 'encrypted')
const js = (b: MapNode[]): JsValue => treeToJs(b[0] as MapNode)
const groups = (...ids: Id[]): MasterKey[][] => [ids.map((i) => new AgeKey(i.recipient))]

async function encrypt(
  text: string,
  opts: { rule?: SelectionRule | null; macOnlyEncrypted?: boolean; groups?: MasterKey[][]; threshold?: number } = {},
): Promise<{ file: ParsedFile; text: string; counts: { encrypted: number; plain: number } }> {
  const { file, counts } = await encryptDocument(await yaml(text), { groups: opts.groups ?? groups(alice), ...opts, ctx: session() })
  const parsed = await reparse(file)
  return { file: parsed, text: await emit(parsed), counts }
}

async function open(file: ParsedFile, opts: { ignoreMac?: boolean; who?: Id[]; readOnly?: boolean } = {}): Promise<DecryptedDocument> {
  return decryptDocument(file, { ctx: session(...(opts.who ?? [alice])), ignoreMac: opts.ignoreMac ?? false, ...(opts.readOnly ? { keepIvs: false } : {}) })
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (e instanceof SecretsError) return e.code
    throw e
  }
  return 'ok'
}

/** Which top-level lines of the encrypted text hold a token. */
const tokens = (text: string): string[] => text.split('\n').filter((l) => l.includes('ENC[AES256_GCM'))
const SAMPLE = 'user: admin\npassword: hunter2\nport_unencrypted: 5432\ndb:\n    host: localhost\n    secret_key: k\nlist:\n    - a\n    - b\n'

describe('selection rules', () => {
  it('default (unencrypted_suffix _unencrypted): everything but the suffixed key', async () => {
    const { text, counts } = await encrypt(SAMPLE)
    expect(text).toContain('port_unencrypted: 5432')
    expect(counts).toEqual({ encrypted: 6, plain: 1 })
  })

  it('unencrypted_suffix covers everything under a matching key', async () => {
    const { text, counts } = await encrypt('db_unencrypted:\n    host: h\n    password: p\nsecret: s\n', { rule: { kind: 'unencrypted_suffix', value: '_unencrypted' } })
    expect(text).toContain('host: h')
    expect(text).toContain('password: p')
    expect(counts).toEqual({ encrypted: 1, plain: 2 })
  })

  it('encrypted_suffix: only keys ending in it, and everything under them', async () => {
    const { text, counts } = await encrypt('a_secret: 1\nb: 2\nc_secret:\n    d: 3\n', { rule: { kind: 'encrypted_suffix', value: '_secret' } })
    expect(text).toContain('b: 2')
    expect(text).not.toContain('d: 3')
    expect(counts).toEqual({ encrypted: 2, plain: 1 })
  })

  it('encrypted_regex matches any key on the path', async () => {
    const { text, counts } = await encrypt(SAMPLE, { rule: { kind: 'encrypted_regex', value: '^(password|db)$' } })
    expect(text).toContain('user: admin')
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('localhost')
    expect(counts.encrypted).toBe(3)
  })

  it('unencrypted_regex leaves matching keys (and their children) clear', async () => {
    const { text } = await encrypt(SAMPLE, { rule: { kind: 'unencrypted_regex', value: '^(user|db)$' } })
    expect(text).toContain('user: admin')
    expect(text).toContain('host: localhost')
    expect(text).not.toContain('hunter2')
  })

  it('an RE2-invalid encrypted_regex matches nothing (as sops), and the reader is warned', async () => {
    const { counts, file } = await encrypt('a: 1\nb: 2\n', { rule: { kind: 'encrypted_regex', value: '(?=a)' } })
    expect(counts).toEqual({ encrypted: 0, plain: 2 })
    const doc = await open(file)
    expect(doc.warnings.join()).toMatch(/not a valid RE2 expression/)
    doc.close()
  })

  it('an RE2-invalid unencrypted_regex leaves nothing clear', async () => {
    const { counts } = await encrypt('a: 1\nb: 2\n', { rule: { kind: 'unencrypted_regex', value: '(' } })
    expect(counts).toEqual({ encrypted: 2, plain: 0 })
  })

  it('encrypted_comment_regex: the values after a matching comment, and the comments after it', async () => {
    const { text, counts } = await encrypt('a: 1\n# sops:enc\nb: 2\n# note\nc: 3\n', { rule: { kind: 'encrypted_comment_regex', value: 'sops:enc' } })
    expect(text).toContain('a: 1')
    expect(text).toContain('# sops:enc') // the matching comment never selects itself
    expect(text).not.toMatch(/^b: 2$/m)
    expect(text).toContain('c: 3') // the comment stack resets after each entry
    expect(counts).toEqual({ encrypted: 1, plain: 2 })
  })

  it('unencrypted_comment_regex: the value after a matching comment stays clear', async () => {
    const { text, counts } = await encrypt('# public\na: 1\nb: 2\n', { rule: { kind: 'unencrypted_comment_regex', value: '^ ?public' } })
    expect(text).toContain('a: 1')
    expect(text).not.toMatch(/^b: 2$/m)
    expect(counts).toEqual({ encrypted: 1, plain: 1 })
  })

  it('list items are selected by the key of their list', async () => {
    const { text } = await encrypt('list_unencrypted:\n    - a\n    - b\nother:\n    - c\n', {})
    expect(text).toMatch(/- a\n/)
    expect(text).not.toMatch(/- c\n/)
  })

  it('the rule is stored and applied again on decrypt', async () => {
    const { file, text } = await encrypt(SAMPLE, { rule: { kind: 'encrypted_regex', value: '^password$' } })
    expect(text).toContain('encrypted_regex: ^password$')
    const doc = await open(file)
    expect(js(doc.branches)).toMatchObject({ user: 'admin', password: 'hunter2' })
    doc.close()
  })

  it('refuses to encrypt a file that already has metadata', async () => {
    const { file } = await encrypt(SAMPLE)
    expect(await codeOf(encryptDocument(file, { groups: groups(alice) }))).toBe('exists')
  })
})

describe('MAC check', () => {
  async function tamper(text: string, from: string, to: string): Promise<ParsedFile> {
    expect(text).toContain(from)
    return (await storeFor('yaml')).parse(Buffer.from(text.replace(from, to)), 'encrypted')
  }

  it('a clean file opens and its MAC is valid', async () => {
    const { file } = await encrypt(SAMPLE)
    const doc = await open(file)
    expect(doc.macValid).toBe(true)
    expect(js(doc.branches)).toEqual({ user: 'admin', password: 'hunter2', port_unencrypted: 5432, db: { host: 'localhost', secret_key: 'k' }, list: ['a', 'b'] })
    doc.close()
  })

  it('a changed clear value is a MAC mismatch; --ignore-mac opens it and says the MAC is not valid', async () => {
    const { text } = await encrypt(SAMPLE)
    const bad = await tamper(text, 'port_unencrypted: 5432', 'port_unencrypted: 5433')
    expect(await codeOf(open(bad))).toBe('mac')
    const doc = await open(bad, { ignoreMac: true })
    expect(doc.macValid).toBe(false)
    expect(js(doc.branches)).toMatchObject({ port_unencrypted: 5433 })
    doc.close()
  })

  it('a removed clear value is a MAC mismatch', async () => {
    const { text } = await encrypt(SAMPLE)
    expect(await codeOf(open(await tamper(text, 'port_unencrypted: 5432\n', '')))).toBe('mac')
  })

  it('swapping two encrypted values fails authentication (the key path is the AAD)', async () => {
    const { text } = await encrypt('a: one\nb: two\n')
    const [ta, tb] = tokens(text).map((l) => l.slice(l.indexOf('ENC[')))
    const swapped = text
      .replace(ta as string, 'X')
      .replace(tb as string, ta as string)
      .replace('X', tb as string)
    expect(await codeOf(open((await storeFor('yaml')).parse(Buffer.from(swapped), 'encrypted')))).toBe('decrypt')
  })

  it('an altered lastmodified makes the MAC undecryptable', async () => {
    const { text } = await encrypt(SAMPLE)
    const lm = /lastmodified: "?([^"\n]+)"?/.exec(text)?.[1] as string
    const bad = await tamper(text, lm, '2001-01-01T00:00:00Z')
    expect(await codeOf(open(bad))).toBe('mac')
  })

  it('a file without a MAC is refused unless --ignore-mac', async () => {
    const { text } = await encrypt(SAMPLE)
    const noMac = text.replace(/^ {4}mac: .*\n/m, '')
    expect(noMac).not.toMatch(/^ {4}mac:/m)
    const parsed = (await storeFor('yaml')).parse(Buffer.from(noMac), 'encrypted')
    expect(await codeOf(open(parsed))).toBe('mac')
    const doc = await open(parsed, { ignoreMac: true })
    expect(doc.macValid).toBe(false)
    doc.close()
  })

  it('mac_only_encrypted: clear values may change, encrypted ones are still covered', async () => {
    const { text } = await encrypt(SAMPLE, { macOnlyEncrypted: true })
    expect(text).toContain('mac_only_encrypted: true')
    const doc = await open(await tamper(text, 'port_unencrypted: 5432', 'port_unencrypted: 1'))
    expect(doc.macValid).toBe(true)
    doc.close()
    const ta = tokens(text)[0] as string
    const dropped = text.replace(ta + '\n', '')
    expect(await codeOf(open((await storeFor('yaml')).parse(Buffer.from(dropped), 'encrypted')))).toBe('mac')
  })
})

describe('re-keying', () => {
  it('re-encrypt keeps the token of every unchanged value and gives changed ones a new one', async () => {
    const { file, text } = await encrypt('a: one\nb: two\n')
    const doc = await open(file)
    const edited = structuredClone(doc.branches)
    const entry = (edited[0] as MapNode).items[1] as { value: { kind: 'str'; value: string } }
    entry.value = { kind: 'str', value: 'TWO' }
    const out = await emit(doc.reencrypt(edited).file)
    doc.close()
    const [a0, b0] = tokens(text)
    const [a1, b1] = tokens(out)
    expect(a1).toBe(a0)
    expect(b1).not.toBe(b0)
  })

  it('rotate: a new data key, every token new, the new keys open it and the removed one cannot', async () => {
    const { file, text } = await encrypt(SAMPLE)
    const doc = await open(file)
    const { file: rotated, counts } = await doc.rotate(groups(bob), 0)
    doc.close()
    expect(counts.encrypted).toBe(6)
    const out = await reparse(rotated)
    const before = new Set(tokens(text))
    for (const t of tokens(await emit(out))) expect(before.has(t)).toBe(false)
    const byBob = await open(out, { who: [bob] })
    expect(js(byBob.branches)).toMatchObject({ password: 'hunter2' })
    byBob.close()
    expect(await codeOf(open(out, { who: [alice] }))).toBe('no-key')
  })

  it('rewrap: values, MAC and lastmodified byte for byte; only the master keys change', async () => {
    const { file, text } = await encrypt(SAMPLE)
    const doc = await open(file)
    const wrapped = await doc.rewrap(file, groups(alice, bob), 0)
    doc.close()
    const out = await emit(wrapped)
    expect(tokens(out).filter((l) => !l.includes('mac:'))).toEqual(tokens(text).filter((l) => !l.includes('mac:')))
    const field = (t: string, k: string): string | undefined => new RegExp(`^ {4}${k}: (.*)$`, 'm').exec(t)?.[1]
    expect(field(out, 'mac')).toBe(field(text, 'mac'))
    expect(field(out, 'lastmodified')).toBe(field(text, 'lastmodified'))
    const byBob = await open(await reparse(wrapped), { who: [bob] })
    expect(js(byBob.branches)).toMatchObject({ password: 'hunter2' })
    byBob.close()
  })

  it('two key groups (Shamir, threshold 2): both needed', async () => {
    const two: MasterKey[][] = [[new AgeKey(alice.recipient)], [new AgeKey(bob.recipient)]]
    const { file, text } = await encrypt(SAMPLE, { groups: two, threshold: 2 })
    expect(text).toContain('shamir_threshold: 2')
    const doc = await open(file, { who: [alice, bob] })
    expect(js(doc.branches)).toMatchObject({ password: 'hunter2' })
    doc.close()
    expect(await codeOf(open(file, { who: [alice] }))).toBe('no-key')
  })
})

describe('the data key stays inside the document', () => {
  it('close() ends the document: re-encrypt, rotate and rewrap refuse afterwards', async () => {
    const { file } = await encrypt(SAMPLE)
    const doc = await open(file)
    expect(doc.closed).toBe(false)
    doc.close()
    doc.close() // idempotent
    expect(doc.closed).toBe(true)
    expect(() => doc.reencrypt(doc.branches)).toThrow(/closed/)
    expect(await codeOf(doc.rotate(groups(alice), 0))).toBe('internal')
    expect(await codeOf(doc.rewrap(file, groups(alice), 0))).toBe('internal')
  })

  it('read-only decryption zeroes the key before returning', async () => {
    const { file } = await encrypt(SAMPLE)
    const doc = await open(file, { readOnly: true })
    expect(doc.closed).toBe(true)
    expect(js(doc.branches)).toMatchObject({ password: 'hunter2' })
  })

  it('a given data key is copied, not kept: the caller’s bytes are untouched after close()', async () => {
    const { file } = await encrypt(SAMPLE)
    // recover the key the slow way: decrypt once through the master keys, then re-open with it
    const { groupsFromMetadata, unwrapDataKey } = await import('../../src/keys/index.js')
    const { readMetadata } = await import('../../src/model/metadata.js')
    const md = readMetadata(file.metadata)
    const key = await unwrapDataKey(groupsFromMetadata(md.keyGroups), 0, session(alice))
    const copy = key.slice()
    const doc = await decryptDocument(file, { ctx: session(), dataKey: key })
    doc.close()
    expect(key).toEqual(copy)
  })
})

describe('node:crypto and @noble give identical bytes', () => {
  it('decrypt and re-encrypt (same stash) under either implementation give the same tokens', async () => {
    const { file, text } = await encrypt(SAMPLE)
    const outputs: string[] = []
    for (const crypto of ['node', 'noble'] as const) {
      const ks = await KeySession.open({ env: { SOPS_AGE_KEY: alice.identity, HOME: '/nonexistent' }, crypto })
      expect(ks.crypto.name).toBe(crypto)
      const doc = await decryptDocument(file, { ctx: ks })
      expect(js(doc.branches)).toMatchObject({ password: 'hunter2' })
      const out = await emit(doc.reencrypt(doc.branches).file)
      doc.close()
      outputs.push(
        tokens(out)
          .filter((l) => !l.includes('mac:'))
          .join('\n'),
      )
    }
    expect(outputs[0]).toBe(outputs[1])
    expect(outputs[0]).toBe(
      tokens(text)
        .filter((l) => !l.includes('mac:'))
        .join('\n'),
    )
  })

  it('a file encrypted with noble opens with node:crypto, MAC included', async () => {
    const ks = await KeySession.open({ env: {}, crypto: 'noble' })
    const { file } = await encryptDocument(await yaml(SAMPLE), { groups: groups(alice), ctx: ks })
    const doc = await open(await reparse(file))
    expect(doc.macValid).toBe(true)
    doc.close()
  })
})
