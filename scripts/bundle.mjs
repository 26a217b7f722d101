// Build the CLI into dist/cli/: esbuild bundles src/cli/main.ts (CommonJS, one file: dynamic
// imports become lazy initialisers, nothing is evaluated before it is needed) into bundle.js;
// main.js is scripts/cli-entry.cjs with the program's own --help text, the version and the
// bundle's SHA-256 embedded. main.js keeps a V8 code cache of the bundle per user, made on the
// first run with the user's own Node (no cache is shipped: one would only fit the builder's exact
// Node). Together they keep start-up near `node -e 0` (architecture speed budgets). The AWS SDK stays outside the bundle: loaded from node_modules when KMS is used.
// tsc still emits dist/ for the library API and its type declarations.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const out = join(process.cwd(), 'dist', 'cli')
const pkg = JSON.parse(readFileSync('package.json', 'utf8'))

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
// dist/ is ESM for the library; the CLI folder is CommonJS (vm.Script runs CommonJS code)
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n')
// ES-module-only libraries used off the hot path (age encryption, the @noble reference backends)
// are pre-bundled to CommonJS files of their own, required only when needed: the main bundle,
// and so its code cache, stays small.
/** esbuild options every CommonJS output here shares. */
const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', minify: true, legalComments: 'linked', logLevel: 'warning' }

const VENDOR = { 'age-encryption': 'age-encryption', '@noble/ciphers/aes.js': 'noble-aes', '@noble/hashes/sha2.js': 'noble-sha2' }
for (const [spec, name] of Object.entries(VENDOR)) {
  await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(spec)})`, resolveDir: process.cwd(), loader: 'js' },
    outfile: join(out, 'vendor', `${name}.js`),
    ...common,
  })
}
const vendorPlugin = {
  name: 'vendor',
  setup(b) {
    // yaml's ES module build (its "browser" entry, plain ESM without browser APIs) tree-shakes and
    // needs no CommonJS wrapper; its Node entry is CommonJS that evaluates every module up front
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(process.cwd(), 'node_modules', 'yaml', 'browser', 'index.js') }))
    b.onResolve({ filter: /^(age-encryption|@noble\/ciphers\/aes\.js|@noble\/hashes\/sha2\.js)$/ }, (args) => ({ path: `./vendor/${VENDOR[args.path]}.js`, external: true }))
  },
}

await build({
  plugins: [vendorPlugin],
  entryPoints: ['src/cli/main.ts'],
  outfile: join(out, 'bundle.js'),
  ...common,
  // CommonJS packages used on rare paths stay in node_modules, required when needed; ES-module-only
  // ones (age-encryption, @noble) must be bundled: Node 20 cannot require() them
  external: ['@aws-sdk/*', 'fast-glob'],
  // vm.Script code cannot import(): lazy imports become require()s of bundled or external CommonJS
  supported: { 'dynamic-import': false },
  // the version comes from package.json alone (src/version.ts)
  define: { __SECRETS_VERSION__: JSON.stringify(pkg.version), 'import.meta.url': 'undefined' },
  logLevel: 'warning',
})

// main.js compiles bundle.js as one function (CommonJS's module wrapper), so write it wrapped:
// no string concatenation of the whole source at every start
const bundlePath = join(out, 'bundle.js')
// main.js reads it as latin1 (cheaper than UTF-8 decoding): only right while esbuild's ASCII output holds
if (readFileSync(bundlePath).some((b) => b > 0x7f)) throw new Error('dist/cli/bundle.js is not pure ASCII; main.js reads it as latin1')
writeFileSync(bundlePath, `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundlePath, 'latin1')}\n})`, 'latin1')

const bundleSha256 = createHash('sha256').update(readFileSync(bundlePath)).digest('hex')
function writeEntry(help) {
  const entry = readFileSync('scripts/cli-entry.cjs', 'utf8')
    .replace('__HELP__', JSON.stringify(help))
    .replace('__VERSION__', JSON.stringify(pkg.version))
    .replace('__BUNDLE_SHA256__', JSON.stringify(bundleSha256))
  writeFileSync(join(out, 'main.js'), entry)
  chmodSync(join(out, 'main.js'), 0o755)
}

writeEntry('')
const env = { ...process.env, SECRETS_FULL_HELP: '1', SECRETS_NO_CODE_CACHE: '1' }
delete env.COLUMNS
writeEntry(execFileSync(process.execPath, [join(out, 'main.js'), '--help'], { env, encoding: 'utf8' }))
