// Input and output edges, driven through the built CLI with real pipes, devices, FIFOs and kill -9:
// the input cap (SECRETS_MAX_INPUT_BYTES) and devices that never end; a reader that closes stdout
// (`| head -1`) ends the command quietly with 141; temp files of a killed write are named so init's
// .gitignore covers them, are 0600, and are removed by the next run (never a live process's).
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { as, BIN, identity, sandbox, type Identity, type Sandbox } from '../support/cli.js'
import { requireTool, toolOnPath } from '../support/skip.js'

const withBash = requireTool(toolOnPath('bash'), 'bash')
const withGit = requireTool(toolOnPath('git'), 'git')
const withMkfifo = requireTool(toolOnPath('mkfifo'), 'mkfifo')

interface Setup {
  s: Sandbox
  a: Identity
  /** secrets/production.yaml, encrypted for `a` */
  file: string
}

/** production.yaml with `keys` values (of `size` characters each). */
function setup(opts: { keys?: number; size?: number } = {}): Setup {
  const s = sandbox()
  const a = identity(s, 'a')
  writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${a.recipient}\n`)
  mkdirSync(join(s.dir, 'secrets'))
  const file = join(s.dir, 'secrets', 'production.yaml')
  const keys = opts.keys ?? 3
  const size = opts.size ?? 8
  let text = ''
  for (let i = 0; i < keys; i++) text += `KEY_${i}: ${String(i).padStart(size, 'v')}\n`
  writeFileSync(file, text)
  const r = s.run(['encrypt', '-i', 'secrets/production.yaml'])
  expect(r.code, r.stderr).toBe(0)
  return { s, a, file }
}

const oneLine = (stderr: string): void => {
  expect(stderr).toMatch(/^secrets: [^\n]*\n$/)
  expect(stderr).not.toMatch(/\s+at /)
}

/** Run the CLI with stdin from `stdinFd` (a device, a file), synchronously. */
function runWithStdin(s: Sandbox, args: string[], stdinPath: string, env: NodeJS.ProcessEnv = {}): { code: number; stderr: string } {
  const fd = openSync(stdinPath, 'r')
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: s.dir, env: { ...s.env, ...env }, stdio: [fd, 'pipe', 'pipe'], timeout: 60_000 })
    return { code: r.status ?? -1, stderr: r.stderr.toString() }
  } finally {
    closeSync(fd)
  }
}

describe('input size cap and devices', () => {
  it('a device that never ends is refused at once, as a file and as stdin; nothing changes', () => {
    const t = setup()
    const before = readFileSync(t.file)
    for (const args of [
      ['decrypt', '/dev/zero'],
      ['encrypt', '--input-type', 'yaml', '/dev/urandom'],
      ['set', 'secrets/production.yaml', 'KEY_0', '--value-file', '/dev/zero'],
    ]) {
      const r = t.s.run(args, { env: as(t.a) })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr)
      expect(r.stderr).toContain('is a device, not a file')
    }
    for (const args of [
      ['decrypt', '--input-type', 'yaml', '-'],
      ['set', 'secrets/production.yaml', 'KEY_0'],
    ]) {
      const r = runWithStdin(t.s, args, '/dev/zero', as(t.a))
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr)
      expect(r.stderr).toContain('stdin is a device')
    }
    expect(readFileSync(t.file)).toEqual(before)
    // /dev/null is a device that ends at once: still an (empty) input
    const empty = t.s.run(['set', 'secrets/production.yaml', 'EMPTY', '--value-file', '/dev/null', '--allow-empty'], { env: as(t.a) })
    expect(empty.code, empty.stderr).toBe(0)
    const viaStdin = runWithStdin(t.s, ['set', 'secrets/production.yaml', 'EMPTY2', '--allow-empty'], '/dev/null', as(t.a))
    expect(viaStdin.code, viaStdin.stderr).toBe(0)
  })

  it('past SECRETS_MAX_INPUT_BYTES: one line, exit 3, nothing changed, for files, stdin and values', () => {
    const t = setup({ keys: 40 })
    const before = readFileSync(t.file)
    expect(before.length).toBeGreaterThan(2048)
    const cap = { ...as(t.a), SECRETS_MAX_INPUT_BYTES: '2k' }
    for (const args of [
      ['decrypt', 'secrets/production.yaml'],
      ['set', 'secrets/production.yaml', 'KEY_0'],
      ['rotate', 'secrets/production.yaml'],
      ['exec', 'production', '--', 'true'],
    ]) {
      const r = t.s.run(args, { env: cap, input: 'x' })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3)
      oneLine(r.stderr)
      expect(r.stderr).toContain('larger than the 2 KiB limit')
      expect(r.stderr).toContain('SECRETS_MAX_INPUT_BYTES')
    }
    expect(readFileSync(t.file)).toEqual(before)

    // a value over the cap, piped in or from a file: refused, the file untouched
    const big = 'x'.repeat(before.length + 2000)
    const plenty = { ...as(t.a), SECRETS_MAX_INPUT_BYTES: String(before.length + 1000) }
    const piped = t.s.run(['set', 'secrets/production.yaml', 'BIG'], { env: plenty, input: big })
    expect(piped.code).toBe(3)
    oneLine(piped.stderr)
    expect(piped.stderr).toContain('(stdin)')
    writeFileSync(join(t.s.dir, 'big.txt'), big)
    const fromFile = t.s.run(['set', 'secrets/production.yaml', 'BIG', '--value-file', 'big.txt'], { env: plenty })
    expect(fromFile.code).toBe(3)
    oneLine(fromFile.stderr)
    const plainStdin = t.s.run(['encrypt', '--input-type', 'yaml', '--age', t.a.recipient, '-'], { env: plenty, input: `K: ${big}\n` })
    expect(plainStdin.code).toBe(3)
    expect(readFileSync(t.file)).toEqual(before)

    // under the cap all works; a bad setting is a usage error
    expect(t.s.run(['set', 'secrets/production.yaml', 'SMALL'], { env: plenty, input: 'ok' }).code).toBe(0)
    const bad = t.s.run(['decrypt', 'secrets/production.yaml'], { env: { ...as(t.a), SECRETS_MAX_INPUT_BYTES: 'lots' } })
    expect(bad.code).toBe(2)
    oneLine(bad.stderr)
  })

  it.runIf(withBash)('FIFOs and process substitution are read to their end (and capped)', () => {
    const t = setup()
    const script = `set -e
node "${BIN}" set secrets/production.yaml FROM_FIFO --value-file <(printf 'fifo-value')
node "${BIN}" decrypt --input-type yaml --output-type json <(cat secrets/production.yaml)`
    const r = spawnSync('bash', ['-c', script], { cwd: t.s.dir, env: { ...t.s.env, ...as(t.a) }, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).FROM_FIFO).toBe('fifo-value')
    const over = spawnSync('bash', ['-c', `node "${BIN}" set secrets/production.yaml X --value-file <(head -c 100000 /dev/zero)`], {
      cwd: t.s.dir,
      env: { ...t.s.env, ...as(t.a), SECRETS_MAX_INPUT_BYTES: '64k' },
      encoding: 'utf8',
    })
    expect(over.status).toBe(3)
    oneLine(over.stderr)
    expect(over.stderr).toContain('larger than the 64 KiB limit')
  })
})

/** Run the CLI with stdout a pipe whose reader has already gone (deterministic EPIPE). */
async function runIntoClosedPipe(s: Sandbox, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const fifo = join(s.home, `closed-${Math.random().toString(16).slice(2)}.fifo`)
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  const writer = openSync(fifo, constants.O_WRONLY)
  closeSync(reader) // no reader any more: every write to `writer` fails with EPIPE
  try {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: s.dir, env: { ...s.env, ...env }, stdio: ['ignore', writer, 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
    return await new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })))
  } finally {
    closeSync(writer)
  }
}

describe('a closed stdout', () => {
  it.runIf(withBash)('`decrypt FILE | head -1` prints the first line, no stack trace, exit 141', () => {
    const t = setup({ keys: 3000, size: 40 }) // far more than a pipe buffer
    const r = spawnSync('bash', ['-c', `node "${BIN}" decrypt secrets/production.yaml | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      cwd: t.s.dir,
      env: { ...t.s.env, ...as(t.a) },
      encoding: 'utf8',
    })
    expect(r.stdout).toBe(`KEY_0: ${'0'.padStart(40, 'v')}\n`)
    expect(r.stderr).toBe('status=141\n')
  })

  it.runIf(withMkfifo)('every command that writes to stdout ends quietly with 141', async () => {
    const t = setup({ keys: 3 })
    const env = as(t.a)
    writeFileSync(join(t.s.dir, 'plain.yaml'), 'a: 1\n')
    for (const args of [
      ['decrypt', 'secrets/production.yaml'],
      ['get', 'production', 'KEY_1'],
      ['render', 'dotenv', 'production'],
      ['render', 'k8s', 'production', '--name', 'app'],
      ['encrypt', '--age', t.a.recipient, 'plain.yaml'],
      ['keygen', '-q', '-o', join(t.s.home, 'more-keys.txt')],
      ['--help'],
      ['--version'],
    ]) {
      const r = await runIntoClosedPipe(t.s, args, env)
      expect({ args, code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ args, code: 141, signal: null, stderr: '' })
    }
  })
})

