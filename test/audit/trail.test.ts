import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { appendAudit, defaultTrailPath, verifyTrail } from '../../src/audit/trail.js'

const root = mkdtempSync(join(tmpdir(), 'secrets-audit-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('audit trail', () => {
  it('defaults to XDG_STATE_HOME, then ~/.local/state; SECRETS_AUDIT_FILE wins', () => {
    expect(defaultTrailPath({ HOME: '/h' })).toBe('/h/.local/state/secrets/audit.jsonl')
    expect(defaultTrailPath({ HOME: '/h', XDG_STATE_HOME: '/s' })).toBe('/s/secrets/audit.jsonl')
    expect(defaultTrailPath({ HOME: '/h', SECRETS_AUDIT_FILE: '/a.jsonl' })).toBe('/a.jsonl')
  })

  it('chains entries, 0600 in a 0700 folder, and verify finds a removed or edited line', async () => {
    const path = join(root, 'state', 'secrets', 'audit.jsonl')
    for (let i = 0; i < 5; i++) await appendAudit(path, { command: 'set', file: '/r/secrets/p.yaml', env: 'p', keys: [`K${i}`], outcome: 'ok' })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(root, 'state', 'secrets')).mode & 0o777).toBe(0o700)
    const text = readFileSync(path, 'utf8')
    expect(verifyTrail(text)).toEqual({ ok: true, entries: 5 })
    const lines = text.trimEnd().split('\n')
    expect(JSON.parse(lines[4] as string)).toMatchObject({ seq: 5, command: 'set', keys: ['K4'], outcome: 'ok' })

    const removed = [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n'
    expect(verifyTrail(removed)).toMatchObject({ ok: false, line: 3 })
    const edited = lines.map((l, i) => (i === 1 ? l.replace('"K1"', '"K9"') : l)).join('\n') + '\n'
    const r = verifyTrail(edited)
    expect(r).toMatchObject({ ok: false, line: 3 })
    expect(r.problem).toMatch(/line 2 was altered/)
    expect(verifyTrail(lines.slice(1).join('\n'))).toMatchObject({ ok: false, line: 1 })
    expect(verifyTrail('garbage\n')).toMatchObject({ ok: false, line: 1 })
  })

  it('keeps the chain whole under concurrent writers', async () => {
    const path = join(root, 'concurrent.jsonl')
    await Promise.all(Array.from({ length: 30 }, (_, i) => appendAudit(path, { command: 'get', keys: [`K${i}`], outcome: 'ok' })))
    expect(verifyTrail(readFileSync(path, 'utf8'))).toEqual({ ok: true, entries: 30 })
  })

  it('fails fast (never hangs) where its folder cannot be made', async () => {
    await expect(appendAudit('/proc/nope/deeper/audit.jsonl', { command: 'get', outcome: 'ok' })).rejects.toThrow()
    await expect(appendAudit(join(root, 'concurrent.jsonl', 'x', 'audit.jsonl'), { command: 'get', outcome: 'ok' })).rejects.toThrow()
  })

  it('chains onto a damaged last line rather than failing', async () => {
    const path = join(root, 'damaged.jsonl')
    writeFileSync(path, '{"truncated\n', { mode: 0o600 })
    await appendAudit(path, { command: 'get', outcome: 'ok' })
    expect(verifyTrail(readFileSync(path, 'utf8'))).toMatchObject({ ok: false, line: 1 })
  })
})
