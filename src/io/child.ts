// Run a command as a child with inherited stdio, forward SIGINT/SIGTERM/SIGHUP/SIGQUIT to it, and
// report its exit the shell way (128+N when a signal killed it). We stay alive until it exits,
// so callers can clean up afterwards.
import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { delimiter, isAbsolute, join } from 'node:path'
import { isatty } from 'node:tty'

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

export interface RunOptions {
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv
  /** Run `command args...` joined by spaces through the platform shell (/bin/sh -c). */
  shell?: boolean | undefined
  /** PATH to search when the child's own environment has none (e.g. a pristine environment). */
  fallbackPath?: string | undefined
}

/** Why the child could not start: 127 not found, 126 not executable (shell conventions). */
export class SpawnError extends Error {
  constructor(
    readonly exitCode: 126 | 127,
    message: string,
  ) {
    super(message)
    this.name = 'SpawnError'
  }
}

/** `cmd` as found on `path` (an executable file), else `cmd` unchanged. */
export function findExecutable(cmd: string, path: string | undefined): string {
  if (cmd.includes('/') || isAbsolute(cmd) || path === undefined) return cmd
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, cmd)
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // next
    }
  }
  return cmd
}

/** Run the child to completion; resolves with its exit code (128+N if killed by signal N). */
export function runChild(command: string, args: readonly string[], opts: RunOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    // libuv searches the child's PATH; without one, look the command up on ours so that a
    // pristine environment can still run `node` or `psql`.
    const file = opts.shell ? [command, ...args].join(' ') : findExecutable(command, opts.env.PATH ?? opts.fallbackPath)
    const child = spawn(file, opts.shell ? [] : [...args], { stdio: 'inherit', env: opts.env, shell: opts.shell ?? false })

    // At a terminal, Ctrl-C and Ctrl-\ reach the whole foreground process group, the child
    // included: forwarding the first one again would deliver it twice (a second Ctrl-C often means
    // "force quit"). Later ones, and every signal without a terminal, are forwarded.
    const fromTerminal = new Set<string>(isatty(0) ? ['SIGINT', 'SIGQUIT'] : [])
    const handlers = FORWARDED_SIGNALS.map((sig) => {
      const h = (): void => {
        if (fromTerminal.delete(sig)) return
        if (child.exitCode === null && child.signalCode === null) child.kill(sig)
      }
      process.on(sig, h)
      return [sig, h] as const
    })
    const done = (): void => {
      for (const [sig, h] of handlers) process.removeListener(sig, h)
    }
    child.once('error', (e: NodeJS.ErrnoException) => {
      done()
      if (e.code === 'ENOENT') reject(new SpawnError(127, `command not found: ${command}`))
      else if (e.code === 'EACCES') reject(new SpawnError(126, `permission denied: ${command}`))
      else reject(new SpawnError(126, `cannot run ${command} (${e.code ?? 'error'})`))
    })
    child.once('exit', (code, signal) => {
      done()
      resolve(code ?? 128 + (signal !== null ? (osConstants.signals[signal] ?? 0) : 0))
    })
  })
}
