// .ci/run's summary line tells the truth: a test file that fails to load, or fails in a hook, is a
// failure even though vitest counts no failed test for it.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/cli.js'

const ROOT = resolve(__dirname, '..', '..')
const SUMMARY = join(ROOT, '.ci', 'summary.mjs')

// The shape of vitest's JSON report (as written by --reporter=json), trimmed to what matters.
const file = (name: string, status: 'passed' | 'failed', assertions: string[], message = '') => ({
  name: join(ROOT, name),
  status,
  message,
  assertionResults: assertions.map((s) => ({ status: s })),
})
const report = (files: ReturnType<typeof file>[], counts: { passed: number; failed: number; pending?: number; todo?: number }) => ({
  numTotalTests: counts.passed + counts.failed + (counts.pending ?? 0) + (counts.todo ?? 0),
  numPassedTests: counts.passed,
  numFailedTests: counts.failed,
  numPendingTests: counts.pending ?? 0,
  numTodoTests: counts.todo ?? 0,
  numFailedTestSuites: files.filter((f) => f.status === 'failed').length,
  testResults: files,
})

function run(r: unknown): { code: number; lines: string[] } {
  const path = join(tempDir('secrets-ci-summary-'), 'report.json')
  writeFileSync(path, JSON.stringify(r))
  const p = spawnSync(process.execPath, [SUMMARY, path], { cwd: ROOT, encoding: 'utf8' })
  return { code: p.status ?? -1, lines: p.stdout.trim().split('\n') }
}

describe('.ci/summary.mjs', () => {
  it('all green: the counts, exit 0', () => {
    const r = run(report([file('test/a.test.ts', 'passed', ['passed', 'passed', 'skipped'])], { passed: 2, failed: 0, pending: 1 }))
    expect(r).toEqual({ code: 0, lines: ['2 passed, 0 failed, 1 skipped'] })
  })

  it('a file that fails to load counts as a failure and is named', () => {
    const r = run(
      report([file('test/a.test.ts', 'passed', ['passed', 'passed']), file('test/b.test.ts', 'failed', [], "Cannot find module './gone.js' imported from test/b.test.ts\n    at stack")], {
        passed: 2,
        failed: 0,
      }),
    )
    expect(r.code).toBe(1)
    expect(r.lines).toEqual(["suite failed: test/b.test.ts: Cannot find module './gone.js' imported from test/b.test.ts", '2 passed, 1 failed, 0 skipped'])
  })

  it('a file whose hook fails after its tests passed counts as a failure', () => {
    const r = run(report([file('test/c.test.ts', 'failed', ['passed'], 'hook boom')], { passed: 1, failed: 0 }))
    expect(r.code).toBe(1)
    expect(r.lines.at(-1)).toBe('1 passed, 1 failed, 0 skipped')
  })

  it('failed tests are counted once, not again for their file', () => {
    const r = run(report([file('test/d.test.ts', 'failed', ['passed', 'failed', 'failed'])], { passed: 1, failed: 2 }))
    expect(r).toEqual({ code: 1, lines: ['1 passed, 2 failed, 0 skipped'] })
  })

  it('no test at all is a failure', () => {
    const r = run(report([], { passed: 0, failed: 0 }))
    expect(r).toEqual({ code: 1, lines: ['no test was executed', '0 passed, 0 failed, 0 skipped'] })
  })

  it('an unreadable report still ends with the summary line', () => {
    const p = spawnSync(process.execPath, [SUMMARY, join(tempDir('secrets-ci-summary-'), 'missing.json')], { encoding: 'utf8' })
    expect(p.status).toBe(1)
    expect(p.stdout.trim().split('\n').at(-1)).toBe('0 passed, 0 failed, 0 skipped')
  })
})

describe('.ci/run', () => {
  it('runs lint and typecheck before the tests, under CI=true', () => {
    const text = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
    expect(text).toMatch(/export CI=true/)
    const lint = text.indexOf('npm run lint')
    const typecheck = text.indexOf('npm run typecheck')
    const test = text.indexOf('npm test')
    expect(lint).toBeGreaterThan(0)
    expect(typecheck).toBeGreaterThan(lint)
    expect(test).toBeGreaterThan(typecheck)
    expect(text).toMatch(/node \.ci\/summary\.mjs/)
  })
})
