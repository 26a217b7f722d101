// The shape of `secrets status` and its three renderings: a table for a terminal, JSON, and one
// self-contained HTML page with a chart of value ages against their limits. No value ever appears:
// a report holds names, paths, master-key identities (public), ages and limits only.

export interface ValueAge {
  /** Variable name as exec delivers it. */
  name: string
  file: string
  /** Seconds since the last change; undefined when unknown. */
  ageSec: number | undefined
  /** Where the age came from. */
  ageSource: 'metadata' | 'git' | 'lastmodified' | 'unknown'
  /** The rotation limit, when a policy covers the key. */
  limitSec: number | undefined
  limitText: string | undefined
  overdue: boolean
  /** A generator from `generate:` (rotate-values --due can renew it). */
  generator: string | undefined
}

export interface FileStatus {
  file: string
  format: string
  encrypted: boolean
  /** Master keys by identity (`age:age1...`, `pgp:FINGERPRINT`, `kms:arn`). */
  masterKeys: string[]
  /** undefined: not tried (--no-open); true/false: whether this user's keys unwrap its data key. */
  canOpen: boolean | undefined
  openError: string | undefined
  keyCount: number
  /** Keys the creation rule has that the file lacks, and the other way round (`age:age1...`). */
  drift: { added: string[]; removed: string[] } | undefined
}

export interface EnvironmentStatus {
  name: string
  files: FileStatus[]
  keyCount: number
  missingRequired: string[]
  values: ValueAge[]
  overdue: ValueAge[]
  error: string | undefined
}

export interface StatusReport {
  generatedAt: string
  environments: EnvironmentStatus[]
  /** Files a creation rule covers that hold no sops metadata (plaintext where ciphertext belongs). */
  plaintextFiles: string[]
  /** Values within their policy / values a policy covers (1 when none is covered). */
  compliance: { within: number; covered: number; ratio: number }
  problems: string[]
}

export function complianceOf(values: readonly ValueAge[]): StatusReport['compliance'] {
  const covered = values.filter((v) => v.limitSec !== undefined)
  const within = covered.filter((v) => !v.overdue && v.ageSec !== undefined).length
  return { within, covered: covered.length, ratio: covered.length === 0 ? 1 : within / covered.length }
}

export function humanAge(sec: number | undefined): string {
  if (sec === undefined) return 'unknown'
  if (sec < 3600) return `${Math.max(0, Math.floor(sec / 60))}m`
  if (sec < 86_400) return `${Math.floor(sec / 3600)}h`
  return `${Math.floor(sec / 86_400)}d`
}

const pct = (r: number): string => `${(r * 100).toFixed(r === 1 ? 0 : 1)}%`

