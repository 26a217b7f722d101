import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/index.js'
import { SecretsError } from '../../src/errors.js'
import { tree } from './helpers.js'

const A1 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
const A2 = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj'
const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/abcd'
const ROLE = 'arn:aws:iam::111122223333:role/r'

function load(text: string, name = '.secretsrc.yaml') {
  const root = tree({ [name]: text })
  return { root, config: loadConfig(join(root, name)) }
}

function configError(text: string): SecretsError {
  try {
    load(text)
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    expect((e as SecretsError).code).toBe('config')
    return e as SecretsError
  }
  throw new Error('expected a config error')
}

describe('loadConfig: basics', () => {
  it('an empty file has no creation_rules and default settings', () => {
    const { root, config } = load('')
    expect(config).toMatchObject({ path: join(root, '.secretsrc.yaml'), dir: root, kind: 'secretsrc', creationRules: undefined, secretsDir: 'secrets', stores: {} })
    expect(config.environments.size).toBe(0)
  })

  it('kind follows the file name', () => {
    expect(load('', '.sops.yaml').config.kind).toBe('sops')
  })

  it('creation_rules: [] is a config with no rules (not "no config")', () => {
    expect(load('creation_rules: []\n').config.creationRules).toEqual([])
  })

  it('reads stores indents and keeps unknown sections raw', () => {
    const { config } = load('stores:\n  yaml: {indent: 2}\n  json: {indent: -1}\n  json_binary: {indent: 4}\napprovals:\n  production: {require_approval: true}\noutputs: [x]\n')
    expect(config.stores).toEqual({ yamlIndent: 2, jsonIndent: -1, jsonBinaryIndent: 4 })
    expect(config.raw).toMatchObject({ approvals: { production: { require_approval: true } }, outputs: ['x'] })
  })

  it('a missing file is a config error naming it', () => {
    const root = tree()
    expect(() => loadConfig(join(root, 'nope.yaml'))).toThrow(/cannot read config file/)
  })
})

