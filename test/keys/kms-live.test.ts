// Opt-in: a round trip against real AWS KMS when SECRETS_TEST_KMS_ARN names a key the ambient
// AWS credentials may use. Skipped otherwise (CI has no AWS account).
import { describe, expect, it } from 'vitest'
import { KmsKey } from '../../src/keys/kms.js'

const arn = process.env.SECRETS_TEST_KMS_ARN

describe('real AWS KMS (opt-in)', () => {
  it.skipIf(arn === undefined || arn === '')('wraps and unwraps a data key with the real service', async () => {
    const dataKey = Uint8Array.from({ length: 32 }, (_, i) => i)
    const key = new KmsKey({ arn: arn as string, context: { purpose: 'secrets-live-test' } }, { env: process.env })
    await key.wrap(dataKey)
    const back = KmsKey.fromMetadata(key.toMetadata())
    expect(await back.unwrap({ env: process.env, warn: () => {} })).toEqual(dataKey)
  })
})
