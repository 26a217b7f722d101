// placeholder: replaced by the set/unset/get implementation
import { usage, type Cli } from '../context.js'
export async function set(_cli: Cli, _file: string, _path: string, _opts: unknown): Promise<void> {
  throw usage('set is not implemented yet')
}
export async function unset(_cli: Cli, _file: string, _path: string, _opts: unknown): Promise<void> {
  throw usage('unset is not implemented yet')
}
export async function get(_cli: Cli, _file: string, _path: string, _opts: unknown): Promise<void> {
  throw usage('get is not implemented yet')
}
