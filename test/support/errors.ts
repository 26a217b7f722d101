// The SecretsError a call throws (fails the test when it throws something else, or nothing).
import { expect } from 'vitest'
import { SecretsError } from '../../src/errors.js'

export function errorOf(fn: () => unknown): SecretsError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    return e as SecretsError
  }
  throw new Error('expected an error')
}
