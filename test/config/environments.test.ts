// Environments made of several files: the config forms (paths list, list shorthand, globs,
// directories) and how names resolve to files, for the commands that take them all and for the
// ones that need exactly one.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { listEnvironments, loadConfig, resolveEnvironmentFiles, resolveTarget } from '../../src/config/index.js'
import { SecretsError } from '../../src/errors.js'
import { tree } from './helpers.js'

const config = (root: string) => loadConfig(join(root, '.secretsrc.yaml'))

function thrown(f: () => unknown): SecretsError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    return e as SecretsError
  }
  throw new Error('expected a SecretsError')
}

async function rejected(p: Promise<unknown>): Promise<SecretsError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    return e as SecretsError
  }
  throw new Error('expected a SecretsError')
}

describe('environments: config forms', () => {
  it('paths: [...], a bare list, a glob string, a directory string; one-element lists are a single path', () => {
    const root = tree({
      '.secretsrc.yaml': [
        'environments:',
        '  production: {paths: [secrets/prod/app.yaml, secrets/prod/db.yaml]}',
        '  staging: [secrets/staging/a.yaml, secrets/staging/b.json]',
        '  qa: secrets/qa/*.yaml',
        '  dev: secrets/dev/',
        '  one: {paths: [one.yaml]}',
        '  plain: {path: p.yaml}',
        '',
      ].join('\n'),
    })
    expect([...config(root).environments]).toEqual([
      ['production', ['secrets/prod/app.yaml', 'secrets/prod/db.yaml']],
      ['staging', ['secrets/staging/a.yaml', 'secrets/staging/b.json']],
      ['qa', 'secrets/qa/*.yaml'],
      ['dev', 'secrets/dev/'],
      ['one', 'one.yaml'],
      ['plain', 'p.yaml'],
    ])
  })

  it('rejects both path and paths, an empty list, empty or non-string entries, with the line', () => {
    const bad = (text: string) => thrown(() => config(tree({ '.secretsrc.yaml': text })))
    expect(bad('environments:\n  p: {path: a.yaml, paths: [b.yaml]}\n').message).toBe('environments.p: give either path or paths, not both')
    expect(bad('environments:\n  p: {paths: []}\n').message).toBe('environments.p.paths: must name at least one file, directory or glob')
    const e = bad('environments:\n  p:\n    paths:\n      - a.yaml\n      - ""\n')
    expect(e.message).toBe('environments.p.paths[1]: must not be empty')
    expect(e.where).toBe('line 5')
    expect(bad('environments:\n  p: [a.yaml, {x: 1}]\n').message).toBe('environments.p[1]: expected a string, got a map')
    expect(bad('environments:\n  p: {paths: a.yaml}\n').message).toBe('environments.p.paths: expected a list, got a string')
  })
})

