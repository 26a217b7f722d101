// An environment seen without its keys: files, metadata, variable names and each value's age.
// Key names are readable in a sops file, so `status`, `diff`, `example` and the due-list of
// `rotate-values` need no identity at all.
import type { LoadedConfig } from '../config/types.js'
import { readMetadata, type Metadata } from '../model/metadata.js'
import { SecretsError } from '../errors.js'
import { readInput } from '../io/files.js'
import { readOutputsConfig } from '../outputs/config.js'
import { mapEnvironment, type EnvVar } from '../outputs/env.js'
import { environmentFiles, type LoadContext } from '../outputs/load.js'
import { formatFromPath, storeFor, type Format } from '../stores/index.js'
import type { PathPart } from '../tree/path.js'
import type { ParsedFile } from '../tree/types.js'
import { ageOf, decodeAges, leafFingerprints, type Ages } from '../model/value-ages.js'

export interface InventoryFile {
  path: string
  /** As shown in messages. */
  file: string
  format: Format
  parsed: ParsedFile
  /** null: the file has no sops metadata (plaintext). */
  metadata: Metadata | null
}

export interface Inventory {
  name: string
  files: InventoryFile[]
  /** Variables as exec would name them (values are still ciphertext: never print them). */
  vars: EnvVar[]
}

export interface ValueAgeInfo {
  sec: number | undefined
  source: 'metadata' | 'git' | 'lastmodified' | 'unknown'
}

export async function inventoryOf(lc: LoadContext, arg: string): Promise<Inventory> {
  const { name, files } = await environmentFiles(lc, arg)
  const display = lc.display ?? ((p: string) => p)
  const out: InventoryFile[] = []
  for (const path of files) {
    const file = display(path)
    try {
      const format = formatFromPath(path)
      const parsed = (await storeFor(format)).parse(readInput(path), 'encrypted')
      out.push({ path, file, format, parsed, metadata: parsed.metadata === null ? null : readMetadata(parsed.metadata) })
    } catch (e) {
      throw e instanceof SecretsError ? e.inFile(file) : e
    }
  }
  const outputs = readOutputsConfig(lc.config?.raw, lc.config?.path)
  const vars = mapEnvironment(
    out.map((f) => ({ file: f.file, branches: f.parsed.branches })),
    outputs.separator !== undefined ? { separator: outputs.separator } : {},
  )
  return { name, files: out, vars }
}

/** The config's environments, or the given names. */
export function environmentNames(config: LoadedConfig | null, given: readonly string[]): string[] {
  if (given.length > 0) return [...given]
  return config === null ? [] : [...config.environments.keys()]
}

function leafPath(key: string): PathPart[] {
  return key.startsWith('[') ? (JSON.parse(key) as PathPart[]) : [key]
}

function under(path: readonly PathPart[], prefix: readonly PathPart[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i])
}

/**
 * Each variable's age: the newest change among the leaves it is made of. Ages come from the
 * metadata field, else from `gitAges` (see ages-git.ts), else the file's `lastmodified` (the value
 * is at least that old), else unknown.
 */
export function variableAges(inv: Inventory, nowSec: number, gitAges: (f: InventoryFile) => Ages | undefined): Map<string, ValueAgeInfo> {
  const out = new Map<string, ValueAgeInfo>()
  for (const f of inv.files) {
    if (f.metadata === null) continue
    const branch = f.parsed.branches[0]
    if (branch === undefined) continue
    const leaves = [...leafFingerprints(branch)].map(([k, fp]) => ({ key: k, path: leafPath(k), fp }))
    const meta = decodeAges(f.metadata.valueAges)
    let git: Ages | undefined | null = null
    const lm = Date.parse(f.metadata.lastModified)
    for (const v of inv.vars) {
      if (v.file !== f.file) continue
      let newest: number | undefined
      let source: ValueAgeInfo['source'] = 'unknown'
      for (const leaf of leaves) {
        if (!under(leaf.path, v.path)) continue
        let t = meta === undefined ? undefined : ageOf(meta, leaf.key)
        let s: ValueAgeInfo['source'] = 'metadata'
        if (t === undefined) {
          if (git === null) git = gitAges(f)
          t = git?.get(leaf.key)
          s = 'git'
        }
        if (t === undefined && Number.isFinite(lm)) {
          t = Math.floor(lm / 1000)
          s = 'lastmodified'
        }
        if (t !== undefined && (newest === undefined || t > newest)) {
          newest = t
          source = s
        }
      }
      out.set(v.name, { sec: newest === undefined ? undefined : Math.max(0, nowSec - newest), source })
    }
  }
  return out
}
