// The library and the CLI run the same workflows (src/workflows), so their guards agree; and
// variables named like Object.prototype members survive the trip to a record.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { generateAgeIdentity } from '../../src/keys/age.js'
import { decryptFile, encryptFile, loadSecrets, readSecrets, SecretsError } from '../../src/index.js'
import { BIN, tempDir } from '../support/cli.js'

let id: { identity: string; recipient: string }
beforeAll(async () => {
  id = await generateAgeIdentity()
})

const saved = { ...process.env }
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
})

/** A project whose only creation rule encrypts nothing (no key matches its regex). */
function encryptNothingProject(): string {
  const dir = tempDir('secrets-wf-')
  writeFileSync(join(dir, '.secretsrc.yaml'), `creation_rules:\n  - encrypted_regex: ^never_matches$\n    age: ${id.recipient}\n`)
  writeFileSync(join(dir, 'app.yaml'), 'password: hunter2\n')
  return dir
}

describe('encryptFile runs the CLI workflow', () => {
  it('refuses a creation rule that encrypts nothing, as `secrets encrypt` does (exit 6)', async () => {
    const dir = encryptNothingProject()
    const e = await encryptFile('app.yaml', { cwd: dir }).then(
      () => null,
      (x: unknown) => x,
    )
    expect(e).toBeInstanceOf(SecretsError)
    expect((e as SecretsError).code).toBe('plaintext')
    expect(String((e as Error).message)).not.toContain('hunter2')
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toBe('password: hunter2\n')
    // the CLI, same project: the same refusal
    const r = spawnSync(process.execPath, [BIN, 'encrypt', 'app.yaml'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8' })
    expect(r.status).toBe(6)
    expect(r.stdout).not.toContain('hunter2')
  })

  it('refuses a malformed age recipient like the CLI (usage), before writing anything', async () => {
    const dir = tempDir('secrets-wf-')
    writeFileSync(join(dir, 'app.yaml'), 'password: hunter2\n')
    await expect(encryptFile('app.yaml', { cwd: dir, age: ['AGE-SECRET-KEY-1NOTARECIPIENT'], inPlace: true })).rejects.toMatchObject({ code: 'usage' })
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).toBe('password: hunter2\n')
  })

  it('encrypts with the rule, and decryptFile reads it back (node and noble crypto alike)', async () => {
    const dir = tempDir('secrets-wf-')
    writeFileSync(join(dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${id.recipient}\n`)
    writeFileSync(join(dir, 'app.yaml'), 'password: hunter2\nport: 5432\n')
    await encryptFile('app.yaml', { cwd: dir, inPlace: true, crypto: 'noble' })
    expect(readFileSync(join(dir, 'app.yaml'), 'utf8')).not.toContain('hunter2')
    process.env.SOPS_AGE_KEY = id.identity
    for (const crypto of ['node', 'noble'] as const) {
      const { data } = await decryptFile('app.yaml', { cwd: dir, crypto })
      expect(data).toEqual({ password: 'hunter2', port: 5432 })
    }
  })
})

describe('variables named like prototype members', () => {
  async function project(): Promise<string> {
    const dir = tempDir('secrets-wf-')
    mkdirSync(join(dir, 'secrets'))
    writeFileSync(join(dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${id.recipient}\nenvironments:\n  dev: secrets/dev.yaml\n`)
    writeFileSync(join(dir, 'secrets', 'dev.yaml'), '__proto__: polluted\nconstructor: c\nPLAIN: p\n')
    await encryptFile('secrets/dev.yaml', { cwd: dir, inPlace: true })
    process.env.SOPS_AGE_KEY = id.identity
    return dir
  }

  it('readSecrets keeps __proto__ as a variable', async () => {
    const values = await readSecrets({ env: 'dev', cwd: await project() })
    expect(Object.keys(values).sort()).toEqual(['PLAIN', '__proto__', 'constructor'])
    expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toBe('polluted')
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('loadSecrets puts __proto__ into a target object and into process.env', async () => {
    const dir = await project()
    const target: NodeJS.ProcessEnv = {}
    const values = await loadSecrets({ env: 'dev', cwd: dir, target })
    expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toBe('polluted')
    expect(Object.getOwnPropertyDescriptor(target, '__proto__')?.value).toBe('polluted')
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype)
    await loadSecrets({ env: 'dev', cwd: dir })
    expect(Object.keys(process.env)).toContain('__proto__')
  })
})
