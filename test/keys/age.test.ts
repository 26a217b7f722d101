import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AgeKey, generateAgeIdentity } from '../../src/keys/age.js'
import { loadAgeIdentities, parseIdentities, splitCommand } from '../../src/keys/age-identities.js'
import { unwrapDataKey } from '../../src/keys/index.js'
import { KeyError, type KeyContext } from '../../src/keys/types.js'
import { requireTool, which } from '../support/skip.js'
import { tempDir } from '../support/cli.js'

const ctxOf = (env: NodeJS.ProcessEnv, warnings: string[] = []): KeyContext => ({ env, warn: (m) => warnings.push(m) })
const tmp = (): string => tempDir('secrets-age-')
const emptyHome = (): NodeJS.ProcessEnv => ({ HOME: tmp(), XDG_CONFIG_HOME: join(tmp(), 'cfg'), PATH: process.env.PATH })
const dataKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)

const ageCli = { ok: which('age'), reason: 'the age CLI is not installed (apt-get install age)' }

describe.runIf(requireTool(ageCli, 'age CLI'))('interop with the real age CLI', () => {
  it('a data key we wrap opens with age -d -i', async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const dir = tmp()
    writeFileSync(join(dir, 'key.txt'), identity + '\n', { mode: 0o600 })
    const k = new AgeKey(recipient)
    await k.wrap(dataKey)
    const enc = String(k.toMetadata().enc)
    expect(enc.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true)
    expect(enc.endsWith('\n-----END AGE ENCRYPTED FILE-----\n')).toBe(true)
    const out = execFileSync('age', ['-d', '-i', join(dir, 'key.txt')], { input: enc })
    expect(new Uint8Array(out)).toEqual(dataKey)
  })
  it('a data key age -a -r wrapped opens with ours', async () => {
    const dir = tmp()
    execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'ignore' })
    const recipient = execFileSync('age-keygen', ['-y', join(dir, 'key.txt')])
      .toString()
      .trim()
    const enc = execFileSync('age', ['-a', '-r', recipient], { input: dataKey }).toString()
    const k = AgeKey.fromMetadata({ recipient, enc })
    expect(await k.unwrap(ctxOf({ ...emptyHome(), SOPS_AGE_KEY_FILE: join(dir, 'key.txt') }))).toEqual(dataKey)
  })
})

