// Encrypt or decrypt every selected leaf of a tree with one data key, computing the MAC over
// the plaintext on the way (spec 3-5). The key path (map keys only) is each value's AAD.
import { nodeCrypto, type CryptoBackend } from '../crypto/backend.js'
import { decryptToken, encryptBytes, isEncToken, parseEncToken, randomIv, type GcmBackend, type TokenType } from '../crypto/cipher.js'
import { decodeUtf8, utf8 } from '../util/utf8.js'
import { MacHasher } from '../crypto/mac.js'
import { SecretsError, formatKeyPath } from '../errors.js'
import { canonicalBytes, scalarFromPlaintext } from '../tree/scalars.js'
import type { Comment, ListNode, MapNode, Node, Scalar } from '../tree/types.js'
import type { CommentStack, Selector } from '../model/select.js'

const aadOf = (path: readonly string[]): string => path.join(':') + ':'

/** The type tag a scalar is encrypted with, or null for scalars that are never encrypted (null). */
function tokenTypeOf(s: Scalar): TokenType | null {
  switch (s.kind) {
    case 'str':
    case 'bytes':
      return 'str'
    case 'null':
      return null
    default:
      return s.kind
  }
}

/**
 * Remembers, per (AAD, type, plaintext), the IVs that decryption saw, so that re-encrypting an
 * unchanged value yields its old token byte for byte (spec 3.8). Unlike sops it keeps every IV
 * in order, so equal values under one key do not collapse onto one token.
 */
export class IvStash {
  private readonly ivs = new Map<string, Uint8Array[]>()
  private static key(aad: string, type: string, plain: Uint8Array): string {
    return `${aad}\u0000${type}\u0000${Buffer.from(plain).toString('base64')}`
  }
  remember(aad: string, type: string, plain: Uint8Array, iv: Uint8Array): void {
    const k = IvStash.key(aad, type, plain)
    const list = this.ivs.get(k)
    if (list === undefined) this.ivs.set(k, [iv])
    else list.push(iv)
  }
  take(aad: string, type: string, plain: Uint8Array): Uint8Array | undefined {
    return this.ivs.get(IvStash.key(aad, type, plain))?.shift()
  }
}

export interface WalkCounts {
  encrypted: number
  plain: number
}

interface Ctx {
  key: Uint8Array
  select: Selector
  mac: MacHasher
  gcm: GcmBackend
  macOnlyEncrypted: boolean
  counts: WalkCounts
  stash: IvStash | undefined
  /** Decrypt only: comments that could not be decrypted and were kept verbatim. */
  warnings: string[]
}

/** Encrypt a tree (new nodes; the input is not modified). Returns the MAC hex of the plaintext. */
export interface WalkOptions {
  key: Uint8Array
  select: Selector
  macOnlyEncrypted: boolean
  stash?: IvStash | undefined
  /** The session's cipher and hash (default node:crypto). */
  crypto?: CryptoBackend | undefined
}

function newCtx(opts: WalkOptions): Ctx {
  return { ...opts, stash: opts.stash, gcm: (opts.crypto ?? nodeCrypto).gcm, mac: new MacHasher(opts.macOnlyEncrypted, (opts.crypto ?? nodeCrypto).sha512), counts: { encrypted: 0, plain: 0 }, warnings: [] }
}

export function encryptBranches(branches: MapNode[], opts: WalkOptions): { branches: MapNode[]; macHex: string; counts: WalkCounts } {
  const ctx = newCtx(opts)
  const out = branches.map((b) => walkContainer(b, [], [], ctx, encLeaf, encComment) as MapNode)
  return { branches: out, macHex: ctx.mac.hex(), counts: ctx.counts }
}

/** Decrypt a tree, filling `stash` with the IVs seen. Returns the MAC hex computed over the plaintext. */
export function decryptBranches(branches: MapNode[], opts: WalkOptions): { branches: MapNode[]; macHex: string; warnings: string[] } {
  const ctx = newCtx(opts)
  const out = branches.map((b) => walkContainer(b, [], [], ctx, decLeaf, decComment) as MapNode)
  return { branches: out, macHex: ctx.mac.hex(), warnings: ctx.warnings }
}

type LeafFn = (s: Scalar, path: string[], selected: boolean, ctx: Ctx) => Scalar
type CommentFn = (c: Comment, path: string[], selected: boolean, ctx: Ctx) => Comment

