// Master keys of kinds this version cannot use (gcp_kms, azure_kv, hc_vault, hckms, and pgp/kms
// until they land): kept byte for byte in the metadata so sops users lose nothing.
import type { KeyType } from '../model/metadata.js'
import type { PlainObject } from '../tree/types.js'
import { KeyError, type MasterKey } from './types.js'

export class OpaqueKey implements MasterKey {
  constructor(
    readonly kind: KeyType,
    readonly id: string,
    private readonly entry: PlainObject,
  ) {}
  async wrap(): Promise<void> {
    throw new KeyError(`${this.kind} master keys are not supported by this version of secrets`)
  }
  async unwrap(): Promise<Uint8Array> {
    throw new KeyError(`${this.kind} master keys are not supported by this version of secrets`, 'use an age key that the file is also encrypted to')
  }
  toMetadata(): PlainObject {
    return this.entry
  }
}
