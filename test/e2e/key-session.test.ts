// One key session per command: SOPS_AGE_KEY_CMD (a blocking spawn) runs once however many files a
// command opens.
import { chmodSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { identity, sandbox } from '../support/cli.js'

describe('one key session per command', () => {
  it('rotate of 4 files runs SOPS_AGE_KEY_CMD once', () => {
    const s = sandbox()
    const me = identity(s, 'me')
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - age: ${me.recipient}\n`)
    const files = ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml']
    for (const f of files) {
      writeFileSync(join(s.dir, f), `password: pw-${f}\n`)
      expect(s.run(['encrypt', '-i', f]).code).toBe(0)
    }
    const counter = join(s.dir, 'count.log')
    const cmd = join(s.dir, 'key-cmd.sh')
    writeFileSync(cmd, `#!/bin/sh\necho run >> '${counter}'\ncat '${me.file}'\n`)
    chmodSync(cmd, 0o755)
    const r = s.run(['rotate', ...files], { env: { SOPS_AGE_KEY_CMD: cmd } })
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(counter, 'utf8')).toBe('run\n')
    // and every file still opens, with its value intact
    writeFileSync(counter, '')
    for (const f of files) expect(s.run(['get', f, 'password'], { env: { SOPS_AGE_KEY_CMD: cmd } }).stdout).toBe(`pw-${f}`)
    expect(readFileSync(counter, 'utf8')).toBe('run\n'.repeat(files.length)) // one command, one run each
    expect(existsSync(counter)).toBe(true)
  })
})
