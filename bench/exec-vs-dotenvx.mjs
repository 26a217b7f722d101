#!/usr/bin/env node
// npm run bench (part 2): `secrets exec ENV -- true` against `dotenvx run -- true` on the same
// keys (50 and 1,000), medians of repeated runs in one go, as ratios. Budgets (architecture doc):
// at least 10x faster than dotenvx at 50 keys, at least 100x at 1,000 keys.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { benchSetup, bin, median as medianOf, root } from './common.mjs'

const dotenvx = join(root, 'node_modules', '.bin', 'dotenvx')
const runs = Number(process.env.BENCH_RUNS ?? 11)
const { env, work, recipient } = benchSetup('secrets-bench-exec-')
const median = (cmd, args, cwd) => medianOf(cmd, args, { env, cwd, runs })

try {
  console.log(`exec vs dotenvx: medians of ${runs} runs (budgets: 10x faster at 50 keys, 100x at 1,000)`)
  for (const [n, budget] of [
    [50, 10],
    [1000, 100],
  ]) {
    const dir = join(work, `k${n}`)
    mkdirSync(dir)
    const lines = Array.from({ length: n }, (_, i) => `KEY_${i}=value-${i}-${'x'.repeat(24)}`)
    writeFileSync(join(dir, 'app.env'), lines.join('\n') + '\n')
    execFileSync(process.execPath, [bin, 'encrypt', '-q', '-i', '--age', recipient, 'app.env'], { env, cwd: dir })
    writeFileSync(join(dir, '.env'), lines.join('\n') + '\n')
    execFileSync(dotenvx, ['encrypt', '-f', '.env'], { env, cwd: dir, stdio: 'ignore' })
    const ours = median(process.execPath, [bin, 'exec', 'app.env', '--', 'true'], dir)
    const theirs = median(dotenvx, ['run', '-q', '-f', '.env', '--', 'true'], dir)
    const ratio = theirs / ours
    console.log(
      `${String(n).padStart(5)} keys: secrets exec ${ours.toFixed(1).padStart(7)} ms   dotenvx run ${theirs.toFixed(1).padStart(8)} ms   ` +
        `${ratio.toFixed(1)}x faster  ${ratio >= budget ? `within budget (>= ${budget}x)` : `UNDER BUDGET (< ${budget}x)`}`,
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
