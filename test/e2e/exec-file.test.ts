// `secrets exec-file`: every open() of the served path yields the whole file from its first byte
// (readers one after another, overlapping, stopping early, reopening after a partial read), no
// run ever hangs, nothing is left behind, --filename, --input-type. The stress test is 500 runs, 4
// at a time; its outcome does not depend on timing: the served file is a plain (unlinked) file,
// so no scheduling can split or shift its content, and nothing of ours ever waits for a reader.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, sandbox, tempDir, type Sandbox } from '../support/cli.js'

const NODE = process.execPath
// Larger than a pipe buffer (64 KiB), so a reader needs many read() calls.
const BIG = 'x'.repeat(100_000)

function setup(): { s: Sandbox; tmp: string; plain: Buffer } {
  const s = sandbox()
  expect(s.run(['init', 'production', '-q']).code).toBe(0)
  writeFileSync(join(s.dir, 'secrets', 'production.yaml'), `API_TOKEN: tok-123\nBIG: ${BIG}\ndatabase:\n    password: nested-pw\n`)
  const e = s.run(['encrypt', '-i', 'secrets/production.yaml', '-q'])
  expect(e.code, e.stderr).toBe(0)
  const d = s.run(['decrypt', 'production'])
  expect(d.code, d.stderr).toBe(0)
  // Each test has its own temp root for private directories (never the machine-wide /dev/shm).
  const tmp = tempDir('secrets-exec-file-tmp-')
  s.env.SECRETS_TMPDIR = tmp
  return { s, tmp, plain: d.stdoutBytes }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

// Reads the path every way a program may, checks each read is the whole file, prints `ok <sha256>`.
const READER = `
const fs = require('fs'), crypto = require('crypto')
const p = process.argv[1]
const bad = (why) => { process.stdout.write('bad ' + why); process.exit(1) }
const readAll = (fd) => { const parts = []; const b = Buffer.alloc(65536); let n; while ((n = fs.readSync(fd, b, 0, b.length, null)) > 0) parts.push(Buffer.from(b.subarray(0, n))); return Buffer.concat(parts) }
const whole = fs.readFileSync(p)
// a partial read, then the path is opened again: the new reader starts at byte 0, the first one goes on
const a = fs.openSync(p, 'r'); const head = Buffer.alloc(5); fs.readSync(a, head, 0, 5, null)
if (!fs.readFileSync(p).equals(whole)) bad('reopened after a partial read')
if (!Buffer.concat([head, readAll(a)]).equals(whole)) bad('the first reader lost bytes'); fs.closeSync(a)
// two readers open at once, reading in turns: each gets everything
const x = fs.openSync(p, 'r'), y = fs.openSync(p, 'r'); const px = [], py = []; const b = Buffer.alloc(7); let dx = false, dy = false
while (!dx || !dy) {
  if (!dx) { const n = fs.readSync(x, b, 0, 7, null); if (n === 0) dx = true; else px.push(Buffer.from(b.subarray(0, n))) }
  if (!dy) { const n = fs.readSync(y, b, 0, 7, null); if (n === 0) dy = true; else py.push(Buffer.from(b.subarray(0, n))) }
}
fs.closeSync(x); fs.closeSync(y)
if (!Buffer.concat(px).equals(whole) || !Buffer.concat(py).equals(whole)) bad('overlapping readers')
// a reader that stops after one byte does not disturb the next
const e = fs.openSync(p, 'r'); fs.readSync(e, Buffer.alloc(1), 0, 1, null); fs.closeSync(e)
if (!fs.readFileSync(p).equals(whole)) bad('read after an early close')
process.stdout.write('ok ' + crypto.createHash('sha256').update(whole).digest('hex'))
`

// The same checks with shell tools (cheaper than a Node reader): exactly 5 bytes through fd 3, a
// reopen, the rest of fd 3, two readers at once, an early close then a full read; one hash a line.
const SH_READER =
  'exec 3<"$1"; dd bs=5 count=1 <&3 2>/dev/null | sha256sum; cat "$1" | sha256sum; cat <&3 | sha256sum; (cat "$1" | sha256sum) & (cat "$1" | sha256sum) & wait; head -c 1 "$1" >/dev/null; cat "$1" | sha256sum'
const shReaderOutput = (whole: Buffer): string => [whole.subarray(0, 5), whole, whole.subarray(5), whole, whole, whole].map((b) => `${createHash('sha256').update(b).digest('hex')}  -\n`).join('')

interface Run {
  code: number | null
  stdout: Buffer
  stderr: string
  hung: boolean
}

/** One `secrets` run; a run still going after `limit` ms is killed and reported as hung. */
function run(s: Sandbox, args: string[], limit = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, ...args], { cwd: s.dir, env: s.env, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    let hung = false
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => (err += b.toString()))
    const timer = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, limit)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out), stderr: err, hung })
    })
  })
}

