// .env output read back by the real parsers: the `dotenv` package (its classic and fast parsers),
// dotenvx, and bash for the shell format; random values full of quotes, `$`, `#`, `\`, line breaks.
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/errors.js'
import type { EnvVar } from '../../src/outputs/env.js'
import { renderVariables } from '../../src/outputs/dotenv.js'
import { ROOT, tempDir } from '../support/cli.js'
import { requireTool, which } from '../support/skip.js'

const require = createRequire(import.meta.url)
const dotenv = require('dotenv') as { parse(src: string, opts?: { fast?: boolean }): Record<string, string> }
const dotenvx = require('@dotenvx/dotenvx') as { parse(src: string, opts?: { processEnv?: Record<string, string> }): Record<string, string> }

const DOTENVX = join(ROOT, 'node_modules', '@dotenvx', 'dotenvx', 'src', 'cli', 'dotenvx.js')
const bashOk = requireTool({ ok: which('bash'), reason: 'bash is not on PATH' }, 'bash')

// Pieces that trip one reader or another; `touch canary` is how a reader that runs commands shows it.
const tricky = fc.constantFrom(
  "'",
  '"',
  '`',
  '$',
  '\\',
  '#',
  '\n',
  '\r',
  ' ',
  '\t',
  '=',
  '{',
  '}',
  '(',
  ')',
  'n',
  'r',
  'A',
  'z',
  '0',
  'é',
  '😀',
  '\u2028',
  '$HOME',
  '${X}',
  '$(touch canary)',
  '`touch canary`',
  '\\n',
  ' #c',
  'encrypted:',
  '\0',
  '~',
  ';',
  '&',
  '|',
  '<',
  '*',
  '!',
)
const value = fc.array(tricky, { maxLength: 12 }).map((a) => a.join(''))
const vars = (values: string[]): EnvVar[] => values.map((v, i) => ({ name: `V${i}`, value: v, path: [`V${i}`] }))
const record = (vs: EnvVar[]): Record<string, string> => Object.fromEntries(vs.map((v) => [v.name, v.value]))

