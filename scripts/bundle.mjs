// Bundle the CLI into dist/cli/ with esbuild: one entry file plus lazily loaded chunks, so that
// module resolution and unused code do not cost start-up time (architecture speed budgets).
// tsc still emits dist/ for the library API and type declarations.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

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
  // commander and a few others are CommonJS: give the ESM chunks a require()
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
})
