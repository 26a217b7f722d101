// `npm run demo` keeps working on the bundled example, and leaves the repository untouched.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../support/cli.js'

describe('npm run demo', () => {
  it('runs the main job end to end on the bundled example and changes no tracked file', () => {
    const before = spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } })
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/password: demo-production-/)
    expect(r.stdout).toMatch(/exit code 51, as expected/)
    expect(r.stdout).toMatch(/exit code 128, as expected/)
    expect(spawnSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).stdout).toBe(before)
  })
})