describe('loadConfig: creation rules', () => {
  it('flat form: comma strings and lists, one group in age, pgp, kms order', () => {
    const { config } = load(`creation_rules:
  - path_regex: \\.prod\\.yaml$
    age: ' ${A1} ,${A2},'
    pgp: [FBC7 B9E2, 'AAAA,BBBB']
    kms: ${ARN}+${ROLE}
    aws_profile: prod
    gcp_kms: projects/p/locations/global/keyRings/r/cryptoKeys/k
    hckms: ['eu-west-101:uuid']
    unencrypted_suffix: _clear
    shamir_threshold: 2
    mac_only_encrypted: true
    something_new: ignored
`)
    const rule = config.creationRules?.[0]
    expect(rule).toMatchObject({
      index: 0,
      pathRegex: '\\.prod\\.yaml$',
      keyForm: 'flat',
      shamirThreshold: 2,
      selection: { kind: 'unencrypted_suffix', value: '_clear' },
      macOnlyEncrypted: true,
      description: 'creation_rules[0] (path_regex: \\.prod\\.yaml$)',
      line: 2,
    })
    expect(rule?.keyGroups).toEqual([
      {
        age: [A1, A2],
        pgp: ['FBC7B9E2', 'AAAA', 'BBBB'],
        kms: [{ arn: ARN, role: ROLE, awsProfile: 'prod' }],
        other: { gcp_kms: ['projects/p/locations/global/keyRings/r/cryptoKeys/k'], hckms: ['eu-west-101:uuid'] },
      },
    ])
  })

  it('a flat rule without keys has no groups; empty selection values count as absent', () => {
    const { config } = load("creation_rules:\n  - encrypted_regex: ''\n    unencrypted_suffix: _x\n")
    expect(config.creationRules?.[0]).toMatchObject({ keyGroups: [], selection: { kind: 'unencrypted_suffix', value: '_x' }, description: 'creation_rules[0] (no path_regex)' })
  })

  it('key_groups replace the flat keys; merge comes first; duplicates are dropped', () => {
    const { config } = load(`creation_rules:
  - age: ${A2}
    key_groups:
      - age: ['${A1}, ${A2}']
        kms:
          - arn: ${ARN}
            role: ${ROLE}
            context: {Team: payments, n: 5}
            aws_profile: prod
          - arn: ${ARN}
            role: ${ROLE}
            context: {n: '5', Team: payments}
            aws_profile: prod
        merge:
          - pgp: [FP1]
            age: [${A2}]
          - azure_keyvault: [{vaultUrl: 'https://v.vault.azure.net/', key: k, version: v1}]
            hc_vault: [https://vault:8200/v1/transit/keys/k]
      - pgp: [FP2, FP2]
        gcp_kms: [{resource_id: projects/p/k}]
        hckms: [{key_id: 'r:u'}]
    shamir_threshold: 2
`)
    const rule = config.creationRules?.[0]
    expect(rule?.keyForm).toBe('key_groups')
    expect(rule?.keyGroups).toEqual([
      {
        age: [A2, A1],
        pgp: ['FP1'],
        kms: [{ arn: ARN, role: ROLE, context: { Team: 'payments', n: '5' }, awsProfile: 'prod' }],
        other: { azure_kv: ['https://v.vault.azure.net/keys/k/v1'], hc_vault: ['https://vault:8200/v1/transit/keys/k'] },
      },
      { age: [], pgp: ['FP2'], kms: [], other: { gcp_kms: ['projects/p/k'], hckms: ['r:u'] } },
    ])
  })

  it('resolves anchors, aliases and merge keys', () => {
    const { config } = load(`keys:
  - &me ${A1}
defaults: &defaults
  age: *me
  unencrypted_suffix: _plain
creation_rules:
  - <<: *defaults
    path_regex: a
`)
    expect(config.creationRules?.[0]).toMatchObject({ pathRegex: 'a', keyGroups: [{ age: [A1] }], selection: { kind: 'unencrypted_suffix', value: '_plain' } })
  })

  it('rejects more than one selection rule, naming the rule index and the fields', () => {
    const e = configError('creation_rules:\n  - path_regex: a\n  - encrypted_regex: x\n    unencrypted_suffix: _u\n')
    expect(e.message).toBe('creation_rules[1]: more than one selection rule (unencrypted_suffix, encrypted_regex)')
    expect(e.file).toMatch(/\.secretsrc\.yaml$/)
    expect(e.where).toBe('line 3')
  })

  it.each([
    ['age: 5', 'creation_rules[0].age: expected a comma-separated string or a list of strings, got a number', 3],
    ['age: [a, 5]', 'creation_rules[0].age[1]: expected a string, got a number', 3],
    ['pgp: {a: b}', 'creation_rules[0].pgp: expected a comma-separated string or a list of strings, got a map', 3],
    ['hckms: x', 'creation_rules[0].hckms: expected a list of strings, got a string', 3],
    ['shamir_threshold: two', 'creation_rules[0].shamir_threshold: expected an integer, got a string', 3],
    ['mac_only_encrypted: 1', 'creation_rules[0].mac_only_encrypted: expected true or false, got a number', 3],
    ['key_groups: [{age: x}]', 'creation_rules[0].key_groups[0].age: expected a list, got a string', 3],
    ['key_groups:\n      - kms: [{role: r}]', 'creation_rules[0].key_groups[0].kms[0]: missing arn', 4],
    ['key_groups:\n      - kms:\n          - arn: x\n            context: [a]', 'creation_rules[0].key_groups[0].kms[0].context: expected a map, got a list', 6],
  ])('type errors name the rule, the field and the line: %s', (field, message, line) => {
    const e = configError(`# comment\ncreation_rules:\n  - path_regex: x\n    ${field}\n`.replace('path_regex: x\n    ', 'path_regex: x\n    '))
    expect(e.message).toBe(message)
    expect(e.file).toMatch(/\.secretsrc\.yaml$/)
    expect(e.where).toBe(`line ${line + 1}`)
  })

  it('creation_rules must be a list of maps', () => {
    expect(configError('creation_rules: {a: 1}\n').message).toBe('creation_rules: expected a list, got a map')
    expect(configError('creation_rules:\n  - 5\n').message).toBe('creation_rules[0]: expected a map, got a number')
  })

  it('malformed YAML gives a config error with file and line', () => {
    const e = configError('creation_rules:\n  - path_regex: a\n    age: [x, y\nstores: {}\n')
    expect(e.message).toMatch(/^invalid YAML: /)
    expect(e.where).toBe('line 4')
    const dup = configError('creation_rules: []\nstores: {}\ncreation_rules: []\n')
    expect(dup.where).toBe('line 3')
    expect(dup.line()).toMatch(/^invalid YAML: .*\(.*\.secretsrc\.yaml: line 3\) - /)
  })
})

describe('loadConfig: environments', () => {
  it('accepts { path }, a string, or nothing (default <secrets_dir>/<name>.yaml)', () => {
    const { config } = load('secrets_dir: vault/\nenvironments:\n  production: {path: deploy/prod.yaml}\n  staging: deploy/staging.json\n  dev:\n')
    expect(config.secretsDir).toBe('vault')
    expect([...config.environments]).toEqual([
      ['production', 'deploy/prod.yaml'],
      ['staging', 'deploy/staging.json'],
      ['dev', 'vault/dev.yaml'],
    ])
  })

  it('rejects names with a path separator and non-string paths', () => {
    expect(configError('environments:\n  a/b: x.yaml\n').message).toMatch(/^environments\.a\/b: /)
    expect(configError('environments:\n  a: {path: [1]}\n').message).toBe('environments.a.path: expected a string, got a list')
  })
})
