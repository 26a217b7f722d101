// Every command's --help is the short form of its section in docs/commands.md: the same flags
// (long and short forms) on both sides, and a section for every command the program lists. For
// set/unset/get (one section, one table with a "commands" column) the rows naming the command
// count; for `render X`, the flags common to every render command are in the render section.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT, tempDir } from '../support/cli.js'

const doc = readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8').split('\n')

const home = tempDir('secrets-help-')

function help(args: string[]): string {
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), COLUMNS: '300' }
  const r = spawnSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8', env })
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
}

const FLAG = /(?<![\w-])--?[a-zA-Z][\w-]*/g

/** The flags of a --help's Options: block (their first column), without -h/--help. */
function helpFlags(text: string): string[] {
  const block = text.split(/^Options:\n/m)[1]?.split(/\n\n|^Commands:/m)[0] ?? ''
  const flags = block
    .split('\n')
    .filter((l) => /^\s{2}-/.test(l))
    .flatMap(
      (l) =>
        l
          .trim()
          .split(/\s{2,}/)[0]!
          .match(FLAG) ?? [],
    )
  return [...new Set(flags)].filter((f) => f !== '-h' && f !== '--help').sort()
}

/** Lines of the docs section whose heading starts with `secrets <cmd>`, down to the next heading of its level or above. */
function section(cmd: string): string[] {
  const i = doc.findIndex((l) => /^#{3,4} /.test(l) && l.includes('`secrets ' + cmd) && new RegExp('`secrets ' + cmd + '[ `]').test(l))
  if (i < 0) return []
  const level = /^#+/.exec(doc[i]!)![0].length
  let j = i + 1
  while (j < doc.length && !(/^#+ /.test(doc[j]!) && /^#+/.exec(doc[j]!)![0].length <= level)) j++
  return doc.slice(i, j)
}

/** Flags in the first column of the section's flag tables (rows of another command excluded). */
function docFlags(lines: string[], cmd: string): string[] {
  const flags: string[] = []
  let commandsColumn = false
  for (const l of lines) {
    if (/^\| flag[^|]*\| commands \|/.test(l)) commandsColumn = true
    else if (/^\| flag/.test(l)) commandsColumn = false
    if (!/^\| `-/.test(l)) continue
    const cells = l.split('|').map((c) => c.trim())
    if (commandsColumn && !cells[2]!.split(/,\s*/).includes(cmd)) continue
    flags.push(...(cells[1]!.match(FLAG) ?? []))
  }
  return [...new Set(flags)].sort()
}

const top = help([])
const commands = [...top.split(/^Commands:\n/m)[1]!.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help')
const renderSubs = [
  ...help(['render'])
    .split(/^Commands:\n/m)[1]!
    .matchAll(/^ {2}([a-z][\w-]*)/gm),
]
  .map((m) => m[1]!)
  .filter((c) => c !== 'help')

describe('--help against docs/commands.md', () => {
  it('lists the commands we expect (the check below covers each)', () => {
    expect(commands).toEqual(expect.arrayContaining(['keygen', 'init', 'encrypt', 'decrypt', 'edit', 'set', 'unset', 'get', 'rotate', 'updatekeys', 'render', 'exec', 'exec-file']))
    expect(renderSubs).toEqual(['dotenv', 'docker-secrets', 'k8s', 'compose'])
  })

  it('the global options match the Overview table', () => {
    const overview = doc.slice(
      doc.indexOf('## Overview'),
      doc.findIndex((l, i) => i > doc.indexOf('## Overview') && /^#{2,3} /.test(l)),
    )
    expect(docFlags(overview, '').filter((f) => f !== '-h' && f !== '--help')).toEqual(helpFlags(top))
  })

  for (const cmd of commands.filter((c) => c !== 'render')) {
    it(`secrets ${cmd} --help: the same flags as its section`, () => {
      const lines = ['set', 'unset', 'get'].includes(cmd) ? section('set') : section(cmd)
      expect(lines.length, `docs/commands.md has no section for secrets ${cmd}`).toBeGreaterThan(0)
      const flags = helpFlags(help([cmd]))
      expect(flags.length).toBeGreaterThan(0)
      expect(docFlags(lines, cmd)).toEqual(flags)
    })
  }

  for (const sub of renderSubs) {
    it(`secrets render ${sub} --help: the same flags as its section with the render-wide ones`, () => {
      const intro = section('render')
      const common = intro.slice(
        0,
        intro.findIndex((l) => l.startsWith('#### ')),
      )
      const lines = section(`render ${sub}`)
      expect(lines.length, `docs/commands.md has no section for secrets render ${sub}`).toBeGreaterThan(0)
      expect([...new Set([...docFlags(common, ''), ...docFlags(lines, '')])].sort()).toEqual(helpFlags(help(['render', sub])))
    })
  }
})
