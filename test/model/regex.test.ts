import { describe, expect, it } from 'vitest'
import { compileRegex, regexError } from '../../src/model/regex.js'

function matches(re2: string, s: string): boolean {
  const re = compileRegex(re2)
  if (re === null) throw new Error(`did not compile: ${re2}: ${regexError(re2)}`)
  return re.test(s)
}

describe('compileRegex (RE2 -> JS)', () => {
  it.each<[string, string, boolean]>([
    ['\\.prod\\.yaml$', 'a/b.prod.yaml', true],
    ['\\.prod\\.yaml$', 'a/b.prod.yaml\n', false], // RE2 $ is end of text
    ['prod', 'production/x', true], // unanchored
    ['(?i)^SECRETS/', 'secrets/a', true],
    ['(?i)k', '\u212a', true],
    ['a(?i:b)c', 'aBc', true],
    ['a(?i:b)c', 'aBC', false],
    ['(?i)a(?-i)b', 'Ab', true],
    ['(?i)a(?-i)b', 'AB', false],
    ['a(?i)[b-c]x', 'aCx', true],
    ['a(?i)[b-c]x', 'aCX', true], // (?i) runs to the end of the group
    ['a(?i)[b-c]x', 'ACx', false],
    ['\\Afoo\\z', 'foo', true],
    ['\\Afoo\\z', 'xfoo', false],
    ['^[[:alpha:]]+[[:digit:]]$', 'abc1', true],
    ['^[[:^alpha:]]$', '1', true],
    ['^[[:^alpha:]]$', 'a', false],
    ['^\\pL+$', 'héllo', true],
    ['^\\p{Greek}+$', 'αβγ', true],
    ['^\\PL$', '1', true],
    ['^\\p{^L}$', 'x', false],
    ['(?P<env>prod|dev)/', 'dev/x', true],
    ['a.b', 'a\rb', true], // RE2 . excludes only \n
    ['a.b', 'a\nb', false],
    ['(?s)a.b', 'a\nb', true],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['a\\sb', 'a\u00a0b', false], // RE2 \s is ASCII only
    ['a\\sb', 'a\tb', true],
    ['[]a]+$', ']a', true],
    ['a{2', 'a{2', true],
    ['x{2}', 'xx', true],
    ['\\Q.*\\E$', 'a.*', true],
    ['\\x{41}\\101\\x42', 'AAB', true],
    ['\\:\\-', ':-', true],
    ['^[\\d\\-_]+$', '1-_', true],
    // found by the re2js oracle (regex-oracle.test.ts): Go folds a class before negating it
    ['(?i)\\W', '\u017f', false],
    ['a(?i:\\W)', 'a\u212a', false],
    ['(?i)[\\W]', 's', false],
    ['(?i)^[[:^alpha:]]$', '\u017f', false],
    ['(?i)\\bx', '\u017fx', true], // \b stays ASCII under (?i)
    ['(?U)a+', 'aa', true],
  ])('%s on %j -> %s', (re2, s, want) => {
    expect(matches(re2, s)).toBe(want)
  })

  it.each(['(?=x)', 'a(?!b)', '(?<=a)b', '(?<!a)b', '(', 'a**', '\\1', '[[:nope:]]', 'x{1001}', '\\Z', '\\C'])('rejects %s', (re2) => {
    expect(compileRegex(re2)).toBeNull()
    expect(regexError(re2)).toMatch(/./)
  })

  it('a valid pattern has no error', () => {
    expect(regexError('^(data|stringData)$')).toBeUndefined()
  })
})
