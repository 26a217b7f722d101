// What a workflow needs from its caller, the CLI or the library: a plain context, never the CLI
// object. One key session (keys/session.ts) per command or library call.
import type { LoadedConfig } from '../config/types.js'
import type { KeyContext } from '../keys/types.js'

export interface WorkflowContext {
  /** Where relative paths start and the config is searched from. */
  readonly cwd: string
  /** The config in force (loaded at most once per context), or null when there is none. */
  config(): Promise<LoadedConfig | null>
  /** The key session: environment, caches, crypto implementation, warnings. */
  readonly keys: KeyContext
  /** A warning line for the user (the CLI prints it on stderr; the library too). */
  warn(message: string): void
  /** How a path is shown in messages (default: as given). */
  display?(path: string): string
}

export const shown = (wc: WorkflowContext, path: string): string => (path === '-' ? 'stdin' : (wc.display?.(path) ?? path))
