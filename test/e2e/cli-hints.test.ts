// Issue 9, items 17 and 20, driven as a user types them (built CLI, temp HOME, real age keys):
// unknown commands, `exec` without `--`, `get` of a nested key by its last name, stdin's assumed
// format, --filename-override on decrypt and encrypt, and SOPS_EDITOR's place among the editor
// variables.
import { describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { as, identity, sandbox, type Identity, type Sandbox } from '../support/cli.js'

const oneLine = (stderr: string): void => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(stderr).toMatch(/^secrets: /)
  expect(stderr).not.toMatch(/\n\s+at /)
}

/** A sandbox, one identity, and `nested.yaml` encrypted for it. */
function setup(): { s: Sandbox; a: Identity } {
  const s = sandbox()
  const a = identity(s, 'a')
  writeFileSync(join(s.dir, 'nested.yaml'), 'database:\n    DB_HOST: db.internal\n    password: pw1\napi:\n    token: t1\nworkers:\n    - name: w1\n      token: t2\n')
  const e = s.run(['encrypt', '-i', 'nested.yaml', '--age', a.recipient])
  expect(e.code, e.stderr).toBe(0)
  return { s, a }
}

describe('unknown commands', () => {
  it('`secrets foo --help` and `secrets help foo` are usage errors (exit 2, one line), not the general help with exit 0', () => {
    const s = sandbox()
    for (const args of [['foo', '--help'], ['foo'], ['help', 'foo'], ['foo', '-h']]) {
      const r = s.run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout).toBe('')
      oneLine(r.stderr)
      expect(r.stderr).toContain('unknown command "foo"')
      expect(r.stderr).toContain('secrets --help')
    }
    const typo = s.run(['decryp', '--help'])
    expect(typo.code).toBe(2)
    oneLine(typo.stderr)
    expect(typo.stderr).toMatch(/did you mean `secrets decrypt`/)
    // known commands still answer --help with exit 0
    const ok = s.run(['decrypt', '--help'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('--filename-override')
    expect(s.run(['help', 'decrypt']).code).toBe(0)
  })
})

describe('exec without -- before the command', () => {
  it('an option-like word after the command word says to put -- (and the command does not run)', () => {
    const { s, a } = setup()
    const marker = join(s.dir, 'ran')
    for (const cmd of [
      ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
      ['node', '--version'],
    ]) {
      const r = s.run(['exec', 'nested.yaml', ...cmd], { env: as(a) })
      expect(r.code, r.stderr).toBe(2)
      oneLine(r.stderr)
      expect(r.stderr).toContain(`"${cmd[1]}" comes after the command`)
      expect(r.stderr).toContain('put -- before the command')
      expect(r.stderr).toContain('secrets exec [options] nested.yaml -- COMMAND')
      expect(r.stdout).toBe('') // --version was not answered by secrets itself
    }
    const ef = s.run(['exec-file', 'nested.yaml', 'cat', '-A', '{}'], { env: as(a) })
    expect(ef.code).toBe(2)
    expect(ef.stderr).toContain('put -- before the command')
    // with -- (and options of exec itself before the env) it runs
    const ok = s.run(['exec', '--override', 'nested.yaml', '--', 'node', '-e', 'process.stdout.write(process.env.DATABASE_DB_HOST)'], { env: as(a) })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toBe('db.internal')
    // a command without option-like words still works without --
    writeFileSync(join(s.dir, 'print.js'), 'process.stdout.write(process.env.API_TOKEN)')
    const plain = s.run(['exec', 'nested.yaml', process.execPath, join(s.dir, 'print.js')], { env: as(a) })
    expect(plain.code, plain.stderr).toBe(0)
    expect(plain.stdout).toBe('t1')
  })
})

describe('get of a nested key by its last name', () => {
  it('suggests the full key path(s) ending in that name, exit 3, no value shown', () => {
    const { s, a } = setup()
    const r = s.run(['get', 'nested.yaml', 'DB_HOST'], { env: as(a) })
    expect(r.code).toBe(3)
    oneLine(r.stderr)
    expect(r.stderr).toContain('key not found')
    expect(r.stderr).toContain('did you mean database.DB_HOST?')
    expect(r.stderr).not.toContain('db.internal')
    const many = s.run(['get', 'nested.yaml', 'token'], { env: as(a) })
    expect(many.code).toBe(3)
    expect(many.stderr).toContain('did you mean one of api.token, workers.0.token?')
    expect(many.stderr).not.toMatch(/t1|t2/)
    const folded = s.run(['get', 'nested.yaml', 'db_host'], { env: as(a) })
    expect(folded.stderr).toContain('did you mean database.DB_HOST?')
    const none = s.run(['get', 'nested.yaml', 'nothing_like_it'], { env: as(a) })
    expect(none.code).toBe(3)
    expect(none.stderr).not.toContain('did you mean')
    // the suggestion works
    const ok = s.run(['get', 'nested.yaml', 'database.DB_HOST'], { env: as(a) })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toBe('db.internal')
    // decrypt --extract gets the same help
    const ex = s.run(['decrypt', '--extract', 'password', 'nested.yaml'], { env: as(a) })
    expect(ex.code).toBe(3)
    expect(ex.stderr).toContain('did you mean database.password?')
  })
})

describe('stdin and --filename-override', () => {
  it('decrypt - without --input-type says once on stderr that it read stdin as binary (as sops)', () => {
    const { s, a } = setup()
    const input = readFileSync(join(s.dir, 'nested.yaml'))
    const r = s.run(['decrypt', '-'], { env: as(a), input })
    expect(r.code).not.toBe(0)
    const notes = r.stderr.split('\n').filter((l) => l.includes('reading stdin as binary'))
    expect(notes).toHaveLength(1)
    expect(notes[0]).toContain('--input-type')
    const typed = s.run(['decrypt', '--input-type', 'yaml', '-'], { env: as(a), input })
    expect(typed.code, typed.stderr).toBe(0)
    expect(typed.stderr).toBe('')
    const quiet = s.run(['-q', 'decrypt', '-'], { env: as(a), input })
    expect(quiet.stderr).not.toContain('reading stdin')
  })

  it('decrypt --filename-override decides the input and output formats, for stdin and for a file', () => {
    const { s, a } = setup()
    const input = readFileSync(join(s.dir, 'nested.yaml'))
    const r = s.run(['decrypt', '--filename-override', 'config/app.yaml', '-'], { env: as(a), input })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('DB_HOST: db.internal')
    // a file whose name says nothing (.enc): the override's extension decides
    writeFileSync(join(s.dir, 'nested.enc'), input)
    const f = s.run(['decrypt', '--filename-override', 'nested.yaml', 'nested.enc'], { env: as(a) })
    expect(f.code, f.stderr).toBe(0)
    expect(f.stdout).toContain('DB_HOST: db.internal')
    const j = s.run(['decrypt', '--filename-override', 'nested.yaml', '--output-type', 'json', 'nested.enc'], { env: as(a) })
    expect(JSON.parse(j.stdout).database.DB_HOST).toBe('db.internal')
    // --input-type still wins over the override's extension
    const t = s.run(['decrypt', '--filename-override', 'x.json', '--input-type', 'yaml', 'nested.enc'], { env: as(a) })
    expect(t.code, t.stderr).toBe(0)
    const without = s.run(['decrypt', 'nested.enc'], { env: as(a) })
    expect(without.code).not.toBe(0)
  })

  it('encrypt --filename-override picks the creation rule and the formats, for stdin and for a file', () => {
    const s = sandbox()
    const prod = identity(s, 'prod')
    const dev = identity(s, 'dev')
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: secrets/prod/.*\n    age: ${prod.recipient}\n  - path_regex: secrets/dev/.*\n    age: ${dev.recipient}\n`)
    const r = s.run(['encrypt', '--filename-override', 'secrets/prod/app.json', '-'], { input: '{"token": "p1"}' })
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.sops.age.map((x: { recipient: string }) => x.recipient)).toEqual([prod.recipient])
    writeFileSync(join(s.dir, 'out.json'), r.stdout)
    expect(s.run(['get', 'out.json', 'token'], { env: as(prod) }).stdout).toBe('p1')
    expect(s.run(['get', 'out.json', 'token'], { env: as(dev) }).code).toBe(128)
    // a file anywhere, encrypted as if it were secrets/dev/x.yaml
    writeFileSync(join(s.dir, 'draft.txt'), 'token: d1\n')
    const f = s.run(['encrypt', '--filename-override', 'secrets/dev/x.yaml', 'draft.txt'])
    expect(f.code, f.stderr).toBe(0)
    expect(f.stdout).toMatch(/^token: ENC\[AES256_GCM,/)
    expect(f.stdout).toContain(dev.recipient)
    expect(f.stdout).not.toContain(prod.recipient)
    // stdin with neither an override nor --input-type: a usage error
    const none = s.run(['encrypt', '-'], { input: 'a: 1\n' })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('--filename-override')
  })
})

describe('edit --filename-override', () => {
  it('a new file gets the creation rule and the format of the override path', () => {
    const s = sandbox()
    const prod = identity(s, 'prod')
    const dev = identity(s, 'dev')
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: prod/.*\n    age: ${prod.recipient}\n  - age: ${dev.recipient}\n`)
    const script = join(s.dir, 'ed.js')
    writeFileSync(script, `require('fs').writeFileSync(process.argv[2], '{"token": "new"}')`)
    const r = s.run(['edit', '--filename-override', 'prod/app.json', 'draft.enc'], { env: { EDITOR: `'${process.execPath}' '${script}'` } })
    expect(r.code, r.stderr).toBe(0)
    const doc = JSON.parse(readFileSync(join(s.dir, 'draft.enc'), 'utf8'))
    expect(doc.sops.age.map((x: { recipient: string }) => x.recipient)).toEqual([prod.recipient])
    expect(s.run(['decrypt', '--filename-override', 'x.json', 'draft.enc'], { env: as(prod) }).stdout).toContain('"token": "new"')
  })
})