/** Plain text for a terminal (no colour codes: safe in logs and CI). */
export function renderStatusText(r: StatusReport): string {
  const out: string[] = []
  for (const env of r.environments) {
    out.push(`${env.name}`)
    if (env.error !== undefined) out.push(`  error: ${env.error}`)
    for (const f of env.files) {
      const open = f.canOpen === undefined ? 'not tried' : f.canOpen ? 'yes' : `no${f.openError ? ` (${f.openError})` : ''}`
      out.push(`  ${f.file}  ${f.format}, ${f.keyCount} keys, ${f.encrypted ? 'encrypted' : 'NOT ENCRYPTED'}, you can open it: ${open}`)
      if (f.masterKeys.length > 0) out.push(`    master keys: ${f.masterKeys.join(', ')}`)
      if (f.drift) {
        if (f.drift.added.length > 0) out.push(`    drift: the creation rule adds ${f.drift.added.join(', ')} (run secrets updatekeys)`)
        if (f.drift.removed.length > 0) out.push(`    drift: the creation rule no longer has ${f.drift.removed.join(', ')} (run secrets updatekeys)`)
      }
    }
    if (env.missingRequired.length > 0) out.push(`  missing required keys: ${env.missingRequired.join(', ')}`)
    for (const v of env.overdue) {
      out.push(
        `  overdue: ${v.name} is ${humanAge(v.ageSec)} old, policy ${v.limitText ?? '?'}${v.generator ? ` (generated: secrets rotate-values ${env.name} --due)` : ' (rotate it at its source, then secrets set)'}`,
      )
    }
    const known = env.values.filter((v) => v.limitSec !== undefined)
    if (known.length > 0) out.push(`  rotation: ${known.length - env.overdue.length} of ${known.length} values within policy`)
  }
  for (const p of r.plaintextFiles) out.push(`plaintext: ${p} is covered by a creation rule but not encrypted (secrets encrypt -i ${p})`)
  out.push(`compliance: ${pct(r.compliance.ratio)} (${r.compliance.within} of ${r.compliance.covered} values within their rotation policy)`)
  out.push(r.problems.length === 0 ? 'no problems found' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} found`)
  return out.join('\n') + '\n'
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** One self-contained page: inline CSS and an inline SVG chart, no script, no external asset. */
export function renderStatusHtml(r: StatusReport): string {
  const rows: string[] = []
  for (const env of r.environments) {
    for (const f of env.files) {
      rows.push(
        `<tr><td>${esc(env.name)}</td><td>${esc(f.file)}</td><td>${f.keyCount}</td><td>${f.encrypted ? 'yes' : '<b class="bad">no</b>'}</td><td>${
          f.canOpen === undefined ? 'not tried' : f.canOpen ? 'yes' : '<span class="bad">no</span>'
        }</td><td>${esc(f.masterKeys.join(', '))}</td><td>${f.drift ? esc([...f.drift.added.map((k) => `+${k}`), ...f.drift.removed.map((k) => `-${k}`)].join(', ')) : ''}</td></tr>`,
      )
    }
  }
  const charted = r.environments.flatMap((e) => e.values.filter((v) => v.limitSec !== undefined).map((v) => ({ env: e.name, v })))
  const barH = 18
  const width = 720
  const labelW = 260
  const scale = (width - labelW - 60) / 2 // a bar of the full limit is half the plot; twice the limit fills it
  const bars = charted
    .map(({ env, v }, i) => {
      const ratio = v.ageSec === undefined || v.limitSec === undefined ? 0 : Math.min(2, v.ageSec / v.limitSec)
      const y = i * (barH + 6) + 10
      const w = Math.max(1, ratio * scale * 1)
      const cls = v.ageSec === undefined ? 'unknown' : v.overdue ? 'over' : ratio > 0.8 ? 'near' : 'ok'
      return `<g><text x="0" y="${y + 13}">${esc(`${env}: ${v.name}`)}</text><rect class="${cls}" x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}"><title>${esc(
        `${v.name}: ${humanAge(v.ageSec)} of ${v.limitText ?? '?'}`,
      )}</title></rect><text x="${labelW + w + 4}" y="${y + 13}">${esc(`${humanAge(v.ageSec)} / ${v.limitText ?? '?'}`)}</text></g>`
    })
    .join('\n')
  const chartH = charted.length * (barH + 6) + 20
  const limitX = labelW + scale
  const problems = r.problems.map((p) => `<li>${esc(p)}</li>`).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>secrets status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.bad{color:#b00020}.ok{fill:#2e7d32}.near{fill:#f9a825}.over{fill:#c62828}.unknown{fill:#9e9e9e}
svg text{font:12px system-ui,sans-serif}
</style></head><body>
<h1>secrets status</h1>
<p>Generated ${esc(r.generatedAt)}. Compliance: <b>${pct(r.compliance.ratio)}</b> (${r.compliance.within} of ${r.compliance.covered} values within their rotation policy).</p>
<h2>Problems</h2>
${problems === '' ? '<p>None.</p>' : `<ul>\n${problems}\n</ul>`}
<h2>Files</h2>
<table><thead><tr><th>environment</th><th>file</th><th>keys</th><th>encrypted</th><th>you can open it</th><th>master keys</th><th>drift</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<h2>Value ages against their limits</h2>
<p>Each bar is a value's age; the dashed line is its policy's limit (bars stop at twice the limit).</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${chartH}" role="img" aria-label="value ages against rotation limits">
<line x1="${limitX}" y1="0" x2="${limitX}" y2="${chartH}" stroke="#555" stroke-dasharray="4 3"/>
${bars}
</svg>
</body></html>
`
}
