// Bundle the CLI into dist/cli/ with esbuild: one entry file plus lazily loaded chunks, so that
// module resolution and unused code do not cost start-up time (architecture speed budgets).
// tsc still emits dist/ for the library API and type declarations.
// Two passes: the second embeds the program's own `--help` text, so `secrets --help` prints it
// without loading commander (a test checks it equals commander's output).
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { chmodSync, rmSync } from 'node:fs'

async function bundle(help) {
  rmSync('dist/cli', { recursive: true, force: true })
  await build({
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: 'dist/cli',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    define: { __SECRETS_HELP__: help === undefined ? 'undefined' : JSON.stringify(help) },
    // commander and a few others are CommonJS: give the ESM chunks a require()
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  })
}

await bundle(undefined)
const env = { ...process.env, SECRETS_FULL_HELP: '1' }
delete env.COLUMNS
const help = execFileSync(process.execPath, ['dist/cli/main.js', '--help'], { env, encoding: 'utf8' })
await bundle(help)
chmodSync('dist/cli/main.js', 0o755)
