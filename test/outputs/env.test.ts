// The environment mapping: names, flattening, value text, clashes, --only / --prefix, checks.
import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/errors.js'
import { checkVariables, envRecord, mapEnvironment, mergeEnvironment, selectVariables } from '../../src/outputs/env.js'
import { readOutputsConfig } from '../../src/outputs/config.js'
import { yamlStore } from '../../src/stores/yaml.js'
import { jsonStore } from '../../src/stores/json.js'

const yaml = (text: string) => [{ file: 'env.yaml', branches: yamlStore.parse(new TextEncoder().encode(text), 'plain').branches }]
const json = (text: string) => [{ file: 'env.json', branches: jsonStore.parse(new TextEncoder().encode(text), 'plain').branches }]
const fails = (fn: () => unknown): SecretsError => {
  try {
    fn()
  } catch (e) {
    if (e instanceof SecretsError) return e
    throw e
  }
  throw new Error('expected a SecretsError')
}

describe('mapEnvironment', () => {
  it('keeps top-level names and scalar text as they are', () => {
    const vars = mapEnvironment(
      yaml('api_key: abc\nPORT: 5432\nRATIO: 0.5\nBIG: 1e21\nDEBUG: true\nOFF: false\nEMPTY: null\nWHEN: 2024-01-02T03:04:05Z\nLOG_LEVEL_unencrypted: info\nBIGINT: 9007199254740993\n'),
    )
    expect(envRecord(vars)).toEqual({
      api_key: 'abc',
      PORT: '5432',
      RATIO: '0.5',
      BIG: '1000000000000000000000',
      DEBUG: 'true',
      OFF: 'false',
      EMPTY: '',
      WHEN: '2024-01-02T03:04:05Z',
      LOG_LEVEL_unencrypted: 'info',
      BIGINT: '9007199254740993',
    })
    expect(vars.map((v) => v.path)).toContainEqual(['PORT'])
  })

  it('flattens nested maps to PARENT_CHILD upper-cased, with a configurable separator', () => {
    const src = yaml('database:\n  url: postgres://x\n  pool:\n    max: 10\nredis: {host: r}\n')
    expect(envRecord(mapEnvironment(src))).toEqual({ DATABASE_URL: 'postgres://x', DATABASE_POOL_MAX: '10', REDIS_HOST: 'r' })
    expect(Object.keys(envRecord(mapEnvironment(src, { separator: '__' })))).toEqual(['DATABASE__URL', 'DATABASE__POOL__MAX', 'REDIS__HOST'])
  })

  it('renders lists, empty maps and maps with non-identifier keys as compact JSON', () => {
    const vars = envRecord(mapEnvironment(yaml('hosts: [a, b]\nheaders:\n  X-Api-Key: k\n  Accept: "*/*"\nempty: {}\nnested:\n  list: [1, {a: 2}]\n')))
    expect(vars).toEqual({ hosts: '["a","b"]', headers: '{"X-Api-Key":"k","Accept":"*/*"}', empty: '{}', NESTED_LIST: '[1,{"a":2}]' })
  })

  it('keeps JSON integers beyond 2^53 exact inside JSON values', () => {
    expect(envRecord(mapEnvironment(json('{"ids": [9007199254740993]}')))).toEqual({ ids: '[9007199254740993]' })
  })

  it('refuses two paths that map to one name, naming both', () => {
    const e = fails(() => mapEnvironment(yaml('DATABASE_URL: value-one\ndatabase:\n  url: value-two\n')))
    expect(e.message).toContain('DATABASE_URL')
    expect(e.message).toContain('["DATABASE_URL"]')
    expect(e.message).toContain('["database"]["url"]')
    expect(e.line()).not.toMatch(/value-one|value-two/) // names and paths, never values
  })
})

describe('selectVariables and checks', () => {
  const vars = mapEnvironment(yaml('A: 1\nB: 2\nC: 3\n'))
  it('--only keeps the listed names in file order; --prefix renames', () => {
    expect(envRecord(selectVariables(vars, { only: ['C', 'A'], prefix: 'APP_' }))).toEqual({ APP_A: '1', APP_C: '3' })
  })
  it('--only with an unknown name is an error listing the known ones', () => {
    const e = fails(() => selectVariables(vars, { only: ['A', 'NOPE'] }))
    expect(e.code).toBe('usage')
    expect(e.message).toContain('NOPE')
    expect(e.hint).toContain('A, B, C')
  })
  it('invalid variable names are an error, not a silent skip', () => {
    const bad = mapEnvironment(yaml('my-key: x\nOK: y\n'))
    const e = fails(() => checkVariables(bad))
    expect(e.message).toContain('"my-key" is not a valid environment variable name')
    expect(e.where).toBe('["my-key"]')
    expect(() => checkVariables(selectVariables(bad, { only: ['OK'] }))).not.toThrow()
    expect(() => checkVariables(mapEnvironment(yaml('1ABC: x\n')))).toThrow(SecretsError)
  })
  it('a NUL byte cannot go into a process environment', () => {
    const v = mapEnvironment(yaml('A: "x\\0y"\n'))
    expect(() => checkVariables(v)).not.toThrow()
    expect(fails(() => checkVariables(v, { forProcess: true })).message).toContain('NUL')
  })
})

describe('mergeEnvironment', () => {
  const vars = mapEnvironment(yaml('A: file\nB: file\n'))
  it('existing variables win (even empty), unless override', () => {
    const base = { A: '', PATH: '/bin' }
    const kept = mergeEnvironment(base, vars)
    expect(kept.env).toEqual({ A: '', B: 'file', PATH: '/bin' })
    expect(kept.kept).toEqual(['A'])
    expect(kept.injected).toEqual(['B'])
    expect(base).toEqual({ A: '', PATH: '/bin' }) // not modified
    expect(mergeEnvironment(base, vars, { override: true }).env).toEqual({ A: 'file', B: 'file', PATH: '/bin' })
  })
})

describe('outputs config', () => {
  it('reads the separator and the docker secrets map, and refuses bad shapes', () => {
    expect(readOutputsConfig({ outputs: { env: { separator: '__' }, docker_secrets: { map: { A: 'a' } } } })).toEqual({ separator: '__', dockerSecretsMap: { A: 'a' } })
    expect(readOutputsConfig({})).toEqual({ dockerSecretsMap: {} })
    expect(fails(() => readOutputsConfig({ outputs: { env: { separator: '' } } }, '/x/.secretsrc.yaml')).code).toBe('config')
    expect(fails(() => readOutputsConfig({ outputs: { docker_secrets: { map: { A: 1 } } } })).code).toBe('config')
  })
})
