// Reads vitest's JSON report and prints the CI summary, ending with the line
// "N passed, N failed, N skipped". Exit status 1 when anything failed or no test ran.
//
// vitest counts only tests: a file that fails to load (syntax or import error, a throw at top
// level) or fails outside its tests (in a hook) has status "failed" but no failed test, so it would
// vanish from the counts. Each such file counts here as one failure and is named.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { pathToFileURL } from 'node:url'

/** @param {any} report vitest's JSON report @returns {{ lines: string[], ok: boolean }} */
export function summarize(report) {
  const files = report.testResults ?? []
  const broken = files.filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'))
  const lines = []
  for (const f of broken) {
    const first =
      String(f.message || 'failed outside its tests')
        .split('\n')
        .find((l) => l.trim() !== '') ?? ''
    lines.push(`suite failed: ${relative(process.cwd(), f.name)}: ${first.trim()}`)
  }
  const failed = (report.numFailedTests ?? 0) + broken.length
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  const none = (report.numTotalTests ?? 0) === 0 && broken.length === 0
  if (none) lines.push('no test was executed')
  lines.push(`${report.numPassedTests ?? 0} passed, ${failed} failed, ${skipped} skipped`)
  return { lines, ok: failed === 0 && !none }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let report
  try {
    report = JSON.parse(readFileSync(process.argv[2], 'utf8'))
  } catch (e) {
    console.log(`cannot read the vitest report ${process.argv[2]}: ${e instanceof Error ? e.message : String(e)}`)
    console.log('0 passed, 0 failed, 0 skipped')
    process.exit(1)
  }
  const { lines, ok } = summarize(report)
  for (const l of lines) console.log(l)
  process.exit(ok ? 0 : 1)
}
