import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { iniStore, trimGo } from '../../src/stores/ini.js'
import type { MapNode, MapEntry, Comment, Node, ParsedFile } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'

import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const enc = new TextEncoder()
const dec = new TextDecoder()
const parse = (s: string): ParsedFile => iniStore.parse(enc.encode(s), 'plain')
const emit = (f: ParsedFile): string => dec.decode(iniStore.emit(f))
const e = (key: string, value: Node): MapEntry => ({ kind: 'entry', key, value })
const s = (value: string): Node => ({ kind: 'str', value })
const c = (text: string): Comment => ({ kind: 'comment', text })
const sec = (name: string, items: Array<MapEntry | Comment>): MapEntry => e(name, { kind: 'map', items })
const file = (...sections: MapEntry[]): ParsedFile => ({ branches: [{ kind: 'map', items: sections }], metadata: null })


describe('ini store: upstream vectors', () => {
  const v1 = readFileSync(`${VECTORS}/format.enc.ini`)
  const v2 = readFileSync(`${VECTORS}/format-2.enc.ini`)

  it('reads format.enc.ini (escaped \\n) and format-2.enc.ini ("""...""") to the same metadata shape', () => {
    for (const bytes of [v1, v2]) {
      const f = iniStore.parse(bytes, 'encrypted')
      const items = f.branches[0]!.items as MapEntry[]
      expect(items.map((i) => i.key)).toEqual(['DEFAULT', 'foo'])
      expect(items[0]!.value).toEqual({ kind: 'map', items: [] })
      const foo = (items[1]!.value as MapNode).items
      expect(foo).toHaveLength(1)
      expect((foo[0] as MapEntry).key).toBe('bar')
      expect(((foo[0] as MapEntry).value as { value: string }).value).toMatch(/^ENC\[AES256_GCM,data:/)
      const md = f.metadata!
      expect(Object.keys(md)).toEqual(['lastmodified', 'mac', 'pgp', 'unencrypted_suffix', 'version'])
      const pgp = md['pgp'] as Array<Record<string, string>>
      expect(pgp[0]!['fp']).toBe('FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4')
      const encText = pgp[0]!['enc']!
      expect(encText).toMatch(/^-----BEGIN PGP MESSAGE-----\n\nwcBMAyUpShfNkFB\/AQf\//)
      expect(encText).toMatch(/\n-----END PGP MESSAGE-----$/)
      expect(encText).not.toContain('\\n')
      expect(encText.split('\n')).toHaveLength(12)
    }
    expect(iniStore.parse(v1, 'encrypted').metadata!['version']).toBe('3.13.2')
    expect(iniStore.parse(v2, 'encrypted').metadata!['version']).toBe('3.13.1')
  })

  it('re-emits format.enc.ini as go-ini does (identical apart from the blank line after the last section)', () => {
    expect(emit(iniStore.parse(v1, 'encrypted'))).toBe(v1.toString('utf8') + '\n')
  })

  it('re-emits format-2.enc.ini in the 3.13.2 escaped layout', () => {
    const out = emit(iniStore.parse(v2, 'encrypted'))
    expect(out).toMatch(/^pgp__list_0__map_enc {8}= -----BEGIN PGP MESSAGE-----\\n\\nwcBM.*\\n-----END PGP MESSAGE-----$/m)
    expect(out).not.toContain('"""')
    expect(iniStore.parse(enc.encode(out), 'encrypted')).toEqual(iniStore.parse(v2, 'encrypted'))
  })
})

describe('ini store: reading like go-ini', () => {
  it('handles DEFAULT, = and :, trimming, quotes, inline comments, continuation, overwrite, re-opened sections', () => {
    const src = [
      '; file comment',
      'top = 1',
      '[sec]  ; sec inline',
      '# about a',
      'a = 1 ; inline a',
      'b: "quoted "',
      "c = 'single'",
      'd = `back;tick` ; dropped after a closing quote',
      'e = """multi',
      '  line ; not a comment',
      'end""" ; after multi',
      'f = cont \\',
      '   inued',
      'g = x#y',
      "h = 'it's'",
      'a = 2',
      '  [sec]',
      'i = reopened',
      '[DEFAULT]',
      'j = in default',
      '[ spaced name ]',
      '`k=:` = quoted key',
      '"q" = dq key',
      '"""tr`k""" : triple key',
      'empty =',
      '',
    ].join('\n')
    const f = parse(src)
    expect(f.metadata).toBeNull()
    expect(f.branches[0]).toEqual({
      kind: 'map',
      items: [
        sec('DEFAULT', [e('top', s('1')), c('file comment'), e('j', s('in default'))]),
        // The re-opening `[sec]` header has no comment and go-ini resets the section comment.
        sec('sec', [
          // `a` was overwritten in place; its comment is the one of the last assignment (none).
          e('a', s('2')),
          e('b', s('quoted ')),
          e('c', s('single')),
          e('d', s('back;tick')),
          e('e', s('multi\n  line ; not a comment\nend')),
          c('after multi'),
          e('f', s('cont inued')),
          e('g', s('x')),
          c('y'),
          e('h', s("'it's'")),
          e('i', s('reopened')),
        ]),
        sec(' spaced name ', [e('k=:', s('quoted key')), e('q', s('dq key')), e('tr`k', s('triple key')), e('empty', s(''))]),
      ],
    })
  })

  it('attaches multi-line comments as one comment with the prefix of later lines kept', () => {
    const f = parse('[s]\n;; one\n; two\nk = v\n')
    expect((f.branches[0]!.items[1] as MapEntry).value).toEqual({ kind: 'map', items: [e('k', s('v')), c('one\n; two')] })
    expect(emit(f)).toBe('[s]\n; one\n; two\nk = v\n\n')
  })

  it('handles CRLF input, a BOM, and a last line without newline', () => {
    const f = parse('\ufeff[s]\r\n; note\r\nk = v\r\nm = """a\r\nb"""\r\nlast = x')
    expect((f.branches[0]!.items[1] as MapEntry).value).toEqual({
      kind: 'map',
      items: [e('k', s('v')), c('note'), e('m', s('a\r\nb')), e('last', s('x'))],
    })
  })

  it.each([
    ['[sec\nk = v', /line 1: a section header is missing its closing "\]"/],
    ['k = v\n[]\n', /line 2: empty section name/],
    ['a = 1\n\nhunter2\n', /line 3: expected "key = value"/],
    ['a = 1\nk = """hunter2\nmore hunter2\n', /line 2: the quoted multi-line value/],
    ['k = `hunter2', /line 1: the quoted multi-line value/],
    ['= hunter2', /line 1: empty key name/],
    ['`hunter2 = v', /line 1: the quoted key is not closed/],
  ])('rejects %j with the line number and without the value', (src, re) => {
    const err = errorOf(() => parse(src))
    expect(err.code).toBe('input')
    expect(err.message).toMatch(re)
    expect(err.message).not.toContain('hunter2')
  })

  it('accepts the [sops] section in plain mode too (so the caller can refuse it) and removes it from the tree', () => {
    const f = parse('[a]\nk = v\n[sops]\nversion = 3.13.2\nshamir_threshold = 2\n')
    expect(f.metadata).toEqual({ version: '3.13.2', shamir_threshold: 2 })
    expect((f.branches[0]!.items as MapEntry[]).map((i) => i.key)).toEqual(['DEFAULT', 'a'])
  })
})

describe('ini store: writing like go-ini', () => {
  it('aligns keys, quotes values, writes comments above keys and [sops] last with escaped newlines', () => {
    const f = file(
      sec('DEFAULT', []),
      sec('sec', [
        c('about sec'),
        e('a', s('1')),
        c('about a'),
        e('long_key', s(' spaced ')),
        e('h', s('x;y')),
        e('m', s('l1\nl2')),
        e('bt', s('a`b')),
        e('q', s('has"quote')),
        e('k=v', s('')),
        e('t`k', s('x')),
      ]),
    )
    f.metadata = { lastmodified: 't', pgp: [{ enc: 'a\nb', fp: 'F' }], version: '3.13.2' }
    expect(emit(f)).toBe(
      [
        '; about sec',
        '[sec]',
        // A key's comment (the item after it in the tree) is written above it; keys are padded
        // to the longest one as written (`"""t`k"""` = 9 bytes).
        '; about a',
        'a         = 1',
        'long_key  = " spaced "',
        'h         = `x;y`',
        'm         = """l1',
        'l2"""',
        'bt        = """a`b"""',
        'q         = has"quote',
        '`k=v`     = ',
        '"""t`k""" = x',
        '',
        '[sops]',
        'lastmodified         = t',
        'pgp__list_0__map_enc = a\\nb',
        'pgp__list_0__map_fp  = F',
        'version              = 3.13.2',
        '',
        '',
      ].join('\n'),
    )
    expect(parse(emit(f))).toEqual(f)
  })

  it('writes DEFAULT without a header when it has keys, typed values as display text', () => {
    const f = file(
      sec('DEFAULT', [e('i', { kind: 'int', value: 42n }), e('b', { kind: 'bool', value: false }), e('f', { kind: 'float', value: 0.5 })]),
      sec('x', []),
    )
    expect(emit(f)).toBe('i = 42\nb = false\nf = 0.5\n\n[x]\n\n')
  })

  it('adds the DEFAULT section on read when the file has none', () => {
    expect(parse('[x]\nk = v\n').branches[0]!.items[0]).toEqual(sec('DEFAULT', []))
    expect(emit(parse(''))).toBe('')
  })

  it.each([
    [file(e('top', s('x'))), /top-level key \["top"\] is not a section/],
    [file(sec('s', [e('n', { kind: 'map', items: [] })])), /\["s"\]\["n"\] is a map/],
    [file(sec('s', [e('n', { kind: 'list', items: [] })])), /\["s"\]\["n"\] is a list/],
    [file(sec('', [])), /empty name/],
    [file(sec('s', [e('', s('v'))])), /is empty/],
  ])('refuses trees INI cannot hold: %#', (f, re) => {
    const err = errorOf(() => emit(f))
    expect(err.code).toBe('input')
    expect(err.message).toMatch(re)
  })

  it('emitValue: strings raw, other scalars and lists as JSON, maps as a whole file', () => {
    const ev = (n: Node): string => dec.decode(iniStore.emitValue(n))
    expect(ev(s('a\nb'))).toBe('a\nb')
    expect(ev({ kind: 'int', value: 5n })).toBe('5')
    expect(ev({ kind: 'list', items: [s('<a>'), { kind: 'bool', value: true }] })).toBe('["\\u003ca\\u003e",true]')
    expect(ev({ kind: 'map', items: [sec('s', [e('k', s('v'))])] })).toBe('[s]\nk = v\n\n')
  })
})

describe('ini store: round trips', () => {
  it('parse -> emit -> parse is the identity (unicode, empty values, comments, multi-line)', () => {
    const src = '; ünï\nkey = välue 😀\n\n; sect\n[sëction]\nempty = \nml    = """a\n\n b """\n; c1\nsp    = "  x "\n\n'
    const once = parse(src)
    expect(emit(once)).toBe(src)
    expect(parse(emit(once))).toEqual(once)
  })

  // What does NOT round-trip through go-ini, and so is left out of the generators:
  // - a value containing `"""` (breaks the multi-line quoting);
  // - an unquoted value ending in `\` (continuation line) or wrapped in matching ' or " quotes
  //   (go-ini strips them);
  // - a value that needs "..." quoting (leading/trailing space) and also contains `"`;
  // - keys with a backtick, keys starting with # ; [ (read as comment/section), untrimmed keys;
  // - comments that are empty, untrimmed, multi-line or start with ; or # (their prefix is
  //   stripped), a comment on DEFAULT or before a section's first key other than the section
  //   comment, two comments in a row (sops keeps the last);
  // - duplicate section or key names (go-ini merges them).
  const needsDq = (v: string): boolean => !/[\n`#;]/.test(v) && trimGo(v) !== v
  const raw = (v: string): boolean => !/[\n`#;]/.test(v) && trimGo(v) === v
  const surrounded = (v: string, q: string): boolean => v.length >= 2 && v[0] === q && v.endsWith(q) && v.indexOf(q, 1) === v.length - 1
  const value = fc
    .string({ unit: 'grapheme', maxLength: 14 })
    .filter((v) => !v.includes('"""'))
    .filter((v) => !(raw(v) && (v.endsWith('\\') || surrounded(v, '"') || surrounded(v, "'"))))
    .filter((v) => !(needsDq(v) && v.includes('"')))
  const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((k) => trimGo(k) === k && k !== '' && !/[\n`]/.test(k) && !/^[#;[]/.test(k))
  const commentText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((t) => trimGo(t) === t && t !== '' && !t.includes('\n') && !/^[;#]/.test(t))
  const keys = fc.uniqueArray(fc.tuple(key, value, fc.option(commentText, { nil: undefined })), { selector: ([k]) => k, maxLength: 5 })
  const toItems = (ks: Array<[string, string, string | undefined]>): Array<MapEntry | Comment> =>
    ks.flatMap(([k, v, cm]) => (cm === undefined ? [e(k, s(v))] : [e(k, s(v)), c(cm)]))
  const sectionName = fc.stringMatching(/^[A-Za-z0-9_. -]{1,8}$/).filter((n) => n !== 'DEFAULT' && n !== 'sops')
  const sections = fc.uniqueArray(fc.tuple(sectionName, fc.option(commentText, { nil: undefined }), keys), { selector: ([n]) => n, maxLength: 4 })

  it('property: emit -> parse gives the tree back for sections of string values with comments', () => {
    fc.assert(
      fc.property(keys, sections, (defaults, secs) => {
        const tree: MapNode = {
          kind: 'map',
          items: [
            sec('DEFAULT', toItems(defaults)),
            ...secs.map(([name, cm, ks]) => sec(name, cm === undefined ? toItems(ks) : [c(cm), ...toItems(ks)])),
          ],
        }
        const text = emit({ branches: [tree], metadata: null })
        expect(parse(text).branches[0]).toEqual(tree)
      }),
      { numRuns: 400 },
    )
  })
})
