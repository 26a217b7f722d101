import { describe, expect, it } from 'vitest'
import { SecretsError } from '../../src/errors.js'
import { kmsKeyIdentity, parseEncryptionContext, parseKmsList } from '../../src/config/index.js'

const ARN1 = 'arn:aws:kms:eu-west-1:111122223333:key/abcd'
const ARN2 = 'arn:aws:kms:us-east-1:111122223333:alias/x'
const ROLE = 'arn:aws:iam::111122223333:role/r'

describe('parseKmsList', () => {
  it('splits on commas, removes spaces and attaches +role', () => {
    expect(parseKmsList(` ${ARN1} , ${ARN2}+${ROLE},`)).toEqual([{ arn: ARN1 }, { arn: ARN2, role: ROLE }])
  })
  it('applies the context and profile to every key', () => {
    expect(parseKmsList(`${ARN1},${ARN2}`, { a: 'b' }, 'prod')).toEqual([
      { arn: ARN1, context: { a: 'b' }, awsProfile: 'prod' },
      { arn: ARN2, context: { a: 'b' }, awsProfile: 'prod' },
    ])
  })
  it('empty input gives no keys', () => {
    expect(parseKmsList('')).toEqual([])
  })
})

describe('parseEncryptionContext', () => {
  it('parses k:v pairs without trimming', () => {
    expect(parseEncryptionContext('Team:payments,env: prod')).toEqual({ Team: 'payments', env: ' prod' })
    expect(parseEncryptionContext('')).toEqual({})
  })
  it.each(['a', 'a:b:c', 'a:b,c', ':v'])('rejects %j', (s) => {
    expect(() => parseEncryptionContext(s)).toThrow(SecretsError)
    try {
      parseEncryptionContext(s)
    } catch (e) {
      expect((e as SecretsError).code).toBe('usage')
      expect((e as SecretsError).message).toMatch(/not key:value/)
    }
  })
})

describe('kmsKeyIdentity', () => {
  it('follows sops arn[+role][|ctx][|profile]', () => {
    expect(kmsKeyIdentity({ arn: ARN1 })).toBe(ARN1)
    expect(kmsKeyIdentity({ arn: ARN1, role: ROLE })).toBe(`${ARN1}+${ROLE}`)
    expect(kmsKeyIdentity({ arn: ARN1, context: { b: '2', a: '1' } })).toBe(`${ARN1}|a:1,b:2`)
    expect(kmsKeyIdentity({ arn: ARN1, awsProfile: 'p' })).toBe(`${ARN1}||p`)
  })
})
