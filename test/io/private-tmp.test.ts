// The private temp directory: 0700 / 0600 modes, and gone after a return, a throw and process.exit.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateTempBase, withPrivateTempDir } from '../../src/io/private-tmp.js'

const base = (): string => mkdtempSync(join(tmpdir(), 'secrets-ptmp-test-'))

describe('withPrivateTempDir', () => {
  it('creates a 0700 directory with 0600 files and removes it on return', async () => {
    const where = base()
    let seen = ''
    const out = await withPrivateTempDir(
      async (dir) => {
        seen = dir.path
        const f = dir.write('app.yaml', new TextEncoder().encode('a: 1\n'))
        expect(statSync(dir.path).mode & 0o777).toBe(0o700)
        expect(statSync(f).mode & 0o777).toBe(0o600)
        expect(f).toBe(join(dir.path, 'app.yaml'))
        return 42
      },
      { env: { SECRETS_TMPDIR: where } },
    )
    expect(out).toBe(42)
    expect(seen.startsWith(where)).toBe(true)
    expect(existsSync(seen)).toBe(false)
    expect(readdirSync(where)).toEqual([])
  })

  it('removes the directory when fn throws, and refuses to overwrite a file', async () => {
    const where = base()
    let seen = ''
    await expect(
      withPrivateTempDir(
        async (dir) => {
          seen = dir.path
          dir.write('x', new Uint8Array([1]))
          dir.write('x', new Uint8Array([2])) // exists: EEXIST
        },
        { env: { SECRETS_TMPDIR: where } },
      ),
    ).rejects.toThrow(/EEXIST/)
    expect(existsSync(seen)).toBe(false)
  })

  it('removes the directory on process.exit (built module, in a child process)', () => {
    const built = join(__dirname, '..', '..', 'dist', 'io', 'private-tmp.js')
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)')
    const where = base()
    const code = `
      import { withPrivateTempDir } from ${JSON.stringify(built)}
      await withPrivateTempDir(async (dir) => { dir.write('f', new Uint8Array([1])); console.log(dir.path); process.exit(3) }, { env: { SECRETS_TMPDIR: ${JSON.stringify(where)} } })
    `
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(3)
    expect(r.stdout.trim().startsWith(where)).toBe(true)
    expect(existsSync(r.stdout.trim())).toBe(false)
  })

  it('prefers SECRETS_TMPDIR, then a writable /dev/shm, then the OS temp dir', () => {
    expect(privateTempBase({ SECRETS_TMPDIR: '/x' })).toBe('/x')
    const fallback = privateTempBase({})
    if (process.platform === 'linux' && existsSync('/dev/shm')) expect(fallback).toBe('/dev/shm')
    else expect(fallback).toBe(tmpdir())
  })
})