describe('secrets exec-file: every open() reads the whole file', () => {
  it('the served path links to a read-only unlinked file held by secrets; it is gone afterwards', async () => {
    const { s, tmp, plain } = setup()
    const probe =
      'const fs=require("fs");const p=process.argv[1];const l=fs.lstatSync(p);const st=fs.statSync(p);process.stdout.write(JSON.stringify({p,link:l.isSymbolicLink()?fs.readlinkSync(p):null,file:st.isFile(),nlink:st.nlink,mode:st.mode&0o777,dir:fs.statSync(require("path").dirname(p)).mode&0o777,size:st.size,ppid:process.ppid,fds:fs.readdirSync("/proc/self/fd").map(f=>{try{return fs.readlinkSync("/proc/self/fd/"+f)}catch{return ""}})}))'
    const r = await run(s, ['exec-file', 'production', '--', NODE, '-e', probe, '{}'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('secrets: decrypted secrets/production.yaml to a private read-only file (unlinked, held open by secrets), removed when the command ends\n')
    const got = JSON.parse(r.stdout.toString()) as { p: string; link: string | null; file: boolean; nlink: number; mode: number; dir: number; size: number; ppid: number; fds: string[] }
    if (process.platform !== 'linux') {
      expect(got.link).toBe(null) // no /proc: a 0600 regular file
      return
    }
    expect(dirname(dirname(got.p))).toBe(tmp)
    expect(got.p.endsWith('/production.yaml')).toBe(true)
    expect(got.link).toMatch(new RegExp(`^/proc/${got.ppid}/fd/\\d+$`))
    expect(got.file).toBe(true)
    expect(got.nlink).toBe(0) // no name anywhere holds the content
    expect(got.mode).toBe(0o400)
    expect(got.dir).toBe(0o700)
    expect(got.size).toBe(plain.length)
    // the command does not inherit our descriptor of the content
    expect(got.fds.filter((f) => f.includes('secrets-content'))).toEqual([])
    expect(existsSync(dirname(got.p))).toBe(false)
    expect(readdirSync(tmp)).toEqual([])
  })

  it('a reader cannot change what the next reader gets (the file is read-only)', async () => {
    const { s } = setup()
    const write =
      'const fs=require("fs");const p=process.argv[1];let w="written";try{fs.writeFileSync(p,"changed")}catch(e){w=e.code}process.stdout.write(w+" "+fs.readFileSync(p,"utf8").includes("nested-pw"))'
    const r = await run(s, ['exec-file', 'production', '-q', '--', NODE, '-e', write, '{}'])
    expect(r.code, r.stderr).toBe(0)
    // root may override the 0400 mode (it can read and write any file); anyone else is refused
    if (process.getuid?.() === 0) expect(['EACCES true', 'written false']).toContain(r.stdout.toString())
    else expect(r.stdout.toString()).toBe('EACCES true')
  })

  it('a partial read, then a reopen: the new reader gets the whole file from byte 0', async () => {
    const { s, plain } = setup()
    const script = 'const fs=require("fs");const p=process.argv[1];const fd=fs.openSync(p,"r");const b=Buffer.alloc(10);fs.readSync(fd,b,0,10,null);process.stdout.write(fs.readFileSync(p))'
    const r = await run(s, ['exec-file', 'production', '-q', '--', NODE, '-e', script, '{}'])
    expect(r.code, r.stderr).toBe(0)
    expect(sha(r.stdout)).toBe(sha(plain))
  })

  it('two processes reading at the same time each get the whole file', async () => {
    const { s, plain } = setup()
    const out = tempDir()
    const r = await run(s, ['exec-file', 'production', '-q', '--', 'sh', '-c', `cat "$1" > ${out}/a & cat "$1" > ${out}/b & wait`, 'sh', '{}'])
    expect(r.code, r.stderr).toBe(0)
    expect(sha(readFileSync(join(out, 'a')))).toBe(sha(plain))
    expect(sha(readFileSync(join(out, 'b')))).toBe(sha(plain))
  })

  it('a reader that stops early, then one that reads it all', async () => {
    const { s, plain } = setup()
    const r = await run(s, ['exec-file', 'production', '-q', '--', 'sh', '-c', 'head -c 3 "$1" >/dev/null; cat "$1"', 'sh', '{}'])
    expect(r.code, r.stderr).toBe(0)
    expect(sha(r.stdout)).toBe(sha(plain))
  })

  it('a command that never opens the file ends at once, leaving nothing', async () => {
    const { s, tmp } = setup()
    const r = await run(s, ['exec-file', 'production', '-q', '--', 'sh', '-c', 'exit 5', 'sh', '{}'])
    expect(r.hung).toBe(false)
    expect(r.code).toBe(5)
    expect(readdirSync(tmp)).toEqual([])
  })

  it('stress: 500 runs, 4 at a time, mixed readers: zero hangs, every read whole, nothing left behind', { timeout: 60 * 60_000 }, async () => {
    const { s, tmp, plain } = setup()
    const want = sha(plain)
    const shWant = shReaderOutput(plain)
    const kinds = [
      { args: ['--', 'sh', '-c', SH_READER, 'sh', '{}'], check: (r: Run) => r.stdout.toString() === shWant },
      { args: ['--', 'cat', '{}'], check: (r: Run) => sha(r.stdout) === want },
      { args: ['--', 'sh', '-c', 'exit 0', 'sh', '{}'], check: (r: Run) => r.stdout.length === 0 },
      { args: ['--no-fifo', '--', 'sh', '-c', SH_READER, 'sh', '{}'], check: (r: Run) => r.stdout.toString() === shWant },
      { args: ['--', NODE, '-e', READER, '{}'], check: (r: Run) => r.stdout.toString() === `ok ${want}` },
    ]
    const RUNS = 500
    const failures: string[] = []
    let hangs = 0
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < RUNS) {
        const i = next++
        const kind = kinds[i % kinds.length]!
        const r = await run(s, ['exec-file', 'production', '-q', ...kind.args])
        if (r.hung) hangs++
        else if (r.code !== 0 || !kind.check(r)) failures.push(`run ${i} (${kind.args.slice(0, 3).join(' ')}): exit ${r.code}, ${r.stdout.toString().slice(0, 80)} ${r.stderr}`)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    expect(hangs).toBe(0)
    expect(failures).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  })
})

describe('secrets exec-file: names and types', () => {
  it('--filename names the served file (sops); a path or an empty name is refused', async () => {
    const { s } = setup()
    const r = await run(s, [
      'exec-file',
      'production',
      '-q',
      '--filename',
      'app.conf',
      '--',
      NODE,
      '-e',
      'process.stdout.write(require("path").basename(process.argv[1])+" "+require("fs").readFileSync(process.argv[1],"utf8").includes("nested-pw"))',
      '{}',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.toString()).toBe('app.conf true')
    for (const bad of ['../x', 'a/b', '', '..', 'a\nb']) {
      const b = s.run(['exec-file', 'production', '--filename', bad, '--', 'cat', '{}'])
      expect(b.code, bad).toBe(2)
      expect(b.stderr).toBe(`secrets: --filename takes a file name, not a path: ${JSON.stringify(bad)} - e.g. --filename config.yaml\n`)
    }
  })

  it('--filename with --no-fifo and --output-type: the format follows --output-type, the name --filename', () => {
    const { s } = setup()
    const r = s.run([
      'exec-file',
      'production',
      '-q',
      '--no-fifo',
      '--output-type',
      'json',
      '--filename',
      'settings',
      '--',
      NODE,
      '-e',
      'const fs=require("fs");const p=process.argv[1];process.stdout.write(JSON.stringify({name:require("path").basename(p),link:fs.lstatSync(p).isSymbolicLink(),mode:fs.statSync(p).mode&0o777,pw:JSON.parse(fs.readFileSync(p,"utf8")).database.password}))',
      '{}',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ name: 'settings', link: false, mode: 0o600, pw: 'nested-pw' })
  })

  it('a file without an extension: a clear error naming --input-type; with it, the file is served', () => {
    const { s } = setup()
    writeFileSync(join(s.dir, 'secrets', 'prod'), readFileSync(join(s.dir, 'secrets', 'production.yaml')))
    const r = s.run(['exec-file', 'secrets/prod', '--', 'cat', '{}'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      'secrets: cannot tell the format from the file name (no .yaml, .json, .env or .ini extension), and it is not a sops binary file (secrets/prod) - give it with --input-type, e.g. --input-type yaml\n',
    )
    const ok = s.run(['exec-file', 'secrets/prod', '-q', '--input-type', 'yaml', '--', 'cat', '{}'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain('password: nested-pw')
  })

  it('a sops binary file without an extension is served as its raw bytes, no flag needed', () => {
    const { s } = setup()
    const raw = Buffer.from([0, 1, 2, 255, 10, 13, 0x80])
    writeFileSync(join(s.dir, 'secrets', 'blob'), raw)
    const e = s.run(['encrypt', '-i', 'secrets/blob', '-q'])
    expect(e.code, e.stderr).toBe(0)
    const r = s.run(['exec-file', 'secrets/blob', '-q', '--', 'cat', '{}'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdoutBytes.equals(raw)).toBe(true)
  })
})

describe('secrets exec-file: nothing outlives secrets, even after SIGKILL', () => {
  for (const mode of [[], ['--no-fifo']] as const) {
    it(`kill -9 of secrets ${mode.join(' ') || '(default)'}: the content is unreachable at once${mode.length ? ' after the sweep' : ''}; the next run removes the folder`, async () => {
      const { s, tmp } = setup()
      const child = 'process.stdout.write(process.argv[1] + " " + process.pid + "\\n"); setInterval(() => undefined, 1000)'
      const p = spawn(NODE, [BIN, 'exec-file', 'production', '-q', ...mode, '--', NODE, '-e', child, '{}'], { cwd: s.dir, env: s.env, stdio: ['ignore', 'pipe', 'inherit'] })
      // 'exit', not 'close': the command keeps our stdout pipe open after secrets is gone
      const closed = new Promise<void>((resolve) => p.on('exit', () => resolve()))
      let out = ''
      await new Promise<void>((resolve) => {
        p.stdout.on('data', (b: Buffer) => {
          out += b.toString()
          if (out.includes('\n')) resolve()
        })
        void closed.then(() => resolve())
      })
      const [path, pid] = out.trim().split(' ') as [string, string]
      p.kill('SIGKILL')
      await closed
      process.kill(Number(pid), 'SIGKILL') // the command outlives secrets: stop it too
      const dir = dirname(path)
      expect(existsSync(dir)).toBe(true) // SIGKILL runs no cleanup
      if (mode.length === 0) {
        expect(lstatSync(path).isSymbolicLink()).toBe(true)
        expect(existsSync(path)).toBe(false) // the link leads nowhere: the content died with the process
        expect(readdirSync(dir)).toEqual(['production.yaml'])
      } else {
        expect(statSync(path).isFile()).toBe(true) // the plaintext file is still there...
      }
      // ...until the next run of a command that uses private folders
      const next = s.run(['exec-file', 'production', '-q', '--', 'true', '{}'])
      expect(next.code, next.stderr).toBe(0)
      expect(existsSync(dir)).toBe(false)
      expect(readdirSync(tmp)).toEqual([])
    })
  }

  it("a live run's folder is never removed by another run", async () => {
    const { s, tmp } = setup()
    const child =
      'const fs=require("fs");process.stdout.write(process.argv[1] + "\\n");process.stdin.once("data",()=>{process.stdout.write(fs.readFileSync(process.argv[1],"utf8").includes("nested-pw")?"still there":"gone");process.exit(0)})'
    const p = spawn(NODE, [BIN, 'exec-file', 'production', '-q', '--', NODE, '-e', child, '{}'], { cwd: s.dir, env: s.env, stdio: ['pipe', 'pipe', 'inherit'] })
    const closed = new Promise<number | null>((resolve) => p.on('close', resolve))
    let out = ''
    await new Promise<void>((resolve) => {
      p.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        if (out.includes('\n')) resolve()
      })
      void closed.then(() => resolve())
    })
    const path = out.trim()
    for (const args of [
      ['exec-file', 'production', '-q', '--', 'true', '{}'],
      ['exec-file', 'production', '-q', '--no-fifo', '--', 'true', '{}'],
    ]) {
      expect(s.run(args).code).toBe(0)
    }
    expect(readdirSync(tmp)).toEqual([basename(dirname(path))])
    p.stdin.write('go\n')
    expect(await closed).toBe(0)
    expect(out).toBe(`${path}\nstill there`)
    expect(readdirSync(tmp)).toEqual([])
  })
})
