// Hostile input through the built CLI, as a user (or an attacker who controls a file in the repo)
// would meet it: garbage, huge, deep, truncated, non-UTF-8 and crafted files in all five formats,
// given to every command that reads a file, plus hostile key paths and hostile editor output.
// Each case must end in exactly one `secrets:` line with a documented exit code, within a time
// bound, with no stack trace, no control character, no plaintext or key material on stderr or
// stdout, and the input file byte-identical with nothing left beside it.
import { describe, it, expect, beforeAll } from 'vitest'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, identity, sandbox, tempDir, type Identity, type Sandbox } from '../support/cli.js'
import { storeFor, type Format } from '../../src/stores/index.js'
import { AgeKey, generateAgeIdentity } from '../../src/keys/age.js'
import type { PlainObject } from '../../src/tree/types.js'

const MARKER = 'PLAINTEXT-MARKER'
/** Seconds a single run may take before it counts as a hang (generous: the CI machine is shared). */
const TIME_BOUND_S = 90
const CONCURRENCY = 4
/** Exit codes docs/exit-codes.md documents for a refused input (1, "unexpected error", is a bug). */
const DOCUMENTED = new Set([2, 3, 4, 5, 6, 7, 8, 25, 51, 128])

const FORMATS: Array<{ format: Format; ext: string; plain: string; key: string }> = [
  { format: 'yaml', ext: 'yaml', plain: `db_password: ${MARKER}-1\napi:\n    token: ${MARKER}-2\nlist:\n    - ${MARKER}-3\n`, key: 'db_password' },
  { format: 'json', ext: 'json', plain: `{"db_password": "${MARKER}-1", "api": {"token": "${MARKER}-2"}, "n": 5}\n`, key: 'db_password' },
  { format: 'dotenv', ext: 'env', plain: `DB_PASSWORD=${MARKER}-1\nAPI_TOKEN=${MARKER}-2\n`, key: 'DB_PASSWORD' },
  { format: 'ini', ext: 'ini', plain: `[db]\npassword = ${MARKER}-1\n[api]\ntoken = ${MARKER}-2\n`, key: '["db"]["password"]' },
  { format: 'binary', ext: 'bin', plain: `${MARKER}-1 some binary secret\n`, key: 'data' },
]

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  timedOut: boolean
}

function run(s: Sandbox, args: string[], opts: { cwd: string; input?: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...s.env, ...opts.env } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, TIME_BOUND_S * 1000)
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), timedOut })
    })
    child.stdin.on('error', () => {}) // the CLI may exit before reading stdin
    child.stdin.end(opts.input ?? '')
  })
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

// ---------------------------------------------------------------------------------------------
// The hostile files.

interface HostileFile {
  name: string
  format: Format
  ext: string
  key: string
  bytes: Buffer
  /** Expected exit codes for every command but encrypt. */
  codes: number[]
  /** The file still parses as an encrypted file: `encrypt` refuses it as already encrypted (7). */
  parses: boolean
  /** Commands for which this file is not an error (e.g. `encrypt` of a plain file). */
  notFor?: string[]
}

let seed = 0x9e3779b9
function random(n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0
    b[i] = seed >>> 24
  }
  return b
}

