// Value ages from git history, for files whose ages field is gone (sops rewrote them): a value is
// as old as the oldest commit that holds its current ciphertext token (tokens are unique: random IVs).
import { execFileSync } from 'node:child_process'
import { dirname } from 'node:path'
import type { Ages } from '../model/value-ages.js'

/**
 * Ages from git: the commit time of the oldest commit whose version of `file` holds each leaf's
 * current ciphertext token. Leaves not found (uncommitted changes) are absent. Bounded: at most
 * `maxCommits` commits are read. Returns undefined when git is unavailable or the file is untracked.
 */
export function agesFromGit(file: string, current: Map<string, string>, maxCommits = 500): Ages | undefined {
  const tokenToKey = new Map<string, string>()
  for (const [k, fp] of current) {
    const m = /ENC\[AES256_GCM,data:[^\]]*\]/.exec(fp)
    if (m) tokenToKey.set(m[0], k)
  }
  let log: string
  try {
    log = execFileSync('git', ['log', `-n${maxCommits}`, '--reverse', '--format=%x00%ct', '-p', '--unified=0', '--no-color', '--no-ext-diff', '--', file], {
      cwd: dirname(file),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
  } catch {
    return undefined
  }
  if (log.trim() === '') return undefined
  const out: Ages = new Map()
  let when = 0
  for (const line of log.split('\n')) {
    if (line.startsWith('\u0000')) {
      when = Number(line.slice(1))
      continue
    }
    if (!line.startsWith('+') || line.startsWith('+++')) continue
    const re = /ENC\[AES256_GCM,data:[^\]]*\]/g
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      const key = tokenToKey.get(m[0])
      if (key !== undefined && !out.has(key)) out.set(key, when)
    }
  }
  return out
}
