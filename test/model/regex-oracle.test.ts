// The RE2 translator checked against re2js, a port of RE2 itself (so Go's regexp semantics): on
// sops's own rule patterns and on random patterns, both must agree on every input. re2js is a
// test-only oracle: at run time the translator costs ~14 ms to load against ~95 ms for re2js
// (and 260 KB in the CLI bundle), measured on the build machine (docs/development.md).
import fc from 'fast-check'
import { RE2JS } from 're2js'
import { describe, expect, it } from 'vitest'
import { compileRegex } from '../../src/model/regex.js'

function oracle(pattern: string): ((s: string) => boolean) | null {
  try {
    const re = RE2JS.compile(pattern)
    return (s) => re.matcher(s).find()
  } catch {
    return null
  }
}

function ours(pattern: string): ((s: string) => boolean) | null {
  const re = compileRegex(pattern)
  return re === null ? null : (s) => re.test(s)
}

const INPUTS = [
  '',
  'a',
  'b',
  'ab',
  'ba',
  'A',
  'aB',
  'k',
  'K',
  '\u212a',
  's',
  '\u017f',
  'é',
  'É',
  '1',
  'a1',
  '\n',
  'a\nb',
  '\r',
  ' ',
  '\t',
  '\u00a0',
  '.',
  'data',
  'stringData',
  'metadata',
  'password',
  'DB_PASSWORD',
  'x/a.prod.yaml',
  'x/a.prod.yaml\n',
  'αβ',
]

// Patterns of the sops README, its tests and its users' configs (path_regex and selection rules).
const SOPS_PATTERNS = [
  '\\.dev\\.yaml$',
  '\\.prod\\.yaml$',
  '^(data|stringData)$',
  '^(user|pass)$',
  '^sops:enc',
  '(.*)my-config(.*)',
  '.*dev.*',
  '\\.yaml$',
  '(?i)password',
  '^(apiVersion|metadata|kind|type)$',
  'secrets/.*\\.enc\\.json$',
  '^[a-z]+$',
  '(?i)^(password|secret|token|key)$',
  '_secret$',
  '^\\.env\\.',
]

describe('translator and re2js agree', () => {
  it.each(SOPS_PATTERNS)('on the sops pattern %s', (p) => {
    const want = oracle(p)
    const got = ours(p)
    expect(want).not.toBeNull()
    expect(got).not.toBeNull()
    for (const s of INPUTS) expect([p, s, got!(s)]).toEqual([p, s, want!(s)])
  })

  const atom = fc.constantFrom(
    'a',
    'b',
    'A',
    'k',
    's',
    '1',
    '.',
    '\\.',
    '\\s',
    '\\S',
    '\\d',
    '\\w',
    '\\W',
    '[a-c]',
    '[^b]',
    '[[:alpha:]]',
    '[[:^digit:]]',
    '\\pL',
    '\\p{Greek}',
    '\\PL',
    '\\x{41}',
    '\\n',
    '[\\d\\-_]',
    '\\b',
    '\\B',
    '[\\W]',
    '[^\\w.]',
    '[k-s]',
    '\\Q.*\\E',
  )
  const pattern: fc.Arbitrary<string> = fc.letrec((tie) => ({
    re: fc.oneof({ depthSize: 'small', withCrossShrink: true }, atom, tie('seq'), tie('alt'), tie('rep'), tie('group'), tie('anchored')),
    seq: fc.tuple(tie('re'), tie('re')).map(([x, y]) => `${x}${y}`),
    alt: fc.tuple(tie('re'), tie('re')).map(([x, y]) => `(?:${x}|${y})`),
    rep: fc.tuple(tie('re'), fc.constantFrom('*', '+', '?', '{2}', '{1,2}', '*?', '+?')).map(([x, q]) => `(?:${x})${q}`),
    group: fc.tuple(fc.constantFrom('(?i:', '(?s:', '(?m:', '(?U:', '(?i-s:', '(', '(?P<n>'), tie('re')).map(([g, x]) => `${g}${x})`),
    anchored: fc.tuple(fc.constantFrom('^', '\\A', '(?m)^', ''), tie('re'), fc.constantFrom('$', '\\z', '(?m)$', '')).map(([a, x, z]) => `${a}${x}${z}`),
  })).re as fc.Arbitrary<string>
  const input = fc
    .array(fc.constantFrom('a', 'b', 'A', 'B', 'k', 'K', '\u212a', 's', '\u017f', '1', '\n', '\r', ' ', '\t', '\u00a0', 'é', 'α', '.', '-', '_'), { maxLength: 6 })
    .map((cs) => cs.join(''))

  it('on random patterns and inputs', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.constantFrom('', '', '(?i)', '(?s)', '(?im)', '(?U)'), pattern).map(([f, p]) => f + p),
        fc.array(input, { minLength: 1, maxLength: 8 }),
        (p, strings) => {
          const want = oracle(p)
          const got = ours(p)
          expect(got === null).toBe(want === null)
          if (want === null || got === null) return
          for (const s of strings) expect([p, s, got(s)]).toEqual([p, s, want(s)])
        },
      ),
      { numRuns: 1500 },
    )
  })
})