// The temp-file naming scheme, as the tests see it: `.<name>.<host tag>-<pid>-<random>.secrets-tmp`.
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
const TEMP = /^\.out\.yaml\.([0-9a-f]{8})-(\d+)-[0-9a-f]{8}\.secrets-tmp$/

/** Start `decrypt -o out.yaml` and kill -9 it as soon as its temp file appears; the leftovers. */
async function killDuringWrite(s: Sandbox, env: NodeJS.ProcessEnv): Promise<{ pid: number; leftovers: string[] }> {
  const dir = join(s.dir, 'out')
  const child = spawn(process.execPath, [BIN, 'decrypt', 'secrets/production.yaml', '-o', 'out/out.yaml'], { cwd: s.dir, env: { ...s.env, ...env }, stdio: 'ignore' })
  const watcher = watch(dir, (_event, name) => {
    if (name !== null && String(name).endsWith('.secrets-tmp')) child.kill('SIGKILL')
  })
  await new Promise((resolve) => child.on('close', resolve))
  watcher.close()
  return { pid: child.pid!, leftovers: readdirSync(dir).filter((n) => n.endsWith('.secrets-tmp')) }
}

describe('temp files of a killed write', () => {
  it.runIf(withGit)("kill -9 during decrypt -o: the leftover is 0600, named for init's .gitignore, removed by the next run", async () => {
    const t = setup({ keys: 40, size: 200_000 }) // 8 MB of plaintext: a write long enough to be caught in
    spawnSync('git', ['init', '-q', '.'], { cwd: t.s.dir })
    const elsewhere = join(t.s.home, 'project')
    mkdirSync(elsewhere)
    expect(t.s.run(['init', 'development', '-q'], { cwd: elsewhere }).code).toBe(0) // init's .gitignore lines, used here
    writeFileSync(join(t.s.dir, '.gitignore'), readFileSync(join(elsewhere, '.gitignore')))
    mkdirSync(join(t.s.dir, 'out'))
    let caught: { pid: number; leftovers: string[] } | undefined
    for (let attempt = 0; attempt < 20 && caught === undefined; attempt++) {
      const r = await killDuringWrite(t.s, as(t.a))
      if (r.leftovers.length > 0) caught = r
    }
    expect(caught, 'no kill landed during the write in 20 attempts').toBeDefined()
    const name = caught!.leftovers[0]!
    const m = TEMP.exec(name)
    expect(m, name).not.toBeNull()
    expect(m![1]).toBe(HOST_TAG)
    expect(Number(m![2])).toBe(caught!.pid)
    const leftover = join(t.s.dir, 'out', name)
    expect(statSync(leftover).mode & 0o777).toBe(0o600)
    const partial = readFileSync(leftover, 'utf8') // plaintext, cut anywhere (empty when the kill came before the first write)
    expect('KEY_0: ' + 'v'.repeat(199_999) + '0\n').toContain(partial.slice(0, 200_008))
    const ignored = spawnSync('git', ['check-ignore', '-q', '--', `out/${name}`], { cwd: t.s.dir })
    expect(ignored.status, "init's .gitignore lines must cover temp files").toBe(0)

    const next = t.s.run(['decrypt', 'secrets/production.yaml', '-o', 'out/out.yaml'], { env: as(t.a) })
    expect(next.code, next.stderr).toBe(0)
    expect(readdirSync(join(t.s.dir, 'out'))).toEqual(['out.yaml'])
    expect(readFileSync(join(t.s.dir, 'out', 'out.yaml'), 'utf8')).toContain(`KEY_39: ${'39'.padStart(200_000, 'v')}`)
  })

  it("the next write removes only our stale temp files: never a live process's, another machine's, or other names", async () => {
    const t = setup()
    const dir = join(t.s.dir, 'secrets')
    // a process that is gone (ran and exited), and one that is alive
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    const deadPid = Number(dead.stdout)
    const live = spawn('sleep', ['60'], { stdio: 'ignore' })
    try {
      const names = {
        dead: `.production.yaml.${HOST_TAG}-${deadPid}-0123abcd.secrets-tmp`,
        live: `.production.yaml.${HOST_TAG}-${live.pid}-0123abcd.secrets-tmp`,
        otherHost: `.production.yaml.${HOST_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}-${deadPid}-0123abcd.secrets-tmp`,
        notOurs: `.production.yaml.${deadPid}.tmp`,
        notOurs2: `production.${HOST_TAG}-${deadPid}-0123abcd.secrets-tmp.bak`,
      }
      for (const n of Object.values(names)) writeFileSync(join(dir, n), 'partial', { mode: 0o600 })
      const r = t.s.run(['set', 'secrets/production.yaml', 'NEW'], { env: as(t.a), input: 'v' })
      expect(r.code, r.stderr).toBe(0)
      expect(existsSync(join(dir, names.dead))).toBe(false)
      for (const k of ['live', 'otherHost', 'notOurs', 'notOurs2'] as const) expect(existsSync(join(dir, names[k])), k).toBe(true)
    } finally {
      live.kill()
    }
  })

  it('init adds the temp-file line to an existing .gitignore that has the older lines', () => {
    const s = sandbox()
    const old = '# secrets: decrypted output, never commit it\n.env\n.env.*\n!.env.example\n.secrets/\n*.dec.yaml\n*.dec.json\n*.plain.*\n'
    writeFileSync(join(s.dir, '.gitignore'), old)
    expect(s.run(['init', 'production', '-q']).code).toBe(0)
    expect(readFileSync(join(s.dir, '.gitignore'), 'utf8')).toBe(old + '*.secrets-tmp\n')
  })
})

