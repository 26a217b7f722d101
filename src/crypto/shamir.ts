// Shamir secret sharing over GF(2^8), byte-compatible with sops (HashiCorp Vault's scheme):
// share = y-bytes ‖ x, x = group index + 1 (spec 8.8). Used to split the data key across groups.
import { randomBytes } from 'node:crypto'

function mul(a: number, b: number): number {
  let acc = 0
  for (let i = 7; i >= 0; i--) {
    acc = ((acc << 1) ^ (acc & 0x80 ? 0x1b : 0)) & 0xff
    if ((b >> i) & 1) acc ^= a
  }
  return acc
}

function inverse(a: number): number {
  // a^254 = a^-1 in GF(2^8)
  let r = 1
  let base = a
  let e = 254
  while (e > 0) {
    if (e & 1) r = mul(r, base)
    base = mul(base, base)
    e >>= 1
  }
  return r
}

const div = (a: number, b: number): number => mul(a, inverse(b))

/** Split `secret` into `parts` shares, any `threshold` of which recombine it. */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number, coefficients?: (byte: number) => Uint8Array): Uint8Array[] {
  if (parts < threshold) throw new Error('threshold cannot exceed the number of parts')
  if (parts > 255) throw new Error('at most 255 parts')
  if (threshold < 2) throw new Error('threshold must be at least 2')
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1)
    s[secret.length] = i + 1
    return s
  })
  for (let j = 0; j < secret.length; j++) {
    const coeff = coefficients ? coefficients(j) : new Uint8Array(randomBytes(threshold - 1))
    for (let i = 0; i < parts; i++) {
      const x = i + 1
      // Horner from the highest coefficient down to the secret byte
      let y = 0
      for (let c = threshold - 2; c >= 0; c--) y = mul(y, x) ^ (coeff[c] as number)
      y = mul(y, x) ^ (secret[j] as number)
      ;(shares[i] as Uint8Array)[j] = y
    }
  }
  return shares
}

/** Recombine shares (each y-bytes ‖ x); all must have equal length >= 2 and distinct x. */
export function shamirCombine(shares: Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new Error('need at least two shares')
  const len = (shares[0] as Uint8Array).length
  if (len < 2 || shares.some((s) => s.length !== len)) throw new Error('shares have different lengths')
  const xs = shares.map((s) => s[len - 1] as number)
  if (new Set(xs).size !== xs.length) throw new Error('duplicate shares')
  const out = new Uint8Array(len - 1)
  for (let j = 0; j < len - 1; j++) {
    let acc = 0
    for (let i = 0; i < shares.length; i++) {
      let basis = 1
      for (let m = 0; m < shares.length; m++) {
        if (m === i) continue
        basis = mul(basis, div(xs[m] as number, (xs[i] as number) ^ (xs[m] as number)))
      }
      acc ^= mul((shares[i] as Uint8Array)[j] as number, basis)
    }
    out[j] = acc
  }
  return out
}
