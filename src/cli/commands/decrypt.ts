// `secrets decrypt FILE|ENV`: plaintext to stdout, or to a 0600 file written atomically.
import { SecretsError } from '../../errors.js'
import { openEncrypted } from '../../workflows/files.js'
import { writeFileAtomic, writeStdout } from '../../io/files.js'
import { storeFor } from '../../stores/index.js'
import { parseTreePath } from '../../tree/path.js'
import { getAtPathOrSuggest } from '../../tree/suggest.js'
import { type Cli, decryptionOrder, formatFor, noteStdinFormat, usage } from '../context.js'
import { guardPlaintextOutput } from '../../io/git-guard.js'

export interface DecryptFlags {
  output?: string
  inPlace?: boolean
  extract?: string
  inputType?: string
  outputType?: string
  ignoreMac?: boolean
  decryptionOrder?: string
  indent?: number
  force?: boolean
  filenameOverride?: string
}

export async function decrypt(cli: Cli, arg: string, flags: DecryptFlags): Promise<void> {
  if (flags.output !== undefined && flags.inPlace) throw usage('--output and --in-place cannot be used together')
  if (flags.inPlace && flags.extract !== undefined) throw usage('--in-place and --extract cannot be used together', 'that would replace the whole file by one value; use -o to write the value elsewhere')
  const { path } = await cli.target(arg)
  try {
    // sops: --filename-override decides the formats in place of the file's own name
    const typePath = flags.filenameOverride ?? path
    const inFormat = await formatFor(typePath, flags.inputType)
    const outFormat = await formatFor(typePath, flags.outputType ?? flags.inputType)
    if (flags.inputType === undefined) noteStdinFormat(cli, typePath, inFormat)
    const { doc: dec } = await openEncrypted(cli.workflow(), path, {
      format: inFormat,
      readOnly: true,
      ignoreMac: flags.ignoreMac ?? false,
      decryptionOrder: decryptionOrder(flags.decryptionOrder, cli.env),
    })
    if (flags.ignoreMac) cli.info('MAC not checked (--ignore-mac): tampering would go unnoticed')
    const outStore = await storeFor(outFormat)
    const emitOpts = flags.indent !== undefined ? { indent: flags.indent } : {}
    let out: Uint8Array
    if (flags.extract !== undefined) {
      const node = getAtPathOrSuggest(dec.branches[0] ?? { kind: 'map', items: [] }, parseTreePath(flags.extract))
      out = node.kind === 'map' ? outStore.emit({ branches: [node], metadata: null }, emitOpts) : outStore.emitValue(node)
    } else {
      out = outStore.emit({ branches: dec.branches, metadata: null }, emitOpts)
    }
    if (flags.inPlace) {
      if (path === '-') throw usage('--in-place needs a file, not stdin')
      guardPlaintextOutput(path, { force: flags.force, warn: (m) => cli.warn(m), display: cli.display(path) })
      writeFileAtomic(path, out, 0o600)
    } else if (flags.output !== undefined) {
      guardPlaintextOutput(flags.output, { force: flags.force, warn: (m) => cli.warn(m) })
      writeFileAtomic(flags.output, out, 0o600)
      cli.info(`decrypted ${cli.display(path)} to ${flags.output} (mode 0600)`)
    } else {
      await writeStdout(out)
    }
  } catch (e) {
    throw e instanceof SecretsError ? e.inFile(path === '-' ? 'stdin' : cli.display(path)) : e
  }
}
