// A deliberately tiny sops *writer*, only for exercising the real-sops harness
// before the project's own encryptor exists: flat maps of strings (YAML) and
// the binary format. It implements just the pieces of the sops file format
// those need:
//   value  = ENC[AES256_GCM,data:<b64 ct>,iv:<b64 32-byte iv>,tag:<b64 tag>,type:str]
//            AES-256-GCM under the data key, AAD = "<key>:" (path joined by ':' plus ':')
//   mac    = uppercase hex SHA-512 over the plaintext values in file order,
//            encrypted like a value with AAD = sops.lastmodified (RFC 3339)
// Do not use it as a reference for the real encryptor.

import { createCipheriv, createHash, randomBytes } from 'node:crypto'

export function encryptValue(plaintext: string | Uint8Array, dataKey: Uint8Array, aad: string): string {
  const iv = randomBytes(32)
  const c = createCipheriv('aes-256-gcm', dataKey, iv)
  c.setAAD(Buffer.from(aad, 'utf8'))
  const ct = Buffer.concat([c.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), c.final()])
  const tag = c.getAuthTag()
  return `ENC[AES256_GCM,data:${ct.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:str]`
}

export function encryptedMac(values: (string | Uint8Array)[], dataKey: Uint8Array, lastmodified: string): string {
  const h = createHash('sha512')
  for (const v of values) h.update(typeof v === 'string' ? Buffer.from(v, 'utf8') : v)
  return encryptValue(h.digest('hex').toUpperCase(), dataKey, lastmodified)
}

/**
 * A sops binary-format file (JSON with a "data" key) whose data key is
 * `dataKey`, reusing the key groups (`pgp`, `age`, ...) of `sopsMetadata`,
 * which must already wrap that same data key.
 */
export function forgeBinaryFile(plaintext: string | Uint8Array, dataKey: Uint8Array, sopsMetadata: Record<string, unknown>): string {
  const lastmodified = String(sopsMetadata.lastmodified)
  const doc = {
    data: encryptValue(plaintext, dataKey, 'data:'),
    sops: { ...sopsMetadata, mac: encryptedMac([plaintext], dataKey, lastmodified) },
  }
  return `${JSON.stringify(doc, null, '\t')}\n`
}

/** A sops YAML file holding a flat map of strings, its data key wrapped by age for `recipient` (armored `ageEnc`). */
export function forgeAgeYamlFile(values: Record<string, string>, dataKey: Uint8Array, recipient: string, ageEnc: string): string {
  const lastmodified = '2025-01-01T00:00:00Z'
  const lines: string[] = []
  for (const [k, v] of Object.entries(values)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`forge: key ${k} needs quoting; not supported`)
    lines.push(`${k}: ${encryptValue(v, dataKey, `${k}:`)}`)
  }
  const enc = ageEnc
    .trimEnd()
    .split('\n')
    .map((l) => `            ${l}`)
  lines.push(
    'sops:',
    '    age:',
    `        - recipient: ${recipient}`,
    '          enc: |',
    ...enc,
    `    lastmodified: "${lastmodified}"`,
    `    mac: ${encryptedMac(Object.values(values), dataKey, lastmodified)}`,
    '    unencrypted_suffix: _unencrypted',
    '    version: 3.9.2',
  )
  return `${lines.join('\n')}\n`
}
