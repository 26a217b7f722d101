// Temp-dir helpers for config tests: a real directory tree per test, removed afterwards.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach } from 'vitest'

const dirs: string[] = []

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fresh temp dir (realpath, so prefix comparisons hold) with the given files. */
export function tree(files: Record<string, string> = {}): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'secrets-config-')))
  dirs.push(root)
  for (const [rel, text] of Object.entries(files)) write(root, rel, text)
  return root
}

export function write(root: string, rel: string, text: string): string {
  const p = join(root, rel)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, text)
  return p
}
