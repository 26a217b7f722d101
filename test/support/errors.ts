// The error a call throws or a promise rejects with; fails the test when it is of another kind, or none.
import { expect } from 'vitest'
import { SecretsError } from '../../src/errors.js'
import { KeyError } from '../../src/keys/types.js'

export function errorOf(fn: () => unknown): SecretsError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    return e as SecretsError
  }
  throw new Error('expected an error')
}

/** The KeyError a promise rejects with (fails the test otherwise). */
export async function keyError(p: Promise<unknown>): Promise<KeyError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(KeyError)
    return e as KeyError
  }
  throw new Error('expected a KeyError')
}
