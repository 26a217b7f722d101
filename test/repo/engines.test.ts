// A user's `npm install` resolves our dependency ranges, so every runtime dependency (and theirs,
// transitively) must support every Node version our `engines` admits, and the ranges must not
// reach releases made for newer Node only (the AWS SDK's after the first week of January 2027
// require Node 22). Read from the installed tree, as npm would resolve it from each package.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '..', '..')

interface Manifest {
  name: string
  version: string
  engines?: { node?: string }
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
const ours = manifest(ROOT)

/** The folder Node/npm would use for `name` required from `from` (nearest node_modules upward). */
function locate(name: string, from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dir === ROOT || dirname(dir) === dir) return null
  }
}

/** Every package a runtime install brings, by folder. */
function runtimeTree(): Map<string, Manifest> {
  const seen = new Map<string, Manifest>()
  const visit = (from: string, m: Manifest, top: boolean): void => {
    const optional = new Set([
      ...Object.keys(m.optionalDependencies ?? {}),
      ...Object.entries(m.peerDependenciesMeta ?? {})
        .filter(([, v]) => v.optional)
        .map(([k]) => k),
    ])
    const names = new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...(top ? [] : Object.keys(m.peerDependencies ?? {}))])
    for (const name of names) {
      const dir = locate(name, from)
      if (dir === null) {
        if (optional.has(name)) continue
        throw new Error(`${m.name} needs ${name}, which is not installed (run npm ci)`)
      }
      if (seen.has(dir)) continue
      const dep = manifest(dir)
      seen.set(dir, dep)
      visit(dir, dep, false)
    }
  }
  visit(ROOT, ours, true)
  return seen
}

describe('dependencies and Node versions', () => {
  it('every runtime dependency, transitively, supports every Node version our engines admit', () => {
    const range = ours.engines?.node
    expect(range).toBeTruthy()
    const tree = runtimeTree()
    expect(tree.size).toBeGreaterThan(20) // the AWS SDK alone brings dozens: the walk found them
    const bad: string[] = []
    for (const m of tree.values()) {
      const theirs = m.engines?.node
      if (theirs === undefined || theirs.trim() === '' || theirs.trim() === '*') continue
      if (!semver.subset(range!, theirs)) bad.push(`${m.name}@${m.version} wants node ${theirs}`)
    }
    expect(bad, `our engines: node ${range}`).toEqual([])
  })

  it('the running Node is one our engines admit (the test above is only as good as that)', () => {
    expect(semver.satisfies(process.versions.node, ours.engines!.node!)).toBe(true)
  })

  it('AWS SDK ranges stay on releases that still support Node 20 (no caret into future majors of support)', () => {
    const aws = Object.entries(ours.dependencies ?? {}).filter(([n]) => n.startsWith('@aws-sdk/'))
    expect(aws.length).toBeGreaterThan(0)
    for (const [name, spec] of aws) {
      // a tilde range: patch releases of the tested minor only (the SDK never ships a new Node floor in one)
      expect(spec, name).toMatch(/^~3\.\d+\.\d+$/)
      const installed = manifest(locate(name, ROOT)!)
      expect(semver.satisfies(installed.version, spec), `${name}@${installed.version} vs ${spec}`).toBe(true)
    }
  })
})
