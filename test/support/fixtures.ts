// Test fixtures kept inside the repository (test/fixtures/), so the suite reads nothing outside it.
import { fileURLToPath } from 'node:url'

/** Files written by upstream sops (getsops/sops, MPL-2.0), unmodified; see test/fixtures/sops-upstream/README.md. */
export const SOPS_UPSTREAM = fileURLToPath(new URL('../fixtures/sops-upstream', import.meta.url))
