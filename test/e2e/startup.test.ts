// The built CLI's start-up machinery: the V8 code cache made at build time is used (so a stale or
// foreign cache would show up here), and the CLI works the same without it or with a broken one.
import { describe, expect, it } from 'vitest'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT, sandbox, tempDir } from '../support/cli.js'

describe('start-up', () => {
  it('the build-time code cache is accepted by this Node, and output is identical without it', () => {
    const s = sandbox()
    const r = s.run(['keygen', '-q']).stdout.trim()
    writeFileSync(join(s.dir, 'f.yaml'), 'a: 1\nb: two\n')
    expect(s.run(['encrypt', '-i', 'f.yaml', '--age', r]).code).toBe(0)
    const cached = s.run(['decrypt', 'f.yaml'], { env: { SECRETS_DEBUG_CODE_CACHE: '1' } })
    expect(cached.stderr).toBe('secrets: code cache used\n')
    const plain = s.run(['decrypt', 'f.yaml'], { env: { SECRETS_NO_CODE_CACHE: '1', SECRETS_DEBUG_CODE_CACHE: '1' } })
    expect(plain.stderr).toBe('secrets: code cache not used\n')
    expect(plain.stdout).toBe(cached.stdout)
    expect(cached.stdout).toBe('a: 1\nb: two\n')
    // the @noble reference backends (SECRETS_CRYPTO=noble) read and write the same files
    const noble = s.run(['decrypt', 'f.yaml'], { env: { SECRETS_CRYPTO: 'noble' } })
    expect(noble.stdout, noble.stderr).toBe('a: 1\nb: two\n')
    writeFileSync(join(s.dir, 'g.yaml'), 'c: 3\n')
    expect(s.run(['encrypt', '-i', 'g.yaml', '--age', r], { env: { SECRETS_CRYPTO: 'noble' } }).code).toBe(0)
    expect(s.run(['decrypt', 'g.yaml']).stdout).toBe('c: 3\n')
  })

  it('a damaged cache is not used (V8 would not notice; the build-time checksum does) and the CLI still works', () => {
    const dir = tempDir('secrets-startup-')
    cpSync(join(ROOT, 'dist', 'cli'), join(dir, 'cli'), { recursive: true })
    const cache = join(dir, 'cli', 'bundle.js.v8cache')
    const bytes = readFileSync(cache)
    for (let i = 64; i < bytes.length; i += 97) bytes[i] = (bytes[i] ?? 0) ^ 0xff
    writeFileSync(cache, bytes)
    const r = spawnSync(process.execPath, [join(dir, 'cli', 'main.js'), 'decrypt', '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH, SECRETS_DEBUG_CODE_CACHE: '1' } })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('secrets: code cache not used\n')
    expect(r.stdout).toMatch(/Usage: secrets decrypt/)
  })
})
