// PGP master key through the `gpg` binary, as sops's fallback path does (spec 8.3): `enc` is an
// armored OpenPGP message of the data key or Shamir share. Keys, passphrases and smartcards stay
// with gpg and gpg-agent; nothing here parses OpenPGP.
import { childProcess } from '../io/builtins.js'
import type { PlainObject } from '../tree/types.js'
import { createdAtNow, entryString } from './entry.js'
import { KeyError, type KeyContext, type MasterKey } from './types.js'
import { accessHint, listKeys } from './hints.js'

/** The gpg binary sops would run: `SOPS_GPG_EXEC`, else `gpg`. */
export function gpgExecutable(env: NodeJS.ProcessEnv): string {
  const exe = env.SOPS_GPG_EXEC
  return exe !== undefined && exe !== '' ? exe : 'gpg'
}

export function gpgEncryptArgs(fp: string): string[] {
  // sops's arguments, plus --batch: encrypting to a public key never needs a prompt, and
  // --trusted-key already answers the only question gpg could ask.
  return ['--batch', '--no-default-recipient', '--yes', '--encrypt', '-a', '-r', fp, '--trusted-key', fp.slice(-16), '--no-encrypt-to']
}

/**
 * sops runs `gpg -d` without --batch. We add --batch when nobody is at a terminal (stdin not a
 * TTY: CI, pipes, tests) so gpg itself never waits on one; gpg-agent's pinentry still asks for a
 * passphrase under --batch (checked with a scripted pinentry in test/keys/pgp.test.ts). At a
 * terminal we run exactly what sops runs, so setups where gpg prompts on the tty itself
 * (`pinentry-mode loopback` in gpg.conf) keep working.
 */
export function gpgDecryptArgs(interactive: boolean): string[] {
  return interactive ? ['--decrypt'] : ['--batch', '--decrypt']
}

interface GpgRun {
  code: number | null
  stdout: Buffer
  stderr: string
}

function runGpg(exe: string, args: string[], input: Uint8Array | string, env: NodeJS.ProcessEnv): Promise<GpgRun> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(exe, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.stdin.on('error', () => {
      /* gpg exited before reading everything; its exit code and stderr say why */
    })
    child.on('close', (code) => {
      const stdout = Buffer.concat(out)
      for (const b of out) b.fill(0)
      resolve({ code, stdout, stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.end(input)
  })
}

function spawnFailure(exe: string, e: unknown): KeyError {
  const code = (e as NodeJS.ErrnoException).code
  const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : (code ?? String(e))
  return new KeyError(`could not run gpg ("${exe}"): ${why}`, 'install GnuPG, or set SOPS_GPG_EXEC to the gpg binary')
}

/** gpg's own diagnostic lines (never stdout: that is where plaintext goes). */
function gpgLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('gpg:'))
}

function lastLine(stderr: string): string {
  const lines = gpgLines(stderr)
  const l = lines[lines.length - 1]
  return l === undefined ? 'no message' : l.replace(/^gpg:\s*/, '').slice(0, 200)
}

const PROMPT_FAILURE = /no pinentry|operation cancelled|inappropriate ioctl|timeout|no passphrase|bad passphrase|canceled|cannot open '\/dev\/tty'|no terminal/i

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.GNUPGHOME !== undefined && env.GNUPGHOME !== '' ? env.GNUPGHOME : '~/.gnupg'
}

/** Primary-key fingerprints of the secret keys gpg holds ([] when it has none or cannot say). */
export async function secretKeyFingerprints(exe: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  let run: GpgRun
  try {
    run = await runGpg(exe, ['--batch', '--with-colons', '--list-secret-keys'], '', env)
  } catch {
    return []
  }
  if (run.code !== 0) return []
  const out: string[] = []
  let wantFpr = false
  for (const line of run.stdout.toString('utf8').split('\n')) {
    const f = line.split(':')
    if (f[0] === 'sec') wantFpr = true
    else if (f[0] === 'fpr' && wantFpr) {
      if (/^[0-9A-F]{16,}$/i.test(f[9] ?? '')) out.push((f[9] as string).toUpperCase())
      wantFpr = false
    } else if (f[0] !== 'fpr' && f[0] !== 'grp') wantFpr = false
  }
  return [...new Set(out)]
}

export class PgpKey implements MasterKey {
  readonly kind = 'pgp' as const
  /** The fingerprint as given, spaces removed (written as `fp`, as sops does). */
  readonly fp: string
  readonly createdAt: string
  private enc: string
  private readonly env: NodeJS.ProcessEnv
  private readonly interactive: boolean | undefined

  /**
   * `env` is used by wrap() (which gets no KeyContext): GNUPGHOME, SOPS_GPG_EXEC, PATH.
   * `createdAt` defaults to now: a new key entry. `interactive` (default: stdin is a TTY) decides
   * whether unwrap runs gpg with --batch (see gpgDecryptArgs).
   */
  constructor(fp: string, opts: { createdAt?: string; enc?: string; env?: NodeJS.ProcessEnv; interactive?: boolean } = {}) {
    this.fp = fp.replace(/\s+/g, '')
    this.createdAt = opts.createdAt ?? createdAtNow()
    this.enc = opts.enc ?? ''
    this.env = opts.env ?? process.env
    this.interactive = opts.interactive
  }

