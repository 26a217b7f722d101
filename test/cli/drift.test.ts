// Key drift between a file's master keys and its creation rule (what `edit` warns about).
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/index.js'
import { describeDrift, keyDrift } from '../../src/cli/drift.js'
import { AgeKey, KmsKey, PgpKey } from '../../src/keys/index.js'

const A = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
const B = 'age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg'
const FP = '85D77543B3D624B63CEA9E6DBC17301B491B3F21'
const ARN = 'arn:aws:kms:us-east-1:111122223333:key/abc'

const rule = (yaml: string) => parseConfig('/cfg/.sops.yaml', yaml).creationRules![0]!

describe('keyDrift', () => {
  it('is null when the file has exactly the rule keys (PGP case and whitespace ignored)', async () => {
    const r = rule(`creation_rules:\n  - age: ${A}\n    pgp: '${FP.toLowerCase()}'\n    kms: ${ARN}\n`)
    expect(await keyDrift([[new AgeKey(A), new PgpKey(FP), new KmsKey({ arn: ARN })]], 0, r)).toBeNull()
  })

  it('lists keys the rule adds and keys the file has that the rule dropped', async () => {
    const r = rule(`creation_rules:\n  - age: ${B}\n`)
    const d = await keyDrift([[new AgeKey(A)]], 0, r)
    expect(d?.added).toEqual([{ kind: 'age', id: B, group: 0 }])
    expect(d?.removed).toEqual([{ kind: 'age', id: A, group: 0 }])
    expect(describeDrift(d!)).toBe(`the rule adds age ${B.slice(0, 20)}…; the file has age ${A.slice(0, 20)}… that the rule no longer lists`)
  })

  it('compares key groups one by one, and the threshold', async () => {
    const r = rule(`creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${A}]\n      - age: [${B}]\n`)
    expect(await keyDrift([[new AgeKey(A)], [new AgeKey(B)]], 2, r)).toBeNull()
    const swapped = await keyDrift([[new AgeKey(B)], [new AgeKey(A)]], 2, r)
    expect(swapped?.added.map((k) => k.group)).toEqual([0, 1])
    expect(describeDrift(swapped!)).toContain('(group 1)')
    const threshold = await keyDrift([[new AgeKey(A)], [new AgeKey(B)]], 1, r)
    expect(threshold?.threshold).toEqual({ file: 1, rule: 2 })
  })

  it('says nothing when the rule names no managed key', async () => {
    expect(await keyDrift([[new AgeKey(A)]], 0, rule('creation_rules:\n  - path_regex: x\n'))).toBeNull()
  })
})
