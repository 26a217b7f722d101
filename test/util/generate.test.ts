import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { errorOf } from '../support/errors.js'
import { ALNUM, DIGITS, LOWER, SYMBOLS, UPPER, generateValue, parseGeneratorSpec, pick } from '../../src/util/generate.js'
import { requireTool } from '../support/skip.js'

const gen = (spec: string): string => generateValue(parseGeneratorSpec(spec))

describe('generator specs', () => {
  it('parses every kind and refuses garbage with a usage error', () => {
    expect(parseGeneratorSpec('hex:32')).toEqual({ kind: 'hex', size: 32 })
    expect(parseGeneratorSpec('uuid')).toEqual({ kind: 'uuid', size: 0 })
    for (const bad of ['', 'hex', 'hex:0', 'hex:-1', 'hex:4097', 'uuid:4', 'fernet:32', 'rot13:5', 'password:3', 'hex:1e3', 'hex: 32', 'HEX:32', '\u001b[31mhex']) {
      const err = errorOf(() => parseGeneratorSpec(bad))
      expect(err.code, bad).toBe('usage')
      expect(err.message).not.toContain('\u001b')
    }
  })

  it('gives each generator its shape', () => {
    expect(gen('hex:32')).toMatch(/^[0-9a-f]{64}$/)
    expect(Buffer.from(gen('base64:33'), 'base64')).toHaveLength(33)
    expect(gen('base64:32')).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(gen('base64url:32')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(gen('alnum:40')).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(gen('uuid')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(gen('fernet')).toMatch(/^[A-Za-z0-9_-]{43}=$/)
    expect(Buffer.from(gen('fernet'), 'base64url')).toHaveLength(32)
  })

  it('password:N has N characters from the documented alphabet and every class', () => {
    const alphabet = LOWER + UPPER + DIGITS + SYMBOLS
    for (let i = 0; i < 2000; i++) {
      const p = gen('password:4')
      expect(p).toHaveLength(4)
      for (const cls of [LOWER, UPPER, DIGITS, SYMBOLS])
        expect(
          [...p].some((c) => cls.includes(c)),
          p,
        ).toBe(true)
      for (const c of p) expect(alphabet).toContain(c)
    }
    expect(SYMBOLS).not.toMatch(/["'`$\\ #]/)
  })

  it('10,000 draws repeat nothing and spread evenly over the alphabet', () => {
    for (const spec of ['hex:16', 'alnum:20', 'password:16', 'uuid', 'fernet', 'base64url:16']) {
      const seen = new Set<string>()
      for (let i = 0; i < 10_000; i++) seen.add(gen(spec))
      expect(seen.size, spec).toBe(10_000)
    }
    // chi-square over alnum: 62 symbols, 620,000 characters; 61 degrees of freedom, p=0.0001 cut ~ 113
    const counts = new Map<string, number>()
    const s = pick(ALNUM, 620_000)
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(62)
    const expected = 10_000
    let chi = 0
    for (const n of counts.values()) chi += (n - expected) ** 2 / expected
    expect(chi).toBeLessThan(113)
  })
})

describe('fernet keys', () => {
  const py = spawnSync('python3', ['-c', 'import cryptography.fernet'], { encoding: 'utf8' })
  const ok = py.status === 0
  it.runIf(requireTool({ ok, reason: 'python3 with the cryptography package (Debian: python3-cryptography)' }, 'python3-cryptography'))("are accepted by Python's cryptography Fernet", () => {
    const keys = Array.from({ length: 20 }, () => gen('fernet'))
    const script = [
      'import sys',
      'from cryptography.fernet import Fernet',
      'for k in sys.stdin.read().split():',
      '    f = Fernet(k.encode())',
      '    assert f.decrypt(f.encrypt(b"x")) == b"x"',
      'print("ok")',
    ].join('\n')
    const r = spawnSync('python3', ['-c', script], { input: keys.join('\n'), encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('ok')
  })
})
