// One place that maps error kinds to exit codes. Codes shared with sops keep sops' numbers so
// scripts written for sops keep working (51 MAC mismatch, 128 could not get the data key).
import type { ErrorCode } from '../errors.js'

export const EXIT_CODES: Record<ErrorCode, number> = {
  internal: 1,
  usage: 2,
  input: 3,
  config: 4,
  io: 5,
  plaintext: 6,
  exists: 7,
  editor: 8,
  'missing-required': 9,
  check: 10,
  decrypt: 25,
  mac: 51,
  'no-key': 128,
}
