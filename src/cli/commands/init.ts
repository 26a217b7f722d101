// `secrets init [env...]`: .secretsrc.yaml with a creation rule for the local age key, one
// encrypted starter file per environment, and .gitignore lines for decrypted outputs.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { SecretsError } from '../../errors.js'
import { writeFileAtomic } from '../../io/files.js'
import { loadAgeIdentities } from '../../keys/age-identities.js'
import { storeFor } from '../../stores/index.js'
import { type Cli, usage } from '../context.js'
import { encryptNew } from '../../workflows/encrypt.js'
import { masterKeysFor } from '../../workflows/keys.js'
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

// The first file a newcomer opens: every line is true of what they will see (comments are
// encrypted like values), and every variable reaches programs under the name shown.
function starter(env: string): string {
  return (
    `# ${env} secrets. In git, the keys stay readable; the values and these comments are encrypted.\n` +
    `# Change them with: secrets edit ${env}   (or: printf %s "$VALUE" | secrets set ${env} NAME)\n` +
    `# Programs get each key as a variable: secrets exec ${env} -- printenv API_TOKEN\n` +
    `DATABASE_URL: postgres://app:change-me@localhost:5432/app_${env}\n` +
    `API_TOKEN: change-me\n` +
    `LOG_LEVEL: info\n`
  )
}

/** What to run next, as lines a newcomer can paste in order (the text after `#` is a comment). */
function nextSteps(env: string, committed: string[]): string[] {
  return [
    'next steps:',
    `  secrets exec ${env} -- printenv API_TOKEN   # a program gets the value (the starter's "change-me")`,
    `  secrets edit ${env}   # put in your values: your editor opens the file decrypted; saving encrypts it again`,
    `  printf %s "$VALUE" | secrets set ${env} API_TOKEN   # or set one value without an editor`,
    `  git add ${committed.join(' ')}   # the encrypted files and the config belong in git`,
  ]
}

export async function init(cli: Cli, envs: string[], opts: { age?: string[]; dir?: string; force?: boolean }): Promise<void> {
  const { DEFAULT_SECRETS_DIR, ENV_NAME, findConfig, loadConfig, renderInitialConfig } = await import('../../config/index.js')
  for (const e of envs) if (!ENV_NAME.test(e)) throw usage(`"${e}" is not a valid environment name`, 'use letters, digits, ".", "_" and "-", not starting with "." or "-"')
  const configPath = join(cli.cwd, '.secretsrc.yaml')
  if (existsSync(configPath) && !opts.force) {
    throw new SecretsError('exists', '.secretsrc.yaml already exists', { file: configPath, hint: 'pass --force to overwrite it' })
  }
  // A .sops.yaml that sops reads here: a new .secretsrc.yaml would shadow it for secrets only, so
  // the two tools would disagree on keys. Use it as the config instead (secrets reads .sops.yaml).
  const found = cli.opts.config !== undefined ? resolve(cli.cwd, cli.opts.config) : findConfig(cli.cwd, cli.env)
  const sops = found !== null && basename(found) === '.sops.yaml' ? loadConfig(found) : null
  let dir: string
  let committed: string[]
  if (sops !== null) {
    if (existsSync(configPath)) {
      throw new SecretsError('exists', `.secretsrc.yaml and ${cli.display(sops.path)} both exist`, { file: configPath, hint: 'keep one config: see docs/config.md ("Next to a .sops.yaml")' })
    }
    if (opts.age !== undefined) throw usage(`--age has no effect here: the creation rules of ${cli.display(sops.path)} choose the keys`, `add the recipients to its rule for ${sops.secretsDir}/ instead`)
    const ownDir = join(sops.dir, sops.secretsDir)
    if (opts.dir !== undefined && resolve(cli.cwd, opts.dir) !== ownDir) {
      throw usage(`--dir ${opts.dir} is not the folder environment names resolve to with ${cli.display(sops.path)} (${cli.display(ownDir)})`, `add secrets_dir: '${opts.dir}' to ${cli.display(sops.path)} first, or leave out --dir`)
    }
    dir = ownDir
    cli.info(`using ${cli.display(sops.path)} as the config (sops reads the same creation rules; no .secretsrc.yaml written, so nothing shadows it)`)
    committed = [cli.display(dir), '.gitignore']
  } else {
    if (opts.age !== undefined) checkAgeRecipients(opts.age, '--age')
    const recipients = opts.age ?? (await localRecipients(cli))
    const rel = opts.dir ?? DEFAULT_SECRETS_DIR
    writeFileAtomic(configPath, Buffer.from(renderInitialConfig({ recipients, environments: envs, secretsDir: rel })), 0o644)
    cli.info(`wrote ${configPath} (recipients: ${recipients.join(', ')})`)
    dir = join(cli.cwd, rel)
    committed = ['.secretsrc.yaml', '.gitignore', cli.display(dir)]
  }

  // Every new file's keys first: a config that cannot encrypt them stops init before it writes one.
  const plans: { env: string; file: string; plan: Awaited<ReturnType<typeof masterKeysFor>> }[] = []
  for (const env of envs) {
    const file = join(dir, `${env}.yaml`)
    if (existsSync(file)) {
      cli.info(`kept existing ${file}`)
      continue
    }
    try {
      plans.push({ env, file, plan: await masterKeysFor(cli.workflow(), file, {}) })
    } catch (e) {
      if (sops === null || !(e instanceof SecretsError) || e.code !== 'config') throw e
      throw new SecretsError('config', `${cli.display(sops.path)} has no creation rule with keys for ${cli.display(file)}, so neither sops nor secrets could encrypt it`, {
        file: sops.path,
        hint: `add a rule such as "- path_regex: ^${sops.secretsDir}/" with your age recipient (secrets keygen prints it) to its creation_rules, then run secrets init again; nothing was written`,
      })
    }
  }
  mkdirSync(dir, { recursive: true })
  const yaml = await storeFor('yaml')
  for (const { env, file, plan } of plans) {
    const res = await encryptNew(cli.workflow(), { plain: yaml.parse(Buffer.from(starter(env)), 'plain'), format: 'yaml', rulePath: file, plan })
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
  for (const line of nextSteps(envs[0] ?? 'development', committed)) cli.info(line)
}
