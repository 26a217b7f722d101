// The user's editor: which command (SECRETS_EDITOR, SOPS_EDITOR, VISUAL, EDITOR, else vim/nano/vi on PATH),
// running it on one file with the terminal handed over (no shell), and the y/N reopen prompt.
import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { isatty } from 'node:tty'
import { delimiter, join } from 'node:path'
import { SecretsError } from '../errors.js'
import { splitCommand } from '../keys/age-identities.js'

export interface EditorCommand {
  argv: string[]
  /** Where it came from, for messages: `$EDITOR`, or `vim (found on PATH)`. */
  source: string
}

/**
 * Ours first, then sops' own variable (sops reads SOPS_EDITOR before EDITOR, and knows no VISUAL),
 * then the general ones, VISUAL before EDITOR as most Unix tools do.
 */
export const EDITOR_VARIABLES = ['SECRETS_EDITOR', 'SOPS_EDITOR', 'VISUAL', 'EDITOR'] as const
const FALLBACKS = ['vim', 'nano', 'vi'] as const

function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try {
      const p = join(dir, cmd)
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK)
        return true
      }
    } catch {
      // next directory
    }
  }
  return false
}

/** The editor command line, split shell-style so `code --wait` or `"my editor" -f` work. */
export function editorCommand(env: NodeJS.ProcessEnv): EditorCommand {
  for (const name of EDITOR_VARIABLES) {
    const raw = env[name]
    if (raw === undefined || raw.trim() === '') continue
    const argv = splitCommand(raw)
    if (argv.length === 0 || argv[0] === '') throw new SecretsError('editor', `$${name} does not name a command`, { hint: 'set it to e.g. "vim" or "code --wait"' })
    return { argv, source: `$${name}` }
  }
  const found = FALLBACKS.find((c) => onPath(c, env))
  if (found === undefined) {
    throw new SecretsError('editor', 'no editor found: SECRETS_EDITOR, SOPS_EDITOR, VISUAL and EDITOR are unset and neither vim, nano nor vi is on PATH', {
      hint: 'set EDITOR (e.g. export EDITOR="code --wait")',
    })
  }
  return { argv: [found], source: `${found} (found on PATH)` }
}

export interface EditorRun {
  /** Resolves when the editor ends: its exit code, or the signal that ended it. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Stop the editor (used when `secrets` itself is being stopped). */
  kill(): void
}

/**
 * Start the editor on `file`: the terminal is inherited, no shell is involved, and only the
 * temp file's path reaches argv (never a value).
 */
export function startEditor(cmd: EditorCommand, file: string, env: NodeJS.ProcessEnv): EditorRun {
  const [bin, ...args] = cmd.argv as [string, ...string[]]
  const child = spawn(bin, [...args, file], { stdio: 'inherit', env })
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      const what = e.code === 'ENOENT' ? 'was not found' : e.code === 'EACCES' ? 'is not executable' : `could not be started (${e.code ?? 'error'})`
      reject(new SecretsError('editor', `the editor "${bin}" (from ${cmd.source}) ${what}`, { hint: 'check the editor variable, or set EDITOR to an installed editor' }))
    })
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return {
    done,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    },
  }
}

/** Can we ask the user something? Both the question (stderr) and the answer (stdin) need a terminal. */
export function canPrompt(): boolean {
  return isatty(0) && isatty(2)
}

/**
 * Ask a yes/no question on stderr and read one line from stdin; anything but y/yes is no.
 * readline without `terminal` keeps the tty in its normal line mode, and closing it pauses stdin
 * so that the next editor gets every keystroke.
 */
export async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline')
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false })
  try {
    process.stderr.write(`${question} [y/N] `)
    const answer = await new Promise<string | null>((resolve) => {
      rl.once('line', resolve)
      rl.once('close', () => resolve(null))
    })
    return answer !== null && /^\s*y(es)?\s*$/i.test(answer)
  } finally {
    rl.close()
    process.stdin.pause()
  }
}
