import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { dotenvStore, displayFloat, displayText } from '../../src/stores/dotenv.js'
import type { MapNode, MapEntry, Comment, Node, ParsedFile } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'

import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const enc = new TextEncoder()
const dec = new TextDecoder()
const parse = (s: string | Uint8Array): ParsedFile => dotenvStore.parse(typeof s === 'string' ? enc.encode(s) : s, 'plain')
const emit = (f: ParsedFile): string => dec.decode(dotenvStore.emit(f))
const flat = (items: Array<MapEntry | Comment>): ParsedFile => ({ branches: [{ kind: 'map', items }], metadata: null })
const e = (key: string, value: Node): MapEntry => ({ kind: 'entry', key, value })
const s = (value: string): Node => ({ kind: 'str', value })


describe('dotenv store: upstream vector', () => {
  const bytes = readFileSync(`${VECTORS}/format.enc.env`)

  it('reads format.enc.env: key "foo " (space kept), metadata un-flattened', () => {
    const f = dotenvStore.parse(bytes, 'encrypted')
    expect(f.branches[0]!.items).toHaveLength(1)
    const item = f.branches[0]!.items[0] as MapEntry
    expect(item.key).toBe('foo ')
    expect(item.value).toMatchObject({ kind: 'str' })
    expect((item.value as { value: string }).value).toMatch(/^ENC\[AES256_GCM,data:XBV7lQ==,/)
    const md = f.metadata!
    expect(md['version']).toBe('3.13.1')
    expect(md['lastmodified']).toBe('2026-05-22T20:15:29Z')
    const pgp = md['pgp'] as Array<Record<string, string>>
    expect(pgp[0]!['fp']).toBe('FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4')
    expect(pgp[0]!['enc']).toMatch(/^-----BEGIN PGP MESSAGE-----\n\nwcBM[^\\]*\n=5coz\n-----END PGP MESSAGE-----$/)
  })

  it('re-emits format.enc.env byte for byte', () => {
    expect(Buffer.from(dotenvStore.emit(dotenvStore.parse(bytes, 'encrypted'))).equals(bytes)).toBe(true)
  })

  it('the plain line "foo = bar" gives key "foo " and value " bar"', () => {
    expect(parse('foo = bar\n').branches[0]!.items).toEqual([e('foo ', s(' bar'))])
  })
})

describe('dotenv store: parsing', () => {
  it('follows spec 6.3 literally: no trimming, quotes or export; first "=" splits; \\n pairs become newlines', () => {
    const f = parse('#c1\n\nexport A="q" \nB=x=y\nC=a\\nb\\\\nc\n# c2\nD=\n')
    expect(f.branches[0]!.items).toEqual([
      { kind: 'comment', text: 'c1' },
      e('export A', s('"q" ')),
      e('B', s('x=y')),
      e('C', s('a\nb\\\nc')),
      { kind: 'comment', text: ' c2' },
      e('D', s('')),
    ])
    expect(f.metadata).toBeNull()
  })

  it('keeps CR in values and comments of a CRLF file (blank CRLF lines are skipped)', () => {
    expect(parse('A=1\r\n\r\n#c\r\nB=2').branches[0]!.items).toEqual([e('A', s('1\r')), { kind: 'comment', text: 'c\r' }, e('B', s('2'))])
  })

  it('keeps invalid UTF-8 values as bytes (sops hashes the raw bytes)', () => {
    const raw = new Uint8Array([...enc.encode('A='), 0xff, 0x41])
    expect(parse(raw).branches[0]!.items[0]).toEqual(e('A', { kind: 'bytes', value: new Uint8Array([0xff, 0x41]) }))
    expect(dotenvStore.emit(parse(raw))).toEqual(new Uint8Array([...raw, 0x0a]))
  })

  it('reports a line without "=" by number, without its text', () => {
    const err = errorOf(() => parse('A=1\n\nhunter2\n'))
    expect(err.code).toBe('input')
    expect(err.message).toContain('line 3')
    expect(err.message).not.toContain('hunter2')
  })

  it('rejects broken flattened metadata', () => {
    expect(errorOf(() => parse('sops_a=1\nsops_a__map_b=2\n')).message).toMatch(/both a value and a container/)
  })
})

describe('dotenv store: emitting', () => {
  it('writes #comments, key=value with escaped newlines, then the sops_ keys (spec 7.6 layout)', () => {
    const f = flat([{ kind: 'comment', text: ' top' }, e('foo ', s(' bar')), e('ML', s('l1\nl2'))])
    f.metadata = {
      lastmodified: '2026-05-22T20:15:29Z',
      mac: 'ENC[x]',
      pgp: [{ created_at: '2026-05-22T20:15:26Z', enc: '-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----', fp: 'FBC7' }],
      shamir_threshold: 2,
      mac_only_encrypted: true,
      unencrypted_suffix: '_unencrypted',
      version: '3.13.2',
    }
    expect(emit(f)).toBe(
      '# top\nfoo = bar\nML=l1\\nl2\n' +
        'sops_lastmodified=2026-05-22T20:15:29Z\nsops_mac=ENC[x]\n' +
        'sops_pgp__list_0__map_created_at=2026-05-22T20:15:26Z\n' +
        'sops_pgp__list_0__map_enc=-----BEGIN PGP MESSAGE-----\\n\\nabc\\n-----END PGP MESSAGE-----\n' +
        'sops_pgp__list_0__map_fp=FBC7\nsops_shamir_threshold=2\nsops_mac_only_encrypted=true\n' +
        'sops_unencrypted_suffix=_unencrypted\nsops_version=3.13.2\n',
    )
    const back = parse(emit(f))
    expect(back.metadata).toEqual(f.metadata)
    expect(back.branches).toEqual(f.branches)
  })

  it('renders typed scalars as display text', () => {
    const f = flat([
      e('i', { kind: 'int', value: -9223372036854775808n }),
      e('f', { kind: 'float', value: 1.5 }),
      e('g', { kind: 'float', value: 1 }),
      e('b', { kind: 'bool', value: true }),
      e('t', { kind: 'time', value: '2024-01-01T10:00:00.5+02:00' }),
      e('n', { kind: 'null' }),
    ])
    expect(emit(f)).toBe('i=-9223372036854775808\nf=1.5\ng=1.0\nb=true\nt=2024-01-01T10:00:00+02:00\nn=\n')
  })

  it('display floats follow Go %G with a forced .0 (spec 11.5)', () => {
    expect(displayFloat(1)).toBe('1.0')
    expect(displayFloat(1234567)).toBe('1.234567E+06')
    expect(displayFloat(123456)).toBe('123456.0')
    expect(displayFloat(0.00001)).toBe('1E-05')
    expect(displayFloat(0.0001)).toBe('0.0001')
    expect(displayFloat(-2.5e-300)).toBe('-2.5E-300')
    expect(displayFloat(1e21)).toBe('1E+21')
    expect(displayFloat(-0)).toBe('-0.0')
    expect(displayFloat(NaN)).toBe('NaN')
    expect(displayFloat(-Infinity)).toBe('-Inf')
    expect(displayText({ kind: 'bytes', value: enc.encode('x') })).toBe('x')
  })

  it('splits a multi-line comment into several # lines', () => {
    expect(emit(flat([{ kind: 'comment', text: 'a\nb' }]))).toBe('#a\n#b\n')
  })

  it.each([
    [e('m', { kind: 'map', items: [] }), /\["m"\] is a map/],
    [e('l', { kind: 'list', items: [] }), /\["l"\] is a list/],
    [e('a=b', s('v')), /contains "="/],
    [e('a\nb', s('v')), /newline/],
    [e('#a', s('v')), /starts with "#"/],
    [e('sops_x', s('v')), /reserved/],
  ])('refuses what dotenv cannot hold: %j', (item, re) => {
    const err = errorOf(() => emit(flat([item])))
    expect(err.code).toBe('input')
    expect(err.message).toMatch(re)
    expect(err.message).not.toContain('"v"')
  })

  it('emitValue: strings raw, maps as a file, other values refused', () => {
    expect(dec.decode(dotenvStore.emitValue(s('a\nb')))).toBe('a\nb')
    expect(dec.decode(dotenvStore.emitValue({ kind: 'map', items: [e('A', s('1'))] }))).toBe('A=1\n')
    expect(errorOf(() => dotenvStore.emitValue({ kind: 'int', value: 1n })).code).toBe('usage')
  })
})

describe('dotenv store: round trips', () => {
  it('parse -> emit -> parse is the identity (unicode, empty values, comments, multi-line, duplicates)', () => {
    const src = '# héllo wörld\nA=ünïcødé 😀\nEMPTY=\n=no key\nML=line1\\nline2\\n\nA=dup\n#\nSP = x \n'
    const once = parse(src)
    expect(emit(once)).toBe(src)
    expect(parse(emit(once))).toEqual(once)
  })

  // Keys: no "=" or newline, not starting with "#" (comment) or "sops_" (metadata). Values: any
  // text except a literal backslash-n pair, which dotenv turns into a newline (lossy by design).
  // Comments: any text without a newline.
  const key = fc.string({ unit: 'grapheme', maxLength: 10 }).filter((k) => !/[=\n]/.test(k) && !k.startsWith('#') && !k.startsWith('sops_'))
  const value = fc.string({ unit: 'grapheme', maxLength: 16 }).filter((v) => !v.includes('\\n'))
  const commentText = fc.string({ unit: 'grapheme', maxLength: 10 }).filter((c) => !c.includes('\n'))
  const item = fc.oneof(
    fc.tuple(key, value).map(([k, v]): MapEntry | Comment => e(k, s(v))),
    commentText.map((text): MapEntry | Comment => ({ kind: 'comment', text })),
  )

  it('property: emit -> parse gives the tree back for flat string maps with comments', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), (items) => {
        // A key that is empty with an empty value emits "=" - still a valid line; an entirely
        // empty line can only come from nothing, so every item survives.
        const tree: MapNode = { kind: 'map', items }
        expect(parse(emit({ branches: [tree], metadata: null })).branches[0]).toEqual(tree)
      }),
      { numRuns: 400 },
    )
  })
})
