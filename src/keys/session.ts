// One key-access session per command or library call: the environment keys are looked up in, where
// warnings go, the crypto implementation, and the caches that must live exactly as long as the
// command (age identities, so SOPS_AGE_KEY_CMD runs once however many files are opened; KMS
// clients, so a role is assumed once). Nothing here is a module global: two sessions share nothing.
import { cryptoBackend, nodeCrypto, type CryptoBackend, type CryptoName } from '../crypto/backend.js'
import type { KeyContext } from './types.js'

/** Values made at most once per session, by name. */
export class KeyCache {
  private readonly entries = new Map<string, unknown>()
  get<T>(name: string, make: () => T): T {
    if (this.entries.has(name)) return this.entries.get(name) as T
    const v = make()
    this.entries.set(name, v)
    return v
  }
}

export interface KeySessionOptions {
  env?: NodeJS.ProcessEnv
  warn?: (message: string) => void
  /** 'node' (default): node:crypto; 'noble': the @noble reference implementation. */
  crypto?: CryptoName
}

export class KeySession implements KeyContext {
  readonly env: NodeJS.ProcessEnv
  readonly cache = new KeyCache()
  private readonly sink: (message: string) => void

  constructor(
    opts: Omit<KeySessionOptions, 'crypto'> = {},
    readonly crypto: CryptoBackend = nodeCrypto,
  ) {
    this.env = opts.env ?? process.env
    this.sink = opts.warn ?? (() => {})
  }

  /** A session with the crypto implementation named (the @noble one loads on demand). */
  static async open(opts: KeySessionOptions = {}): Promise<KeySession> {
    return new KeySession(opts, await cryptoBackend(opts.crypto))
  }

  warn(message: string): void {
    this.sink(message)
  }
}
