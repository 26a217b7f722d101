// The config layer: find and load `.secretsrc.yaml` / `.sops.yaml`, pick the creation rule and
// master keys for a file, resolve environment names.
export type {
  CreationRule,
  KeyGroupSpec,
  KmsKeySpec,
  LoadedConfig,
  SelectionKind,
  SelectionRule,
  StoresConfig,
} from './types.js'
export { SELECTION_KINDS } from './types.js'
export { CONFIG_NAMES, findConfig } from './discover.js'
export { DEFAULT_SECRETS_DIR, loadConfig, parseConfig } from './load.js'
export { findCreationRule, keyGroupsFromRule, matchCreationRule, rulePath, type CliKeys } from './match.js'
export { kmsKeyIdentity, parseEncryptionContext, parseKmsList } from './keys.js'
export { ENVIRONMENT_EXTENSIONS, listEnvironments, resolveEnvironmentFiles, resolveTarget, severalFiles } from './targets.js'
export { ENV_NAME, renderInitialConfig } from './init.js'
export { findSopsConfig, shadowWarning } from './shadow.js'
