// The import graph of src/ against the layering in docs/architecture.md: every import (static,
// type-only or lazy `import()`) goes from a layer to the same layer or one below, never up, and
// the few rules on top of the levels hold. A new arrow the wrong way fails here, not in review.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(__dirname, '..', '..', 'src')

/** Bottom (0) to top: a module may import its own layer or a lower one. */
const LEVEL: Record<string, number> = {
  errors: 0,
  redact: 0,
  version: 0,
  util: 0,
  tree: 1,
  crypto: 1,
  io: 1,
  model: 2,
  stores: 3,
  keys: 3,
  config: 4,
  document: 5,
  outputs: 6,
  workflows: 7,
  cli: 8,
  index: 8,
}

/** Arrows forbidden although they go down or sideways (see docs/architecture.md, "Layering"). */
const FORBIDDEN: Array<[string, string, string]> = [
  ['stores', 'keys', 'a store never calls a key'],
  ['keys', 'stores', 'a key never sees a format'],
  ['cli', 'document', 'the CLI opens and saves encrypted files through src/workflows'],
  ['cli', 'crypto', 'the CLI never touches the cipher'],
  ['index', 'document', 'the library opens and saves encrypted files through src/workflows'],
  ['index', 'crypto', 'the library never touches the cipher'],
  ['outputs', 'stores', 'renderers take variables, not formats'],
  ['outputs', 'document', 'renderers take decrypted variables'],
  ['cli', 'index', 'the CLI and the library are siblings'],
  ['index', 'cli', 'the CLI and the library are siblings'],
]

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : n.endsWith('.ts') ? [p] : []
  })
}

const layerOf = (file: string): string => {
  const rel = relative(SRC, file).split(/[\\/]/)
  return rel.length > 1 ? (rel[0] as string) : (rel[0] as string).replace(/\.[jt]s$/, '')
}

interface Arrow {
  from: string
  to: string
  file: string
  spec: string
}

function arrows(): Arrow[] {
  const out: Arrow[] = []
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(re)) {
      const spec = m[1] as string
      const target = resolve(dirname(file), spec)
      out.push({ from: layerOf(file), to: layerOf(target), file: relative(SRC, file), spec })
    }
  }
  return out
}

describe('import graph', () => {
  const all = arrows()

  it('sees the imports (the parser works)', () => {
    expect(all.length).toBeGreaterThan(200)
    expect(all.some((a) => a.from === 'cli' && a.to === 'workflows')).toBe(true)
  })

  it('every folder and top-level module has a layer', () => {
    const unknown = [...new Set(all.flatMap((a) => [a.from, a.to]))].filter((l) => !(l in LEVEL))
    expect(unknown).toEqual([])
  })

  it('no arrow runs from a lower layer to a higher one', () => {
    const up = all.filter((a) => a.from !== a.to && (LEVEL[a.from] as number) < (LEVEL[a.to] as number))
    expect(up.map((a) => `${a.file} -> ${a.spec} (${a.from} -> ${a.to})`)).toEqual([])
  })

  it('no arrow between different folders of one layer, except as listed', () => {
    const SIDEWAYS_OK = new Set(['errors>redact'])
    const side = all.filter((a) => a.from !== a.to && LEVEL[a.from] === LEVEL[a.to] && !SIDEWAYS_OK.has(`${a.from}>${a.to}`))
    expect(side.map((a) => `${a.file} -> ${a.spec}`)).toEqual([])
  })

  it.each(FORBIDDEN)('no %s -> %s: %s', (from, to) => {
    expect(all.filter((a) => a.from === from && a.to === to).map((a) => `${a.file} -> ${a.spec}`)).toEqual([])
  })

  it('keys use only the metadata value types of tree/ (a key never sees a tree of values)', () => {
    const bad = all.filter((a) => a.from === 'keys' && a.to === 'tree' && !a.spec.endsWith('/tree/types.js'))
    expect(bad.map((a) => `${a.file} -> ${a.spec}`)).toEqual([])
  })

  it('module-level caches and process.env writes stay out of the key and crypto layers', () => {
    for (const file of files(join(SRC, 'keys')).concat(files(join(SRC, 'crypto')), files(join(SRC, 'document')))) {
      const text = readFileSync(file, 'utf8')
      expect([file, /^(?:const|let)\s+\w+\s*=\s*new\s+(?:Weak)?Map\b/m.test(text)]).toEqual([file, false])
      expect([file, /process\.env(?:\.\w+|\[[^\]]+\])\s*(?:\?\?|\|\||&&)?=(?!=)/.test(text)]).toEqual([file, false])
      expect([file, /^let\s+backend\b/m.test(text)]).toEqual([file, false])
    }
  })
})
