#!/usr/bin/env node
// npm run bench: whole-process timings as medians of repeated runs, side by side with a
// baseline (`node -e 0`), as ratios from one run. Not part of npm test.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'dist', 'cli', 'main.js')
const runs = Number(process.env.BENCH_RUNS ?? 21)

// NODE_EXTRA_CA_CERTS adds ~130 ms to every Node start here and would hide our own cost.
const env = { ...process.env }
delete env.NODE_EXTRA_CA_CERTS

const work = mkdtempSync(join(tmpdir(), 'secrets-bench-'))
const home = join(work, 'home')
mkdirSync(home)
Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config') })
delete env.SOPS_AGE_KEY
delete env.SOPS_AGE_KEY_FILE

const recipient = execFileSync(process.execPath, [bin, 'keygen', '-q'], { env }).toString().trim()
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

function median(cmd, args) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'] })
    const t1 = process.hrtime.bigint()
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`)
    times.push(Number(t1 - t0) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

const cases = [
  ['node -e 0 (baseline)', process.execPath, ['-e', '0'], null],
  ['secrets --help', process.execPath, [bin, '--help'], 1.5],
  ['secrets decrypt, 50-key age YAML', process.execPath, [bin, 'decrypt', join(work, 'fifty.yaml')], 2],
  ['secrets exec ENV -- true, 1 file x 1000', process.execPath, [bin, 'exec', 'single', '--', 'true'], null],
  ['secrets exec ENV -- true, 100 files x 10', process.execPath, [bin, 'exec', 'hundred', '--', 'true'], null],
]
const results = cases.map(([name, cmd, args, budget]) => ({ name, ms: median(cmd, args), budget }))
const base = results[0].ms
console.log(`medians of ${runs} runs, ratios to node -e 0 (budgets from docs/architecture.md)`)
for (const r of results) {
  const ratio = r.ms / base
  const verdict = r.budget === null ? '' : ratio <= r.budget ? `  within ${r.budget}x` : `  OVER ${r.budget}x budget`
  console.log(`${r.name.padEnd(40)} ${r.ms.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x${verdict}`)
}
const [single, hundred] = results.slice(-2)
console.log(`per-file cost in a 100-file environment: ${((hundred.ms - single.ms) / 99).toFixed(2)} ms (same 1,000 values either way)`)
