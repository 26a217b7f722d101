// A file left half-merged by git (conflict markers) is reported as a merge conflict with the way
// out, in every format and by every command that reads it; and `edit --ignore-mac` with no change
// still writes a fresh, valid MAC.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sandbox, type Sandbox } from '../support/cli.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const CONFLICT = /^secrets: the file has git merge conflict markers \(<<<<<<< at line \d+, then ======= and >>>>>>>\): a merge or rebase was not finished \(([^)]+)\) - /

function git(s: Sandbox, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd: s.dir, encoding: 'utf8', env: { ...s.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
  return r.stdout + r.stderr
}

/** Two versions of a file, joined as git writes a conflict over the whole file. */
const conflicted = (ours: string, theirs: string): string => `<<<<<<< HEAD\n${ours}=======\n${theirs}>>>>>>> other\n`

describe.runIf(requireTool(toolOnPath('git'), 'git'))('git merge conflicts', () => {
  it('a real conflicting merge of an encrypted file: every reading command says so and how to resolve it (exit 3)', () => {
    const s = sandbox()
    git(s, 'init', '-q', '-b', 'main', '.')
    expect(s.run(['init', 'production', '-q']).code).toBe(0)
    git(s, 'add', '-A')
    git(s, 'commit', '-qm', 'init')
    git(s, 'checkout', '-qb', 'other')
    expect(s.run(['set', 'production', 'API_TOKEN', '-q'], { input: 'theirs-token' }).code).toBe(0)
    git(s, 'commit', '-qam', 'other')
    git(s, 'checkout', '-q', 'main')
    expect(s.run(['set', 'production', 'API_TOKEN', '-q'], { input: 'ours-token' }).code).toBe(0)
    git(s, 'commit', '-qam', 'main')
    expect(git(s, 'merge', 'other')).toMatch(/CONFLICT/)
    const file = join(s.dir, 'secrets', 'production.yaml')
    const before = readFileSync(file)
    for (const args of [
      ['decrypt', 'production'],
      ['exec', 'production', '--', 'true'],
      ['render', 'dotenv', 'production'],
      ['get', 'production', 'API_TOKEN'],
      ['updatekeys', 'production', '-y'],
    ]) {
      const r = s.run(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3)
      expect(r.stderr).toMatch(CONFLICT)
      expect(r.stderr).toContain(
        "(secrets/production.yaml) - an encrypted file cannot be merged line by line: keep one side (git checkout --ours or --theirs on the file), then redo the other side's changes with secrets edit or secrets set",
      )
      expect(r.stderr.split('\n').length).toBe(2) // one line
      expect(r.stderr).not.toMatch(/token|Implicit/)
    }
    const set = s.run(['set', 'production', 'X', '-q'], { input: 'x' })
    expect(set.code).toBe(3)
    expect(set.stderr).toMatch(CONFLICT)
    expect(readFileSync(file).equals(before)).toBe(true)
    // The way out the message gives works.
    git(s, 'checkout', '--theirs', 'secrets/production.yaml')
    expect(s.run(['set', 'production', 'API_TOKEN', '-q'], { input: 'merged-token' }).code).toBe(0)
    const d = s.run(['decrypt', 'production', '--extract', 'API_TOKEN'])
    expect(d.stdout).toBe('merged-token')
  })
})

describe('conflict markers in every format', () => {
  const PLAIN: Record<string, [string, string]> = {
    'secrets/a.yaml': ['A: one\nB: two\n', 'A: uno\nB: two\n'],
    'secrets/a.json': ['{"A": "one"}\n', '{"A": "uno"}\n'],
    'secrets/a.env': ['A=one\n', 'A=uno\n'],
    'secrets/a.ini': ['[s]\nA = one\n', '[s]\nA = uno\n'],
  }

  it('encrypted yaml, json, dotenv and ini files, and plain input to encrypt', () => {
    const s = sandbox()
    expect(s.run(['init', '-q']).code).toBe(0)
    for (const [name, [ours, theirs]] of Object.entries(PLAIN)) {
      const path = join(s.dir, name)
      // plain input to `encrypt`
      writeFileSync(path, conflicted(ours, theirs))
      const e = s.run(['encrypt', name])
      expect(e.code, name).toBe(3)
      expect(e.stderr).toMatch(CONFLICT)
      expect(e.stderr).toContain(`(${name}) - edit the file to keep the lines you want and delete the marker lines, then git add it`)
      // encrypted: two encryptions of the two sides, merged as git would leave them
      const enc = (text: string): string => {
        writeFileSync(path, text)
        const r = s.run(['encrypt', name])
        expect(r.code, r.stderr).toBe(0)
        return r.stdout
      }
      writeFileSync(path, conflicted(enc(ours), enc(theirs)))
      const d = s.run(['decrypt', name])
      expect(d.code, name).toBe(3)
      expect(d.stderr, name).toMatch(CONFLICT)
      expect(d.stderr).toContain('an encrypted file cannot be merged line by line')
    }
  })

  it('a file that merely contains a marker-like line in a value is read normally', () => {
    const s = sandbox()
    expect(s.run(['init', '-q']).code).toBe(0)
    writeFileSync(join(s.dir, 'secrets', 'v.yaml'), 'note: |\n    <<<<<<< not a conflict\n    =======\n')
    const r = s.run(['encrypt', 'secrets/v.yaml'])
    expect(r.code, r.stderr).toBe(0)
  })

  it('a config file with conflict markers', () => {
    const s = sandbox()
    expect(s.run(['init', '-q']).code).toBe(0)
    const cfg = join(s.dir, '.secretsrc.yaml')
    const text = readFileSync(cfg, 'utf8')
    writeFileSync(cfg, conflicted(text, text.replace('secrets', 'secret')))
    const r = s.run(['decrypt', 'development'])
    expect(r.code).toBe(4)
    expect(r.stderr).toBe(
      `secrets: the config file has git merge conflict markers (<<<<<<< at line 1, then ======= and >>>>>>>): a merge or rebase was not finished (${cfg}) - edit it to keep the lines you want and delete the marker lines, then git add it\n`,
    )
  })
})

describe('edit --ignore-mac', () => {
  it('with no change still writes a fresh, valid MAC', () => {
    const s = sandbox()
    expect(s.run(['init', 'production', '-q']).code).toBe(0)
    const file = join(s.dir, 'secrets', 'production.yaml')
    writeFileSync(file, 'TOKEN: t0k\nLEVEL_unencrypted: info\n')
    expect(s.run(['encrypt', '-i', file, '-q']).code).toBe(0)
    // Break the MAC: a value that was in clear changes outside secrets.
    writeFileSync(file, readFileSync(file, 'utf8').replace('LEVEL_unencrypted: info', 'LEVEL_unencrypted: debug'))
    expect(s.run(['decrypt', 'production']).code).toBe(51)
    const editor = join(s.home, 'noop.sh')
    writeFileSync(editor, '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    const r = s.run(['edit', 'production', '--ignore-mac'], { env: { EDITOR: editor } })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('no changes to the values: saved secrets/production.yaml with a fresh, valid MAC')
    const d = s.run(['decrypt', 'production'])
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toBe('TOKEN: t0k\nLEVEL_unencrypted: debug\n')
    // With a valid MAC, an unchanged edit still leaves the file alone.
    const before = readFileSync(file)
    const again = s.run(['edit', 'production', '--ignore-mac'], { env: { EDITOR: editor } })
    expect(again.stderr).toContain('no changes: secrets/production.yaml was not rewritten')
    expect(readFileSync(file).equals(before)).toBe(true)
  })
})
