// Key group edits by identity (rotate --add/--rm) and the per-group comparison updatekeys shows.
import { describe, expect, it } from 'vitest'
import { AgeKey } from '../../src/keys/age.js'
import { PgpKey } from '../../src/keys/pgp.js'
import { diffGroups, editGroups, pgpRef, storedThreshold } from '../../src/keys/groups.js'
import { SecretsError } from '../../src/errors.js'

const R = (c: string): string => 'age1' + c.repeat(58)
const age = (c: string): AgeKey => new AgeKey(R(c))
const ids = (groups: { id: string }[][]): string[][] => groups.map((g) => g.map((k) => k.id))

describe('editGroups', () => {
  it('adds into the first group, removes from any group, skips keys already present', () => {
    const e = editGroups(
      [[age('a')], [age('b'), age('c')]],
      [age('d'), age('c'), age('d')],
      [
        { kind: 'age', id: R('b') },
        { kind: 'age', id: R('x') },
      ],
    )
    expect(ids(e.groups)).toEqual([[R('a'), R('d')], [R('c')]])
    expect(e.added.map((k) => k.id)).toEqual([R('d')])
    expect(e.removed.map((k) => k.id)).toEqual([R('b')])
    expect(e.absent).toEqual([{ kind: 'age', id: R('x') }])
  })

  it('an add and a remove in one go work on a one-key file; emptying a group is refused', () => {
    expect(ids(editGroups([[age('a')]], [age('b')], [{ kind: 'age', id: R('a') }]).groups)).toEqual([[R('b')]])
    expect(() => editGroups([[age('a')]], [], [{ kind: 'age', id: R('a') }])).toThrow(SecretsError)
    expect(() => editGroups([[age('a')], [age('b')]], [age('c')], [{ kind: 'age', id: R('b') }])).toThrow(/would leave key group 2 without a master key/)
  })

  it('PGP fingerprints match whatever their case and spacing', () => {
    const fp = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'
    const e = editGroups([[age('a'), new PgpKey(fp)]], [], [pgpRef('fbc7 b9e2 a4f9 289a c0c1  d484 3d16 cee4 a273 81b4')])
    expect(e.removed).toHaveLength(1)
  })
})

describe('diffGroups', () => {
  it('compares per group position and the groups needed', () => {
    const d = diffGroups([[age('a'), age('b')]], 0, [[age('b'), age('c')], [age('d')]], 2)
    expect(d.groups).toEqual([
      { common: [`age ${R('b')}`], added: [`age ${R('c')}`], removed: [`age ${R('a')}`] },
      { common: [], added: [`age ${R('d')}`], removed: [] },
    ])
    expect(d.threshold).toEqual({ from: 1, to: 2 })
    expect(d.changed).toBe(true)
    expect(d.accessRemoved).toBe(true)
  })

  it('only additions, or a lower threshold, remove nobody; equal groups are no change', () => {
    expect(diffGroups([[age('a')]], 0, [[age('a'), age('b')]], 0)).toMatchObject({ changed: true, accessRemoved: false })
    expect(diffGroups([[age('a')], [age('b')], [age('c')]], 3, [[age('a')], [age('b')], [age('c')]], 2)).toMatchObject({ changed: true, accessRemoved: false })
    expect(diffGroups([[age('a')], [age('b')], [age('c')]], 2, [[age('a')], [age('b')], [age('c')]], 3)).toMatchObject({ changed: true, accessRemoved: true })
    expect(diffGroups([[age('a')], [age('b')]], 0, [[age('a')], [age('b')]], 2)).toMatchObject({ changed: false })
  })

  it('storedThreshold: none for one group, all groups for 0, capped at the group count', () => {
    expect([storedThreshold(1, 2), storedThreshold(3, 0), storedThreshold(3, 5), storedThreshold(3, 2)]).toEqual([0, 3, 3, 2])
  })
})
