// `secrets init [env...]`: .secretsrc.yaml with a creation rule for the local age key, one
// encrypted starter file per environment, and .gitignore lines for decrypted outputs.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SecretsError } from '../../errors.js'
import { writeFileAtomic } from '../../io/files.js'
import { loadAgeIdentities } from '../../keys/age-identities.js'
import { storeFor } from '../../stores/index.js'
import { type Cli, usage } from '../context.js'
import { encryptNew } from '../../workflows/encrypt.js'
import { checkAgeRecipients } from '../../keys/groups.js'
import { appendNewIdentity, keyFilePath } from './keygen.js'

const GITIGNORE_LINES = [
  '# secrets: decrypted output, never commit it',
  '.env',
  '.env.*',
  '!.env.example',
  '.secrets/',
  '*.dec.yaml',
  '*.dec.json',
  '*.plain.*',
  '*.secrets-tmp',
]

async function localRecipients(cli: Cli): Promise<string[]> {
  const ids = loadAgeIdentities(cli.keyContext()).identities
  if (ids.length > 0) {
    const { identityToRecipient } = await import('age-encryption')
    // the most recently added identity is the one a fresh project should use
    return [await identityToRecipient(ids[ids.length - 1])]
  }
  const file = keyFilePath(cli)
  const recipient = await appendNewIdentity(file)
  cli.info(`no age identity found: created one in ${file} (back it up)`)
  return [recipient]
}

function starter(env: string): string {
  return (
    `# ${env} secrets: values are encrypted, keys and comments stay readable in git\n` +
    `DATABASE_URL: postgres://app:change-me@localhost:5432/app_${env}\n` +
    `API_TOKEN: change-me\n` +
    `# keys ending in _unencrypted stay readable in git\n` +
    `LOG_LEVEL_unencrypted: info\n`
  )
}

export async function init(cli: Cli, envs: string[], opts: { age?: string[]; dir: string; force?: boolean }): Promise<void> {
  const { ENV_NAME, renderInitialConfig } = await import('../../config/index.js')
  for (const e of envs) if (!ENV_NAME.test(e)) throw usage(`"${e}" is not a valid environment name`, 'use letters, digits, ".", "_" and "-", not starting with "." or "-"')
  const configPath = join(cli.cwd, '.secretsrc.yaml')
  if (existsSync(configPath) && !opts.force) {
    throw new SecretsError('exists', '.secretsrc.yaml already exists', { file: configPath, hint: 'pass --force to overwrite it' })
  }
  if (opts.age !== undefined) checkAgeRecipients(opts.age, '--age')
  const recipients = opts.age ?? (await localRecipients(cli))
  writeFileAtomic(configPath, Buffer.from(renderInitialConfig({ recipients, environments: envs, secretsDir: opts.dir })), 0o644)
  cli.info(`wrote ${configPath} (recipients: ${recipients.join(', ')})`)

  mkdirSync(join(cli.cwd, opts.dir), { recursive: true })
  const yaml = await storeFor('yaml')
  for (const env of envs) {
    const file = join(cli.cwd, opts.dir, `${env}.yaml`)
    if (existsSync(file)) {
      cli.info(`kept existing ${file}`)
      continue
    }
    const res = await encryptNew(cli.workflow(), { plain: yaml.parse(Buffer.from(starter(env)), 'plain'), format: 'yaml', rulePath: file })
    writeFileAtomic(file, res.bytes, 0o644)
    cli.info(`created ${file} (environment "${env}")`)
  }

  const gi = join(cli.cwd, '.gitignore')
  const current = existsSync(gi) ? readFileSync(gi, 'utf8') : ''
  const have = new Set(current.split(/\r?\n/).map((l) => l.trim()))
  const missing = GITIGNORE_LINES.filter((l) => !have.has(l))
  if (missing.some((l) => !l.startsWith('#'))) {
    writeFileAtomic(gi, Buffer.from(current + (current === '' || current.endsWith('\n') ? '' : '\n') + missing.join('\n') + '\n'), 0o644)
    cli.info(`added decrypted-output patterns to ${gi}`)
  }
  cli.info(`next: secrets decrypt ${envs[0]}   (or edit ${join(opts.dir, `${envs[0]}.yaml`)} and run secrets encrypt -i on it)`)
}
