import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { keyGroupsFromRule, loadConfig, matchCreationRule, renderInitialConfig, resolveTarget } from '../../src/config/index.js'
import { tree } from './helpers.js'

const A1 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
const A2 = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj'

describe('renderInitialConfig', () => {
  it('re-loads to one age rule for the secrets dir and the environments', () => {
    const text = renderInitialConfig({ recipients: [A1, A2], environments: ['production', 'staging'] })
    expect(text).toMatch(/^# /)
    const root = tree({ '.secretsrc.yaml': text })
    const config = loadConfig(join(root, '.secretsrc.yaml'))
    expect(config.creationRules).toHaveLength(1)
    const rule = config.creationRules?.[0]
    expect(rule?.keyGroups).toEqual([{ age: [A1, A2], pgp: [], kms: [], other: {} }])
    expect(rule?.selection).toBeUndefined()
    expect([...config.environments]).toEqual([
      ['production', 'secrets/production.yaml'],
      ['staging', 'secrets/staging.yaml'],
    ])
    expect(matchCreationRule(config, join(root, 'secrets/production.yaml'))).toBe(rule)
    expect(matchCreationRule(config, join(root, 'secrets/nested/x.json'))).toBe(rule)
    expect(() => matchCreationRule(config, join(root, 'secretsX/a.yaml'))).toThrow(/no creation rule/)
    expect(resolveTarget(config, 'staging', root)).toEqual({ path: join(root, 'secrets/staging.yaml'), environment: 'staging' })
    expect(keyGroupsFromRule(rule, {}, {}).groups[0]?.age).toEqual([A1, A2])
  })

  it('is plain sops-compatible YAML: age is a comma-separated string', () => {
    const doc = parse(renderInitialConfig({ recipients: [A1, A2], environments: [] })) as { creation_rules: Array<Record<string, unknown>>; environments: unknown }
    expect(doc.creation_rules[0]).toEqual({ path_regex: '^secrets[/\\\\]', age: `${A1}, ${A2}` })
    expect(doc.environments).toEqual({})
  })

  it('custom secrets dir, single recipient, names that YAML would not read as strings', () => {
    const text = renderInitialConfig({ recipients: [A1], environments: ['on', '1', 'prod.eu'], secretsDir: 'config/sec.rets/' })
    const root = tree({ '.secretsrc.yaml': text })
    const config = loadConfig(join(root, '.secretsrc.yaml'))
    expect(config.secretsDir).toBe('config/sec.rets')
    expect([...config.environments.keys()]).toEqual(['on', '1', 'prod.eu'])
    expect(config.creationRules?.[0]?.pathRegex).toBe('^config[/\\\\]sec\\.rets[/\\\\]')
    expect(matchCreationRule(config, join(root, 'config/sec.rets/on.yaml'))?.index).toBe(0)
    expect(() => matchCreationRule(config, join(root, 'config/secXrets/on.yaml'))).toThrow()
  })

  it('refuses no recipients, bad names and escaping dirs', () => {
    expect(() => renderInitialConfig({ recipients: [], environments: [] })).toThrow(/recipient/)
    expect(() => renderInitialConfig({ recipients: [A1], environments: ['a/b'] })).toThrow(/environment name/)
    expect(() => renderInitialConfig({ recipients: [A1], environments: [], secretsDir: '../x' })).toThrow(/relative path/)
  })
})
