// .env output read back by the real parsers: the `dotenv` package (its classic and fast parsers),
// dotenvx, and bash for the shell format; random values full of quotes, `$`, `#`, `\`, line breaks.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/errors.js'
import type { EnvVar } from '../../src/outputs/env.js'
import { renderVariables } from '../../src/outputs/dotenv.js'
import { tempDir } from '../support/cli.js'

const require = createRequire(import.meta.url)
const dotenv = require('dotenv') as { parse(src: string, opts?: { fast?: boolean }): Record<string, string> }
const dotenvx = require('@dotenvx/dotenvx') as { parse(src: string, opts?: { processEnv?: Record<string, string> }): Record<string, string> }

const tricky = fc.constantFrom("'", '"', '`', '$', '\\', '#', '\n', '\r', ' ', '\t', '=', '{', '}', '(', ')', 'n', 'r', 'A', 'z', '0', 'é', '😀', '\u2028', '$HOME', '${X}', '$(id)', '\\n', ' #c')
const value = fc.array(tricky, { maxLength: 12 }).map((a) => a.join(''))
const vars = (values: string[]): EnvVar[] => values.map((v, i) => ({ name: `V${i}`, value: v, path: [`V${i}`] }))
const record = (vs: EnvVar[]): Record<string, string> => Object.fromEntries(vs.map((v) => [v.name, v.value]))

describe('dotenv format', () => {
  it('round-trips through dotenv (classic and fast parsers) and, where it says so, dotenvx', () => {
    let rendered = 0
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (values) => {
        const vs = vars(values)
        let out: { text: string; warnings: string[] }
        try {
          out = renderVariables(vs, 'dotenv')
        } catch (e) {
          // Refused only when no quoting can hold the value: ' or CR, ` or CR, and " or \n/\r text.
          expect(e).toBeInstanceOf(SecretsError)
          expect(values.some((v) => /['\r]/.test(v) && /[`\r]/.test(v) && (v.includes('"') || /\\[nr]/.test(v)))).toBe(true)
          return
        }
        rendered++
        expect(dotenv.parse(out.text)).toEqual(record(vs))
        expect(dotenv.parse(out.text, { fast: true })).toEqual(record(vs))
        const safe = vs.filter((v) => !out.warnings.some((w) => w.startsWith(`${v.name}:`)))
        const viaDotenvx = dotenvx.parse(out.text, { processEnv: {} })
        for (const v of safe) expect(viaDotenvx[v.name], v.name).toBe(v.value)
      }),
      { numRuns: 600 },
    )
    expect(rendered).toBeGreaterThan(100)
  })

  it('the values the issue names come back exactly', () => {
    const vs = vars(["it's", 'say "hi"', 'a#b # c', '$HOME ${PATH} $(id)', 'line1\nline2\n', 'ünïcødé ✓ 😀', '  padded  ', 'C:\\path\\', 'a=b=c', '', 'cr\r\nlf', 'it\'s "all" `three`'])
    const { text, warnings } = renderVariables(vs, 'dotenv')
    expect(warnings).toEqual([])
    expect(dotenv.parse(text)).toEqual(record(vs))
    expect(dotenvx.parse(text, { processEnv: {} })).toEqual(record(vs))
  })

  it('refuses a value no dotenv quoting can hold, naming the variable and not the value', () => {
    const e = (() => {
      try {
        renderVariables(vars([`'"\`secret-value`]), 'dotenv')
      } catch (err) {
        return err as SecretsError
      }
      throw new Error('expected an error')
    })()
    expect(e.line()).toContain('V0')
    expect(e.line()).not.toContain('secret-value')
  })
})

describe('shell format', () => {
  it('bash `set -a; . ./file` reads every value back exactly', () => {
    const values = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/\0/g, '')), { numRuns: 200, seed: 42 })
    const vs = vars([...values, "it's", "'", "''", '\n', 'x\n', '$(touch pwned)', '`id`', '\\'])
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
