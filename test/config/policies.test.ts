import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.js'
import { generators, missingRequired, parseDuration, requiredKeys, rotationFor } from '../../src/config/policies.js'
import { errorOf } from '../support/errors.js'

const cfg = (text: string) => parseConfig('/repo/.secretsrc.yaml', text)

const TEAM = `
policies:
  "*":
    rotation: { "*_PASSWORD": 90d, "*_API_KEY": 180d, "JWT_*": 30d, "ENCRYPTION_KEY": 365d, default: 365d }
  production:
    required: [DATABASE_PASSWORD, JWT_SECRET_KEY, "STRIPE_*"]
    generate: { JWT_SECRET_KEY: "hex:32", ENCRYPTION_KEY: fernet }
    rotation: { "DB_*_PASSWORD": 7d, default: 30d }
`

describe('policies', () => {
  it('parses durations', () => {
    expect(parseDuration('90d')).toBe(90 * 86_400_000)
    expect(parseDuration('2w')).toBe(14 * 86_400_000)
    expect(parseDuration('1y')).toBe(365 * 86_400_000)
    expect(parseDuration('12h')).toBe(12 * 3_600_000)
    for (const bad of ['', '0d', 'd', '90', '90 days', '-1d', '1.5d', '9999999d']) expect(parseDuration(bad), bad).toBeUndefined()
  })

  it("reads the team's four rotation policies, required keys and generators", () => {
    const p = cfg(TEAM).policies
    expect(requiredKeys(p, 'production')).toEqual(['DATABASE_PASSWORD', 'JWT_SECRET_KEY', 'STRIPE_*'])
    expect(requiredKeys(p, 'staging')).toEqual([])
    expect([...generators(p, 'production').keys()]).toEqual(['JWT_SECRET_KEY', 'ENCRYPTION_KEY'])
    const r = (env: string, name: string) => rotationFor(p, env, name)?.text
    expect(r('staging', 'DATABASE_PASSWORD')).toBe('90d')
    expect(r('staging', 'STRIPE_API_KEY')).toBe('180d')
    expect(r('staging', 'JWT_SECRET_KEY')).toBe('30d')
    expect(r('staging', 'ENCRYPTION_KEY')).toBe('365d')
    expect(r('staging', 'OTHER')).toBe('365d')
    // the environment's own patterns first; its default only after every named pattern
    expect(r('production', 'DB_MAIN_PASSWORD')).toBe('7d')
    expect(r('production', 'DATABASE_PASSWORD')).toBe('90d')
    expect(r('production', 'OTHER')).toBe('30d')
  })

  it('finds missing required keys, globs included', () => {
    expect(missingRequired(['A', 'B_*', 'C'], ['A', 'B_1'])).toEqual(['C'])
    expect(missingRequired(['A', 'B_*'], ['A'])).toEqual(['B_*'])
  })

  it('refuses bad policy sections with the line', () => {
    for (const bad of [
      'policies:\n  production:\n    rotation: { X: soon }\n',
      'policies:\n  production:\n    generate: { X: "hex" }\n',
      'policies:\n  production:\n    requierd: [X]\n',
      'policies:\n  production:\n    required: X\n',
    ]) {
      const err = errorOf(() => cfg(bad))
      expect(err.code, bad).toBe('config')
      expect(err.line()).toMatch(/line \d/)
    }
  })
})
