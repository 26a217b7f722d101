// The CLI side of src/workflows/environment.ts: the Cli's config, key context and path display, the
// --decryption-order flag, and refusing stdin (an environment is a file or a name).
import type { Cli } from './context.js'
import { decryptionOrder, usage } from './context.js'
import type { EnvVar } from '../outputs/env.js'
import { loadEnvironment as load, loadVariables as loadVars, type LoadedEnvironment } from '../workflows/environment.js'
import type { WorkflowContext } from '../workflows/context.js'
import type { Format } from '../stores/index.js'

export type { LoadedEnvironment } from '../workflows/environment.js'

export interface VariableFlags {
  only?: string[] | undefined
  prefix?: string | undefined
  decryptionOrder?: string | undefined
}

async function context(cli: Cli, arg: string): Promise<WorkflowContext> {
  if (arg === '-') throw usage('this command needs an environment name or a file, not stdin')
  return cli.workflow()
}

export async function loadEnvironment(cli: Cli, arg: string, flags: { decryptionOrder?: string | undefined; inputFormat?: Format | undefined }): Promise<LoadedEnvironment> {
  return load(await context(cli, arg), arg, { decryptionOrder: decryptionOrder(flags.decryptionOrder, cli.env), inputFormat: flags.inputFormat })
}

export async function loadVariables(cli: Cli, arg: string, flags: VariableFlags): Promise<LoadedEnvironment & { vars: EnvVar[] }> {
  return loadVars(await context(cli, arg), arg, { decryptionOrder: decryptionOrder(flags.decryptionOrder, cli.env), only: flags.only, prefix: flags.prefix })
}