describe('-o /dev/stdout and other descriptors', () => {
  it.runIf(withBash)('write into the open descriptor (a pipe, or a file opened for appending), never replace it', () => {
    const t = setup()
    const script = `set -e
echo before > out.txt
node "${BIN}" decrypt -q secrets/production.yaml -o /dev/stdout >> out.txt
node "${BIN}" keygen -q -o /dev/stdout | cat > key.txt
node "${BIN}" decrypt -q secrets/production.yaml -o /dev/fd/3 3> fd3.txt`
    const r = spawnSync('bash', ['-c', script], { cwd: t.s.dir, env: { ...t.s.env, ...as(t.a) }, encoding: 'utf8', timeout: 120_000 })
    expect(r.status, r.stderr).toBe(0)
    const plain = 'KEY_0: vvvvvvv0\nKEY_1: vvvvvvv1\nKEY_2: vvvvvvv2\n'
    expect(readFileSync(join(t.s.dir, 'out.txt'), 'utf8')).toBe('before\n' + plain)
    expect(readFileSync(join(t.s.dir, 'key.txt'), 'utf8')).toMatch(/^# created: .*\n# public key: (age1\w+)\nAGE-SECRET-KEY-1\w+\n\1\n$/)
    expect(readFileSync(join(t.s.dir, 'fd3.txt'), 'utf8')).toBe(plain)
  })
})

describe('render -o into a missing folder', () => {
  it('render dotenv -o dir/sub/x.env creates the folders (0700) and the file (0600)', () => {
    const t = setup()
    const r = t.s.run(['render', 'dotenv', 'production', '-o', 'deploy/env/prod.env'], { env: as(t.a) })
    expect(r.code, r.stderr).toBe(0)
    const out = join(t.s.dir, 'deploy', 'env', 'prod.env')
    expect(readFileSync(out, 'utf8')).toContain('KEY_0=')
    expect(statSync(out).mode & 0o777).toBe(0o600)
    expect(statSync(join(t.s.dir, 'deploy')).mode & 0o777).toBe(0o700)
    expect(statSync(join(t.s.dir, 'deploy', 'env')).mode & 0o777).toBe(0o700)
  })
})