// What no .env spelling can hold for dotenv, dotenvx and a shell at once (see src/outputs/dotenv.ts).
const unwritable = (v: string): boolean => /[\r\0]/.test(v) || v.startsWith('encrypted:') || (v.includes("'") && /["$`\\]/.test(v))

function refusal(vs: EnvVar[]): SecretsError | undefined {
  try {
    renderVariables(vs, 'dotenv')
    return undefined
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    return e as SecretsError
  }
}

describe('dotenv format', () => {
  it('every value is written for dotenv (classic and fast parsers) and dotenvx alike, or refused naming the variable', () => {
    let rendered = 0
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (values) => {
        const vs = vars(values)
        const err = refusal(vs)
        const bad = vs.filter((v) => unwritable(v.value))
        if (err !== undefined) {
          expect(bad.length).toBeGreaterThan(0)
          expect(err.code).toBe('input')
          for (const v of bad.slice(0, 10)) expect(err.line()).toContain(v.name)
          expect(err.line()).toMatch(/--format shell.*--format json.*docker-secrets/)
          return
        }
        expect(bad).toEqual([])
        rendered++
        const { text, warnings } = renderVariables(vs, 'dotenv')
        expect(warnings).toEqual([])
        expect(dotenv.parse(text)).toEqual(record(vs))
        expect(dotenv.parse(text, { fast: true })).toEqual(record(vs))
        expect(dotenvx.parse(text, { processEnv: {} })).toEqual(record(vs))
      }),
      { numRuns: 600 },
    )
    expect(rendered).toBeGreaterThan(100)
  })

  // The real programs, as users run them, on one file holding a few hundred generated values:
  // `dotenvx get`, `dotenvx run`, and bash `set -a; . ./file`; none may create the canary file.
  it.runIf(bashOk)('real dotenvx (get, run) and bash read every written value back exactly and run nothing', () => {
    const generated = fc.sample(value, { numRuns: 400, seed: 9 })
    const named = ["a'b'$(touch canary)", "it's $(touch canary)", "it's `touch canary`", '$(touch canary)', '`touch canary`', '${HOME}', "it's", 'C:\\path\\', 'x\\', 'line1\nline2', ' #c ', 'a=b']
    const written: string[] = []
    for (const v of [...named, ...generated]) {
      const err = refusal(vars([v]))
      expect(err !== undefined, JSON.stringify(v)).toBe(unwritable(v))
      if (err === undefined) written.push(v)
    }
    expect(written.length).toBeGreaterThan(250)
    expect(written).toContain('$(touch canary)')
    expect(written).toContain("it's")
    const vs = vars(written)
    const dir = tempDir()
    writeFileSync(join(dir, 'out.env'), renderVariables(vs, 'dotenv').text)
    const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8' }
    const canary = join(dir, 'canary')

    const get = spawnSync(process.execPath, [DOTENVX, 'get', '-f', 'out.env', '--format', 'json'], { cwd: dir, env, encoding: 'utf8' })
    expect(get.status, get.stderr).toBe(0)
    expect(JSON.parse(get.stdout)).toEqual(record(vs))
    expect(existsSync(canary)).toBe(false)

    const printEnv = `process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => /^V[0-9]+$/.test(k)))))`
    const run = spawnSync(process.execPath, [DOTENVX, 'run', '-f', 'out.env', '--', process.execPath, '-e', printEnv], { cwd: dir, env, encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual(record(vs))
    expect(existsSync(canary)).toBe(false)

    const script = `set -a; . ./out.env; for i in $(seq 0 ${vs.length - 1}); do n="V$i"; printf '%s\\0' "\${!n}"; done`
    const sh = spawnSync('bash', ['-c', script], { cwd: dir, env, encoding: 'utf8' })
    expect(sh.status, sh.stderr).toBe(0)
    expect(sh.stderr).toBe('')
    expect(sh.stdout.split('\0').slice(0, -1)).toEqual(written)
    expect(existsSync(canary)).toBe(false)
  })

  it('the values the issue names come back exactly, or are refused', () => {
    const vs = vars(["it's", 'say "hi"', 'a#b # c', '$HOME ${PATH} $(id)', 'line1\nline2\n', 'ünïcødé ✓ 😀', '  padded  ', 'C:\\path\\', 'a=b=c', '', '`id`'])
    const { text, warnings } = renderVariables(vs, 'dotenv')
    expect(warnings).toEqual([])
    expect(dotenv.parse(text)).toEqual(record(vs))
    expect(dotenvx.parse(text, { processEnv: {} })).toEqual(record(vs))
    for (const bad of ["a'b'$(touch /tmp/x)", 'cr\r\nlf', 'it\'s "all" `three`', 'encrypted:BDx', 'nul\0']) {
      expect(refusal(vars([bad])), JSON.stringify(bad)).toBeInstanceOf(SecretsError)
    }
  })

  it('refuses a value no dotenv quoting can hold, naming the variable and not the value', () => {
    const one = refusal(vars([`it's $(secret-value)`]))
    expect(one?.line()).toMatch(/^the value of V0 cannot be written .* \(\["V0"\]\) - use --format shell \(for `source`\) or --format json, or render docker-secrets/)
    expect(one?.line()).not.toContain('secret-value')
    const many = refusal(vars(['fine', `'"\`secret-value`, 'ok', "'$secret-value"]))
    expect(many?.line()).toMatch(/^the values of V1, V3 cannot be written/)
    expect(many?.line()).not.toContain('secret-value')
  })
})

describe('shell format', () => {
  it('refuses a NUL byte (a shell drops it), naming the variable', () => {
    expect(() => renderVariables(vars(['ok', 'a\0b']), 'shell')).toThrow(/^the value of V1 contains a NUL byte/)
  })

  it.runIf(bashOk)('bash `set -a; . ./file` reads every value back exactly', () => {
    const values = fc.sample(
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, '')),
      { numRuns: 200, seed: 42 },
    )
    const vs = vars([...values, "it's", "'", "''", '\n', 'x\n', '$(touch pwned)', '`touch pwned`', "'$(touch pwned)'", '\\', "a'b'$(touch pwned)"])
    const dir = tempDir()
    writeFileSync(join(dir, 'env.sh'), renderVariables(vs, 'shell').text)
    const script = `set -a; . ./env.sh; for i in $(seq 0 ${vs.length - 1}); do n="V$i"; printf '%s\\0' "\${!n}"; done`
    const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(vs.map((v) => v.value))
    expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.trim()).toBe('env.sh') // nothing was executed
  })
})

describe('docker and json formats', () => {
  it('docker: NAME=value with everything after = literal; refuses line breaks', () => {
    expect(renderVariables(vars(['a "b" #c', ' lead', '$X']), 'docker').text).toBe('V0=a "b" #c\nV1= lead\nV2=$X\n')
    for (const bad of ['a\nb', 'a\r']) {
      expect(() => renderVariables(vars([bad]), 'docker')).toThrow(/line break.*docker --env-file/)
    }
  })
  it('json: an object of strings', () => {
    const vs = vars(['x\ny', '1'])
    expect(JSON.parse(renderVariables(vs, 'json').text)).toEqual(record(vs))
  })
  it('names must be valid variable names', () => {
    expect(() => renderVariables([{ name: 'a-b', value: 'x', path: ['a-b'] }], 'dotenv')).toThrow(/not a valid environment variable name/)
  })
})