describe('age identities, found the way sops finds them', () => {
  it('reads SOPS_AGE_KEY (several per line), SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and keys.txt', async () => {
    const a = await generateAgeIdentity()
    const b = await generateAgeIdentity()
    const c = await generateAgeIdentity()
    const d = await generateAgeIdentity()
    const e = await generateAgeIdentity()
    const env = emptyHome()
    const dir = tmp()
    writeFileSync(join(dir, 'file.txt'), `# comment\n${c.identity}\n`, { mode: 0o600 })
    writeFileSync(join(dir, 'cmd.sh'), `#!/bin/sh\necho "${d.identity}"\necho "$SOPS_AGE_RECIPIENT" > "${join(dir, 'seen')}"\n`, { mode: 0o755 })
    const def = join(String(env.XDG_CONFIG_HOME), 'sops', 'age')
    mkdirSync(def, { recursive: true })
    writeFileSync(join(def, 'keys.txt'), e.identity + '\n', { mode: 0o600 })
    const ids = loadAgeIdentities(
      ctxOf({ ...env, SOPS_AGE_KEY: `${a.identity} ${b.identity}`, SOPS_AGE_KEY_FILE: join(dir, 'file.txt'), SOPS_AGE_KEY_CMD: `sh '${join(dir, 'cmd.sh')}'` }),
      a.recipient,
    )
    expect(ids.identities).toEqual([a.identity, b.identity, c.identity, d.identity, e.identity])
  })
  it('warns when an identity file is readable by others', async () => {
    const a = await generateAgeIdentity()
    const dir = tmp()
    writeFileSync(join(dir, 'k.txt'), a.identity + '\n')
    chmodSync(join(dir, 'k.txt'), 0o644)
    const warnings: string[] = []
    loadAgeIdentities(ctxOf({ ...emptyHome(), SOPS_AGE_KEY_FILE: join(dir, 'k.txt') }, warnings))
    expect(warnings.join('\n')).toMatch(/readable by other users.*chmod 600/)
    expect(warnings.join('\n')).not.toContain('AGE-SECRET-KEY')
  })
  it('explains where it looked when no identity matches, without printing keys', async () => {
    const right = await generateAgeIdentity()
    const wrong = await generateAgeIdentity()
    const k = new AgeKey(right.recipient)
    await k.wrap(dataKey)
    const err = await k.unwrap(ctxOf({ ...emptyHome(), SOPS_AGE_KEY: wrong.identity })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyError)
    expect(String((err as Error).message)).toMatch(/SOPS_AGE_KEY \(1 identity\).*SOPS_AGE_KEY_FILE \(unset\).*keys\.txt \(not found\)/)
    expect(String((err as Error).message)).not.toContain('AGE-SECRET-KEY')
    const none = await new AgeKey(right.recipient, k.toMetadata().enc as string).unwrap(ctxOf(emptyHome())).catch((e: unknown) => e)
    expect(String((none as Error).message)).toMatch(/no age identity found/)
  })
  it('the data-key error lists every master key tried', async () => {
    const one = await generateAgeIdentity()
    const two = await generateAgeIdentity()
    const k1 = new AgeKey(one.recipient)
    const k2 = new AgeKey(two.recipient)
    await k1.wrap(dataKey)
    await k2.wrap(dataKey)
    const err = (await unwrapDataKey([[k1, k2]], 0, ctxOf(emptyHome())).catch((e: unknown) => e)) as Error
    expect(err.message).toMatch(/could not get the data key/)
    expect(err.message).toContain(one.recipient)
    expect(err.message).toContain(two.recipient)
    expect(await unwrapDataKey([[k1, k2]], 0, ctxOf({ ...emptyHome(), SOPS_AGE_KEY: two.identity }))).toEqual(dataKey)
  })
  it('parses identity files and shell-style commands', () => {
    expect(parseIdentities('# x\n\nAGE-SECRET-KEY-1AAA\n  AGE-SECRET-KEY-1BBB AGE-SECRET-KEY-1CCC\n')).toEqual(['AGE-SECRET-KEY-1AAA', 'AGE-SECRET-KEY-1BBB', 'AGE-SECRET-KEY-1CCC'])
    expect(splitCommand(`pass show "age key" --x='a b' c\\ d`)).toEqual(['pass', 'show', 'age key', '--x=a b', 'c d'])
  })
})

describe('native X25519 unwrap agrees with age-encryption and the age CLI', () => {
  it('opens files written by the library for several recipients, and refuses others', async () => {
    const { ageDecryptSmall, parseX25519Identity } = await import('../../src/keys/age-unwrap.js')
    const age = await import('age-encryption')
    const a = await generateAgeIdentity()
    const b = await generateAgeIdentity()
    const c = await generateAgeIdentity()
    const e = new age.Encrypter()
    e.addRecipient(a.recipient)
    e.addRecipient(b.recipient)
    const armored = age.armor.encode(await e.encrypt(dataKey))
    expect(ageDecryptSmall(armored, [parseX25519Identity(b.identity)!])).toEqual(Buffer.from(dataKey))
    expect(ageDecryptSmall(armored, [parseX25519Identity(c.identity)!, parseX25519Identity(a.identity)!])).toEqual(Buffer.from(dataKey))
    expect(ageDecryptSmall(armored, [parseX25519Identity(c.identity)!])).toBeNull()
    const tampered = armored.replace(/\n(.)/, (_m, ch) => '\n' + (ch === 'A' ? 'B' : 'A'))
    expect(ageDecryptSmall(tampered, [parseX25519Identity(a.identity)!])).toBeNull()
    expect(parseX25519Identity('AGE-SECRET-KEY-1XYZ')).toBeNull()
    expect(parseX25519Identity(a.identity)!.publicKey.length).toBe(32)
  })
  it.runIf(ageCli.ok)('opens what age -a -r wrote', async () => {
    const { ageDecryptSmall, parseX25519Identity } = await import('../../src/keys/age-unwrap.js')
    const a = await generateAgeIdentity()
    const enc = execFileSync('age', ['-a', '-r', a.recipient], { input: dataKey }).toString()
    expect(new Uint8Array(ageDecryptSmall(enc, [parseX25519Identity(a.identity)!])!)).toEqual(dataKey)
  })
})
