// First use as a newcomer meets it: `secrets init` in a fresh git repository with an empty HOME,
// then the printed next steps run literally in bash, up to a working `secrets exec`; and `init`
// in a repository that already has a .sops.yaml (used, never shadowed), with the warning every
// command prints when a .secretsrc.yaml and a .sops.yaml disagree.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, sandbox, type Sandbox } from '../support/cli.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const hasBashAndGit = requireTool(toolOnPath('bash'), 'bash') && requireTool(toolOnPath('git'), 'git')

/** A `secrets` command on PATH (the built CLI), as an installed package provides it. */
function installSecrets(s: Sandbox): NodeJS.ProcessEnv {
  const bin = join(s.home, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'secrets'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 })
  return { ...s.env, PATH: `${bin}${delimiter}${s.env.PATH ?? ''}` }
}

function bash(s: Sandbox, env: NodeJS.ProcessEnv, line: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', line], { cwd: s.dir, env, encoding: 'utf8' })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe.runIf(hasBashAndGit)('the newcomer path', () => {
  it('init, then its next steps pasted literally, reach a working `secrets exec ENV -- printenv NAME`', () => {
    const s = sandbox()
    const env = installSecrets(s)
    expect(bash(s, env, 'git init -q .').code).toBe(0)
    const init = bash(s, env, 'secrets init')
    expect(init.code, init.stderr).toBe(0)
    const lines = init.stderr.split('\n')
    const at = lines.indexOf('secrets: next steps:')
    expect(at, init.stderr).toBeGreaterThan(0)
    const steps = lines
      .slice(at + 1)
      .filter((l) => l.startsWith('secrets:   '))
      .map((l) => l.slice('secrets:   '.length))
    expect(steps.length).toBe(4)

    // An editor that does what a person would: put a real value where the example is.
    const editor = join(s.home, 'editor.sh')
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/^API_TOKEN: .*/API_TOKEN: from-the-editor/' "$1"\n`, { mode: 0o755 })
    const stepEnv = { ...env, EDITOR: editor, VALUE: 'from-set' }
    const outputs = steps.map((step) => {
      const r = bash(s, stepEnv, step)
      expect(r.code, `${step}\n${r.stderr}`).toBe(0)
      return r.stdout
    })
    expect(steps[0]).toMatch(/^secrets exec development -- printenv API_TOKEN\b/)
    expect(outputs[0]).toBe('change-me\n') // the very first exec works
    expect(steps[1]).toMatch(/^secrets edit development\b/)
    expect(steps[2]).toMatch(/^printf %s "\$VALUE" \| secrets set development API_TOKEN\b/)
    expect(steps[3]).toMatch(/^git add /)
    expect(bash(s, env, 'git diff --cached --name-only').stdout.split('\n').sort()).toEqual(['', '.gitignore', '.secretsrc.yaml', 'secrets/development.yaml'])
    const exec = bash(s, env, 'secrets exec development -- printenv API_TOKEN')
    expect(exec.stdout).toBe('from-set\n')

    // The starter file says only true things: keys readable in git, values and comments not;
    // every variable reaches programs under the name the file shows.
    const file = readFileSync(join(s.dir, 'secrets', 'development.yaml'), 'utf8')
    expect(file).toMatch(/^DATABASE_URL: ENC\[/m)
    expect(file).not.toMatch(/^#(?!ENC\[)/m)
    const plain = bash(s, env, 'secrets decrypt development').stdout
    expect(plain).toContain('the values and these comments are encrypted')
    expect(plain).not.toMatch(/_unencrypted/)
    const names = bash(s, env, "secrets exec development -- sh -c 'env | cut -d= -f1 | sort'").stdout.split('\n')
    expect(names).toEqual(expect.arrayContaining(['API_TOKEN', 'DATABASE_URL', 'LOG_LEVEL']))
  })
})

/** A repository whose .sops.yaml encrypts `secrets/` (or the given regex) to the user's key. */
function sopsRepo(regex = '^secrets/'): { s: Sandbox; recipient: string } {
  const s = sandbox()
  const k = s.run(['keygen', '-q'])
  expect(k.code, k.stderr).toBe(0)
  const recipient = k.stdout.trim()
  writeFileSync(join(s.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: '${regex}'\n    age: ${recipient}\n`)
  return { s, recipient }
}

describe('init next to an existing .sops.yaml', () => {
  it('uses .sops.yaml as the config: no .secretsrc.yaml, files encrypted by its rule, environment names work', () => {
    const { s, recipient } = sopsRepo()
    const r = s.run(['init', 'production'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('using .sops.yaml as the config (sops reads the same creation rules; no .secretsrc.yaml written, so nothing shadows it)')
    expect(existsSync(join(s.dir, '.secretsrc.yaml'))).toBe(false)
    expect(readFileSync(join(s.dir, 'secrets', 'production.yaml'), 'utf8')).toContain(`recipient: ${recipient}`)
    expect(s.run(['exec', 'production', '--', 'printenv', 'API_TOKEN']).stdout).toBe('change-me\n')
    // A file sops would encrypt by its rules is encrypted by secrets too, and updatekeys --all sees it.
    writeFileSync(join(s.dir, 'secrets', 'other.yaml'), 'A: 1\n')
    expect(s.run(['encrypt', '-i', 'secrets/other.yaml']).code).toBe(0)
    const u = s.run(['updatekeys', '--all', '-y'])
    expect(u.code, u.stderr).toBe(0)
    expect(u.stderr).toMatch(/secrets\/other\.yaml/)
    expect(u.stderr).not.toMatch(/warning/)
  })

  it('a .sops.yaml with no rule for the environment files: refused (exit 4) with the rule to add, nothing written', () => {
    const { s } = sopsRepo('\\.enc\\.yaml$')
    const r = s.run(['init'])
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(
      /secrets: \.sops\.yaml has no creation rule with keys for secrets\/development\.yaml, so neither sops nor secrets could encrypt it \(.*\.sops\.yaml\) - add a rule such as "- path_regex: \^secrets\/"/,
    )
    expect(existsSync(join(s.dir, '.secretsrc.yaml'))).toBe(false)
    expect(existsSync(join(s.dir, 'secrets'))).toBe(false)
    expect(existsSync(join(s.dir, '.gitignore'))).toBe(false)
  })

  it('--age and another --dir are refused there (the rules of .sops.yaml decide)', () => {
    const { s, recipient } = sopsRepo()
    expect(s.run(['init', '--age', recipient]).code).toBe(2)
    const d = s.run(['init', '--dir', 'vault'])
    expect(d.code).toBe(2)
    expect(d.stderr).toContain("add secrets_dir: 'vault' to .sops.yaml first")
  })
})

describe('a .secretsrc.yaml next to a .sops.yaml', () => {
  it('warns on every command that reads the config while their rules differ; quiet when they agree or are one file', () => {
    const { s } = sopsRepo('^vault/')
    expect(s.run(['init', 'production', '-q']).code).toBe(4) // no rule for secrets/: shown above
    writeFileSync(join(s.dir, '.sops.yaml'), readFileSync(join(s.dir, '.sops.yaml'), 'utf8').replace('^vault/', '^secrets/'))
    expect(s.run(['init', 'production', '-q']).code).toBe(0)
    // Someone adds a .secretsrc.yaml with other rules: it would shadow .sops.yaml for secrets only.
    const sops = readFileSync(join(s.dir, '.sops.yaml'), 'utf8')
    writeFileSync(join(s.dir, '.secretsrc.yaml'), sops.replace('^secrets/', '^config/'))
    const WARN = 'secrets: warning: .secretsrc.yaml and .sops.yaml disagree (creation_rules or stores): secrets follows .secretsrc.yaml, sops follows .sops.yaml'
    writeFileSync(join(s.dir, 'secrets', 'new.yaml'), 'A: 1\n')
    for (const args of [
      ['decrypt', 'production'],
      ['exec', 'production', '--', 'true'],
      ['updatekeys', '--all', '-y'],
      ['encrypt', 'secrets/new.yaml'],
    ]) {
      const r = s.run(args)
      expect(r.stderr, args.join(' ')).toContain(WARN)
    }
    // The same rules: no warning.
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `${sops}environments:\n  prod: secrets/production.yaml\n`)
    expect(s.run(['decrypt', 'prod']).stderr).toBe('')
    // One file (.sops.yaml a link to .secretsrc.yaml, as docs/config.md suggests): no warning.
    writeFileSync(join(s.dir, '.secretsrc.yaml'), sops.replace('^secrets/', '^config/'))
    spawnSync('rm', [join(s.dir, '.sops.yaml')])
    symlinkSync('.secretsrc.yaml', join(s.dir, '.sops.yaml'))
    expect(s.run(['decrypt', 'production']).stderr).toBe('')
  })
})
