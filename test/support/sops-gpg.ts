// A throwaway GNUPGHOME with some secret keys imported, for sops's PGP path
// (sops execs the `gpg` binary found on PATH, which honours GNUPGHOME).

import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { which } from './skip.js'

export interface GnupgHome {
  /** Pass as { GNUPGHOME: home } in sopsDecrypt's env. */
  home: string
  /** Stops the gpg-agent started for this home and deletes it. Idempotent. */
  cleanup(): void
}

/** Creates a temporary GNUPGHOME and imports `keyFiles` (armored or binary) with `gpg --batch --import`. */
export function makeGnupgHome(keyFiles: string[] = []): GnupgHome {
  // Short path: gpg-agent's socket path must stay under ~108 bytes.
  const home = mkdtempSync(join(tmpdir(), 'gpg-'))
  chmodSync(home, 0o700)
  let cleaned = false
  const cleanup = () => {
    if (cleaned) return
    cleaned = true
    if (which('gpgconf')) {
      try {
        execFileSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home }, stdio: 'ignore', timeout: 10_000 })
      } catch {
        /* no agent was running */
      }
    }
    rmSync(home, { recursive: true, force: true })
  }
  try {
    for (const f of keyFiles) {
      execFileSync('gpg', ['--batch', '--quiet', '--import', f], {
        env: { ...process.env, GNUPGHOME: home },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 30_000,
      })
    }
  } catch (e) {
    cleanup()
    throw e
  }
  return { home, cleanup }
}