  /** sops's identity string: the fingerprint, compared case-insensitively so uppercased here. */
  get id(): string {
    return this.fp.toUpperCase()
  }

  static fromMetadata(entry: PlainObject, opts: { env?: NodeJS.ProcessEnv; interactive?: boolean } = {}): PgpKey {
    const s = (k: string): string => entryString(entry, k)
    return new PgpKey(s('fp'), { createdAt: s('created_at'), enc: s('enc'), ...opts })
  }

  async wrap(dataKey: Uint8Array, ctx?: KeyContext): Promise<void> {
    const env = ctx?.env ?? this.env
    if (!/^[0-9A-Fa-f]{16,}$/.test(this.fp)) {
      throw new KeyError(`"${this.fp}" is not a PGP fingerprint`, 'give the 40 hex digits of the key fingerprint (gpg --list-keys --fingerprint)')
    }
    const exe = gpgExecutable(env)
    let run: GpgRun
    try {
      run = await runGpg(exe, gpgEncryptArgs(this.fp), dataKey, env)
    } catch (e) {
      throw spawnFailure(exe, e)
    }
    const armored = run.stdout.toString('utf8').trim()
    if (run.code !== 0 || !armored.startsWith('-----BEGIN PGP MESSAGE-----')) {
      if (/no public key|not found|no such key/i.test(run.stderr)) {
        throw new KeyError(`gpg has no public key ${this.fp} (GNUPGHOME ${homeOf(env)})`, `import it first: gpg --import <public key file>, or gpg --recv-keys ${this.fp}`)
      }
      if (/unusable public key|expired|revoked/i.test(run.stderr)) {
        throw new KeyError(`gpg cannot encrypt to ${this.fp}: ${lastLine(run.stderr)}`, 'the key may be expired or revoked; check gpg --list-keys ' + this.fp)
      }
      throw new KeyError(`gpg --encrypt to ${this.fp} failed (exit ${run.code ?? 'signal'}): ${lastLine(run.stderr)}`)
    }
    this.enc = armored
  }

  async unwrap(ctx: KeyContext): Promise<Uint8Array> {
    if (this.enc === '') throw new KeyError('the entry has no "enc" value')
    const exe = gpgExecutable(ctx.env)
    let run: GpgRun
    try {
      run = await runGpg(exe, gpgDecryptArgs(this.interactive ?? process.stdin.isTTY === true), this.enc, ctx.env)
    } catch (e) {
      throw spawnFailure(exe, e)
    }
    if (run.code === 0 && run.stdout.length > 0) {
      const key = new Uint8Array(run.stdout)
      run.stdout.fill(0)
      return key
    }
    run.stdout.fill(0)
    const lines = gpgLines(run.stderr)
    // gpg ends a failed prompt with "decryption failed: No secret key" too, so the reason given
    // on the "public key decryption failed" line comes first.
    const pk = lines.map((l) => /public key decryption failed: (.*)$/i.exec(l)?.[1]).find((r) => r !== undefined)
    if (pk !== undefined && PROMPT_FAILURE.test(pk)) {
      throw new KeyError(
        `gpg-agent could not get the passphrase of the secret key for ${this.fp} (${pk.trim()})`,
        'run in a terminal with GPG_TTY=$(tty) exported, unlock the key in gpg-agent first, or check pinentry-program in gpg-agent.conf',
      )
    }
    if (/no secret key/i.test(run.stderr)) {
      // which secret keys gpg does have (public fingerprints), for the combined message
      const mine = await secretKeyFingerprints(exe, ctx.env)
      const home = homeOf(ctx.env)
      throw new KeyError(
        `gpg has no secret key for ${this.fp} (GNUPGHOME ${home})`,
        mine.length > 0 ? accessHint('pgp', mine) : `import the secret key ${this.fp} into gpg, or set GNUPGHOME to the keyring that has it`,
        {
          reason: mine.length > 0 ? 'no-match' : 'no-identity',
          mine,
          holder: mine.length > 0 ? `gpg has secret keys for ${listKeys(mine)} (GNUPGHOME ${home})` : `gpg has no secret key (GNUPGHOME ${home})`,
        },
      )
    }
    if (/no valid openpgp data|invalid armor|unexpected|packet/i.test(run.stderr)) {
      throw new KeyError(`its "enc" value is not a valid PGP message (${lastLine(run.stderr)})`)
    }
    throw new KeyError(`gpg --decrypt failed (exit ${run.code ?? 'signal'}): ${lastLine(run.stderr)}`)
  }

  toMetadata(): PlainObject {
    return { fp: this.fp, created_at: this.createdAt, enc: this.enc }
  }
}
