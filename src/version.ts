// The version `secrets --version` prints, from package.json alone: the CLI bundle has it inlined at
// build time (scripts/bundle.mjs defines __SECRETS_VERSION__); run from source (tests) it is read
// from package.json on first use.
import { readFileSync } from 'node:fs'

declare const __SECRETS_VERSION__: string | undefined

export function packageVersion(): string {
  if (typeof __SECRETS_VERSION__ === 'string') return __SECRETS_VERSION__
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}
