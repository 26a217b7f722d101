// Decrypted output and git, against a real repository: tracked paths refused (unless forced),
// paths git would pick up warned about with the exact .gitignore line, ignored paths silent.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/errors.js'
import { gitExposure, guardPlaintextOutput } from '../../src/io/git-guard.js'
import { tempDir } from '../support/cli.js'
import { requireTool, toolOnPath } from '../support/skip.js'

function repo(): string {
  const dir = tempDir('secrets-git-')
  const git = (...args: string[]) => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' })
  git('init', '-q', '.')
  writeFileSync(join(dir, '.gitignore'), '.secrets/\n.env.*\n')
  writeFileSync(join(dir, 'tracked.env'), 'A=1\n')
  mkdirSync(join(dir, 'deploy'))
  writeFileSync(join(dir, 'deploy', 'kept.yaml'), 'x\n')
  git('add', '.gitignore', 'tracked.env', 'deploy/kept.yaml')
  git('commit', '-qm', 'init')
  return dir
}

describe.runIf(requireTool(toolOnPath('git'), 'git'))('git guard', () => {
  it('classifies tracked, ignored, exposed and repo-less paths (existing or not)', () => {
    const dir = repo()
    expect(gitExposure(join(dir, 'tracked.env')).kind).toBe('tracked')
    expect(gitExposure(join(dir, '.env.production')).kind).toBe('ignored')
    expect(gitExposure(join(dir, '.secrets', 'production'), { isDir: true }).kind).toBe('ignored')
    expect(gitExposure(join(dir, 'new', 'deeper', 'out.env'))).toMatchObject({ kind: 'exposed', rel: 'new/deeper/out.env' })
    expect(gitExposure(join(dir, 'deploy'), { isDir: true }).kind).toBe('tracked')
    expect(gitExposure(join(tempDir(), 'x.env')).kind).toBe('no-repo')
  })

  it('refuses a tracked file unless forced, and warns with the .gitignore line to add', () => {
    const dir = repo()
    const warnings: string[] = []
    const warn = (m: string) => warnings.push(m)
    let err: unknown
    try {
      guardPlaintextOutput(join(dir, 'tracked.env'), { warn, display: 'tracked.env' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(SecretsError)
    expect((err as SecretsError).code).toBe('plaintext')
    expect((err as SecretsError).line()).toMatch(/git tracks this file.*\(tracked\.env\) - .*--force/)
    guardPlaintextOutput(join(dir, 'tracked.env'), { warn, force: true })
    expect(warnings.pop()).toMatch(/--force/)
    guardPlaintextOutput(join(dir, 'out', 'prod.env'), { warn, display: 'out/prod.env' })
    expect(warnings.pop()).toBe(`git does not ignore out/prod.env: add the line "/out/prod.env" to ${join(dir, '.gitignore')}`)
    guardPlaintextOutput(join(dir, 'rendered'), { warn, isDir: true, display: 'rendered' })
    expect(warnings.pop()).toContain('"/rendered/"')
    guardPlaintextOutput(join(dir, '.env.production'), { warn })
    guardPlaintextOutput(join(tempDir(), 'x.env'), { warn })
    expect(warnings).toEqual([])
  })
})
