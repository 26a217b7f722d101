// "A test that needs a missing tool skips with a printed reason on a laptop,
// but fails under CI (CI=true)."

import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { TestRunner } from 'vitest'

export function isCI(): boolean {
  return process.env.CI === 'true'
}

/**
 * Whether the tests needing `name` should run. When the tool is missing it
 * prints `skipped: <name>: <reason>` (console.warn) and returns false, except
 * under CI=true where it throws, so a CI run can't silently skip them.
 *
 *   const sops = await sopsAvailable()
 *   describe.runIf(requireTool(sops, 'real sops'))('...', () => { ... })
 */
export function requireTool(available: { ok: boolean; reason?: string }, name: string): boolean {
  if (available.ok) return true
  const reason = available.reason ?? 'not available'
  if (isCI()) throw new Error(`${name} is required under CI (CI=true) but unavailable: ${reason}`)
  console.warn(`skipped: ${name}: ${reason}`)
  return false
}

/** Whether `cmd` is an executable file on PATH (or at that path, if it contains a '/'). */
export function which(cmd: string): boolean {
  const candidates =
    cmd.includes('/') || isAbsolute(cmd)
      ? [cmd]
      : (process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, cmd))
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue
      accessSync(c, constants.X_OK)
      return true
    } catch {
      /* next */
    }
  }
  return false
}

/** `{ ok, reason }` for a command on PATH, to pass to requireTool. */
export function toolOnPath(cmd: string): { ok: boolean; reason?: string } {
  return which(cmd) ? { ok: true } : { ok: false, reason: `\`${cmd}\` not found on PATH` }
}

/**
 * Inside a running test: returns when `name` is available. Otherwise it fails the test under
 * CI=true, and on a laptop stops the test here and marks it skipped with the reason (printed as
 * `skipped: <name>: <reason>`), so a check that needs a missing tool never passes quietly.
 * Put such checks last in a test: nothing after this call runs when the tool is missing.
 *
 *   const sops = await sopsAvailable()
 *   it('...', async () => { ...; needTool(sops, 'real sops'); await sopsDecrypt(...) })
 */
export function needTool(available: { ok: boolean; reason?: string }, name: string): void {
  if (requireTool(available, name)) return
  const test = TestRunner.getCurrentTest()
  if (test === undefined) throw new Error(`needTool(${name}) must be called inside a test`)
  test.context.skip(`${name}: ${available.reason ?? 'not available'}`)
}
