// The served file of exec-file, in process: every open() of the path reads the whole content from
// byte 0 (one reader after another, two at once, after a partial read, after an early close, many
// processes at once), writes are refused, and nothing is left once the callback ends.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { withServedFile } from '../../src/io/served-file.js'

const base = (): string => mkdtempSync(join(tmpdir(), 'secrets-served-test-'))
const CONTENT = randomBytes(200_000) // several pipe buffers' worth, any bytes

function readAll(fd: number): Buffer {
  const parts: Buffer[] = []
  const b = Buffer.alloc(65536)
  let n: number
  while ((n = readSync(fd, b, 0, b.length, null)) > 0) parts.push(Buffer.from(b.subarray(0, n)))
  return Buffer.concat(parts)
}

function readN(fd: number, n: number): Buffer {
  const b = Buffer.alloc(n)
  return b.subarray(0, readSync(fd, b, 0, n, null))
}

const ourFds = (): string[] =>
  readdirSync('/proc/self/fd').map((f) => {
    try {
      return readlinkSync(`/proc/self/fd/${f}`)
    } catch {
      return ''
    }
  })

describe('withServedFile', () => {
  it.runIf(process.platform === 'linux')('Linux: a link to /proc/<pid>/fd/<n> of an unlinked 0400 file; every open starts at byte 0', async () => {
    const where = base()
    let seen = ''
    await withServedFile('app.yaml', CONTENT, { env: { SECRETS_TMPDIR: where } }, async (path, kind) => {
      seen = path
      expect(kind).toBe('link')
      expect(path).toBe(join(readdirSync(where).map((d) => join(where, d))[0]!, 'app.yaml'))
      expect(readlinkSync(path)).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+$`))
      const st = statSync(path)
      expect(st.isFile()).toBe(true)
      expect(st.nlink).toBe(0)
      expect(st.mode & 0o777).toBe(0o400)
      expect(st.size).toBe(CONTENT.length)
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o700)
      expect(readdirSync(dirname(path))).toEqual(['app.yaml']) // the content has no name

      // one after another
      for (let i = 0; i < 5; i++) expect(readFileSync(path).equals(CONTENT)).toBe(true)
      // a partial read, then a reopen: the new reader starts at 0, the first goes on where it was
      const a = openSync(path, 'r')
      const head = readN(a, 10)
      expect(readFileSync(path).equals(CONTENT)).toBe(true)
      expect(Buffer.concat([head, readAll(a)]).equals(CONTENT)).toBe(true)
      closeSync(a)
      // two readers at once, in turns
      const x = openSync(path, 'r')
      const y = openSync(path, 'r')
      const px: Buffer[] = []
      const py: Buffer[] = []
      for (;;) {
        const bx = readN(x, 4096)
        const by = readN(y, 1000)
        px.push(bx)
        py.push(by)
        if (bx.length === 0 && by.length === 0) break
      }
      closeSync(x)
      closeSync(y)
      expect(Buffer.concat(px).equals(CONTENT)).toBe(true)
      expect(Buffer.concat(py).equals(CONTENT)).toBe(true)
      // an early close changes nothing for the next reader
      const e = openSync(path, 'r')
      readN(e, 1)
      closeSync(e)
      expect(readFileSync(path).equals(CONTENT)).toBe(true)
      // no reader can write (root may: it overrides file modes)
      if (process.getuid?.() !== 0) expect(() => writeFileSync(path, 'changed')).toThrow(/EACCES/)
    })
    expect(existsSync(seen)).toBe(false)
    expect(readdirSync(where)).toEqual([])
    expect(ourFds().filter((f) => f.includes('secrets-content'))).toEqual([]) // our descriptor is closed
  })

  it('eight processes reading at the same time each get the whole content', async () => {
    const where = base()
    await withServedFile('blob', CONTENT, { env: { SECRETS_TMPDIR: where } }, async (path) => {
      const outs = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<Buffer>((resolve, reject) => {
              const p = spawn('cat', [path])
              const chunks: Buffer[] = []
              p.stdout.on('data', (b: Buffer) => chunks.push(b))
              p.on('error', reject)
              p.on('close', () => resolve(Buffer.concat(chunks)))
            }),
        ),
      )
      for (const o of outs) expect(o.equals(CONTENT)).toBe(true)
    })
    expect(readdirSync(where)).toEqual([])
  })

  it('empty content is served too', async () => {
    const where = base()
    await withServedFile('empty.env', new Uint8Array(0), { env: { SECRETS_TMPDIR: where } }, async (path) => {
      expect(readFileSync(path).length).toBe(0)
      expect(readFileSync(path).length).toBe(0)
    })
  })

  it('regularFile: a 0600 regular file, every open independent; removed afterwards', async () => {
    const where = base()
    let seen = ''
    await withServedFile('app.json', CONTENT, { regularFile: true, env: { SECRETS_TMPDIR: where } }, async (path, kind) => {
      seen = path
      expect(kind).toBe('file')
      expect(lstatSync(path).isFile()).toBe(true)
      expect(statSync(path).mode & 0o777).toBe(0o600)
      const a = openSync(path, 'r')
      readN(a, 10)
      expect(readFileSync(path).equals(CONTENT)).toBe(true)
      closeSync(a)
    })
    expect(existsSync(seen)).toBe(false)
    expect(readdirSync(where)).toEqual([])
  })

  it('a throwing callback still removes everything', async () => {
    const where = base()
    let seen = ''
    await expect(
      withServedFile('app.yaml', CONTENT, { env: { SECRETS_TMPDIR: where } }, async (path) => {
        seen = path
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(seen).not.toBe('')
    expect(readdirSync(where)).toEqual([])
  })
})
