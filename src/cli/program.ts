// The commander program: every command's flags and the module that runs it (loaded on demand).
// Only the command being run is registered, so start-up pays for one command's wiring; `--help`
// and unknown commands register them all.
import { Command, InvalidArgumentError, Option } from 'commander'
import { Cli, type GlobalOptions } from './context.js'
import { packageVersion } from '../version.js'
import { SecretsError } from '../errors.js'

const cli = (cmd: Command): Cli => new Cli(cmd.optsWithGlobals<GlobalOptions>())
const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)]
const typeOption = (flag: string, what: string): Option =>
  new Option(flag, what).choices(['yaml', 'json', 'dotenv', 'env', 'ini', 'binary'])

/** A whole-number flag value within [min, max]; anything else is a usage error naming the flag. */
const int =
  (min: number, max: number) =>
  (v: string): number => {
    const n = Number(v)
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`)
    return n
  }

type Register = (program: Command) => void

const keygen: Register = (program) => {
  program
    .command('keygen')
    .description('create an age identity, append it to the sops key file, print its public recipient')
    .option('-o, --output <file>', 'key file to append to (default: $SOPS_AGE_KEY_FILE or ~/.config/sops/age/keys.txt)')
    .action(async (opts, cmd: Command) => (await import('./commands/keygen.js')).keygen(cli(cmd), opts))
}

const init: Register = (program) => {
  program
    .command('init')
    .description('create .secretsrc.yaml and one encrypted file per environment under secrets/')
    .argument('[environments...]', 'environment names', ['development'])
    .option('--age <recipients>', 'age recipients (comma-separated; default: your local key, created if missing)', list)
    .option('--dir <dir>', 'folder for the environment files (default: secrets, or the secrets_dir of an existing .sops.yaml)')
    .option('--force', 'overwrite an existing .secretsrc.yaml')
    .action(async (envs: string[], opts, cmd: Command) => (await import('./commands/init.js')).init(cli(cmd), envs, opts))
}

const encrypt: Register = (program) => {
  program
    .command('encrypt')
    .description('encrypt a file (or an environment) for the master keys of its creation rule')
    .argument('<file>', 'file path or environment name; - for stdin (needs --filename-override or --input-type)')
    .option('-i, --in-place', 'replace the file with its encrypted form')
    .option('-o, --output <file>', 'write the result to this file (atomically) instead of stdout')
    .option('--age <recipients>', 'age recipients, comma-separated (replaces the config rule keys; also SOPS_AGE_RECIPIENTS)', list)
    .option('--pgp <fingerprints>', 'PGP key fingerprints, comma-separated (also SOPS_PGP_FP)', list)
    .option('--kms <arns>', "AWS KMS key ARNs, comma-separated; 'arn+roleArn' assumes a role (also SOPS_KMS_ARN)", list)
    .option('--encryption-context <pairs>', 'KMS encryption context for keys given here or in a flat rule, e.g. app:api,env:prod')
    .option('--aws-profile <name>', 'AWS profile for the --kms keys')
    .addOption(typeOption('--input-type <type>', 'format of the input (default: from the extension)'))
    .addOption(typeOption('--output-type <type>', 'format of the output (default: the input format)'))
    .option('--filename-override <path>', 'pick the creation rule and the formats by this path instead of the file\'s (needed for stdin without --input-type)')
    .option('--unencrypted-suffix <suffix>', 'leave keys ending with this suffix in clear (default _unencrypted)')
    .option('--encrypted-suffix <suffix>', 'encrypt only keys ending with this suffix')
    .option('--unencrypted-regex <re>', 'leave keys matching this regex in clear')
    .option('--encrypted-regex <re>', 'encrypt only keys matching this regex')
    .option('--unencrypted-comment-regex <re>', 'leave values after a matching comment in clear')
    .option('--encrypted-comment-regex <re>', 'encrypt only values after a matching comment')
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only')
    .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt', int(2, 255))
    .option('--allow-plaintext', 'write the file even if the rules leave every value in clear')
    .option('--indent <n>', 'indentation: YAML 2-9 spaces (default 4); JSON 0-16 spaces (default a tab)', int(0, 16))
    .action(async (file: string, opts, cmd: Command) => (await import('./commands/encrypt.js')).encrypt(cli(cmd), file, opts))
}

const decrypt: Register = (program) => {
  program
    .command('decrypt')
    .description('decrypt a file (or an environment) to stdout or a file')
    .argument('<file>', 'file path or environment name; - for stdin')
    .option('-o, --output <file>', 'write to this file (mode 0600, atomically) instead of stdout')
    .option('-i, --in-place', 'replace the file with its decrypted form (mode 0600)')
    .option('--extract <path>', 'only this value, e.g. \'["database"]["password"]\' or database.password')
    .addOption(typeOption('--input-type <type>', 'format of the input (default: from the extension)'))
    .addOption(typeOption('--output-type <type>', 'format of the output (default: the input format)'))
    .option('--filename-override <path>', 'decide the input and output formats by this path instead of the file\'s (for stdin, as sops)')
    .option('--ignore-mac', 'decrypt even when the MAC is missing or does not match (tampering goes undetected)')
    .option('--decryption-order <kinds>', 'master key types to try first, e.g. age,pgp,kms (also SOPS_DECRYPTION_ORDER)')
    .option('--indent <n>', 'indentation: YAML 2-9 spaces (default 4); JSON 0-16 spaces (default a tab)', int(0, 16))
    .option('--force', 'write the plaintext even where git tracks the file')
    .action(async (file: string, opts, cmd: Command) => (await import('./commands/decrypt.js')).decrypt(cli(cmd), file, opts))
}

const edit: Register = (program) => {
  program
    .command('edit')
    .description('open the decrypted file in $SECRETS_EDITOR / $SOPS_EDITOR / $VISUAL / $EDITOR and re-encrypt what changed')
    .argument('<file>', 'file path or environment name (created from the creation rule if absent)')
    .option('--ignore-mac', 'open even when the MAC does not match')
    .addOption(typeOption('--input-type <type>', 'format of the file (default: from the extension)'))
    .option('--filename-override <path>', "pick the format and the creation rule by this path instead of the file's (as sops)")
    .addHelpText(
      'after',
      `
  Editor: $SECRETS_EDITOR, else $SOPS_EDITOR, else $VISUAL, else $EDITOR (a command line:
  "code --wait" works),
  else vim, nano or vi from PATH. The plaintext lives only in a private 0700 directory
  (/dev/shm when available, or $SECRETS_TMPDIR) that is removed on every exit.
  Exit codes: 0 saved or nothing changed, 3 the edited content is invalid, 8 the editor
  failed or was not found, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM; in every case but a
  save the file is left exactly as it was.`,
    )
    .action(async (file: string, opts, cmd: Command) => (await import('./commands/edit.js')).edit(cli(cmd), file, opts))
}

const set: Register = (program) => {
  program
    .command('set')
    .description('set one value (read from stdin, never from the command line)')
    .argument('<file>', 'file path or environment name')
    .argument('<path>', 'key path: \'["db"]["password"]\' or db.password')
    .option('--value-stdin', 'read the value from stdin (the default; a hidden prompt when stdin is a terminal)')
    .option('--value-file <file>', 'read the value from this file instead')
    .option('--json', 'the value is JSON (numbers, booleans, null, objects, lists)')
    .option('--raw', 'keep the input byte for byte (by default one trailing newline is dropped)')
    .option('--allow-empty', 'accept an empty value (refused by default: usually a missing pipe)')
    .option('--idempotent', 'do not write when the value is already equal')
    .option('--ignore-mac', 'modify even when the MAC does not match')
    .allowExcessArguments() // so that a value given as an argument gets a helpful refusal, not a generic one
    .action(async (file: string, path: string, opts, cmd: Command) => (await import('./commands/set.js')).set(cli(cmd), file, path, opts, cmd.args.slice(2)))
}

const unset: Register = (program) => {
  program
    .command('unset')
    .description('remove one key or list element')
    .argument('<file>', 'file path or environment name')
    .argument('<path>', 'key path')
    .option('--idempotent', 'no error when the key is already absent')
    .option('--ignore-mac', 'modify even when the MAC does not match')
    .action(async (file: string, path: string, opts, cmd: Command) => (await import('./commands/set.js')).unset(cli(cmd), file, path, opts))
}

const get: Register = (program) => {
  program
    .command('get')
    .description('print one decrypted value, raw, nothing else (for scripts)')
    .argument('<file>', 'file path or environment name')
    .argument('<path>', 'key path')
    .option('--json', 'print the value as JSON (strings quoted, numbers exact)')
    .option('--ignore-mac', 'read even when the MAC does not match')
    .action(async (file: string, path: string, opts, cmd: Command) => (await import('./commands/set.js')).get(cli(cmd), file, path, opts))
}

const rotate: Register = (program) => {
  program
    .command('rotate')
    .description('new data key: every value re-encrypted, every master key re-wrapped')
    .argument('<files...>', 'files, environment names or globs')
    .option('--add-age <recipients>', 'age recipients to add to the first key group (comma-separated)', list)
    .option('--rm-age <recipients>', 'age recipients to remove, from any group (comma-separated)', list)
    .option('--add-pgp <fingerprints>', 'PGP fingerprints to add to the first key group', list)
    .option('--rm-pgp <fingerprints>', 'PGP fingerprints to remove', list)
    .option('--add-kms <arns>', 'AWS KMS keys to add (arn[+role_arn], comma-separated)', list)
    .option('--rm-kms <arns>', 'AWS KMS keys to remove', list)
    .option('--ignore-mac', 'rotate even when the MAC does not match (the new MAC then vouches for the file as it is)')
    .option('--decryption-order <kinds>', 'master key types to try first, e.g. age,pgp,kms (also SOPS_DECRYPTION_ORDER)')
    .action(async (files: string[], opts, cmd: Command) => (await import('./commands/rotate.js')).rotate(cli(cmd), files, opts))
}

const updatekeys: Register = (program) => {
  program
    .command('updatekeys')
    .description("make files' master keys match their creation rule")
    .argument('[files...]', 'files, environment names or globs')
    .option('--all', 'every encrypted file under the config folder that a creation rule covers')
    .option('-y, --yes', 'apply without asking (needed when there is no terminal)')
    .option('--no-rotate', 'keep the data key even when a master key is removed')
    .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to decrypt (default: the rule\'s shamir_threshold, else all groups)', int(1, 255))
    .option('--ignore-mac', 'rotate the data key even when the MAC does not match')
    .action(async (files: string[], opts, cmd: Command) => (await import('./commands/updatekeys.js')).updatekeys(cli(cmd), files, opts))
}

const delivery: Register = (program) => {
  const repeat = (v: string, prev: string[] = []): string[] => [...prev, v]
  const selection = (c: Command): Command =>
    c
      .option('--only <names>', 'only these variables (comma-separated, repeatable)', list)
      .option('--prefix <prefix>', 'put this in front of every variable name, e.g. APP_')
      .option('--decryption-order <kinds>', 'master key types to try first, e.g. age,pgp,kms')
  const render = program.command('render').description('write an environment as .env, Docker secrets, a Kubernetes Secret or a compose override')

  selection(program.command('exec').description("run a command with the environment's variables in its environment (nothing written to disk)"))
    .usage('[options] <env> -- <command> [args...]')
    .argument('<env>', 'environment name or encrypted file')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('--override', 'file values replace variables already set (default: existing variables win)')
    .option('--pristine', 'start from an empty environment: only the file values (and --keep) reach the command')
    .option('--keep <names>', 'with --pristine: keep these current variables (comma-separated), e.g. PATH,HOME', list)
    .option('--shell', 'run the command words through /bin/sh -c (default: no shell)')
    .option('--keep-key-env', 'pass SOPS_AGE_KEY on to the command (removed by default: it opens every file)')
    .action(async (env: string, command: string[], opts, cmd: Command) => (await import('./commands/exec.js')).exec(cli(cmd), env, command, opts))

  program
    .command('exec-file')
    .description('run a command with the decrypted file at a private temporary path given by {} (gone when it exits)')
    .usage('[options] <env> -- <command> [args with {}...]')
    .argument('<env>', 'environment name or encrypted file')
    .argument('[command...]', 'the command, with {} where the file path goes, after --')
    .addOption(typeOption('--input-type <type>', 'format of the encrypted file (default: from its extension)'))
    .addOption(typeOption('--output-type <type>', 'format of the decrypted file (default: the file\'s own)'))
    .option('--filename <name>', 'name of the served file (default: the encrypted file\'s name, with the --output-type extension)')
    .option('--no-fifo', 'a plain 0600 regular file instead of a link to an unlinked read-only file (for programs that refuse symlinks or resolve the path)')
    .option('--keep-key-env', 'pass SOPS_AGE_KEY on to the command (removed by default: it opens every file)')
    .option('--decryption-order <kinds>', 'master key types to try first, e.g. age,pgp,kms')
    .action(async (env: string, command: string[], opts, cmd: Command) => (await import('./commands/exec-file.js')).execFile(cli(cmd), env, command, opts))

  selection(render.command('dotenv').description('variables as a .env file (or docker env-file, shell exports, JSON)'))
    .argument('<env>', 'environment name or encrypted file')
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of stdout')
    .addOption(new Option('--format <format>', 'output dialect').choices(['dotenv', 'docker', 'shell', 'json']).default('dotenv'))
    .option('--force', 'write even where git tracks the file')
    .action(async (env: string, opts, cmd: Command) => (await import('./commands/render.js')).renderDotenv(cli(cmd), env, opts))

  selection(render.command('docker-secrets').description('one 0600 file per variable in a 0700 directory (stale files removed)'))
    .argument('<env>', 'environment name or encrypted file')
    .option('--dir <dir>', 'directory to fill (default: .secrets/<env>)')
    .option('--map <VAR=name>', 'file name for a variable (comma-separated, repeatable; also outputs.docker_secrets.map)', list)
    .option('--force', 'write even where git tracks files')
    .action(async (env: string, opts, cmd: Command) => (await import('./commands/render.js')).renderDockerSecrets(cli(cmd), env, opts))

  selection(render.command('k8s').alias('kubernetes').description('a Kubernetes Secret manifest (YAML)'))
    .argument('<env>', 'environment name or encrypted file')
    .requiredOption('--name <name>', 'metadata.name of the Secret')
    .option('--namespace <ns>', 'metadata.namespace')
    .option('--label <k=v>', 'a label (repeatable)', repeat)
    .option('--annotation <k=v>', 'an annotation (repeatable)', repeat)
    .option('--type <type>', 'Secret type (default Opaque)')
    .option('--string-data', 'plain stringData instead of base64 data')
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of stdout')
    .option('--force', 'write even where git tracks the file')
    .action(async (env: string, opts, cmd: Command) => (await import('./commands/render.js')).renderK8s(cli(cmd), env, opts))

  selection(render.command('compose').description('a docker compose override giving the variables to services (as secrets files or environment)'))
    .argument('<env>', 'environment name or encrypted file')
    .requiredOption('--service <name>', 'service to receive them (comma-separated, repeatable)', list)
    .addOption(new Option('--mode <mode>', 'file: Docker secrets files; environment: values under environment:').choices(['file', 'environment']).default('file'))
    .option('--file-env', 'file mode: also set VAR_FILE=/run/secrets/<name> (postgres/mysql/redis image convention)')
    .option('--dir <dir>', 'file mode: secrets directory to write (default: .secrets/<env>)')
    .option('--map <VAR=name>', 'file mode: secret name for a variable (comma-separated, repeatable)', list)
    .option('-o, --output <file>', 'write the override to this file (mode 0600) instead of stdout')
    .option('--force', 'write even where git tracks the output')
    .action(async (env: string, opts, cmd: Command) => (await import('./commands/render.js')).renderComposeOverride(cli(cmd), env, opts))
}

/** Command name -> its registration; the delivery commands share one (render has subcommands). */
const COMMANDS: Record<string, Register> = {
  keygen,
  init,
  encrypt,
  decrypt,
  edit,
  set,
  unset,
  get,
  rotate,
  updatekeys,
  exec: delivery,
  'exec-file': delivery,
  render: delivery,
}

/** The first argument that is not a global option (nor the value of `--config`). */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--config') i++
    else if (!a.startsWith('-')) return a
  }
  return undefined
}

/** Edit distance (insert, delete, substitute, swap neighbours), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[]
      const up = d[i - 1] as number[]
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1)
    }
  }
  return (d[a.length] as number[])[b.length] as number
}

/**
 * `secrets foo` or `secrets foo --help` (commander would print the general help and exit 0 for the
 * latter) and `secrets help foo`: one usage line, exit 2, with the closest command name if any.
 */
function refuseUnknownCommand(argv: readonly string[], name: string | undefined): void {
  let unknown = name
  if (name === 'help') {
    const i = argv.indexOf('help')
    unknown = argv.slice(i + 1).find((a) => !a.startsWith('-'))
  }
  if (unknown === undefined || unknown === 'help' || COMMANDS[unknown] !== undefined) return
  const shown = JSON.stringify(unknown.slice(0, 40)).replace(/[\u007f-\u009f]/g, '?')
  const close = Object.keys(COMMANDS)
    .map((c) => ({ c, d: distance(unknown.slice(0, 40), c) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(x.c.length / 3)))
    .sort((a, b) => a.d - b.d)[0]
  throw new SecretsError('usage', `unknown command ${shown}`, {
    hint: close !== undefined ? `did you mean \`secrets ${close.c}\`? (\`secrets --help\` lists the commands)` : `\`secrets --help\` lists the commands: ${Object.keys(COMMANDS).join(', ')}`,
  })
}

