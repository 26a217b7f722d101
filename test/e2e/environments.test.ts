// Environments made of several files, driven through the built CLI: exec and render merge the
// files in order, a variable two files define is refused, single-file commands name the files,
// rotate takes them all, age identities load once, and KMS unwraps overlap (the emulator counts
// Decrypt requests in flight together; nothing is timed).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sandbox, type Sandbox } from '../support/cli.js'
import { startKmsEmulator, type KmsEmulator, emulatorEnv } from '../support/kms-emulator.js'

const NODE = process.execPath
const printEnv = (names: string[]): string[] => [
  NODE,
  '-e',
  `const e=process.env;process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.filter(k=>k in e).map(k=>[k,e[k]]))))`,
]

/** A sandbox with an age key and a rule encrypting everything under secrets/ to it; `config` is appended. */
function setup(config = ''): { s: Sandbox; recipient: string } {
  const s = sandbox()
  const recipient = s.run(['keygen', '-q']).stdout.trim()
  writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: ^secrets/\n    age: ${recipient}\n${config}`)
  return { s, recipient }
}

/** Write plaintext files (relative to the work dir) and encrypt each in place. */
function encrypted(s: Sandbox, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(s.dir, rel, '..'), { recursive: true })
    writeFileSync(join(s.dir, rel), text)
    const r = s.run(['encrypt', '-i', '-q', rel])
    expect(r.code, r.stderr).toBe(0)
  }
}

const THREE = {
  'secrets/production/app.yaml': 'API_TOKEN: tok-app\nLOG_LEVEL: debug\n',
  'secrets/production/db.json': '{"database": {"url": "postgres://u:pw@db/app", "pool": 5}}\n',
  'secrets/production/queue.env': 'QUEUE_URL=amqp://q:pw@mq\n',
}
const MERGED = { API_TOKEN: 'tok-app', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://u:pw@db/app', DATABASE_POOL: '5', QUEUE_URL: 'amqp://q:pw@mq' }

describe('environments of several files', () => {
  it('a listed paths: environment of three files (yaml, json, dotenv): exec and render dotenv merge them in order', () => {
    // listed in an order different from the names' sort order: the list decides
    const { s } = setup('environments:\n  production:\n    paths: [secrets/production/queue.env, secrets/production/app.yaml, secrets/production/db.json]\n')
    encrypted(s, THREE)
    const r = s.run(['exec', 'production', '--', ...printEnv(Object.keys(MERGED))])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(MERGED)
    expect(r.stderr).toBe('secrets: injecting 5 variables from secrets/production/queue.env, secrets/production/app.yaml, secrets/production/db.json\n')
    const d = s.run(['render', 'dotenv', 'production'])
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toBe("QUEUE_URL='amqp://q:pw@mq'\nAPI_TOKEN='tok-app'\nLOG_LEVEL='debug'\nDATABASE_URL='postgres://u:pw@db/app'\nDATABASE_POOL='5'\n")
  })

  it('a directory secrets/<name>/ is an environment of its sops files (sorted); a glob works the same', () => {
    const { s } = setup('environments:\n  globbed: secrets/production/*.{yaml,json}\n')
    encrypted(s, THREE)
    writeFileSync(join(s.dir, 'secrets/production/README.md'), 'not a secrets file\n')
    const r = s.run(['render', 'dotenv', 'production', '--format', 'json'])
    expect(r.code, r.stderr).toBe(0)
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(['API_TOKEN', 'LOG_LEVEL', 'DATABASE_URL', 'DATABASE_POOL', 'QUEUE_URL'])
    const g = s.run(['render', 'dotenv', 'globbed', '--format', 'json'])
    expect(g.code, g.stderr).toBe(0)
    expect(JSON.parse(g.stdout)).toEqual({ API_TOKEN: 'tok-app', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://u:pw@db/app', DATABASE_POOL: '5' })
    // docker secrets land in .secrets/<environment name>
    expect(s.run(['render', 'docker-secrets', 'production', '-q']).code).toBe(0)
    expect(readFileSync(join(s.dir, '.secrets/production/QUEUE_URL'), 'utf8')).toBe('amqp://q:pw@mq')
  })

  it('a variable two files define is an error naming both files and key paths, never the values', () => {
    const { s } = setup()
    encrypted(s, { ...THREE, 'secrets/production/override.yaml': 'database:\n  url: postgres://other:pw2@db/app\n' })
    for (const args of [
      ['exec', 'production', '--', 'true'],
      ['render', 'dotenv', 'production'],
    ]) {
      const r = s.run(args)
      expect(r.code).toBe(3)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(
        'secrets: two files define the variable DATABASE_URL: secrets/production/db.json at ["database"]["url"] and secrets/production/override.yaml at ["database"]["url"] - keep the variable in one of the environment\'s files\n',
      )
    }
  })

  it('decrypt, edit, set, unset, get and exec-file refuse the environment, listing its files; a file of it works', () => {
    const { s } = setup()
    encrypted(s, THREE)
    const files = 'secrets/production/app.yaml, secrets/production/db.json, secrets/production/queue.env'
    for (const args of [
      ['decrypt', 'production'],
      ['edit', 'production'],
      ['set', 'production', 'X'],
      ['unset', 'production', 'API_TOKEN'],
      ['get', 'production', 'API_TOKEN'],
    ]) {
      const r = s.run(args, { env: { EDITOR: 'false' }, input: 'y' })
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toBe(
        `secrets: "production" is an environment of several files (${files}) - this command works on one file: name it, e.g. secrets/production/app.yaml (exec, render, rotate and updatekeys take the whole environment)\n`,
      )
    }
    const ef = s.run(['exec-file', 'production', '--', 'cat', '{}'])
    expect(ef.code).toBe(2)
    expect(ef.stderr).toContain(`"production" is an environment of several files (${files})`)
    const one = s.run(['decrypt', 'secrets/production/app.yaml'])
    expect(one.stdout).toBe('API_TOKEN: tok-app\nLOG_LEVEL: debug\n')
  })

  it('rotate ENV rotates every file of the environment', () => {
    const { s } = setup()
    encrypted(s, THREE)
    const before = Object.keys(THREE).map((f) => readFileSync(join(s.dir, f), 'utf8'))
    const r = s.run(['rotate', 'production'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/rotated 3 files: a new data key each/)
    Object.keys(THREE).forEach((f, i) => expect(readFileSync(join(s.dir, f), 'utf8'), f).not.toBe(before[i]))
    expect(JSON.parse(s.run(['exec', 'production', '-q', '--', ...printEnv(Object.keys(MERGED))]).stdout)).toEqual(MERGED)
  })

  it('age identities are loaded once for all files (SOPS_AGE_KEY_CMD runs once)', () => {
    const { s } = setup()
    encrypted(s, THREE)
    const keys = join(s.home, '.config/sops/age/keys.txt')
    const moved = join(s.dir, 'identity.txt')
    writeFileSync(moved, readFileSync(keys))
    writeFileSync(keys, '')
    const count = join(s.dir, 'runs')
    const cmd = join(s.dir, 'key-cmd.sh')
    writeFileSync(cmd, `#!/bin/sh\necho run >> '${count}'\ncat '${moved}'\n`)
    chmodSync(cmd, 0o755)
    const r = s.run(['exec', 'production', '-q', '--', ...printEnv(['QUEUE_URL'])], { env: { SOPS_AGE_KEY_CMD: cmd } })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ QUEUE_URL: 'amqp://q:pw@mq' })
    expect(readFileSync(count, 'utf8')).toBe('run\n')
  })
})