function walkContainer(node: MapNode | ListNode, path: string[], stack: CommentStack, ctx: Ctx, leaf: LeafFn, cmt: CommentFn): Node {
  const frame: string[] = []
  const inner = [...stack, frame]
  if (node.kind === 'map') {
    const items: MapNode['items'] = []
    for (const item of node.items) {
      if (item.kind === 'comment') {
        frame.push(item.text)
        items.push(cmt(item, path, ctx.select(path, inner, true), ctx))
        continue
      }
      const p = [...path, item.key]
      items.push({ kind: 'entry', key: item.key, value: walkValue(item.value, p, inner, ctx, leaf, cmt) })
      frame.length = 0
    }
    return { ...node, items }
  }
  const items: ListNode['items'] = []
  for (const item of node.items) {
    if (item.kind === 'comment') {
      frame.push(item.text)
      items.push(cmt(item, path, ctx.select(path, inner, true), ctx))
      continue
    }
    items.push(walkValue(item, path, inner, ctx, leaf, cmt))
    frame.length = 0
  }
  return { ...node, items }
}

function walkValue(v: Node, path: string[], stack: CommentStack, ctx: Ctx, leaf: LeafFn, cmt: CommentFn): Node {
  if (v.kind === 'map' || v.kind === 'list') return walkContainer(v, path, stack, ctx, leaf, cmt)
  return leaf(v, path, ctx.select(path, stack, false), ctx)
}

function encLeaf(s: Scalar, path: string[], selected: boolean, ctx: Ctx): Scalar {
  const bytes = canonicalBytes(s)
  const type = tokenTypeOf(s)
  if (bytes === null || type === null) return s // null: neither encrypted nor hashed
  if (selected || !ctx.macOnlyEncrypted) ctx.mac.update(bytes)
  if (!selected) {
    ctx.counts.plain++
    return s
  }
  if (bytes.length === 0) return s // empty values can never be a token (spec 3.5)
  ctx.counts.encrypted++
  return { kind: 'str', value: seal(ctx, bytes, aadOf(path), type) }
}

function encComment(c: Comment, path: string[], selected: boolean, ctx: Ctx): Comment {
  if (!selected || c.text === '') return c
  return { ...c, text: seal(ctx, utf8(c.text), aadOf(path), 'comment') }
}

function seal(ctx: Ctx, plain: Uint8Array, aad: string, type: TokenType): string {
  const iv = ctx.stash?.take(aad, type, plain) ?? randomIv()
  return encryptBytes(ctx.key, plain, aad, type, iv, ctx.gcm)
}

function decLeaf(s: Scalar, path: string[], selected: boolean, ctx: Ctx): Scalar {
  if (!selected) {
    const bytes = canonicalBytes(s)
    if (bytes !== null && !ctx.macOnlyEncrypted) ctx.mac.update(bytes)
    return s
  }
  if (s.kind === 'null') return s
  if (s.kind !== 'str') {
    throw new SecretsError('decrypt', 'a value that should be encrypted is a plain number, boolean or date', {
      where: formatKeyPath(path),
      hint: 'encrypt the file again, or rename the key with the unencrypted suffix if it is meant to stay clear',
    })
  }
  if (s.value === '') return s
  const token = isEncToken(s.value) ? parseEncToken(s.value) : null
  if (token === null) {
    throw new SecretsError('decrypt', "a value that should be encrypted is plain text (it does not match sops' data format)", {
      where: formatKeyPath(path),
      hint: 'encrypt the file again with `secrets encrypt -i`, or restore it from git',
    })
  }
  const aad = aadOf(path)
  let plain: Uint8Array
  try {
    plain = decryptToken(ctx.key, token, aad, ctx.gcm)
  } catch (e) {
    throw located(e, path)
  }
  if (token.type === 'comment') throw located(new SecretsError('decrypt', 'a value carries the type tag "comment"'), path)
  let out: Scalar
  try {
    out = scalarFromPlaintext(plain, token.type)
  } catch (e) {
    throw located(e, path)
  }
  ctx.stash?.remember(aad, token.type, canonicalBytes(out) ?? plain, token.iv)
  const bytes = canonicalBytes(out)
  if (bytes !== null) ctx.mac.update(bytes)
  return out
}

function located(e: unknown, path: string[]): unknown {
  if (e instanceof SecretsError && e.where === undefined) {
    return new SecretsError(e.code, e.message, { where: formatKeyPath(path), hint: e.hint ?? 'restore the file from git' })
  }
  return e
}

/** Comments are tolerant (spec 3.6): try the container's AAD, then every ancestor's, else keep the text. */
function decComment(c: Comment, path: string[], selected: boolean, ctx: Ctx): Comment {
  if (!selected || !isEncToken(c.text)) return c
  let token
  try {
    token = parseEncToken(c.text)
  } catch {
    token = null
  }
  if (token !== null) {
    for (let n = path.length; n >= 0; n--) {
      const aad = aadOf(path.slice(0, n))
      try {
        const plain = decryptToken(ctx.key, token, aad, ctx.gcm)
        const text = decodeUtf8(plain)
        ctx.stash?.remember(aad, 'comment', plain, token.iv)
        return { ...c, text }
      } catch {
        // try the next ancestor
      }
    }
  }
  ctx.warnings.push(`a comment under ${path.length ? formatKeyPath(path) : 'the top level'} could not be decrypted and was kept as it is`)
  return c
}