/**
 * exec / exec-file without `--`: once the command word has started, an option-like word (`node -e`,
 * `ls -la`, even `--version`, which commander would answer itself) belongs to the command, so
 * refuse and say to put `--` before the command rather than guess.
 */
function refuseOptionsAfterCommand(program: Command, name: string, argv: readonly string[]): void {
  if (argv.includes('--')) return
  const sub = program.commands.find((c) => c.name() === name)
  if (sub === undefined) return
  const known = [...program.options, ...sub.options]
  const takesValue = (flag: string): boolean => {
    if (flag.includes('=')) return false
    const o = known.find((x) => x.long === flag || x.short === flag)
    return o !== undefined && (o.required || o.optional)
  }
  const words: string[] = []
  for (let i = argv.indexOf(name) + 1; i < argv.length; i++) {
    const a = argv[i] as string
    if (a.startsWith('-') && a !== '-') {
      if (words.length >= 2) {
        const env = words[0] as string
        throw new SecretsError('usage', `${JSON.stringify(a.slice(0, 40))} comes after the command, so it is not an option of \`secrets ${name}\``, {
          hint: `put -- before the command so that its options reach it: secrets ${name} [options] ${env.slice(0, 40)} -- COMMAND ARGS...`,
        })
      }
      if (takesValue(a)) i++
    } else words.push(a)
  }
}

