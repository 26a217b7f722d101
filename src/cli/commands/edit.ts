// placeholder: replaced by the edit implementation
import { usage, type Cli } from '../context.js'
export async function edit(_cli: Cli, _file: string, _opts: unknown): Promise<void> {
  throw usage('edit is not implemented yet')
}
