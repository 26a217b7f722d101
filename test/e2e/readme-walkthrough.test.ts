// The README's five-minute walkthrough, run as written: every ```sh block of that section, in
// order, in one bash (set -euo pipefail), with `secrets` on PATH. A block's first line names who
// runs it (`# you`, `# bob...`): each has a HOME of their own, and they share the repository, as a
// clone would. The one placeholder, `BOB=age1...`, becomes the recipient Bob's `secrets keygen`
// made. If a command in the README stops working, or stops doing what the text says, this fails.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT, tempDir } from '../support/cli.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const hasGit = requireTool(toolOnPath('git'), 'git')

/** The ```sh blocks of the README's walkthrough section, with who runs each. */
function walkthroughBlocks(readme: string): { actor: string; code: string }[] {
  const start = readme.indexOf('\n## Five-minute walkthrough')
  if (start < 0) throw new Error('README has no "## Five-minute walkthrough" section')
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => {
    const code = m[1]!
    const actor = /^# (\w+)/.exec(code)?.[1]
    if (actor === undefined) throw new Error(`a walkthrough block does not say who runs it:\n${code}`)
    return { actor, code }
  })
}

describe.runIf(hasGit)('README walkthrough', () => {
  it('runs as written: set, decrypt, exec; Bob is added, can decrypt, is removed and cannot', () => {
    const blocks = walkthroughBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    expect(blocks.map((b) => b.actor)).toEqual(['you', 'bob', 'you', 'bob', 'you', 'bob'])
    const base = tempDir('secrets-readme-')
    const bin = join(base, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'secrets'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    chmodSync(join(bin, 'secrets'), 0o755)
    const homes: Record<string, string> = {}
    let script = 'set -euo pipefail\n'
    for (const { actor, code } of blocks) {
      const home = (homes[actor] ??= join(base, `home-${actor}`))
      mkdirSync(home, { recursive: true })
      script += `echo "=== ${actor}"\nexport HOME='${home}' XDG_CONFIG_HOME='${home}/.config'\n`
      script += code.replace(/^BOB=age1\.\.\./m, `BOB=$(grep -o 'age1[0-9a-z]*' '${join(base, 'home-bob', '.config', 'sops', 'age', 'keys.txt')}' | head -1)`)
    }
    const env: NodeJS.ProcessEnv = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      LANG: 'C.UTF-8',
      GIT_AUTHOR_NAME: 'You',
      GIT_AUTHOR_EMAIL: 'you@example.com',
      GIT_COMMITTER_NAME: 'You',
      GIT_COMMITTER_EMAIL: 'you@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    }
    const r = spawnSync('bash', ['-c', script], { cwd: base, env, encoding: 'utf8' })
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0)
    const parts = r.stdout.split(/^=== /m).slice(1)
    expect(parts).toHaveLength(6)
    const [you1, bob1, , bob2, , bob3] = parts
    expect(you1).toMatch(/^age1[0-9a-z]{58}$/m) // keygen's recipient
    expect(you1).toContain('DATABASE_PASSWORD: s3cret\n') // decrypt
    expect(you1).toContain('the app sees a password of 6 characters\n') // exec
    expect(bob1).toMatch(/^age1[0-9a-z]{58}$/m)
    expect(bob2).toContain('DATABASE_PASSWORD: s3cret\n')
    expect(bob3).toContain('no access any more (exit 128)')
    expect(bob3).not.toContain('s3cret')
    expect(r.stderr).toMatch(/rotated 2 files/)
    expect(r.stderr).not.toMatch(/s3cret/)
    // Bob's key is in no file any more; the files are committed encrypted
    const app = join(base, 'myapp')
    for (const env of ['development', 'production']) {
      const text = readFileSync(join(app, 'secrets', `${env}.yaml`), 'utf8')
      expect(text).not.toContain('s3cret')
      expect((text.match(/recipient: age1/g) ?? []).length).toBe(1)
    }
    const log = spawnSync('git', ['log', '--format=%s'], { cwd: app, env, encoding: 'utf8' }).stdout
    expect(log).toBe('secrets: remove Bob\nsecrets: add Bob\nencrypted secrets\n')
  })
})