export function buildProgram(argv: readonly string[]): Command {
  const program = new Command('secrets')
  program
    .description('Encrypted, sops-compatible secrets files in git, decrypted on demand.')
    .version(packageVersion(), '-V, --version')
    .option('-q, --quiet', 'no informational messages on stderr')
    .option('--debug', 'print stack traces on errors (also SECRETS_DEBUG=1)')
    .option('--config <path>', 'config file to use instead of searching for .secretsrc.yaml / .sops.yaml')
    .showHelpAfterError('(run `secrets <command> --help` for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`secrets: ${str.replace(/^error: /, '')}`) })
  const name = commandName(argv)
  const one = name !== undefined ? COMMANDS[name] : undefined
  if (one !== undefined) one(program)
  else for (const register of new Set(Object.values(COMMANDS))) register(program)
  refuseUnknownCommand(argv, name)
  if (name === 'exec' || name === 'exec-file') refuseOptionsAfterCommand(program, name, argv)
  program.addHelpText(
    'after',
    `
Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 unreadable or invalid input, 4 config,
5 cannot write output, 6 would leave values in clear or write plaintext where git tracks it,
7 already exists, 8 the editor failed, 25 a value failed to decrypt, 51 MAC mismatch or missing,
128 could not get the data key, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM; exec and
exec-file exit with the command's own code (126 cannot execute, 127 not found).`,
  )
  return program
}
