#!/usr/bin/env node
// npm run demo: the main job end to end on the bundled example (secrets/ + .secretsrc.yaml,
// encrypted to the PUBLIC demo key in demo/), in a temporary HOME so nothing of yours is used.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'dist', 'cli', 'main.js')
const home = mkdtempSync(join(tmpdir(), 'secrets-demo-home-'))
const work = mkdtempSync(join(tmpdir(), 'secrets-demo-work-'))
const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LANG: 'C.UTF-8' }
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)

function step(title, args, { cwd = root, expectFail = false, show = true, input } = {}) {
  console.log(`\n${bold('$ secrets ' + args.map((a) => (/[\s"'[\]]/.test(a) ? `'${a}'` : a)).join(' '))}   # ${title}`)
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', input })
  if (show && r.stdout) process.stdout.write(r.stdout.endsWith('\n') ? r.stdout : r.stdout + '\n')
  if (r.stderr) process.stdout.write(r.stderr.trimEnd().replace(/^/gm, '  stderr| ') + '\n')
  const failed = r.status !== 0
  if (failed !== expectFail) {
    console.error(`demo step failed unexpectedly (exit ${r.status})`)
    process.exit(1)
  }
  if (expectFail) console.log(`  (exit code ${r.status}, as expected)`)
  return r
}

try {
  console.log(bold('secrets demo') + ` - temporary HOME ${home}`)
  console.log('The bundled secrets/*.yaml are encrypted to a PUBLIC demo age key; install it where sops looks for keys:')
  const keyDir = join(home, '.config', 'sops', 'age')
  mkdirSync(keyDir, { recursive: true, mode: 0o700 })
  copyFileSync(join(root, 'demo', 'demo-age-key.txt'), join(keyDir, 'keys.txt'))
  chmodSync(join(keyDir, 'keys.txt'), 0o600)
  console.log(`  cp demo/demo-age-key.txt ${join(keyDir, 'keys.txt')}`)

  console.log('\nWhat git stores (keys readable, values encrypted):')
  console.log(
    readFileSync(join(root, 'secrets', 'production.yaml'), 'utf8')
      .split('\n')
      .slice(0, 9)
      .map((l) => '  ' + (l.length > 110 ? l.slice(0, 107) + '...' : l))
      .join('\n'),
  )

  step('decrypt an environment by name', ['decrypt', 'production'])
  step('one value, raw, for scripts', ['decrypt', 'staging', '--extract', '["database"]["password"]'])
  step('convert on the way out', ['decrypt', 'development', '--output-type', 'json'])
  step('or as dotenv', ['decrypt', 'development', '--extract', 'database', '--output-type', 'dotenv'])
  step('to a file: mode 0600, written atomically', ['decrypt', 'production', '-o', join(work, 'production.dec.yaml')])

  console.log(bold('\nA new project of your own:'))
  step('create your own age identity', ['keygen'])
  step('config + encrypted environments + .gitignore', ['init', 'development', 'production'], { cwd: work })
  writeFileSync(join(work, 'secrets', 'development.yaml'), 'api_token: t0ps3cret\nport_unencrypted: 8080\n')
  step('encrypt in place with the creation rule', ['encrypt', '-i', 'secrets/development.yaml'], { cwd: work })
  console.log(
    readFileSync(join(work, 'secrets', 'development.yaml'), 'utf8')
      .split('\n')
      .slice(0, 2)
      .map((l) => '  ' + l)
      .join('\n'),
  )
  step('and back', ['decrypt', 'development'], { cwd: work })
  step('change one value from stdin (never from argv): only its ciphertext changes', ['set', 'development', 'api_token'], { cwd: work, input: 'n3w-t0ken' })
  step('read one value for a script', ['get', 'development', 'api_token'], { cwd: work })
  step('new data key, every value re-encrypted', ['rotate', 'development'], { cwd: work })

  console.log(bold('\nDelivering secrets to a program:'))
  step('inject into a child process only (nothing on disk)', [
    'exec',
    'production',
    '--',
    process.execPath,
    '-e',
    'console.log("the app sees DATABASE_PASSWORD with", process.env.DATABASE_PASSWORD.length, "characters")',
  ])
  step('a .env for tools that want one', ['render', 'dotenv', 'staging', '--only', 'DATABASE_HOST,DATABASE_PORT'])
  step('a Kubernetes Secret', ['render', 'k8s', 'production', '--name', 'demo-api', '--namespace', 'prod', '--only', 'stripe_api_key'])

  console.log(bold('\nTampering is caught:'))
  const enc = readFileSync(join(work, 'secrets', 'development.yaml'), 'utf8')
  writeFileSync(join(work, 'secrets', 'development.yaml'), enc.replace('port_unencrypted: 8080', 'port_unencrypted: 9090'))
  step('a clear value was changed behind our back: the MAC says so', ['decrypt', 'development'], { cwd: work, expectFail: true })

  console.log(bold('\nWithout the key:'))
  rmSync(join(keyDir, 'keys.txt'))
  step('no identity anywhere: the error says where it looked', ['decrypt', 'production'], { expectFail: true })
  console.log('\nDone. Nothing was written outside the temporary folders, which are now removed.')
} finally {
  rmSync(home, { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
}
