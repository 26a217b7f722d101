// Small helpers shared by the pgp and kms entries: `created_at` of a new entry, and reading an
// entry's fields as leniently as sops 3.13 does (names case-insensitive, scalars as strings).
import type { PlainObject } from '../tree/types.js'
import { rfc3339Seconds } from '../util/clock.js'

/** RFC 3339, whole seconds, UTC, as sops writes `created_at`. */
export function createdAtNow(now?: Date): string {
  return rfc3339Seconds(now)
}

/** A scalar field of a metadata entry as a string ('' when absent or not a scalar). */
export function entryString(entry: PlainObject, field: string): string {
  let v = entry[field]
  if (v === undefined) {
    const k = Object.keys(entry).find((x) => x.toLowerCase() === field)
    v = k === undefined ? undefined : entry[k]
  }
  return v === undefined || v === null || typeof v === 'object' ? '' : String(v)
}
