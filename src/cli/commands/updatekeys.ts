// placeholder: replaced by the updatekeys implementation
import { usage, type Cli } from '../context.js'
export async function updatekeys(_cli: Cli, _files: string[], _opts: unknown): Promise<void> {
  throw usage('updatekeys is not implemented yet')
}