describe('resolveEnvironmentFiles', () => {
  it('a list keeps its order, relative to the config dir; a file named twice counts once', async () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  production: [z.yaml, secrets/a.yaml, z.yaml, secrets/b.env]\n',
      'z.yaml': '',
      'secrets/a.yaml': '',
      'secrets/b.env': '',
    })
    const cwd = join(root, 'sub')
    mkdirSync(cwd)
    expect(await resolveEnvironmentFiles(config(root), 'production', cwd)).toEqual({
      environment: 'production',
      files: [join(root, 'z.yaml'), join(root, 'secrets/a.yaml'), join(root, 'secrets/b.env')],
    })
  })

  it('a glob gives its matches sorted; a glob matching nothing is an error naming it', async () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  production: [secrets/prod/*.yaml, extra.json]\n  empty: secrets/none/*.yaml\n',
      'secrets/prod/db.yaml': '',
      'secrets/prod/app.yaml': '',
      'secrets/prod/notes.txt': '',
      'extra.json': '',
    })
    const c = config(root)
    expect((await resolveEnvironmentFiles(c, 'production', root)).files).toEqual([join(root, 'secrets/prod/app.yaml'), join(root, 'secrets/prod/db.yaml'), join(root, 'extra.json')])
    const e = await rejected(resolveEnvironmentFiles(c, 'empty', root))
    expect(e.code).toBe('input')
    expect(e.message).toBe('environment "empty": secrets/none/*.yaml matches no file')
    expect(e.hint).toMatch(/environments\.empty in \.secretsrc\.yaml/)
  })

  it('a directory: its sops files (yaml, yml, json, env; not hidden; not recursive), sorted', async () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  listed: secrets/listed/\n',
      'secrets/listed/b.yaml': '',
      'secrets/listed/a.env': '',
      'secrets/production/db.json': '',
      'secrets/production/app.yaml': '',
      'secrets/production/z.yml': '',
      'secrets/production/.hidden.yaml': '',
      'secrets/production/README.md': '',
      'secrets/production/nested/deep.yaml': '',
      'secrets/empty/README.md': '',
    })
    const c = config(root)
    const prod = join(root, 'secrets/production')
    expect(await resolveEnvironmentFiles(c, 'production', root)).toEqual({ environment: 'production', files: [join(prod, 'app.yaml'), join(prod, 'db.json'), join(prod, 'z.yml')] })
    expect((await resolveEnvironmentFiles(c, 'listed', root)).files).toEqual([join(root, 'secrets/listed/a.env'), join(root, 'secrets/listed/b.yaml')])
    // a directory path works too, named after the directory
    expect(await resolveEnvironmentFiles(c, 'secrets/production/', root)).toMatchObject({ environment: 'production', files: [join(prod, 'app.yaml'), join(prod, 'db.json'), join(prod, 'z.yml')] })
    const e = await rejected(resolveEnvironmentFiles(c, 'empty', root))
    expect(e.message).toBe('environment "empty": secrets/empty holds no .yaml, .yml, .json or .env file')
    const missing = await rejected(resolveEnvironmentFiles(config(tree({ '.secretsrc.yaml': 'environments:\n  gone: [a.yaml, secrets/gone/]\n', 'a.yaml': '' })), 'gone', root))
    expect(missing.message).toMatch(/^environment "gone": .*secrets\/gone is not a directory$/)
  })

  it('<name>.yaml wins over the directory <name>/; `name:` with no value falls back to the directory', async () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  listed:\n',
      'secrets/both.yaml': '',
      'secrets/both/x.yaml': '',
      'secrets/listed/a.yaml': '',
      'secrets/listed/b.yaml': '',
    })
    const c = config(root)
    expect((await resolveEnvironmentFiles(c, 'both', root)).files).toEqual([join(root, 'secrets/both.yaml')])
    expect((await resolveEnvironmentFiles(c, 'listed', root)).files).toEqual([join(root, 'secrets/listed/a.yaml'), join(root, 'secrets/listed/b.yaml')])
  })

  it('single files and paths resolve as resolveTarget does', async () => {
    const root = tree({ '.secretsrc.yaml': 'environments:\n  production: deploy/prod.yaml\n', 'secrets/staging.yaml': '' })
    const c = config(root)
    expect(await resolveEnvironmentFiles(c, 'production', root)).toEqual({ environment: 'production', files: [join(root, 'deploy/prod.yaml')] })
    expect(await resolveEnvironmentFiles(c, 'staging', root)).toEqual({ environment: 'staging', files: [join(root, 'secrets/staging.yaml')] })
    expect(await resolveEnvironmentFiles(c, 'new.yaml', root)).toEqual({ files: [join(root, 'new.yaml')] })
    expect(await resolveEnvironmentFiles(null, 'staging', root)).toEqual({ environment: 'staging', files: [join(root, 'secrets/staging.yaml')] })
  })
})

describe('resolveTarget with an environment of several files', () => {
  it('is a usage error listing the files (globs as written) and telling to name one', () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  production: [secrets/prod/app.yaml, secrets/prod/db.yaml]\n  qa: secrets/qa/*.yaml\n',
      'secrets/staging/a.yaml': '',
      'secrets/staging/b.yaml': '',
      'secrets/one/only.yaml': '',
    })
    const c = config(root)
    const e = thrown(() => resolveTarget(c, 'production', root))
    expect(e.code).toBe('usage')
    expect(e.message).toBe('"production" is an environment of several files (secrets/prod/app.yaml, secrets/prod/db.yaml)')
    expect(e.hint).toMatch(/^this command works on one file: name it, e\.g\. secrets\/prod\/app\.yaml/)
    expect(thrown(() => resolveTarget(c, 'qa', root)).message).toBe('"qa" is an environment of several files (secrets/qa/*.yaml)')
    expect(thrown(() => resolveTarget(c, 'staging', root)).message).toBe('"staging" is an environment of several files (secrets/staging/a.yaml, secrets/staging/b.yaml)')
    // a directory environment stays one even with a single file: adding a file must not change what a command means
    expect(thrown(() => resolveTarget(c, 'one', root)).code).toBe('usage')
    // one of its files is a plain path
    expect(resolveTarget(c, 'secrets/staging/a.yaml', root)).toEqual({ path: join(root, 'secrets/staging/a.yaml') })
  })

  it('listEnvironments shows lists and directories of sops files', () => {
    const root = tree({
      '.secretsrc.yaml': 'environments:\n  production: [a.yaml, b.yaml]\n',
      'secrets/dev.yaml': '',
      'secrets/staging/x.yaml': '',
      'secrets/docs/README.md': '',
    })
    expect([...listEnvironments(config(root), root)]).toEqual([
      ['production', [join(root, 'a.yaml'), join(root, 'b.yaml')]],
      ['dev', join(root, 'secrets/dev.yaml')],
      ['staging', join(root, 'secrets/staging')],
    ])
  })
})
