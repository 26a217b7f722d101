// The `outputs:` section of .secretsrc.yaml (ours; sops ignores it):
//   outputs:
//     env: { separator: "__" }                       # PARENT__CHILD instead of PARENT_CHILD
//     docker_secrets: { map: { DATABASE_PASSWORD: db_password } }   # file / secret names
import { SecretsError } from '../errors.js'

export interface OutputsConfig {
  separator?: string
  dockerSecretsMap: Record<string, string>
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Read and check `outputs:` from a config's raw document (`LoadedConfig.raw`); absent -> defaults. */
export function readOutputsConfig(raw: unknown, file?: string): OutputsConfig {
  const bad = (what: string, hint: string): SecretsError => new SecretsError('config', what, { file, where: 'outputs', hint })
  const out: OutputsConfig = { dockerSecretsMap: {} }
  const section = isObject(raw) ? raw.outputs : undefined
  if (section === undefined || section === null) return out
  if (!isObject(section)) throw bad('"outputs" must be a map', 'e.g. outputs: { env: { separator: "__" } }')
  const env = section.env
  if (env !== undefined && env !== null) {
    if (!isObject(env)) throw bad('"outputs.env" must be a map', 'e.g. env: { separator: "__" }')
    const sep = env.separator
    if (sep !== undefined) {
      if (typeof sep !== 'string' || sep === '' || /[=\0]/.test(sep)) throw bad('"outputs.env.separator" must be a non-empty string without "="', 'e.g. separator: "__"')
      out.separator = sep
    }
  }
  const ds = section.docker_secrets
  if (ds !== undefined && ds !== null) {
    if (!isObject(ds)) throw bad('"outputs.docker_secrets" must be a map', 'e.g. docker_secrets: { map: { DATABASE_PASSWORD: db_password } }')
    const map = ds.map
    if (map !== undefined && map !== null) {
      if (!isObject(map)) throw bad('"outputs.docker_secrets.map" must map variable names to file names', 'e.g. map: { DATABASE_PASSWORD: db_password }')
      for (const [k, v] of Object.entries(map)) {
        if (typeof v !== 'string') throw bad(`"outputs.docker_secrets.map.${k}" must be a string`, 'give the file name to use')
        out.dockerSecretsMap[k] = v
      }
    }
  }
  return out
}
