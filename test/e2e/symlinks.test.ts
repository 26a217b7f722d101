// Every command that writes acts on the real file behind a symlink: the link stays a link, the real
// file changes (atomically, its lock and temp file beside it), a chain of links is followed, a
// dangling link and a loop end in one clear line. Real files, real symlinks, the built CLI.
import { describe, expect, it } from 'vitest'
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { as, identity, sandbox, type Identity, type Sandbox } from '../support/cli.js'

interface Setup {
  s: Sandbox
  a: Identity
  b: Identity
  real: string
  link: string
}

/** real/prod.yaml encrypted for a and b; links/prod.yaml -> ../real/prod.yaml (another folder). */
function setup(): Setup {
  const s = sandbox()
  const a = identity(s, 'a')
  const b = identity(s, 'b')
  writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${a.recipient},${b.recipient}\n`)
  mkdirSync(join(s.dir, 'real'))
  mkdirSync(join(s.dir, 'links'))
  const real = join(s.dir, 'real', 'prod.yaml')
  writeFileSync(real, 'db:\n    password: hunter2\nport: 5432\n')
  expect(s.run(['encrypt', '-i', 'real/prod.yaml']).code).toBe(0)
  const link = join(s.dir, 'links', 'prod.yaml')
  symlinkSync('../real/prod.yaml', link)
  return { s, a, b, real, link }
}

function decryptJson(s: Sandbox, file: string, env: NodeJS.ProcessEnv): unknown {
  const r = s.run(['decrypt', file, '--output-type', 'json'], { env })
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout)
}

/** The link is still the same link, and no leftovers (lock, temp) sit in either folder. */
function expectLinkIntact(t: Setup): void {
  expect(lstatSync(t.link).isSymbolicLink()).toBe(true)
  expect(readlinkSync(t.link)).toBe('../real/prod.yaml')
  expect(readdirSync(join(t.s.dir, 'links'))).toEqual(['prod.yaml'])
  expect(readdirSync(join(t.s.dir, 'real'))).toEqual(['prod.yaml'])
}

const oneLine = (stderr: string): void => {
  expect(stderr.trim().split('\n')).toHaveLength(1)
  expect(stderr).toMatch(/^secrets: /)
  expect(stderr).not.toMatch(/\n\s+at /)
}

describe('symlinks: writes go to the real file', () => {
  it('set and unset through a link change the real file and keep the link', () => {
    const t = setup()
    const set = t.s.run(['set', 'links/prod.yaml', 'db.user'], { input: 'app', env: as(t.a) })
    expect(set.code, set.stderr).toBe(0)
    expectLinkIntact(t)
    expect(decryptJson(t.s, 'real/prod.yaml', as(t.a))).toEqual({ db: { password: 'hunter2', user: 'app' }, port: 5432 })
    const unset = t.s.run(['unset', 'links/prod.yaml', 'port'], { env: as(t.a) })
    expect(unset.code, unset.stderr).toBe(0)
    expectLinkIntact(t)
    expect(decryptJson(t.s, 'real/prod.yaml', as(t.a))).toEqual({ db: { password: 'hunter2', user: 'app' } })
  })

  it('rotate --rm-age through a link: the real file no longer opens with the removed key', () => {
    const t = setup()
    const before = readFileSync(t.real, 'utf8')
    const r = t.s.run(['rotate', 'links/prod.yaml', '--rm-age', t.b.recipient], { env: as(t.a) })
    expect(r.code, r.stderr).toBe(0)
    expectLinkIntact(t)
    expect(readFileSync(t.real, 'utf8')).not.toBe(before)
    expect(readFileSync(t.real, 'utf8')).not.toContain(t.b.recipient)
    expect(t.s.run(['decrypt', 'real/prod.yaml'], { env: as(t.b) }).code).toBe(128)
    expect(decryptJson(t.s, 'real/prod.yaml', as(t.a))).toEqual({ db: { password: 'hunter2' }, port: 5432 })
  })

  it('updatekeys through a link re-keys the real file', () => {
    const t = setup()
    writeFileSync(join(t.s.dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${t.a.recipient}\n`) // b leaves
    const r = t.s.run(['updatekeys', 'links/prod.yaml', '--yes'], { env: as(t.a) })
    expect(r.code, r.stderr).toBe(0)
    expectLinkIntact(t)
    expect(readFileSync(t.real, 'utf8')).not.toContain(t.b.recipient)
    expect(t.s.run(['decrypt', 'real/prod.yaml'], { env: as(t.b) }).code).toBe(128)
  })

  it('edit through a link saves into the real file', () => {
    const t = setup()
    const editor = join(t.s.home, 'ed.sh')
    writeFileSync(editor, "#!/bin/sh\nsed -i 's/hunter2/changed-pw/' \"$1\"\n", { mode: 0o755 })
    const r = t.s.run(['edit', 'links/prod.yaml'], { env: { ...as(t.a), EDITOR: editor } })
    expect(r.code, r.stderr).toBe(0)
    expectLinkIntact(t)
    expect(decryptJson(t.s, 'real/prod.yaml', as(t.a))).toEqual({ db: { password: 'changed-pw' }, port: 5432 })
  })

  it('a chain of links is followed to the end; the real file keeps its mode', () => {
    const t = setup()
    const chain = join(t.s.dir, 'chain.yaml')
    symlinkSync(t.link, chain) // chain.yaml -> links/prod.yaml -> real/prod.yaml
    const mode = statSync(t.real).mode & 0o777
    const r = t.s.run(['set', 'chain.yaml', 'port'], { input: '6543', env: as(t.a) })
    expect(r.code, r.stderr).toBe(0)
    expect(lstatSync(chain).isSymbolicLink()).toBe(true)
    expectLinkIntact(t)
    expect(statSync(t.real).mode & 0o777).toBe(mode)
    expect(decryptJson(t.s, 'real/prod.yaml', as(t.a))).toEqual({ db: { password: 'hunter2' }, port: '6543' })
  })

  it('the lock is the real file\'s: a command through the link waits for a holder of the real file\'s lock', () => {
    const t = setup()
    // A live process (this test runner) holds real/.prod.yaml.lock.
    writeFileSync(join(t.s.dir, 'real', '.prod.yaml.lock'), `${process.pid}\n${hostname()}\n`)
    const before = readFileSync(t.real)
    const r = t.s.run(['set', 'links/prod.yaml', 'port'], { input: '1', env: { ...as(t.a), SECRETS_LOCK_TIMEOUT_MS: '300' } })
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/locked by another secrets process/)
    expect(readFileSync(t.real)).toEqual(before)
    expect(lstatSync(t.link).isSymbolicLink()).toBe(true)
  })

  it('encrypt -i, decrypt -i, decrypt -o, render -o and keygen -o write through links', () => {
    const t = setup()
    const { s } = t
    // encrypt -i / decrypt -i of a plain file behind a link
    writeFileSync(join(s.dir, 'real', 'plain.yaml'), 'token: abc\n')
    symlinkSync('real/plain.yaml', join(s.dir, 'plain-link.yaml'))
    expect(s.run(['encrypt', '-i', 'plain-link.yaml']).code).toBe(0)
    expect(lstatSync(join(s.dir, 'plain-link.yaml')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(s.dir, 'real', 'plain.yaml'), 'utf8')).toMatch(/token: ENC\[AES256_GCM,/)
    const di = s.run(['decrypt', '-i', 'plain-link.yaml'], { env: as(t.a) })
    expect(di.code, di.stderr).toBe(0)
    expect(lstatSync(join(s.dir, 'plain-link.yaml')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(s.dir, 'real', 'plain.yaml'), 'utf8')).toBe('token: abc\n')
    expect(statSync(join(s.dir, 'real', 'plain.yaml')).mode & 0o777).toBe(0o600)

    // decrypt -o and render -o onto existing links, and onto a dangling link (creates its target)
    mkdirSync(join(s.dir, 'out'))
    writeFileSync(join(s.dir, 'out', 'dec.yaml'), 'old\n')
    symlinkSync('out/dec.yaml', join(s.dir, 'dec-link.yaml'))
    expect(s.run(['decrypt', 'real/prod.yaml', '-o', 'dec-link.yaml'], { env: as(t.a) }).code).toBe(0)
    expect(lstatSync(join(s.dir, 'dec-link.yaml')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(s.dir, 'out', 'dec.yaml'), 'utf8')).toContain('password: hunter2')
    symlinkSync('out/new.env', join(s.dir, 'dangling.env'))
    const rd = s.run(['render', 'dotenv', 'real/prod.yaml', '-o', 'dangling.env'], { env: as(t.a) })
    expect(rd.code, rd.stderr).toBe(0)
    expect(lstatSync(join(s.dir, 'dangling.env')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(s.dir, 'out', 'new.env'), 'utf8')).toContain('hunter2')
    expect(statSync(join(s.dir, 'out', 'new.env')).mode & 0o777).toBe(0o600)

    // keygen -o appends to the real key file
    const keys = join(s.home, 'keys.txt')
    writeFileSync(keys, '# existing\n', { mode: 0o600 })
    symlinkSync(keys, join(s.home, 'keys-link.txt'))
    expect(s.run(['keygen', '-q', '-o', join(s.home, 'keys-link.txt')]).code).toBe(0)
    expect(lstatSync(join(s.home, 'keys-link.txt')).isSymbolicLink()).toBe(true)
    expect(readFileSync(keys, 'utf8')).toMatch(/^# existing\n[\s\S]*AGE-SECRET-KEY-1/)
    expect(readdirSync(join(s.dir, 'out')).sort()).toEqual(['dec.yaml', 'new.env'])
  })

  it('init writes .gitignore and the config through links', () => {
    const s = sandbox()
    mkdirSync(join(s.dir, 'shared'))
    writeFileSync(join(s.dir, 'shared', 'gitignore'), 'node_modules/\n')
    symlinkSync('shared/gitignore', join(s.dir, '.gitignore'))
    const r = s.run(['init', 'production'])
    expect(r.code, r.stderr).toBe(0)
    expect(lstatSync(join(s.dir, '.gitignore')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(s.dir, 'shared', 'gitignore'), 'utf8')).toMatch(/^node_modules\/\n[\s\S]*^\*\.secrets-tmp$/m)
  })
})

