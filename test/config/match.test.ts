import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { keyGroupsFromRule, loadConfig, matchCreationRule, type CreationRule } from '../../src/config/index.js'
import { SecretsError } from '../../src/errors.js'
import { tree } from './helpers.js'

const A1 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
const A2 = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj'
const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/abcd'

const RULES = `creation_rules:
  - path_regex: ^secrets/prod/
    age: ${A1}
  - path_regex: \\.dev\\.yaml$
    age: ${A2}
  - path_regex: (?i)^OTHER/
    pgp: FP
`

function setup(text = RULES) {
  const root = tree({ '.secretsrc.yaml': text })
  return { root, config: loadConfig(join(root, '.secretsrc.yaml')) }
}

describe('matchCreationRule', () => {
  it('matches the path relative to the config dir, from a nested cwd, first match wins', () => {
    const { root, config } = setup()
    const cwd = join(root, 'secrets')
    mkdirSync(cwd, { recursive: true })
    expect(matchCreationRule(config, 'prod/a.dev.yaml', cwd)?.index).toBe(0)
    expect(matchCreationRule(config, 'b.dev.yaml', cwd)?.index).toBe(1)
    expect(matchCreationRule(config, '../other/x.yaml', cwd)?.index).toBe(2)
    expect(matchCreationRule(config, join(root, 'secrets/prod/x.json'))?.index).toBe(0)
  })

  it('the regex is an unanchored search', () => {
    const { config, root } = setup('creation_rules:\n  - path_regex: prod\n    age: x\n')
    expect(matchCreationRule(config, join(root, 'deploy/production.yaml'))?.index).toBe(0)
  })

  it('a path outside the config dir is matched as an absolute path', () => {
    const { config } = setup('creation_rules:\n  - path_regex: ^/elsewhere/\n    age: x\n')
    expect(matchCreationRule(config, '/elsewhere/a.yaml')?.index).toBe(0)
  })

  it('no matching rule is a config error naming the file and the config', () => {
    const { root, config } = setup()
    try {
      matchCreationRule(config, join(root, 'app/config.yaml'))
      expect.unreachable()
    } catch (e) {
      const err = e as SecretsError
      expect(err.code).toBe('config')
      expect(err.message).toBe('no creation rule matches app/config.yaml')
      expect(err.file).toBe(join(root, '.secretsrc.yaml'))
      expect(err.hint).toMatch(/path_regex/)
    }
  })

  it('an empty or missing path_regex matches everything; no creation_rules key -> undefined', () => {
    expect(matchCreationRule(setup("creation_rules:\n  - path_regex: ''\n").config, '/x')?.index).toBe(0)
    expect(matchCreationRule(setup('creation_rules:\n  - age: x\n').config, '/x')?.index).toBe(0)
    expect(matchCreationRule(setup('stores: {}\n').config, '/x')).toBeUndefined()
  })

  it('an invalid path_regex reached during matching is a config error at the rule line', () => {
    const { config } = setup('creation_rules:\n  - path_regex: nomatch\n  - path_regex: (?=x)\n')
    expect(() => matchCreationRule(config, '/a')).toThrow(/creation_rules\[1\].*look-around/)
    try {
      matchCreationRule(config, '/a')
    } catch (e) {
      expect((e as SecretsError).where).toBe('line 3')
    }
  })
})

describe('keyGroupsFromRule', () => {
  const rule = (text: string): CreationRule => {
    const r = setup(text).config.creationRules?.[0]
    if (r === undefined) throw new Error('no rule')
    return r
  }
  const flat = () => rule(`creation_rules:\n  - age: ${A1}\n    kms: ${ARN}\n`)

  it('uses the rule groups when no key flag or env var is set', () => {
    const { groups, source } = keyGroupsFromRule(flat(), {}, {})
    expect(groups).toEqual([{ age: [A1], pgp: [], kms: [{ arn: ARN }], other: {} }])
    expect(source).toBe('creation_rules[0] (no path_regex)')
  })

  it('flat rules take the command-line encryption context on their KMS keys', () => {
    const { groups } = keyGroupsFromRule(flat(), {}, { encryptionContext: { a: 'b' } })
    expect(groups[0]?.kms).toEqual([{ arn: ARN, context: { a: 'b' } }])
    const structured = rule(`creation_rules:\n  - key_groups:\n      - kms: [{arn: ${ARN}, context: {x: y}}]\n`)
    expect(keyGroupsFromRule(structured, {}, { encryptionContext: { a: 'b' } }).groups[0]?.kms).toEqual([{ arn: ARN, context: { x: 'y' } }])
  })

  it('SOPS_AGE_RECIPIENTS replaces ALL rule keys with one group', () => {
    const r = rule(`creation_rules:\n  - key_groups:\n      - age: [${A1}]\n      - pgp: [FP]\n    shamir_threshold: 2\n`)
    const { groups, source } = keyGroupsFromRule(r, { SOPS_AGE_RECIPIENTS: ` ${A2} ` }, {})
    expect(groups).toEqual([{ age: [A2], pgp: [], kms: [], other: {} }])
    expect(source).toBe('SOPS_AGE_RECIPIENTS')
  })

  it('a flag beats its own env var; different types combine', () => {
    const { groups, source } = keyGroupsFromRule(
      flat(),
      { SOPS_AGE_RECIPIENTS: A2, SOPS_PGP_FP: 'AB CD', SOPS_KMS_ARN: ARN },
      { age: [`${A1},${A1}`], encryptionContext: { k: 'v' }, awsProfile: 'dev' },
    )
    expect(groups).toEqual([{ age: [A1], pgp: ['ABCD'], kms: [{ arn: ARN, context: { k: 'v' }, awsProfile: 'dev' }], other: {} }])
    expect(source).toBe('--age, SOPS_PGP_FP, SOPS_KMS_ARN')
  })

  it('other key-type env vars also replace the rule keys', () => {
    const { groups } = keyGroupsFromRule(flat(), { SOPS_GCP_KMS_IDS: 'projects/p/k' }, {})
    expect(groups).toEqual([{ age: [], pgp: [], kms: [], other: { gcp_kms: ['projects/p/k'] } }])
  })

  it('empty env vars are ignored; no rule and no keys gives no groups', () => {
    expect(keyGroupsFromRule(flat(), { SOPS_AGE_RECIPIENTS: ' , ' }, { age: [] }).groups[0]?.age).toEqual([A1])
    expect(keyGroupsFromRule(undefined, {}, {})).toEqual({ groups: [], source: 'none' })
    expect(keyGroupsFromRule(undefined, {}, { kms: [ARN] }).groups).toEqual([{ age: [], pgp: [], kms: [{ arn: ARN }], other: {} }])
  })

  it('returns copies (callers may mutate)', () => {
    const r = flat()
    keyGroupsFromRule(r, {}, {}).groups[0]?.age.push('x')
    expect(r.keyGroups[0]?.age).toEqual([A1])
  })
})