describe('KMS unwraps of an environment run concurrently', () => {
  const FILES = 5
  let emu: KmsEmulator
  beforeAll(async () => {
    // Every Decrypt answer waits until all five are in flight: a client calling KMS one file at a
    // time only gets answers after the emulator's hold timeout, and then maxInFlight stays 1.
    emu = await startKmsEmulator({ holdDecrypts: FILES, holdTimeoutMs: 1500 })
  })
  afterAll(async () => {
    await emu?.close()
  })

  it(`an environment of ${FILES} KMS-wrapped files has all ${FILES} Decrypt requests in flight at once`, async () => {
    const s = sandbox()
    const arn = emu.createKey({ region: 'eu-west-1' })
    const env = {
      ...emulatorEnv(emu),
      SECRETS_KMS_TIMEOUT_MS: '20000',
    }
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: ^secrets/\n    kms: ${arn}\n`)
    mkdirSync(join(s.dir, 'secrets/production'), { recursive: true })
    const names: string[] = []
    for (let i = 0; i < FILES; i++) {
      names.push(`VAR_${i}`)
      writeFileSync(join(s.dir, `secrets/production/f${i}.yaml`), `VAR_${i}: value-${i}\n`)
      const e = await s.runAsync(['encrypt', '-i', '-q', `secrets/production/f${i}.yaml`], { env })
      expect(e.code, e.stderr).toBe(0)
    }
    expect(emu.maxInFlight).toBe(0)
    const r = await s.runAsync(['exec', 'production', '-q', '--', ...printEnv(names)], { env })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(Object.fromEntries(names.map((n, i) => [n, `value-${i}`])))
    expect(emu.rejected).toEqual([])
    expect(emu.requests.filter((q) => q.operation === 'Decrypt')).toHaveLength(FILES)
    expect(emu.maxInFlight).toBe(FILES)
  }, 60_000)
})
