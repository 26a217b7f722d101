// The one clock: every timestamp the program writes (lastmodified, created_at, lock files) is
// taken here, as RFC 3339 in UTC with whole seconds, the way sops writes them.

/** `2026-05-22T20:16:23Z` for `date` (default: now). */
export function rfc3339Seconds(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z')
}
