import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listEnvironments, loadConfig, resolveTarget } from '../../src/config/index.js'
import { SecretsError } from '../../src/errors.js'
import { tree } from './helpers.js'

describe('resolveTarget', () => {
  it('an unlisted name maps to an existing <secrets_dir>/<name>.{yaml,yml,json,env}', () => {
    const root = tree({ '.secretsrc.yaml': '', 'secrets/staging.yaml': '', 'secrets/dev.env': '' })
    const config = loadConfig(join(root, '.secretsrc.yaml'))
    const cwd = join(root, 'app')
    mkdirSync(cwd)
    expect(resolveTarget(config, 'staging', cwd)).toEqual({ path: join(root, 'secrets/staging.yaml'), environment: 'staging' })
    expect(resolveTarget(config, 'dev', cwd)).toEqual({ path: join(root, 'secrets/dev.env'), environment: 'dev' })
  })

  it('listed environments win, relative to the config dir, even if the file does not exist yet', () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  production: {path: deploy/prod.yaml}\n  qa:\n  prod.eu: eu.yaml\n',
      'secrets/production.yaml': '',
    })
    const config = loadConfig(join(root, '.secretsrc.yaml'))
    expect(resolveTarget(config, 'production', root)).toEqual({ path: join(root, 'deploy/prod.yaml'), environment: 'production' })
    expect(resolveTarget(config, 'qa', root)).toEqual({ path: join(root, 'secrets/qa.yaml'), environment: 'qa' })
    expect(resolveTarget(config, 'prod.eu', root)).toEqual({ path: join(root, 'eu.yaml'), environment: 'prod.eu' })
  })

  it('paths: a separator, an extension, a leading dot or an existing file', () => {
    const root = tree({ '.secretsrc.yaml': 'environments:\n  production: secrets/production.yaml\n', staging: 'x', 'secrets/staging.yaml': '' })
    const config = loadConfig(join(root, '.secretsrc.yaml'))
    expect(resolveTarget(config, 'new.yaml', root)).toEqual({ path: join(root, 'new.yaml') })
    expect(resolveTarget(config, './x', root)).toEqual({ path: join(root, 'x') })
    expect(resolveTarget(config, '.env', root)).toEqual({ path: join(root, '.env') })
    expect(resolveTarget(config, 'staging', root)).toEqual({ path: join(root, 'staging') })
    // a path that is a listed environment's file keeps the name
    expect(resolveTarget(config, 'secrets/production.yaml', root)).toEqual({ path: join(root, 'secrets/production.yaml'), environment: 'production' })
  })

  it('works without a config (secrets/ under cwd)', () => {
    const root = tree({ 'secrets/ci.json': '{}' })
    expect(resolveTarget(null, 'ci', root)).toEqual({ path: join(root, 'secrets/ci.json'), environment: 'ci' })
  })

  it('an unknown name is a usage error listing the known environments', () => {
    const root = tree({ '.secretsrc.yaml': 'environments:\n  production:\n', 'secrets/staging.yml': '', 'secrets/README.md': '' })
    const config = loadConfig(join(root, '.secretsrc.yaml'))
    try {
      resolveTarget(config, 'prod', root)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(SecretsError)
      expect((e as SecretsError).code).toBe('usage')
      expect((e as SecretsError).message).toBe('"prod" is neither a file nor a known environment')
      expect((e as SecretsError).hint).toBe('known environments: production, staging')
    }
    expect(() => resolveTarget(null, 'prod', tree())).toThrow(SecretsError)
  })

  it('listEnvironments: listed first, then files found', () => {
    const root = tree({ '.secretsrc.yaml': 'secrets_dir: env\nenvironments:\n  z: z.yaml\n', 'env/a.yaml': '', 'env/a.json': '', 'env/b.env': '', 'env/.hidden.yaml': '' })
    const envs = listEnvironments(loadConfig(join(root, '.secretsrc.yaml')), root)
    expect([...envs]).toEqual([
      ['z', join(root, 'z.yaml')],
      ['a', join(root, 'env/a.yaml')],
      ['b', join(root, 'env/b.env')],
    ])
  })
})
