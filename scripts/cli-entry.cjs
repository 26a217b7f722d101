#!/usr/bin/env node
// The `secrets` command (generated into dist/cli/main.js by scripts/bundle.mjs; do not edit there).
// `--help` and `--version` are answered from text embedded at build time, loading nothing. Every
// other command loads the bundle through a V8 code cache made at build time, so start-up skips
// parsing and compiling (a cache from another Node version is rejected by V8 and simply unused).
'use strict'
const HELP = __HELP__
const VERSION = __VERSION__
/** SHA-256 of bundle.js.v8cache as built: V8 does not checksum a cache's body, and a damaged one can crash it. */
const CACHE_SHA256 = __CACHE_SHA256__
const argv = process.argv.slice(2)
const fast = process.env.SECRETS_FULL_HELP !== '1'
if (fast && (argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')))) {
  // no arguments: help on stderr and the usage exit code (2), as commander does
  if (argv.length === 0) {
    process.stderr.write(HELP)
    process.exitCode = 2
  } else process.stdout.write(HELP)
} else if (fast && argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(VERSION + '\n')
} else {
  const fs = require('node:fs')
  const path = require('node:path')
  const vm = require('node:vm')
  const Module = require('node:module')
  const file = path.join(__dirname, 'bundle.js')
  const cacheFile = file + '.v8cache'
  let cachedData
  if (process.env.SECRETS_NO_CODE_CACHE !== '1') {
    try {
      cachedData = fs.readFileSync(cacheFile)
      if (require('node:crypto').createHash('sha256').update(cachedData).digest('hex') !== CACHE_SHA256) cachedData = undefined
    } catch {
      cachedData = undefined // no cache: compile as usual
    }
  }
  // bundle.js is pure ASCII and already wrapped as a CommonJS module function (scripts/bundle.mjs)
  const script = new vm.Script(fs.readFileSync(file, 'latin1'), { filename: file, cachedData })
  if (process.env.SECRETS_DEBUG_CODE_CACHE === '1') {
    process.stderr.write(`secrets: code cache ${cachedData === undefined ? 'not used' : script.cachedDataRejected ? 'rejected' : 'used'}\n`)
  }
  if (process.env.SECRETS_WRITE_CODE_CACHE === '1') {
    process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()))
  }
  const mod = new Module(file, module)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(__dirname)
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, __dirname)
}