describe('symlinks: dangling links and loops', () => {
  it('a dangling link names its missing target, in one line, for reading and changing commands', () => {
    const t = setup()
    symlinkSync('gone.yaml', join(t.s.dir, 'dangling.yaml'))
    symlinkSync('gone', join(t.s.dir, 'dangling'))
    for (const args of [['decrypt', 'dangling.yaml'], ['decrypt', 'dangling'], ['rotate', 'dangling.yaml'], ['unset', 'dangling.yaml', 'x']]) {
      const r = t.s.run(args, { env: as(t.a) })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr)
      expect(r.stderr).toContain('symbolic link to ')
      expect(r.stderr).toContain('which does not exist')
    }
    const set = t.s.run(['set', 'dangling.yaml', 'x'], { input: 'v', env: as(t.a) })
    expect(set.code).toBe(3)
    oneLine(set.stderr)
    expect(set.stderr).toContain('symbolic link to ')
    expect(lstatSync(join(t.s.dir, 'dangling.yaml')).isSymbolicLink()).toBe(true)
  })

  it('a symlink loop is one line: exit 3 when read, 5 when written to, nothing created', () => {
    const t = setup()
    symlinkSync('loop-b.yaml', join(t.s.dir, 'loop-a.yaml'))
    symlinkSync('loop-a.yaml', join(t.s.dir, 'loop-b.yaml'))
    symlinkSync('loop-b', join(t.s.dir, 'loop-a'))
    symlinkSync('loop-a', join(t.s.dir, 'loop-b'))
    const names = readdirSync(t.s.dir).sort()
    for (const args of [['decrypt', 'loop-a.yaml'], ['decrypt', 'loop-a'], ['set', 'loop-a.yaml', 'k'], ['rotate', 'loop-a.yaml']]) {
      const r = t.s.run(args, { input: 'v', env: as(t.a) })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr)
      expect(r.stderr).toContain('symlink loop')
    }
    const out = t.s.run(['decrypt', 'real/prod.yaml', '-o', 'loop-a.yaml'], { env: as(t.a) })
    expect(out.code).toBe(5)
    oneLine(out.stderr)
    expect(out.stderr).toContain('symlink loop')
    expect(readdirSync(t.s.dir).sort()).toEqual(names)
  })
})
