#!/usr/bin/env node
// npm run bench (part 3): a 10,000-key YAML file, whole process: encrypt and decrypt time (medians
// of a few runs) and peak RSS. Budgets (architecture doc): decrypt < 1 s, encrypt < 1.5 s, RSS < 200 MB.
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { benchSetup, bin } from './common.mjs'

const runs = Number(process.env.BENCH_LARGE_RUNS ?? 5)
const { env, work, recipient } = benchSetup('secrets-bench-large-')
const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : null

function measure(args) {
  const ms = []
  let rss = 0
  for (let i = 0; i < runs; i++) {
    const cmd = time ?? process.execPath
    const argv = time ? ['-f', '%M', process.execPath, bin, ...args] : [bin, ...args]
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, argv, { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'] })
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6)
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`)
    if (time) rss = Math.max(rss, Number(r.stderr.toString().trim().split('\n').pop()) / 1024)
  }
  ms.sort((a, b) => a - b)
  return { ms: ms[Math.floor(ms.length / 2)], rss }
}

try {
  writeFileSync(join(work, 'big.yaml'), Array.from({ length: 10_000 }, (_, i) => `KEY_${i}: value-${i}-${'x'.repeat(24)}`).join('\n') + '\n')
  const enc = measure(['encrypt', '-q', '--age', recipient, '-o', 'big.enc.yaml', 'big.yaml'])
  const dec = measure(['decrypt', 'big.enc.yaml', '-o', 'big.dec.yaml', '-q'])
  const line = (name, r, budget) =>
    `${name.padEnd(32)} ${r.ms.toFixed(0).padStart(6)} ms ${r.ms <= budget ? `(budget ${budget} ms: ok)` : `(OVER the ${budget} ms budget)`}` +
    (time ? `   peak RSS ${r.rss.toFixed(0)} MB ${r.rss <= 200 ? '(< 200 MB: ok)' : '(OVER 200 MB)'}` : '')
  console.log(`10,000-key YAML, medians of ${runs} runs`)
  console.log(line('secrets encrypt', enc, 1500))
  console.log(line('secrets decrypt', dec, 1000))
} finally {
  rmSync(work, { recursive: true, force: true })
}
