#!/usr/bin/env node
// The `secrets` command (generated into dist/cli/main.js by scripts/bundle.mjs; do not edit there).
// `--help` and `--version` are answered from text embedded at build time, loading nothing. Every
// other command runs the bundle (dist/cli/bundle.js) through a V8 code cache kept per user, made
// on the first run with the user's own Node, so later starts skip parsing and compiling:
//   $XDG_CACHE_HOME/secrets (or ~/.cache/secrets)/cli-<hash of the key>.v8cache
// The key is the Node version, architecture, V8 version, V8/Node flags and the bundle's SHA-256;
// the file holds the key and the SHA-256 of the cache body (V8 does not check a cache's body, and
// a damaged one can crash it), so a foreign, stale or damaged file is never handed to V8. It is
// written atomically (0600, in a 0700 folder) and replaced when invalid; any I/O failure only
// means running without it. Public APIs only: vm.Script cachedData / createCachedData.
// SECRETS_NO_CODE_CACHE=1 turns it off; SECRETS_DEBUG_CODE_CACHE=1 reports on stderr what happened.
'use strict'
const HELP = __HELP__
const VERSION = __VERSION__
/** SHA-256 of bundle.js as built: part of the cache key. */
const BUNDLE_SHA256 = __BUNDLE_SHA256__
const argv = process.argv.slice(2)
const fast = process.env.SECRETS_FULL_HELP !== '1'
// `secrets --help | head -1`: a reader that went away ends us quietly with 141, as in the bundle (src/cli/main.ts)
for (const stream of [process.stdout, process.stderr]) stream.on('error', (e) => process.exit(e && e.code === 'EPIPE' ? 141 : 1))
if (fast && (argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')))) {
  // no arguments: help on stderr and the usage exit code (2), as commander does
  if (argv.length === 0) {
    process.stderr.write(HELP)
    process.exitCode = 2
  } else process.stdout.write(HELP)
} else if (fast && argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(VERSION + '\n')
} else {
  quietDependencyWarnings()
  run()
}

/**
 * Process warnings (the AWS SDK's notice about its own future Node requirement, deprecation
 * notices a library's use of an old Node API triggers) are not the user's to act on: stderr
 * carries only our own lines. --debug (or SECRETS_DEBUG=1) keeps them.
 */
function quietDependencyWarnings() {
  if (argv.includes('--debug') || process.env.SECRETS_DEBUG === '1') return
  process.emitWarning = function emitWarning() {}
}

function run() {
  const fs = require('node:fs')
  const path = require('node:path')
  const vm = require('node:vm')
  const file = path.join(__dirname, 'bundle.js')
  const debug = process.env.SECRETS_DEBUG_CODE_CACHE === '1' ? (m) => process.stderr.write(`secrets: code cache ${m}\n`) : () => {}
  const source = fs.readFileSync(file, 'latin1') // pure ASCII, already wrapped as a CommonJS module function (scripts/bundle.mjs)
  const cache = process.env.SECRETS_NO_CODE_CACHE === '1' ? null : cacheLocation(path)
  // the commands whose code the cache holds: a run of another one adds its code to the cache
  const command = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--config') || ''
  let found
  let state = 'not used'
  if (cache !== null) {
    try {
      found = readCache(fs, cache)
      if (found === undefined) state = 'not used (invalid)'
    } catch {
      found = undefined // none yet, or unreadable
    }
  }
  const script = new vm.Script(source, { filename: file, cachedData: found && found.body })
  if (found !== undefined) state = script.cachedDataRejected ? 'rejected' : 'used'
  debug(state)
  const learn = state === 'used' && /^[a-z-]{1,20}$/.test(command) && !found.trained.includes(command) && found.trained.length < 16
  if (cache !== null && (state !== 'used' || learn)) {
    const trained = state === 'used' ? [...found.trained, command] : /^[a-z-]{1,20}$/.test(command) ? [command] : []
    // written at exit, when the functions this run needed have been compiled too
    process.once('exit', () => {
      try {
        writeCache(fs, path, cache, trained, script.createCachedData())
        debug('written')
      } catch (e) {
        debug(`not written (${e && e.code ? e.code : 'error'})`)
      }
    })
  }
  const mod = { exports: {} }
  script.runInThisContext().call(mod.exports, mod.exports, require('node:module').createRequire(file), mod, file, __dirname)
}

/** The cache file for this Node, these flags and this bundle, and the key it must hold; or null. */
function cacheLocation(path) {
  const env = process.env
  const home = require('node:os').homedir()
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : home ? path.join(home, '.cache') : null
  if (base === null) return null
  const dir = path.join(base, 'secrets')
  // a folder that others can write to could hold planted code: use none then
  try {
    const st = require('node:fs').statSync(dir)
    if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return null
  } catch {
    // not made yet: made 0700 on the first write
  }
  const key = ['secrets-v8cache 1', process.version, process.arch, process.versions.v8, BUNDLE_SHA256, JSON.stringify(process.execArgv), env.NODE_OPTIONS || ''].join('\n')
  const id = require('node:crypto').createHash('sha256').update(key).digest('hex').slice(0, 32)
  return { dir, file: path.join(dir, `cli-${id}.v8cache`), key }
}

// File layout: <key (its lines end in \n)>\n\n<commands it was made by, comma-separated>\n
// <SHA-256 hex of the body>\n<body>
function readCache(fs, cache) {
  const bytes = fs.readFileSync(cache.file)
  const head = Buffer.from(cache.key + '\n\n', 'utf8')
  if (bytes.length < head.length || !bytes.subarray(0, head.length).equals(head)) return undefined
  const nl = bytes.indexOf(0x0a, head.length)
  if (nl < 0 || nl - head.length > 400 || bytes.length < nl + 66 || bytes[nl + 65] !== 0x0a) return undefined
  const trained = bytes.toString('latin1', head.length, nl).split(',').filter(Boolean)
  const body = bytes.subarray(nl + 66)
  const sum = require('node:crypto').createHash('sha256').update(body).digest('hex')
  return sum === bytes.toString('latin1', nl + 1, nl + 65) ? { body, trained } : undefined
}

function writeCache(fs, path, cache, trained, body) {
  fs.mkdirSync(cache.dir, { recursive: true, mode: 0o700 })
  const sum = require('node:crypto').createHash('sha256').update(body).digest('hex')
  const tmp = path.join(cache.dir, `.${path.basename(cache.file)}.${process.pid}.${Date.now()}.tmp`)
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600)
    try {
      fs.writeFileSync(fd, Buffer.concat([Buffer.from(`${cache.key}\n\n${trained.join(',')}\n${sum}\n`, 'utf8'), body]))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, cache.file)
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
  prune(fs, path, cache)
}

/** Keep the newest few caches (one per Node version and flags in use); drop the rest. */
function prune(fs, path, cache) {
  const files = fs
    .readdirSync(cache.dir)
    .filter((n) => /^cli-[0-9a-f]{32}\.v8cache$/.test(n))
    .map((n) => {
      const p = path.join(cache.dir, n)
      return { p, t: fs.statSync(p).mtimeMs }
    })
    .sort((a, b) => b.t - a.t)
  for (const f of files.slice(8)) if (f.p !== cache.file) fs.rmSync(f.p, { force: true })
}
