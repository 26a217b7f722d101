// Find the config file: SECRETS_CONFIG / SOPS_CONFIG, else walk up from the working directory
// (not the target file's, as sops does), preferring `.secretsrc.yaml` to `.sops.yaml` in each
// directory; the first directory holding either wins.
import { statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export const CONFIG_NAMES = ['.secretsrc.yaml', '.secretsrc.yml', '.sops.yaml'] as const
const MAX_DEPTH = 100

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

/** The config path to use, or null when there is none. An env var path is returned unchecked. */
export function findConfig(cwd: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const name of ['SECRETS_CONFIG', 'SOPS_CONFIG']) {
    const v = env[name]
    if (v !== undefined && v !== '') return resolve(cwd, v)
  }
  let dir = resolve(cwd)
  for (let i = 0; i < MAX_DEPTH; i++) {
    for (const name of CONFIG_NAMES) {
      const p = join(dir, name)
      if (isFile(p)) return p
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return null
}
