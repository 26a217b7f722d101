import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { flattenMetadata, unflattenMetadata } from '../../src/stores/flatten.js'
import type { PlainObject, PlainValue } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'


describe('flattenMetadata', () => {
  it('flattens depth-first in object order with __map_/__list_ steps (spec 7.6)', () => {
    const md: PlainObject = {
      key_groups: [{ age: [], hc_vault: [], pgp: [{ created_at: 'c', enc: 'a\nb', fp: 'F' }] }, { age: [{ enc: 'e', recipient: 'r' }] }],
      kms: [{ arn: 'arn', aws_profile: '', context: { Team: 'x', 'a b': 'y' } }],
      lastmodified: '2026-05-22T20:15:29Z',
      mac_only_encrypted: true,
      shamir_threshold: 2,
      empty: {},
      gone: null,
    }
    expect(flattenMetadata(md)).toEqual([
      ['key_groups__list_0__map_pgp__list_0__map_created_at', 'c'],
      ['key_groups__list_0__map_pgp__list_0__map_enc', 'a\nb'],
      ['key_groups__list_0__map_pgp__list_0__map_fp', 'F'],
      ['key_groups__list_1__map_age__list_0__map_enc', 'e'],
      ['key_groups__list_1__map_age__list_0__map_recipient', 'r'],
      ['kms__list_0__map_arn', 'arn'],
      ['kms__list_0__map_aws_profile', ''],
      ['kms__list_0__map_context__map_Team', 'x'],
      ['kms__list_0__map_context__map_a b', 'y'],
      ['lastmodified', '2026-05-22T20:15:29Z'],
      ['mac_only_encrypted', 'true'],
      ['shamir_threshold', '2'],
    ])
  })
})

describe('unflattenMetadata', () => {
  it('rebuilds nested maps and lists; types shamir_threshold and mac_only_encrypted like sops', () => {
    const md = unflattenMetadata([
      ['pgp__list_1__map_fp', 'B'],
      ['pgp__list_0__map_fp', 'A'],
      ['kms__list_0__map_context__map_Team', 'x'],
      ['shamir_threshold', '2'],
      ['mac_only_encrypted', 'true'],
      ['version', '3.13.2'],
    ])
    expect(md).toEqual({
      pgp: [{ fp: 'A' }, { fp: 'B' }],
      kms: [{ context: { Team: 'x' } }],
      shamir_threshold: 2,
      mac_only_encrypted: true,
      version: '3.13.2',
    })
    expect(unflattenMetadata([['mac_only_encrypted', 'yes']])).toEqual({ mac_only_encrypted: false })
  })

  it('never lets a key reach the prototype', () => {
    const md = unflattenMetadata([['__proto__', 'x'], ['a__map___proto__', 'y']])
    expect(Object.getPrototypeOf(md)).toBe(Object.prototype)
    expect(Object.keys(md)).toEqual(['__proto__', 'a'])
    expect(({} as Record<string, unknown>)['x']).toBeUndefined()
  })

  it.each([
    [[['a', '1'], ['a', '2']], /"a" appears twice/],
    [[['a', '1'], ['a__map_b', '2']], /both a value and a container/],
    [[['a__map_b', '2'], ['a', '1']], /both a value and a container/],
    [[['a__list_0', '1'], ['a__map_b', '2']], /mixes a map and a list/],
    [[['a__list_1', '1']], /indices are not 0, 1, 2/],
    [[['a__list_0', '1'], ['a__list_2', '1']], /indices are not 0, 1, 2/],
    [[['a__list_x', '1']], /not a number/],
    [[['shamir_threshold', 'two']], /shamir_threshold/],
  ] as Array<[Array<[string, string]>, RegExp]>)('rejects %j', (pairs, re) => {
    const e = errorOf(() => unflattenMetadata(pairs))
    expect(e.code).toBe('input')
    expect(e.message).toMatch(re)
  })

  it('does not echo values in errors', () => {
    expect(errorOf(() => unflattenMetadata([['a', 'hunter2'], ['a', 'hunter2']])).message).not.toContain('hunter2')
    expect(errorOf(() => unflattenMetadata([['shamir_threshold', 'hunter2']])).message).not.toContain('hunter2')
  })

  // Metadata-shaped values: string leaves, keys free of the separators, non-empty containers
  // (empty ones flatten to nothing, which is the documented sops behaviour).
  const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_ ]{0,6}$/).filter((k) => !k.includes('__') && !k.endsWith('_') && k !== 'shamir_threshold' && k !== 'mac_only_encrypted')
  const { value } = fc.letrec<{ value: PlainValue; obj: PlainValue; arr: PlainValue }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 10 }), tie('obj'), tie('arr')),
    obj: fc.dictionary(name, tie('value'), { minKeys: 1, maxKeys: 3 }),
    arr: fc.array(tie('value'), { minLength: 1, maxLength: 3 }),
  }))

  it('property: unflatten(flatten(x)) == x for metadata-shaped objects', () => {
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 5 }), (md) => {
        expect(unflattenMetadata(flattenMetadata(md as PlainObject))).toEqual(md)
      }),
      { numRuns: 300 },
    )
  })
})
