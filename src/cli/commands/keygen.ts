// `secrets keygen`: a new age identity appended to the sops key file (0600, folder 0700);
// the public recipient goes to stdout so scripts can capture it.
import { mkdirSync, statSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'
import { defaultAgeKeyFile } from '../../keys/age-identities.js'
import { generateAgeIdentity } from '../../keys/age.js'
import { readBounded, stdioDescriptor, writeFileAtomic, writeStdout } from '../../io/files.js'
import { rfc3339Seconds } from '../../util/clock.js'
import type { Cli } from '../context.js'

export function keyFilePath(cli: Cli, output?: string): string {
  return output ?? cli.env.SOPS_AGE_KEY_FILE ?? defaultAgeKeyFile(cli.env)
}

/** Create an identity and append it to `file`; returns the recipient. */
export async function appendNewIdentity(file: string): Promise<string> {
  const { identity, recipient } = await generateAgeIdentity()
  let existing = ''
  let st: Stats | undefined
  try {
    st = statSync(file)
  } catch {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  }
  // Appended to a key file; a FIFO, a device or /dev/stdout just gets the new identity.
  if (st?.isFile() && stdioDescriptor(file) === undefined) existing = Buffer.from(readBounded(file)).toString('utf8')
  if (existing !== '' && !existing.endsWith('\n')) existing += '\n'
  const block = `# created: ${rfc3339Seconds()}\n# public key: ${recipient}\n${identity}\n`
  writeFileAtomic(file, Buffer.from(existing + block), 0o600)
  return recipient
}

export async function keygen(cli: Cli, opts: { output?: string }): Promise<void> {
  const file = keyFilePath(cli, opts.output)
  const recipient = await appendNewIdentity(file)
  cli.info(`new age identity appended to ${file} (keep it secret, back it up); its public recipient:`)
  await writeStdout(recipient + '\n')
}
