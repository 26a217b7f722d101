// npm pack / npm publish (prepack): ship the lockfile as npm-shrinkwrap.json, so that `npm install
// -g secrets-sops` and `npx secrets-sops` get the dependency tree this repository tested, not
// whatever the ranges resolve to that day. Our own ranges can be pinned; our dependencies' ranges
// cannot (the AWS SDK's caret ranges would pull its releases made for Node 22 only onto a Node 20
// install). Dev dependencies stay in the file, flagged, and npm skips them on install.
// postpack: `node scripts/shrinkwrap.mjs --remove` deletes it again (the repository keeps
// package-lock.json only; a left-over npm-shrinkwrap.json is git-ignored).
import { readFileSync, rmSync, writeFileSync } from 'node:fs'

if (process.argv.includes('--remove')) {
  rmSync('npm-shrinkwrap.json', { force: true })
} else {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'))
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
  if (lock.name !== pkg.name || lock.version !== pkg.version) throw new Error('package-lock.json does not match package.json: run npm install')
  writeFileSync('npm-shrinkwrap.json', JSON.stringify(lock, null, 2) + '\n')
}
