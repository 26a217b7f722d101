// placeholder: replaced by the rotate implementation
import { usage, type Cli } from '../context.js'
export async function rotate(_cli: Cli, _files: string[], _opts: unknown): Promise<void> {
  throw usage('rotate is not implemented yet')
}
