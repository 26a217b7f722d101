#!/usr/bin/env node
// npm run bench (part 2): `secrets exec ENV -- true` against `dotenvx run -- true` on the same
// keys (50 and 1,000), medians of repeated runs in one go, as ratios. Budgets (architecture doc):
// at least 10x faster than dotenvx at 50 keys, at least 100x at 1,000 keys.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'dist', 'cli', 'main.js')
const dotenvx = join(root, 'node_modules', '.bin', 'dotenvx')
const runs = Number(process.env.BENCH_RUNS ?? 11)

const env = { ...process.env }
delete env.NODE_EXTRA_CA_CERTS // +130 ms per Node start here, for both sides alike
const work = mkdtempSync(join(tmpdir(), 'secrets-bench-exec-'))
const home = join(work, 'home')
mkdirSync(home)
Object.assign(env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config') })
for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'DOTENV_PRIVATE_KEY']) delete env[k]

function median(cmd, args, cwd) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] })
    const t1 = process.hrtime.bigint()
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
    times.push(Number(t1 - t0) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

try {
  const recipient = execFileSync(process.execPath, [bin, 'keygen', '-q'], { env }).toString().trim()
  console.log(`exec vs dotenvx: medians of ${runs} runs (budgets: 10x faster at 50 keys, 100x at 1,000)`)
  for (const [n, budget] of [[50, 10], [1000, 100]]) {
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
