// The `.secretsrc.yaml` that `secrets init` writes: one creation rule (age recipients for every
// file under the secrets directory, readable by sops) and the `environments:` map, commented.
import { SecretsError } from '../errors.js'
import { DEFAULT_SECRETS_DIR } from './load.js'

/** What an environment name may be: letters, digits, `_`, `.`, `-`, not starting with `.` or `-`. */
export const ENV_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

/** A YAML key that stays a string (`on`, `1`, `null` would not). */
function yamlKey(s: string): string {
  return /^(null|true|false|yes|no|on|off|y|n|~)$/i.test(s) || /^[-+.0-9]/.test(s) ? singleQuoted(s) : s
}

/** Quote RE2 metacharacters. */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')
}

export function renderInitialConfig(opts: { recipients: string[]; environments: string[]; secretsDir?: string }): string {
  const recipients = opts.recipients.map((r) => r.trim()).filter((r) => r !== '')
  if (recipients.length === 0) throw new SecretsError('usage', 'at least one age recipient is needed for the initial config')
  for (const r of recipients) {
    if (/[,\n\r]/.test(r)) throw new SecretsError('usage', 'an age recipient must not contain a comma or a line break')
  }
  const dir = (opts.secretsDir ?? DEFAULT_SECRETS_DIR)
    .replace(/\\/g, '/')
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '')
  if (dir === '' || dir.startsWith('/') || dir.split('/').includes('..')) {
    throw new SecretsError('usage', 'the secrets directory must be a relative path inside the project')
  }
  for (const name of opts.environments) {
    if (!ENV_NAME.test(name)) {
      throw new SecretsError('usage', `invalid environment name ${JSON.stringify(name)}`, {
        hint: 'use letters, digits, "_", "-" and "." (not first)',
      })
    }
  }
  const pathRegex = `^${dir.split('/').map(quoteMeta).join('[/\\\\]')}[/\\\\]`
  const age =
    recipients.length === 1 ? `    age: ${singleQuoted(recipients[0] as string)}` : ['    age: >-', ...recipients.map((r, i) => `      ${r}${i < recipients.length - 1 ? ',' : ''}`)].join('\n')
  const envs = [...new Set(opts.environments)]
  const lines = [
    '# Configuration for `secrets`. sops reads it too (link it as .sops.yaml or set SOPS_CONFIG):',
    '# creation_rules and stores keep their sops meaning; the other sections are ignored by sops.',
    '',
    '# Which keys encrypt a new file. Rules are tried in order; the first whose path_regex',
    '# (Go RE2, searched in the path relative to this directory) matches wins.',
    'creation_rules:',
    `  - path_regex: ${singleQuoted(pathRegex)}`,
    '    # age recipients (public keys), comma-separated. Files already encrypted keep their',
    '    # recipients until their data key is re-wrapped (sops updatekeys).',
    age,
    '',
    `# Environments: a name used on the command line -> its file. A file ${dir}/<name>.yaml`,
    '# works without being listed.',
  ]
  if (dir !== DEFAULT_SECRETS_DIR) lines.push(`secrets_dir: ${singleQuoted(dir)}`)
  if (envs.length === 0) lines.push('environments: {}')
  else {
    lines.push('environments:')
    for (const name of envs) lines.push(`  ${yamlKey(name)}:`, `    path: ${singleQuoted(`${dir}/${name}.yaml`)}`)
  }
  return `${lines.join('\n')}\n`
}
