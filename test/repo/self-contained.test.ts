// The suite passes on a fresh clone placed anywhere: no test, helper or config reads a path outside
// the repository (a sibling folder of the checkout, a path of one machine's layout), and every relative
// link in the README and docs/ points at a file inside the repository.
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '..', '..')

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue
      out.push(...filesUnder(path, keep))
    } else if (keep(entry.name)) out.push(path)
  }
  return out
}

const inside = (path: string): boolean => {
  const rel = relative(ROOT, path)
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel))
}

// Built from pieces so this file does not match itself.
const FORBIDDEN: RegExp[] = [
  new RegExp(['\\.\\.', 'shared'].join('/')), // the sibling folder, relative
  new RegExp(["'\\.\\.'", "'shared'"].join(',\\s*')), // the same as path segments
  new RegExp(['', 'work', ''].join('/')), // the development machine's layout
  new RegExp(['SECRETS', 'SHARED', 'DIR'].join('_')),
]

/** Paths that code builds relative to its own file: new URL('<rel>', import.meta.url) and join(__dirname, '..', ...). */
function relativeReferences(source: string): string[] {
  const refs: string[] = []
  for (const m of source.matchAll(/new URL\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*\)/g)) refs.push(m[1]!)
  for (const m of source.matchAll(/(?:join|resolve)\(\s*(?:__dirname|import\.meta\.dirname)\s*((?:,\s*'[^']*'\s*)+)\)/g)) {
    refs.push([...m[1]!.matchAll(/'([^']*)'/g)].map((p) => p[1]!).join('/'))
  }
  return refs
}

const codeFiles = [
  ...filesUnder(join(ROOT, 'test'), (n) => /\.(ts|mts|js|mjs|cjs|json)$/.test(n)).filter((f) => !f.includes(`${sep}fixtures${sep}`)),
  ...['vitest.config.ts', 'package.json', 'tsconfig.json'].map((f) => join(ROOT, f)).filter((f) => existsSync(f)),
]

describe('the test suite is self-contained', () => {
  it('finds the test files it checks', () => {
    expect(codeFiles.length).toBeGreaterThan(20)
    expect(codeFiles).toContain(join(ROOT, 'test', 'repo', 'self-contained.test.ts'))
  })

  it('no test, helper or config names a path outside the repository', () => {
    const findings: string[] = []
    for (const file of codeFiles) {
      const lines = readFileSync(file, 'utf8').split('\n')
      lines.forEach((line, i) => {
        for (const re of FORBIDDEN) if (re.test(line)) findings.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`)
      })
    }
    expect(findings).toEqual([])
  })

  it('paths built relative to a source file stay inside the repository', () => {
    const findings: string[] = []
    for (const file of codeFiles) {
      for (const ref of relativeReferences(readFileSync(file, 'utf8'))) {
        if (!inside(resolve(dirname(file), ref))) findings.push(`${relative(ROOT, file)}: ${ref}`)
      }
    }
    expect(findings).toEqual([])
  })

  it('the upstream sops fixtures are in the repository', () => {
    for (const name of ['README.md', 'vectors.json', 'pgp-test-key.asc', 'format.enc.yaml']) {
      expect(existsSync(join(ROOT, 'test', 'fixtures', 'sops-upstream', name)), name).toBe(true)
    }
  })
})

describe('README and docs/ link only inside the repository', () => {
  const pages = [join(ROOT, 'README.md'), ...filesUnder(join(ROOT, 'docs'), (n) => n.endsWith('.md'))]
  it('finds the pages', () => expect(pages.length).toBeGreaterThan(1))
  for (const page of pages) {
    it(`${relative(ROOT, page)}: every relative link resolves to a file in the repository`, () => {
      const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '')
      const findings: string[] = []
      for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]!
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue
        const path = resolve(dirname(page), decodeURI(target.split('#')[0]!))
        if (!inside(path)) findings.push(`${target} (outside the repository)`)
        else if (!existsSync(path)) findings.push(`${target} (no such file)`)
      }
      expect(findings).toEqual([])
    })
  }
})
