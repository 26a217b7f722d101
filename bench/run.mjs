#!/usr/bin/env node
// npm run bench: whole-process timings as medians of repeated runs, side by side with a
// baseline (`node -e 0`), as ratios from one run. Not part of npm test.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { benchSetup, bin, installPackage, median as medianOf, root } from './common.mjs'

const runs = Number(process.env.BENCH_RUNS ?? 21)
const { env, work, recipient } = benchSetup('secrets-bench-')
const lines = []
for (let i = 0; i < 50; i++) lines.push(`KEY_${i}: value-${i}-${'x'.repeat(24)}`)
writeFileSync(join(work, 'fifty.yaml'), lines.join('\n') + '\n')
execFileSync(process.execPath, [bin, 'encrypt', '-q', '-i', '--age', recipient, join(work, 'fifty.yaml')], { env, cwd: work })

// An environment of 100 files of 10 keys (secrets/hundred/), against one file of the same 1,000
// keys: the difference is the per-file cost (an unwrap, a parse, a MAC each). Encrypted through
// the library in this process: 100 CLI runs would only slow the setup down.
const { encryptFile } = await import(pathToFileURL(join(root, 'dist', 'index.js')).href)
mkdirSync(join(work, 'secrets', 'hundred'), { recursive: true })
const thousand = []
const files = []
for (let f = 0; f < 100; f++) {
  const keys = []
  for (let k = 0; k < 10; k++) keys.push(`KEY_${f}_${k}: value-${f}-${k}-${'x'.repeat(24)}`)
  thousand.push(...keys)
  files.push(join(work, 'secrets', 'hundred', `part-${String(f).padStart(3, '0')}.yaml`))
  writeFileSync(files[f], keys.join('\n') + '\n')
}
writeFileSync(join(work, 'secrets', 'single.yaml'), thousand.join('\n') + '\n')
await Promise.all([...files, join(work, 'secrets', 'single.yaml')].map((p) => encryptFile(p, { age: [recipient], inPlace: true, cwd: work })))

const median = (cmd, args, extraEnv = {}) => medianOf(cmd, args, { env: { ...env, ...extraEnv }, cwd: work, runs })

// The same start-up from the package as installed from its tarball (its own node_modules, its
// own per-user code cache made on the first run), not only from this work tree.
const installed = installPackage(work)

const NO_CACHE = { SECRETS_NO_CODE_CACHE: '1' }
const cases = [
  ['node -e 0 (baseline)', process.execPath, ['-e', '0'], null],
  ['secrets --help', process.execPath, [bin, '--help'], 1.5],
  ['secrets decrypt, 50-key age YAML', process.execPath, [bin, 'decrypt', join(work, 'fifty.yaml')], 2],
  ['the same, audit trail off', process.execPath, [bin, 'decrypt', join(work, 'fifty.yaml')], null, { SECRETS_AUDIT: 'off' }],
  ['installed: secrets --help', process.execPath, [installed, '--help'], 1.5],
  ['installed: secrets decrypt, 50 keys', process.execPath, [installed, 'decrypt', join(work, 'fifty.yaml')], 2],
  ['installed: the same, no code cache', process.execPath, [installed, 'decrypt', join(work, 'fifty.yaml')], null, NO_CACHE],
  ['secrets exec ENV -- true, 1 file x 1000', process.execPath, [bin, 'exec', 'single', '--', 'true'], null],
  ['secrets exec ENV -- true, 100 files x 10', process.execPath, [bin, 'exec', 'hundred', '--', 'true'], null],
]
const results = cases.map(([name, cmd, args, budget, extraEnv]) => ({ name, ms: median(cmd, args, extraEnv), budget }))
const base = results[0].ms
console.log(`medians of ${runs} runs, ratios to node -e 0 (budgets from docs/architecture.md)`)
for (const r of results) {
  const ratio = r.ms / base
  const verdict = r.budget === null ? '' : ratio <= r.budget ? `  within ${r.budget}x` : `  OVER ${r.budget}x budget`
  console.log(`${r.name.padEnd(40)} ${r.ms.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x${verdict}`)
}
const [single, hundred] = results.slice(-2)
console.log(`per-file cost in a 100-file environment: ${((hundred.ms - single.ms) / 99).toFixed(2)} ms (same 1,000 values either way)`)
