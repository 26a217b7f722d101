// Keep decrypted output out of git: asks the repository that would hold a path whether it tracks
// it (refused unless forced) or ignores it (else a warning naming the .gitignore line to add).
// Outside a repository, or without git installed, there is nothing to check.
import { childProcess } from './builtins.js'
import { existsSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { SecretsError } from '../errors.js'

export type GitExposure = { kind: 'no-repo' } | { kind: 'tracked'; repo: string; rel: string } | { kind: 'ignored'; repo: string; rel: string } | { kind: 'exposed'; repo: string; rel: string }

function git(cwd: string, args: string[]): { code: number; out: string } {
  const r = childProcess().spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } })
  return { code: r.error !== undefined ? -1 : (r.status ?? -1), out: r.stdout ?? '' }
}

/** How git sees `path` (a file, or a directory with `isDir`), which need not exist yet. */
export function gitExposure(path: string, opts: { isDir?: boolean } = {}): GitExposure {
  // The nearest existing ancestor tells which repository the path would land in.
  let base = resolve(path)
  const rest: string[] = []
  while (!existsSync(base)) {
    rest.unshift(basename(base))
    const up = dirname(base)
    if (up === base) return { kind: 'no-repo' }
    base = up
  }
  let real: string
  let cwd: string
  try {
    const canonical = realpathSync(base)
    real = join(canonical, ...rest)
    cwd = statSync(canonical).isDirectory() ? canonical : dirname(canonical)
  } catch {
    return { kind: 'no-repo' }
  }
  const top = git(cwd, ['rev-parse', '--show-toplevel'])
  if (top.code !== 0) return { kind: 'no-repo' }
  const repo = top.out.trim()
  const rel = relative(repo, real).split(sep).join('/')
  if (rel === '' || rel.startsWith('..')) return { kind: 'no-repo' }
  const tracked = opts.isDir ? git(repo, ['ls-files', '-z', '--', rel]).out !== '' : git(repo, ['ls-files', '--error-unmatch', '--', rel]).code === 0
  if (tracked) return { kind: 'tracked', repo, rel }
  const ignored = git(repo, ['check-ignore', '-q', '--', opts.isDir ? rel + '/' : rel]).code === 0
  return { kind: ignored ? 'ignored' : 'exposed', repo, rel }
}

/**
 * Refuse to write decrypted output where git tracks it (unless `force`), and warn when git would
 * pick it up on the next `git add`, naming the line to add to .gitignore.
 */
export function guardPlaintextOutput(path: string, opts: { isDir?: boolean; force?: boolean | undefined; warn: (msg: string) => void; display?: string }): void {
  const g = gitExposure(path, opts.isDir ? { isDir: true } : {})
  const shown = opts.display ?? path
  if (g.kind === 'tracked') {
    if (opts.force) {
      opts.warn(`git tracks ${shown}: the decrypted values will show up in \`git diff\` (--force)`)
      return
    }
    throw new SecretsError('plaintext', opts.isDir ? 'git tracks files in this directory, so decrypted values would be committed' : 'git tracks this file, so decrypted values would be committed', {
      file: shown,
      hint: `write somewhere git ignores (and \`git rm --cached\` it), or pass --force`,
    })
  }
  if (g.kind === 'exposed') {
    const line = '/' + g.rel + (opts.isDir ? '/' : '')
    opts.warn(`git does not ignore ${shown}: add the line "${line}" to ${join(g.repo, '.gitignore')}`)
  }
}
