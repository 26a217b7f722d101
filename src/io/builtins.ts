// Node built-in modules loaded on first use instead of at start-up (child_process costs a few
// milliseconds to load, and most commands never start a process).
import type * as ChildProcess from 'node:child_process'

export const childProcess = (): typeof ChildProcess => process.getBuiltinModule('node:child_process')
