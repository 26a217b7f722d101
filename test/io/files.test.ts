// The io helpers on real files: the input cap's setting, bounded reads, where a write through
// symlinks lands, writes into things that are not regular files, and the temp-file scheme.
import { describe, expect, it } from 'vitest'
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SecretsError } from '../../src/errors.js'
import { DEFAULT_MAX_INPUT_BYTES, maxInputBytes, readBounded, readInput, realWriteTarget, tempPathFor, writeFileAtomic } from '../../src/io/files.js'
import { lockPathFor } from '../../src/io/lock.js'
import { tempDir } from '../support/cli.js'

const code = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return e instanceof SecretsError ? e.code : `raw:${(e as NodeJS.ErrnoException).code}`
  }
  return undefined
}

describe('input cap setting', () => {
  it('defaults to 256 MiB; accepts bytes and k/M/G suffixes; refuses anything else', () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(256 * 1024 * 1024)
    expect(maxInputBytes({})).toBe(DEFAULT_MAX_INPUT_BYTES)
    expect(maxInputBytes({ SECRETS_MAX_INPUT_BYTES: '' })).toBe(DEFAULT_MAX_INPUT_BYTES)
    expect(maxInputBytes({ SECRETS_MAX_INPUT_BYTES: '1000' })).toBe(1000)
    expect(maxInputBytes({ SECRETS_MAX_INPUT_BYTES: '4k' })).toBe(4096)
    expect(maxInputBytes({ SECRETS_MAX_INPUT_BYTES: '512MiB' })).toBe(512 * 1024 * 1024)
    expect(maxInputBytes({ SECRETS_MAX_INPUT_BYTES: '2G' })).toBe(2 * 1024 ** 3)
    for (const bad of ['0', '-5', 'lots', '1.5M', '12T']) expect(code(() => maxInputBytes({ SECRETS_MAX_INPUT_BYTES: bad })), bad).toBe('usage')
  })

  it('reads exactly up to the limit and refuses one byte more', () => {
    const dir = tempDir()
    const f = join(dir, 'f')
    writeFileSync(f, 'x'.repeat(100))
    expect(readBounded(f, { limit: 100 }).length).toBe(100)
    expect(code(() => readBounded(f, { limit: 99 }))).toBe('input')
    expect(code(() => readBounded('/dev/zero', { limit: 1 << 20 }))).toBe('input')
    expect(readBounded('/dev/null').length).toBe(0)
    expect(code(() => readInput(dir))).toBe('input')
  })
})

describe('writes through symlinks', () => {
  it('resolves chains, dangling links (to their target) and refuses loops', () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'real'))
    writeFileSync(join(dir, 'real', 'f.yaml'), 'a')
    symlinkSync('real/f.yaml', join(dir, 'l1'))
    symlinkSync('l1', join(dir, 'l2'))
    symlinkSync('real', join(dir, 'dirlink'))
    symlinkSync('real/new.yaml', join(dir, 'dangling'))
    symlinkSync('loop2', join(dir, 'loop1'))
    symlinkSync('loop1', join(dir, 'loop2'))
    const real = join(dir, 'real', 'f.yaml')
    expect(realWriteTarget(join(dir, 'l2'))).toBe(realWriteTarget(real))
    expect(realWriteTarget(join(dir, 'dirlink', 'f.yaml'))).toBe(realWriteTarget(real))
    expect(realWriteTarget(join(dir, 'dangling'))).toBe(join(realWriteTarget(join(dir, 'real')), 'new.yaml'))
    expect(code(() => realWriteTarget(join(dir, 'loop1')))).toBe('raw:ELOOP')
    expect(lockPathFor(join(dir, 'l2'))).toBe(join(realWriteTarget(join(dir, 'real')), '.f.yaml.lock'))

    writeFileAtomic(join(dir, 'l2'), Buffer.from('new'))
    expect(lstatSync(join(dir, 'l2')).isSymbolicLink()).toBe(true)
    expect(readFileSync(real, 'utf8')).toBe('new')
    writeFileAtomic(join(dir, 'dangling'), Buffer.from('created'), 0o600)
    expect(lstatSync(join(dir, 'dangling')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(dir, 'real', 'new.yaml'), 'utf8')).toBe('created')
    expect(code(() => writeFileAtomic(join(dir, 'loop1'), Buffer.from('x')))).toBe('io')
    expect(readdirSync(join(dir, 'real')).sort()).toEqual(['f.yaml', 'new.yaml'])
  })

  it('writes into /dev/null directly; refuses a directory; makeDirs creates 0700 folders', () => {
    const dir = tempDir()
    writeFileAtomic('/dev/null', Buffer.from('ignored'))
    expect(code(() => writeFileAtomic(dir, Buffer.from('x')))).toBe('io')
    expect(code(() => writeFileAtomic(join(dir, 'a', 'b', 'c.txt'), Buffer.from('x')))).toBe('io')
    writeFileAtomic(join(dir, 'a', 'b', 'c.txt'), Buffer.from('x'), 0o600, { makeDirs: true })
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, 'a', 'b', 'c.txt')).mode & 0o777).toBe(0o600)
  })

  it('temp names: beside the target, ours, with this pid, within the name length limit', () => {
    const t = tempPathFor('/x/y/out.yaml')
    expect(t).toMatch(new RegExp(`^/x/y/\\.out\\.yaml\\.[0-9a-f]{8}-${process.pid}-[0-9a-f]{8}\\.secrets-tmp$`))
    const long = tempPathFor('/x/' + 'é'.repeat(120))
    expect(Buffer.byteLength(long.slice(3))).toBeLessThanOrEqual(255)
  })
})