describe('SOPS_EDITOR', () => {
  const EDITOR = `const fs = require('fs'); const f = process.argv[process.argv.length - 1]; fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/token: .*/, 'token: ' + process.argv[2]))`

  it('is used after SECRETS_EDITOR and before VISUAL and EDITOR', () => {
    const { s, a } = setup()
    const script = join(s.dir, 'ed.js')
    writeFileSync(script, EDITOR)
    const ed = (tag: string): string => `'${process.execPath}' '${script}' ${tag}`
    const env = (vars: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...as(a), ...vars })
    const token = (): string => s.run(['get', 'nested.yaml', 'api.token'], { env: as(a) }).stdout

    let r = s.run(['edit', 'nested.yaml'], { env: env({ SOPS_EDITOR: ed('from-sops'), VISUAL: 'false', EDITOR: 'false' }) })
    expect(r.code, r.stderr).toBe(0)
    expect(token()).toBe('from-sops')
    r = s.run(['edit', 'nested.yaml'], { env: env({ SECRETS_EDITOR: ed('from-secrets'), SOPS_EDITOR: 'false', VISUAL: 'false', EDITOR: 'false' }) })
    expect(r.code, r.stderr).toBe(0)
    expect(token()).toBe('from-secrets')
    r = s.run(['edit', 'nested.yaml'], { env: env({ SOPS_EDITOR: ed('sops-over-editor'), EDITOR: 'false' }) })
    expect(r.code, r.stderr).toBe(0)
    expect(token()).toBe('sops-over-editor')
    // a SOPS_EDITOR that does not exist is named as the source of the failure
    r = s.run(['edit', 'nested.yaml'], { env: env({ SOPS_EDITOR: 'no-such-editor-here', EDITOR: ed('x') }) })
    expect(r.code).toBe(8)
    expect(r.stderr).toContain('(from $SOPS_EDITOR) was not found')
    expect(token()).toBe('sops-over-editor')
  })
})
