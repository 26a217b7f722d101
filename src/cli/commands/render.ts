// `secrets render dotenv|docker-secrets|k8s|compose ENV`: an environment's variables in the shape
// another program consumes. Files are written 0600 (directories 0700), never where git tracks them
// unless --force, with a warning where git would not ignore them.
import { dirname, relative, resolve, sep } from 'node:path'
import { writeFileAtomic, writeStdout } from '../../io/files.js'
import { guardPlaintextOutput } from '../../io/git-guard.js'
import { renderCompose, type ComposeMode } from '../../outputs/compose.js'
import { secretFiles, writeSecretFiles } from '../../outputs/docker-secrets.js'
import { renderVariables, type DotenvFormat } from '../../outputs/dotenv.js'
import { parsePairs, renderKubernetesSecret } from '../../outputs/kubernetes.js'
import { type Cli } from '../context.js'
import { loadVariables, type LoadedEnvironment, type VariableFlags } from '../delivery.js'
import type { EnvVar } from '../../outputs/env.js'

interface OutputFlags extends VariableFlags {
  output?: string
  force?: boolean
}

/** stdout, or a 0600 file written atomically after the git check (`plaintext: false` skips it). */
async function emit(cli: Cli, flags: OutputFlags, text: string, what: string, plaintext = true): Promise<void> {
  if (flags.output === undefined) return writeStdout(text)
  const path = resolve(cli.cwd, flags.output)
  if (plaintext) guardPlaintextOutput(path, { force: flags.force, warn: (m) => cli.warn(m), display: cli.display(path) })
  writeFileAtomic(path, Buffer.from(text, 'utf8'), 0o600, { makeDirs: true }) // missing folders are created 0700, as for docker-secrets
  cli.info(`wrote ${what} to ${cli.display(path)} (mode 0600)`)
}

export async function renderDotenv(cli: Cli, arg: string, flags: OutputFlags & { format?: DotenvFormat }): Promise<void> {
  const { vars } = await loadVariables(cli, arg, flags)
  const { text, warnings } = renderVariables(vars, flags.format ?? 'dotenv')
  for (const w of warnings) cli.warn(w)
  await emit(cli, flags, text, `${vars.length} variables`)
}

interface SecretsDirFlags extends VariableFlags {
  dir?: string
  map?: string[]
  force?: boolean
}

/** --map and the config's outputs.docker_secrets.map (the flag wins). */
function nameMap(env: LoadedEnvironment, flags: SecretsDirFlags): Record<string, string> {
  return { ...env.outputs.dockerSecretsMap, ...parsePairs(flags.map, 'map') }
}

function secretsDirPath(cli: Cli, env: LoadedEnvironment, flags: SecretsDirFlags): string {
  return resolve(cli.cwd, flags.dir ?? `.secrets/${env.name}`)
}

function writeDir(cli: Cli, env: LoadedEnvironment, vars: EnvVar[], flags: SecretsDirFlags): void {
  const dir = secretsDirPath(cli, env, flags)
  const files = secretFiles(vars, nameMap(env, flags))
  guardPlaintextOutput(dir, { isDir: true, force: flags.force, warn: (m) => cli.warn(m), display: cli.display(dir) })
  const { written, removed } = writeSecretFiles(dir, files)
  cli.info(`wrote ${written.length} secret files to ${cli.display(dir)} (files 0600, directory 0700)` + (removed.length > 0 ? `; removed ${removed.length} no longer in the environment: ${removed.join(', ')}` : ''))
}

export async function renderDockerSecrets(cli: Cli, arg: string, flags: SecretsDirFlags): Promise<void> {
  const env = await loadVariables(cli, arg, flags)
  writeDir(cli, env, env.vars, flags)
}

export interface K8sFlags extends OutputFlags {
  name: string
  namespace?: string
  label?: string[]
  annotation?: string[]
  type?: string
  stringData?: boolean
}

export async function renderK8s(cli: Cli, arg: string, flags: K8sFlags): Promise<void> {
  const labels = parsePairs(flags.label, 'label')
  const annotations = parsePairs(flags.annotation, 'annotation')
  const { vars } = await loadVariables(cli, arg, flags)
  const text = renderKubernetesSecret(vars, { name: flags.name, namespace: flags.namespace, labels, annotations, type: flags.type, stringData: flags.stringData })
  await emit(cli, flags, text, `Secret ${flags.name}`)
}

export interface ComposeFlags extends OutputFlags, SecretsDirFlags {
  service?: string[]
  mode?: ComposeMode
  fileEnv?: boolean
}

export async function renderComposeOverride(cli: Cli, arg: string, flags: ComposeFlags): Promise<void> {
  const mode = flags.mode ?? 'file'
  const env = await loadVariables(cli, arg, flags)
  let secretsDir: string | undefined
  if (mode === 'file') {
    // Compose resolves `file:` against the project directory (the first -f file's folder):
    // written relative to the override's folder, which normally sits beside docker-compose.yml.
    const from = flags.output !== undefined ? dirname(resolve(cli.cwd, flags.output)) : cli.cwd
    secretsDir = relative(from, secretsDirPath(cli, env, flags)).split(sep).join('/') || '.'
  }
  // Rendering first checks services, names and flags before anything is written.
  const text = renderCompose(env.vars, { services: flags.service ?? [], mode, fileEnv: flags.fileEnv, secretsDir, map: nameMap(env, flags) })
  if (mode === 'file') writeDir(cli, env, env.vars, flags)
  // In file mode the override names files and holds no value.
  await emit(cli, flags, text, 'the compose override', mode === 'environment')
}
