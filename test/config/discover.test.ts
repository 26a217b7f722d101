import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findConfig } from '../../src/config/index.js'
import { tree, write } from './helpers.js'

describe('findConfig', () => {
  it('walks upward from the working directory', () => {
    const root = tree({ '.secretsrc.yaml': 'creation_rules: []\n' })
    const deep = join(root, 'a', 'b', 'c')
    mkdirSync(deep, { recursive: true })
    expect(findConfig(deep, {})).toBe(join(root, '.secretsrc.yaml'))
  })

  it('prefers .secretsrc.yaml over .sops.yaml in the same directory', () => {
    const root = tree({ '.secretsrc.yaml': '', '.sops.yaml': '' })
    expect(findConfig(root, {})).toBe(join(root, '.secretsrc.yaml'))
  })

  it('accepts .secretsrc.yml', () => {
    const root = tree({ '.secretsrc.yml': '' })
    expect(findConfig(root, {})).toBe(join(root, '.secretsrc.yml'))
  })

  it('falls back to .sops.yaml, and the nearest directory wins', () => {
    const root = tree({ '.secretsrc.yaml': '', 'app/.sops.yaml': '' })
    const cwd = join(root, 'app', 'src')
    mkdirSync(cwd, { recursive: true })
    expect(findConfig(cwd, {})).toBe(join(root, 'app', '.sops.yaml'))
  })

  it('ignores .sops.yml (as sops does) and directories named like a config', () => {
    const root = tree({ 'x/.sops.yml': '' })
    mkdirSync(join(root, 'x', '.secretsrc.yaml'))
    const found = findConfig(join(root, 'x'), {})
    expect(found === null || !found.startsWith(root)).toBe(true)
  })

  it('SECRETS_CONFIG, then SOPS_CONFIG, skip the search (relative to cwd)', () => {
    const root = tree({ '.secretsrc.yaml': '', 'conf/a.yaml': '', 'conf/b.yaml': '' })
    expect(findConfig(root, { SECRETS_CONFIG: 'conf/a.yaml', SOPS_CONFIG: 'conf/b.yaml' })).toBe(join(root, 'conf/a.yaml'))
    expect(findConfig(root, { SOPS_CONFIG: 'conf/b.yaml' })).toBe(join(root, 'conf/b.yaml'))
    expect(findConfig(root, { SOPS_CONFIG: '' })).toBe(join(root, '.secretsrc.yaml'))
    expect(findConfig(root, { SECRETS_CONFIG: '/nowhere/x.yaml' })).toBe('/nowhere/x.yaml')
  })

  it('returns null when nothing is found', () => {
    const root = tree()
    write(root, 'other.yaml', '')
    const found = findConfig(root, {})
    // a config above the temp dir (unlikely) would be outside it
    expect(found === null || !found.startsWith(root)).toBe(true)
  })
})
