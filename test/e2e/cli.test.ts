// The issue-3 commands driven as a user types them: spawned CLI, temp HOME, temp dirs.
import { describe, expect, it } from 'vitest'
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { sandbox } from '../support/cli.js'

const mode = (p: string): number => statSync(p).mode & 0o777

describe('keygen', () => {
  it('appends an identity to the standard sops key file and prints the recipient', () => {
    const s = sandbox()
    const r1 = s.run(['keygen'])
    expect(r1.code).toBe(0)
    expect(r1.stdout).toMatch(/^age1[a-z0-9]{58}\n$/)
    const file = join(s.home, '.config', 'sops', 'age', 'keys.txt')
    expect(mode(file)).toBe(0o600)
    expect(mode(join(s.home, '.config', 'sops', 'age'))).toBe(0o700)
    const r2 = s.run(['keygen', '-q'])
    expect(r2.stderr).toBe('')
    const text = readFileSync(file, 'utf8')
    expect(text.match(/^AGE-SECRET-KEY-1/gm)).toHaveLength(2)
    expect(text).toContain(`# public key: ${r1.stdout.trim()}`)
    expect(r1.stdout + r1.stderr).not.toContain('AGE-SECRET-KEY')
  })
})

describe('init, encrypt, decrypt', () => {
  it('init creates config, encrypted environments and .gitignore patterns', () => {
    const s = sandbox()
    const r = s.run(['init', 'development', 'production'])
    expect(r.code, r.stderr).toBe(0)
    const cfg = readFileSync(join(s.dir, '.secretsrc.yaml'), 'utf8')
    expect(cfg).toMatch(/creation_rules:/)
    expect(cfg).toMatch(/age1/)
    for (const env of ['development', 'production']) {
      const enc = readFileSync(join(s.dir, 'secrets', `${env}.yaml`), 'utf8')
      expect(enc).toMatch(/DATABASE_URL: ENC\[AES256_GCM,/)
      expect(enc).toMatch(/LOG_LEVEL: ENC\[AES256_GCM,/)
      expect(enc).not.toContain('change-me')
    }
    expect(readFileSync(join(s.dir, '.gitignore'), 'utf8')).toMatch(/^\.secrets\/$/m)
    const d = s.run(['decrypt', 'production'])
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toContain('DATABASE_URL: postgres://app:change-me@localhost:5432/app_production')
    expect(s.run(['init']).code).toBe(7) // config exists
  })

  it('encrypt -i with the creation rules, decrypt to stdout, -o, --extract, --output-type', () => {
    const s = sandbox()
    expect(s.run(['init', 'development']).code).toBe(0)
    const file = join(s.dir, 'secrets', 'development.yaml')
    writeFileSync(file, '# the app\ndatabase:\n    user: app\n    password: "s3cr3t: yes"\n    port: 5432\nbig: 9007199254740993\ndebug_unencrypted: true\nnotes: |\n    line one\n    línea dos ✓\n')
    const e = s.run(['encrypt', 'secrets/development.yaml', '-i'])
    expect(e.code, e.stderr).toBe(0)
    expect(e.stderr).toMatch(/encrypted 5 values, 1 left in clear/)
    const enc = readFileSync(file, 'utf8')
    expect(enc).not.toContain('s3cr3t')
    expect(enc).toMatch(/^#ENC\[AES256_GCM,/m)
    expect(s.run(['encrypt', '-i', 'secrets/development.yaml']).code).toBe(7)

    const d = s.run(['decrypt', 'secrets/development.yaml'])
    expect(d.code, d.stderr).toBe(0)
    expect(d.stdout).toContain('# the app\n')
    expect(d.stdout).toContain('big: 9007199254740993')
    expect(d.stdout).toContain('línea dos ✓')
    expect(d.stderr).toBe('')

    const o = s.run(['decrypt', 'development', '-o', 'plain.yaml'])
    expect(o.code, o.stderr).toBe(0)
    expect(mode(join(s.dir, 'plain.yaml'))).toBe(0o600)
    expect(readFileSync(join(s.dir, 'plain.yaml'), 'utf8')).toBe(d.stdout)

    const x = s.run(['decrypt', 'secrets/development.yaml', '--extract', '["database"]["password"]'])
    expect(x.stdout).toBe('s3cr3t: yes')
    expect(s.run(['decrypt', 'development', '--extract', 'database.port']).stdout).toBe('5432\n')
    expect(s.run(['decrypt', 'development', '--extract', '["nope"]']).code).toBe(3)

    const j = s.run(['decrypt', 'development', '--output-type', 'json'])
    expect(j.code, j.stderr).toBe(0)
    expect(j.stdout).toContain('"big": 9007199254740993')
    expect(JSON.parse(j.stdout).database).toEqual({ user: 'app', password: 's3cr3t: yes', port: 5432 })
    const de = s.run(['decrypt', 'development', '--extract', '["database"]', '--output-type', 'dotenv'])
    expect(de.stdout).toBe('user=app\npassword=s3cr3t: yes\nport=5432\n')
  })

  it('encrypt plain.json --age a,b > out.json: either identity decrypts it', () => {
    const s = sandbox()
    const a = s.run(['keygen', '-o', join(s.dir, 'a.txt')]).stdout.trim()
    const b = s.run(['keygen', '-o', join(s.dir, 'b.txt')]).stdout.trim()
    writeFileSync(join(s.dir, 'plain.json'), '{"token": "abc", "n": 9007199254740993, "list": [1, 2.5, true, null]}\n')
    const e = s.run(['encrypt', 'plain.json', '--age', `${a},${b}`])
    expect(e.code, e.stderr).toBe(0)
    writeFileSync(join(s.dir, 'out.json'), e.stdoutBytes)
    const meta = JSON.parse(e.stdout).sops
    expect(meta.age.map((x: { recipient: string }) => x.recipient)).toEqual([a, b])
    for (const key of ['a.txt', 'b.txt']) {
      const d = s.run(['decrypt', 'out.json'], { env: { SOPS_AGE_KEY_FILE: join(s.dir, key) } })
      expect(d.code, d.stderr).toBe(0)
      expect(d.stdout).toContain('"n": 9007199254740993')
      expect(JSON.parse(d.stdout).token).toBe('abc')
    }
  })

  it('dotenv, ini and binary files by extension', () => {
    const s = sandbox()
    const r = s.run(['keygen']).stdout.trim()
    const files: Record<string, string> = {
      '.env.production': 'A=1\n# comment\nB=two words\n',
      'app.env': 'X=y\n',
      'conf.ini': '[db]\nuser = app\npass = secret\n\n',
      'blob.bin': '\u0000\u0001binary\nbytes',
    }
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(s.dir, name), content)
      const e = s.run(['encrypt', '-i', name, '--age', r])
      expect(e.code, `${name}: ${e.stderr}`).toBe(0)
      expect(readFileSync(join(s.dir, name), 'utf8')).toContain('ENC[AES256_GCM,')
      const d = s.run(['decrypt', name])
      expect(d.code, d.stderr).toBe(0)
      expect(d.stdout).toBe(content)
    }
  })
})

describe('refusals and errors', () => {
  function encrypted(s: ReturnType<typeof sandbox>): string {
    const r = s.run(['keygen']).stdout.trim()
    writeFileSync(join(s.dir, 'f.yaml'), 'alpha: one\nbeta: 2\n')
    expect(s.run(['encrypt', '-i', 'f.yaml', '--age', r]).code).toBe(0)
    return readFileSync(join(s.dir, 'f.yaml'), 'utf8')
  }
  const expectOneLine = (stderr: string): void => {
    expect(stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^secrets: .+ \(.+\) - .+\n$/)
  }

  it('a tampered value, key name, type tag, IV or MAC fails without showing plaintext', () => {
    const s = sandbox()
    const good = encrypted(s)
    const tamper: Array<[string, (t: string) => string, number]> = [
      ['value', (t) => t.replace(/(alpha: ENC\[AES256_GCM,data:)(.)/, (_m, p, c) => p + (c === 'A' ? 'B' : 'A')), 25],
      ['key name', (t) => t.replace('alpha:', 'alpha2:'), 25],
      ['type tag', (t) => t.replace(/(alpha: ENC\[.*?type:)str/, '$1int'), 25],
      ['iv', (t) => t.replace(/(alpha: ENC\[.*?iv:)(.)/, (_m, p, c) => p + (c === 'A' ? 'B' : 'A')), 25],
      ['mac', (t) => t.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_m, p, c) => p + (c === 'A' ? 'B' : 'A')), 51],
      ['sops block', (t) => t.slice(0, t.indexOf('sops:')), 3],
      ['corrupted token', (t) => t.replace(/(alpha: ENC\[AES256_GCM,data:)[^,]+/, '$1@@not-base64@@'), 25],
      ['token truncated to plain text', (t) => t.replace(/alpha: ENC\[[^\n]*/, 'alpha: "ENC[AES256_GCM,data:"'), 25],
    ]
    for (const [what, f, code] of tamper) {
      const bad = f(good)
      expect(bad, what).not.toBe(good)
      writeFileSync(join(s.dir, 'bad.yaml'), bad)
      const d = s.run(['decrypt', 'bad.yaml'])
      expect(d.code, `${what}: ${d.stderr}`).toBe(code)
      expect(d.stdout).toBe('')
      expect(d.stderr).not.toContain('one')
      expectOneLine(d.stderr)
    }
  })

  it('a missing MAC is refused unless --ignore-mac', () => {
    const s = sandbox()
    const good = encrypted(s)
    writeFileSync(join(s.dir, 'no_mac.yaml'), good.replace(/^ {4}mac: .*\n/m, ''))
    const d = s.run(['decrypt', 'no_mac.yaml'])
    expect(d.code).toBe(51)
    expect(d.stderr).toMatch(/no MAC.*--ignore-mac/)
    const ok = s.run(['decrypt', 'no_mac.yaml', '--ignore-mac'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toBe('alpha: one\nbeta: 2\n')
  })

  it('a wrong identity: could not get the data key, listing the key tried and where identities were looked for', () => {
    const s = sandbox()
    encrypted(s)
    const other = join(s.dir, 'other.txt')
    s.run(['keygen', '-o', other])
    const d = s.run(['decrypt', 'f.yaml'], { env: { XDG_CONFIG_HOME: join(s.dir, 'nowhere'), SOPS_AGE_KEY_FILE: other } })
    expect(d.code).toBe(128)
    expect(d.stderr).toMatch(/could not get the data key; the file is for age age1[a-z0-9]+; your age identities are for age1[a-z0-9]+ \(looked in .*SOPS_AGE_KEY_FILE=.*\)/)
    expectOneLine(d.stderr)
    expect(d.stderr).not.toContain('AGE-SECRET-KEY')
  })

  it('refuses to leave every value in clear unless --allow-plaintext', () => {
    const s = sandbox()
    const r = s.run(['keygen']).stdout.trim()
    writeFileSync(join(s.dir, '.secretsrc.yaml'), `creation_rules:\n  - path_regex: '\\.yaml$'\n    encrypted_regex: '^nothing_matches$'\n    age: ${r}\n`)
    writeFileSync(join(s.dir, 'f.yaml'), 'a: 1\nb: two\n')
    const e = s.run(['encrypt', '-i', 'f.yaml'])
    expect(e.code).toBe(6)
    expect(e.stderr).toMatch(/encrypted_regex.*creation_rules\[0\].*leaves all 2 values in clear.*--allow-plaintext/)
    expect(readFileSync(join(s.dir, 'f.yaml'), 'utf8')).toBe('a: 1\nb: two\n')
    const ok = s.run(['encrypt', '-i', 'f.yaml', '--allow-plaintext'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stderr).toMatch(/encrypted 0 values, 2 left in clear/)
  })

  it('bad input and usage errors are one line with an exit code, never a stack trace', () => {
    const s = sandbox()
    writeFileSync(join(s.dir, 'broken.yaml'), 'a: [1, 2\nb: "unterminated\n')
    const r = s.run(['encrypt', 'broken.yaml', '--age', 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'])
    expect(r.code).toBe(3)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
    expect(s.run(['decrypt', 'missing.yaml']).code).toBe(3)
    expect(s.run(['decrypt']).code).toBe(2)
    expect(s.run(['frobnicate']).code).toBe(2)
    expect(existsSync(join(s.dir, 'broken.yaml'))).toBe(true)
  })
})

describe('help and version', () => {
  it('the prebuilt --help is exactly what commander prints, and -h / no arguments behave', () => {
    const s = sandbox()
    const fast = s.run(['--help'])
    const full = s.run(['--help'], { env: { SECRETS_FULL_HELP: '1' } })
    expect(fast.code).toBe(0)
    expect(fast.stdout).toBe(full.stdout)
    expect(fast.stdout).toMatch(/Commands:[\s\S]*decrypt[\s\S]*Exit codes:/)
    expect(s.run(['-h']).stdout).toBe(full.stdout)
    const none = s.run([])
    expect(none.code).toBe(2)
    expect(none.stderr).toBe(full.stdout)
    expect(s.run(['--version']).stdout).toBe(s.run(['--version'], { env: { SECRETS_FULL_HELP: '1' } }).stdout)
    expect(s.run(['decrypt', '--help']).stdout).toMatch(/--extract <path>/)
  })
})

describe('version', () => {
  it('matches package.json', async () => {
    const { readFileSync } = await import('node:fs')
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(sandbox().run(['--version']).stdout.trim()).toBe(pkg.version)
  })
})

describe('a private key where a recipient belongs', () => {
  it('is refused before anything is written, and never printed', () => {
    const s = sandbox()
    s.run(['keygen', '-q'])
    const secret = readFileSync(join(s.home, '.config', 'sops', 'age', 'keys.txt'), 'utf8').match(/AGE-SECRET-KEY-1[0-9A-Z]+/)![0]
    writeFileSync(join(s.dir, 'f.yaml'), 'a: b\n')
    const e = s.run(['encrypt', 'f.yaml', '--age', secret])
    expect(e.code).toBe(2)
    expect(e.stderr).toMatch(/an age identity \(a PRIVATE key\) is not an age recipient/)
    const i = s.run(['init', '--age', secret])
    expect(i.code).toBe(2)
    expect(existsSync(join(s.dir, '.secretsrc.yaml'))).toBe(false)
    const env = s.run(['encrypt', 'f.yaml'], { env: { SOPS_AGE_RECIPIENTS: secret } })
    expect(env.code).toBe(2)
    for (const r of [e, i, env]) {
      expect(r.stderr).not.toContain(secret)
      expect(r.stderr).not.toContain(secret.slice(20))
    }
  })
  it('number flags take whole numbers only', () => {
    const s = sandbox()
    writeFileSync(join(s.dir, 'f.yaml'), 'a: b\n')
    for (const bad of [['--indent', 'abc'], ['--indent', '-1'], ['--shamir-secret-sharing-threshold', 'abc'], ['--shamir-secret-sharing-threshold', '1.5']]) {
      const r = s.run(['encrypt', 'f.yaml', '--age', 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', ...bad])
      expect(r.code, bad.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/expected a whole number/)
    }
  })
})

describe('decrypt keeps plaintext out of git', () => {
  it('refuses to write plaintext over a file git tracks unless --force, and -i with --extract', async () => {
    const { execFileSync } = await import('node:child_process')
    const s = sandbox()
    const r = s.run(['keygen', '-q']).stdout.trim()
    writeFileSync(join(s.dir, 'f.yaml'), 'token: abc\n')
    expect(s.run(['encrypt', '-i', 'f.yaml', '--age', r]).code).toBe(0)
    const git = (...args: string[]) => execFileSync('git', args, { cwd: s.dir, stdio: 'ignore', env: { ...process.env, HOME: s.home, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } })
    git('init', '-q')
    git('add', 'f.yaml')
    git('commit', '-qm', 'x')
    const before = readFileSync(join(s.dir, 'f.yaml'), 'utf8')
    const d = s.run(['decrypt', '-i', 'f.yaml'])
    expect(d.code).toBe(6)
    expect(d.stderr).toMatch(/git tracks this file/)
    expect(readFileSync(join(s.dir, 'f.yaml'), 'utf8')).toBe(before)
    expect(s.run(['decrypt', '-i', '--extract', 'token', 'f.yaml']).code).toBe(2)
    const w = s.run(['decrypt', 'f.yaml', '-o', 'out.yaml'])
    expect(w.code, w.stderr).toBe(0)
    expect(w.stderr).toMatch(/git does not ignore out\.yaml/)
    const f = s.run(['decrypt', '-i', '--force', 'f.yaml'])
    expect(f.code, f.stderr).toBe(0)
    expect(readFileSync(join(s.dir, 'f.yaml'), 'utf8')).toBe('token: abc\n')
  })
})

describe('selection regexes', () => {
  it('an invalid RE2 expression is refused at encrypt time', () => {
    const s = sandbox()
    const r = s.run(['keygen', '-q']).stdout.trim()
    writeFileSync(join(s.dir, 'f.yaml'), 'a: 1\n')
    const e = s.run(['encrypt', 'f.yaml', '--age', r, '--encrypted-regex', '(?<=x)a'])
    expect(e.code).toBe(2)
    expect(e.stderr).toMatch(/encrypted_regex .* is not a valid RE2 expression/)
  })
})