const b64raw = (b: Uint8Array): string => Buffer.from(b).toString('base64').replace(/=+$/, '')
function armor(bytes: Buffer): string {
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${bytes
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`
}

/** The valid file with its metadata changed through the store (format-neutral). */
async function withMetadata(format: Format, enc: Buffer, change: (md: PlainObject) => void): Promise<Buffer> {
  const store = await storeFor(format)
  const parsed = store.parse(enc, 'encrypted')
  const md = JSON.parse(JSON.stringify(parsed.metadata)) as PlainObject
  change(md)
  return Buffer.from(store.emit({ branches: parsed.branches, metadata: md }))
}

/** Change the first value token (values come before the metadata in every format). */
function firstToken(enc: Buffer, change: (data: string) => string): Buffer {
  const text = enc.toString('utf8')
  const at = text.indexOf('ENC[AES256_GCM,data:') + 'ENC[AES256_GCM,data:'.length
  const end = text.indexOf(',', at)
  return Buffer.from(text.slice(0, at) + change(text.slice(at, end)) + text.slice(end))
}

const flip = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)

function deepPrefix(format: Format, levels: number): string {
  switch (format) {
    case 'yaml':
      return Array.from({ length: levels }, (_, i) => ' '.repeat(i) + 'deep:').join('\n') + ' 1\n'
    case 'dotenv':
      return `sops_${Array.from({ length: levels }, () => 'a').join('__map_')}=1\n`
    case 'ini':
      return `[sops]\n${Array.from({ length: levels }, () => 'a').join('__map_')} = 1\n`
    default:
      return ''
  }
}

function deep(format: Format, enc: Buffer, levels: number): Buffer {
  if (format === 'json' || format === 'binary') {
    const text = enc.toString('utf8')
    return Buffer.from(`{"deep": ${'['.repeat(levels)}${']'.repeat(levels)}, ${text.slice(text.indexOf('{') + 1)}`)
  }
  return Buffer.concat([Buffer.from(deepPrefix(format, levels)), enc])
}

async function hostileFiles(valid: Map<Format, Buffer>, ids: { me: Identity }): Promise<HostileFile[]> {
  const out: HostileFile[] = []
  const stranger = await generateAgeIdentity()
  for (const f of FORMATS) {
    const enc = valid.get(f.format)!
    const add = (name: string, bytes: Buffer | string, codes: number[], parses: boolean, notFor?: string[]): void => {
      out.push({ name, format: f.format, ext: f.ext, key: f.key, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), codes, parses, ...(notFor ? { notFor } : {}) })
    }
    add('garbage', random(4096), [3], false)
    add('empty', '', [3], false, f.format === 'ini' ? ['encrypt'] : undefined)
    add('truncated-half', enc.subarray(0, enc.length >> 1), [3], false)
    add('truncated-tail', enc.subarray(0, enc.length - 7), [3], false)
    add('huge-unbalanced', '['.repeat(200_000), [3], false)
    add('deep-300', deep(f.format, enc, 300), [3], false)
    add('deep-10000', deep(f.format, enc, 10_000), [3], false)
    add('conflict-markers', Buffer.concat([Buffer.from('<<<<<<< HEAD\n'), enc, Buffer.from('=======\n'), enc, Buffer.from('>>>>>>> theirs\n')]), [3], false)
    {
      // Invalid UTF-8 inside the first key's name.
      const text = enc.toString('latin1')
      const name = f.format === 'ini' ? 'password' : f.key
      const at = text.indexOf(name) + 1
      add('non-utf8-key', Buffer.concat([enc.subarray(0, at), Buffer.from([0xff, 0xfe]), enc.subarray(at)]), [3], false)
    }
    if (f.format !== 'binary') {
      add('plain-not-encrypted', f.plain, [3], false, ['encrypt'])
      const wide =
        f.format === 'yaml'
          ? Array.from({ length: 20_000 }, (_, i) => `k${i}: v${i}\n`).join('')
          : f.format === 'json'
            ? `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}": "v${i}"`).join(',')}}`
            : f.format === 'dotenv'
              ? Array.from({ length: 20_000 }, (_, i) => `K${i}=v${i}\n`).join('')
              : '[s]\n' + Array.from({ length: 20_000 }, (_, i) => `k${i} = v${i}\n`).join('')
      add('wide-plain-20000-keys', wide, [3], false, ['encrypt'])
    }
    if (f.format === 'yaml') {
      const bomb = ['b0: &b0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
      for (let i = 1; i <= 8; i++)
        bomb.push(
          `b${i}: &b${i} [${Array(10)
            .fill(`*b${i - 1}`)
            .join(',')}]`,
        )
      add('alias-bomb', Buffer.concat([Buffer.from(bomb.join('\n') + '\n'), enc]), [3], false)
      add('duplicate-keys-with-escapes', Buffer.concat([Buffer.from('"\\e[2J\\rk": 1\n"\\e[2J\\rk": 2\n'), enc]), [3], false)
    }
    // Crafted metadata: the file parses, the metadata or the keys do not hold.
    add('version-escapes', await withMetadata(f.format, enc, (md) => (md['version'] = '3.13.2\u001b[2J\u001b]0;pwned\u0007\r')), [3], true)
    add('version-not-semver', await withMetadata(f.format, enc, (md) => (md['version'] = '3.7')), [3], true)
    add('two-selection-rules', await withMetadata(f.format, enc, (md) => Object.assign(md, { unencrypted_suffix: '_unencrypted', encrypted_regex: '^x$' })), [3], true)
    add('no-lastmodified', await withMetadata(f.format, enc, (md) => delete md['lastmodified']), [3], true)
    add('no-master-keys', await withMetadata(f.format, enc, (md) => (md['age'] = [])), [3], true)
    add('corrupted-value-token', firstToken(enc, flip), [25], true)
    add(
      'bad-base64-token',
      firstToken(enc, (d) => '!' + d.slice(1)),
      [25],
      true,
    )
    add('broken-mac', await withMetadata(f.format, enc, (md) => (md['mac'] = String(md['mac']).replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`))), [51], true)
    add('empty-mac', await withMetadata(f.format, enc, (md) => (md['mac'] = '')), [51], true)
    {
      const short = new AgeKey(ids.me.recipient)
      await short.wrap(new Uint8Array(31))
      add('data-key-31-bytes', await withMetadata(f.format, enc, (md) => (md['age'] = [short.toMetadata()])), [128], true)
      const long = new AgeKey(ids.me.recipient)
      await long.wrap(new Uint8Array(64))
      add('data-key-64-bytes', await withMetadata(f.format, enc, (md) => (md['age'] = [long.toMetadata()])), [128], true)
    }
    {
      const header = `age-encryption.org/v1\n-> X25519 ${b64raw(new Uint8Array(32))}\n${b64raw(random(32))}\n--- ${b64raw(random(32))}\n`
      const stanza = armor(Buffer.concat([Buffer.from(header), random(64)]))
      add('low-order-x25519-share', await withMetadata(f.format, enc, (md) => (md['age'] = [{ recipient: ids.me.recipient, enc: stanza }])), [128], true)
    }
    {
      const foreign = new AgeKey(stranger.recipient)
      await foreign.wrap(new Uint8Array(32))
      const entry = { ...foreign.toMetadata(), recipient: `${stranger.recipient}\u001b[31m\r` }
      add('foreign-recipient-with-escapes', await withMetadata(f.format, enc, (md) => (md['age'] = [entry])), [128], true)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------

const COMMANDS: Record<string, (file: string, h: { key: string }) => { args: string[]; input?: string }> = {
  decrypt: (file) => ({ args: ['decrypt', file] }),
  encrypt: (file) => ({ args: ['encrypt', file] }),
  edit: (file) => ({ args: ['edit', file] }),
  set: (file, h) => ({ args: ['set', file, h.key], input: 'new-value' }),
  unset: (file, h) => ({ args: ['unset', file, h.key] }),
  get: (file, h) => ({ args: ['get', file, h.key] }),
  rotate: (file) => ({ args: ['rotate', file] }),
  updatekeys: (file) => ({ args: ['--quiet', 'updatekeys', '--yes', file] }),
  exec: (file) => ({ args: ['exec', file, '--', 'true'] }),
  // A file without a known extension needs its format named (exec-file refuses to guess).
  'exec-file': (file) => ({ args: ['exec-file', ...(file.endsWith('.bin') ? ['--input-type', 'binary'] : []), file, '--', 'cat', '{}'] }),
  render: (file) => ({ args: ['render', 'dotenv', file] }),
}
const OTHERS = Object.keys(COMMANDS).filter((c) => c !== 'decrypt')

interface Case {
  label: string
  dir: string
  file: string
  args: string[]
  input?: string
  env?: NodeJS.ProcessEnv
  codes: number[]
}

interface Failure {
  label: string
  problem: string
  stderr: string
}

function check(c: Case, r: Run, before: { bytes: Buffer; listing: string[] }): string | null {
  if (r.timedOut) return `no result within ${TIME_BOUND_S} s (killed)`
  if (r.code === null) return `killed by ${r.signal}`
  if (!c.codes.includes(r.code)) return `exit ${r.code}, expected ${c.codes.join(' or ')}`
  if (!DOCUMENTED.has(r.code)) return `exit ${r.code} is not a documented code for refused input`
  if (!/^secrets: [^\n]*\n$/.test(r.stderr)) return 'stderr is not exactly one "secrets:" line'
  // eslint-disable-next-line no-control-regex -- looking for control characters
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(r.stderr)) return 'stderr holds a control character'
  if (/^\s+at /m.test(r.stderr) || /Error: /.test(r.stderr)) return 'stderr holds a stack trace'
  for (const [where, text] of [
    ['stderr', r.stderr],
    ['stdout', r.stdout.toString('latin1')],
  ] as const) {
    if (text.includes(MARKER)) return `${where} holds plaintext`
    if (text.includes('AGE-SECRET-KEY-1')) return `${where} holds key material`
  }
  if (!readFileSync(c.file).equals(before.bytes)) return 'the input file changed'
  const listing = readdirSync(c.dir).sort()
  if (JSON.stringify(listing) !== JSON.stringify(before.listing)) return `files left beside the input: ${listing.join(', ')}`
  return null
}

async function runCases(s: Sandbox, cases: Case[]): Promise<Failure[]> {
  const failures: Failure[] = []
  await pool(cases, CONCURRENCY, async (c) => {
    const before = { bytes: readFileSync(c.file), listing: readdirSync(c.dir).sort() }
    const r = await run(s, c.args, { cwd: c.dir, ...(c.input !== undefined ? { input: c.input } : {}), ...(c.env ? { env: c.env } : {}) })
    const problem = check(c, r, before)
    if (problem !== null) failures.push({ label: c.label, problem, stderr: r.stderr.slice(0, 400) })
  })
  return failures
}

describe('hostile input through the CLI', () => {
  let s: Sandbox
  let me: Identity
  let other: Identity
  let env: NodeJS.ProcessEnv
  const valid = new Map<Format, Buffer>()
  let root: string
  let editor: string

  beforeAll(async () => {
    s = sandbox()
    me = identity(s, 'me')
    other = identity(s, 'other')
    // The file's identity is in the environment; `other` is only a recipient.
    env = { SOPS_AGE_KEY: me.secret }
    root = tempDir('secrets-hostile-')
    writeFileSync(join(root, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: '.*'\n    age: '${me.recipient}'\n`)
    editor = join(root, 'editor.sh')
    // Writes the hostile content named by HOSTILE_CONTENT over the file it is given (or appends a line).
    writeFileSync(editor, '#!/bin/sh\nif [ -n "$HOSTILE_CONTENT" ]; then cat "$HOSTILE_CONTENT" > "$1"; else echo >> "$1"; fi\n')
    chmodSync(editor, 0o755)
    for (const f of FORMATS) {
      const plain = join(root, `plain.${f.ext}`)
      writeFileSync(plain, f.plain)
      const r = s.run(['encrypt', '--age', `${me.recipient},${other.recipient}`, plain], { cwd: root })
      if (r.code !== 0) throw new Error(`encrypt ${f.format}: ${r.stderr}`)
      valid.set(f.format, r.stdoutBytes)
    }
  })

  it('at least 300 hostile files x commands, each one clean line, a documented code, nothing changed', async () => {
    const files = await hostileFiles(valid, { me })
    const cases: Case[] = []
    let rot = 0
    files.forEach((h, i) => {
      // Every file goes to decrypt and to three other commands in turn, so every command meets
      // every format and most kinds of damage. (binary: sops encrypts any bytes, a sops file too.)
      const notFor = [...(h.notFor ?? []), ...(h.format === 'binary' ? ['encrypt'] : [])]
      const commands = ['decrypt']
      while (commands.length < 4) {
        const c = OTHERS[rot++ % OTHERS.length] as string
        if (!notFor.includes(c)) commands.push(c)
      }
      for (const c of commands) {
        // One folder per run: a concurrent run's lock file must not count as a leftover.
        const dir = join(root, `case-${i}-${c}`)
        mkdirSync(dir)
        const file = join(dir, `secrets.${h.ext}`)
        writeFileSync(file, h.bytes)
        // The rule names only `other`: updatekeys must remove `me`, so it rotates and checks the MAC.
        writeFileSync(join(dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: '.*'\n    age: '${other.recipient}'\n`)
        const { args, input } = COMMANDS[c]!(file, h)
        // encrypt: damaged beyond parsing (3), or still a sops file (7, already encrypted).
        const codes = c === 'encrypt' ? [3, 7] : h.codes
        cases.push({
          label: `${h.format} ${h.name}: ${args.join(' ').replace(root, '').slice(0, 80)}`,
          dir,
          file,
          args,
          ...(input !== undefined ? { input } : {}),
          env: { ...env, SECRETS_EDITOR: editor },
          codes,
        })
      }
    })
    expect(cases.length).toBeGreaterThanOrEqual(300)
    const commandsSeen = new Set(cases.map((c) => c.args.find((a) => !a.startsWith('-'))))
    expect([...commandsSeen].sort()).toEqual(Object.keys(COMMANDS).sort())
    const failures = await runCases(s, cases)
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([])
  }, 7_200_000)

  it('hostile key paths for set, get and unset', async () => {
    const paths: Array<{ path: string; codes: Partial<Record<'set' | 'get' | 'unset', number[]>> }> = [
      { path: Array(300).fill('a').join('.'), codes: { set: [3], get: [3], unset: [3] } },
      { path: Array(20_000).fill('a').join('.'), codes: { set: [3], get: [3], unset: [3] } },
      { path: Array(257).fill('["k"]').join(''), codes: { set: [3], get: [3], unset: [3] } },
      { path: '["a', codes: { set: [2], get: [2], unset: [2] } },
      { path: '', codes: { set: [2], get: [2], unset: [2] } },
      { path: 'a..b', codes: { set: [2], get: [2], unset: [2] } },
      { path: 'sops.version', codes: { set: [2], get: [3], unset: [3] } },
      { path: '["\u001b[2J\r"]', codes: { set: [2], get: [2], unset: [2] } },
      { path: '\u001b[2J\r.\u202e', codes: { get: [3], unset: [3] } },
      { path: '[99999999999999999999]', codes: { set: [3], get: [3], unset: [3] } },
      { path: '[0]', codes: { set: [3], get: [3], unset: [3] } },
      { path: 'db_password.x.y', codes: { get: [3], unset: [3] } },
      { path: 'list.5', codes: { get: [3], unset: [3] } },
      { path: 'list.x', codes: { set: [3], get: [3], unset: [3] } },
      { path: `${'x'.repeat(100_000)}`, codes: { get: [3], unset: [3] } },
    ]
    const cases: Case[] = []
    for (const [i, p] of paths.entries()) {
      for (const [cmd, codes] of Object.entries(p.codes)) {
        // One folder per case: a concurrent run's lock file must not count as a leftover.
        const dir = join(root, `path-${i}-${cmd}`)
        mkdirSync(dir)
        const file = join(dir, 'secrets.yaml')
        writeFileSync(file, valid.get('yaml')!)
        cases.push({ label: `${cmd} ${JSON.stringify(p.path.slice(0, 40))}`, dir, file, args: [cmd, file, p.path], ...(cmd === 'set' ? { input: 'v' } : {}), env, codes })
      }
    }
    expect(cases.length).toBeGreaterThanOrEqual(35)
    const failures = await runCases(s, cases)
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([])
  }, 600_000)

  it('edit: hostile content from the editor is refused and the file stays as it was', async () => {
    const contents: Array<{ name: string; formats: Format[]; bytes: (f: Format) => Buffer }> = [
      { name: 'garbage', formats: ['yaml', 'json', 'ini', 'dotenv'], bytes: () => Buffer.concat([Buffer.from('{[: "\n'), random(2000)]) },
      { name: 'deep', formats: ['yaml', 'json'], bytes: (f) => (f === 'yaml' ? Buffer.from(deepPrefix('yaml', 300)) : Buffer.from(`{"a": ${'['.repeat(300)}${']'.repeat(300)}}`)) },
      {
        name: 'non-utf8',
        formats: ['yaml', 'json', 'ini', 'dotenv'],
        bytes: (f) =>
          Buffer.concat([
            Buffer.from(f === 'ini' ? '[s]\nk' : f === 'json' ? '{"k' : 'K'),
            Buffer.from([0xff]),
            Buffer.from(f === 'ini' ? ' = v\n' : f === 'json' ? '": "v"}' : f === 'dotenv' ? '=v\n' : ': v\n'),
          ]),
      },
      { name: 'sops-key', formats: ['yaml', 'json'], bytes: (f) => Buffer.from(f === 'yaml' ? 'sops: 1\na: b\n' : '{"sops": {}, "a": "b"}') },
      {
        name: 'alias-bomb',
        formats: ['yaml'],
        bytes: () => Buffer.from(['b0: &b0 [1,1,1,1,1,1,1,1,1,1]', ...Array.from({ length: 8 }, (_, i) => `b${i + 1}: &b${i + 1} [${Array(10).fill(`*b${i}`).join(',')}]`)].join('\n') + '\n'),
      },
      { name: 'conflict-markers', formats: ['yaml', 'json', 'ini', 'dotenv'], bytes: () => Buffer.from('<<<<<<< HEAD\na: 1\n=======\na: 2\n>>>>>>> x\n') },
    ]
    const cases: Case[] = []
    for (const c of contents) {
      for (const format of c.formats) {
        const f = FORMATS.find((x) => x.format === format)!
        const dir = join(root, `edit-${c.name}-${format}`)
        mkdirSync(dir)
        const file = join(dir, `secrets.${f.ext}`)
        writeFileSync(file, valid.get(format)!)
        // A rule that matches the file's keys: no drift warning before the error.
        writeFileSync(join(dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: '.*'\n    age: '${me.recipient},${other.recipient}'\n`)
        const content = join(root, `content-${c.name}-${format}`)
        writeFileSync(content, c.bytes(format))
        cases.push({ label: `edit ${format} <- ${c.name}`, dir, file, args: ['edit', file], env: { ...env, SECRETS_EDITOR: editor, HOSTILE_CONTENT: content }, codes: [3] })
      }
    }
    expect(cases.length).toBeGreaterThanOrEqual(15)
    const failures = await runCases(s, cases)
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([])
  }, 600_000)

  it('a sops 1.x version ("1.13") is accepted like sops does: the file opens', () => {
    const dir = join(root, 'version-1x')
    mkdirSync(dir)
    const file = join(dir, 'secrets.json')
    const text = valid
      .get('json')!
      .toString('utf8')
      .replace(/"version": "[^"]*"/, '"version": "1.13"')
    writeFileSync(file, text)
    const r = s.run(['decrypt', file], { cwd: dir, env })
    // The version is not authenticated by the MAC, so the file opens.
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${MARKER}-1`)
  })

  it('a CRLF .env encrypted file (git autocrlf) still opens; plain CRLF values keep their CR as in sops', () => {
    const dir = join(root, 'crlf')
    mkdirSync(dir)
    const file = join(dir, 'secrets.env')
    writeFileSync(file, valid.get('dotenv')!.toString('utf8').replace(/\n/g, '\r\n'))
    const r = s.run(['decrypt', file], { cwd: dir, env })
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`DB_PASSWORD=${MARKER}-1\nAPI_TOKEN=${MARKER}-2\n`)
    const plain = join(dir, 'plain.env')
    writeFileSync(plain, 'A=1\r\nB=two\r\n')
    const e = s.run(['encrypt', '--age', me.recipient, plain], { cwd: dir, env })
    expect(e.code).toBe(0)
    writeFileSync(join(dir, 'crlf-enc.env'), e.stdoutBytes)
    const back = s.run(['decrypt', '--output-type', 'json', join(dir, 'crlf-enc.env')], { cwd: dir, env })
    expect(JSON.parse(back.stdout)).toEqual({ A: '1\r', B: 'two\r' })
  })
})
