// Kubernetes Secret manifests checked by the kubernetes-models schema validation and decoded back;
// parsed as YAML 1.1 (what kubectl's go-yaml reads) so `on`/`yes`/`0o14` must stay strings.
import fc from 'fast-check'
import { Secret } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { SecretsError } from '../../src/errors.js'
import type { EnvVar } from '../../src/outputs/env.js'
import { parsePairs, renderKubernetesSecret } from '../../src/outputs/kubernetes.js'

const vars = (o: Record<string, string>): EnvVar[] => Object.entries(o).map(([name, value]) => ({ name, value, path: [name] }))
const read = (text: string): Record<string, any> => parse(text, { version: '1.1' }) as Record<string, any>

const VALUES = {
  DATABASE_URL: 'postgres://app:p@ss w0rd@db:5432/app?sslmode=require',
  on: 'yes',
  'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  'api-key': '0o14',
  TRAILING: 'x  \n  y  ',
  UNICODE: 'ünï ✓ 😀',
  EMPTY: '',
  NUMBER: '1_000',
}

describe('renderKubernetesSecret', () => {
  it('validates with kubernetes-models and decodes back to the same values (base64 data)', () => {
    const text = renderKubernetesSecret(vars(VALUES), {
      name: 'api-secrets',
      namespace: 'prod',
      labels: { app: 'api', 'app.kubernetes.io/part-of': 'y' },
      annotations: { 'example.com/note': 'a: b, c' },
    })
    const doc = read(text)
    expect(() => new Secret(doc).validate()).not.toThrow()
    expect(doc.apiVersion).toBe('v1')
    expect(doc.kind).toBe('Secret')
    expect(doc.type).toBe('Opaque')
    expect(doc.metadata).toEqual({ name: 'api-secrets', namespace: 'prod', labels: { app: 'api', 'app.kubernetes.io/part-of': 'y' }, annotations: { 'example.com/note': 'a: b, c' } })
    const decoded = Object.fromEntries(Object.entries(doc.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
    expect(decoded).toEqual(VALUES)
    expect(Object.keys(doc.data)).toEqual(Object.keys(VALUES)) // order kept
  })

  it('stringData keeps the values as text and still validates; --type is honoured', () => {
    const doc = read(renderKubernetesSecret(vars(VALUES), { name: 'api', stringData: true, type: 'kubernetes.io/tls' }))
    expect(() => new Secret(doc).validate()).not.toThrow()
    expect(doc.stringData).toEqual(VALUES)
    expect(doc.data).toBeUndefined()
    expect(doc.type).toBe('kubernetes.io/tls')
  })

  it('random values survive both encodings', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,20}$/), fc.string({ unit: 'grapheme', maxLength: 30 }), { maxKeys: 5 }), (o) => {
        for (const stringData of [false, true]) {
          const doc = read(renderKubernetesSecret(vars(o), { name: 'x', stringData }))
          new Secret(doc).validate()
          const got = stringData
            ? (doc.stringData ?? {})
            : Object.fromEntries(Object.entries((doc.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
          expect(got).toEqual(o)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('rejects key names Kubernetes refuses, naming the key', () => {
    for (const bad of ['my key', 'a/b', '..x', '.', 'x'.repeat(254), 'ключ']) {
      let err: unknown
      try {
        renderKubernetesSecret(vars({ [bad]: 'secret-value' }), { name: 'api' })
      } catch (e) {
        err = e
      }
      expect(err, bad).toBeInstanceOf(SecretsError)
      expect((err as SecretsError).message).toContain('cannot be a Kubernetes Secret key')
      expect((err as SecretsError).line()).not.toContain('secret-value')
    }
    expect(() => renderKubernetesSecret(vars({ 'a.b-c_D9': 'v' }), { name: 'api' })).not.toThrow()
  })

  it('rejects invalid names, namespaces, labels and annotations', () => {
    const v = vars({ A: 'b' })
    expect(() => renderKubernetesSecret(v, { name: 'Api_Secrets' })).toThrow(/not a valid Secret name/)
    expect(() => renderKubernetesSecret(v, { name: 'api', namespace: 'a.b' })).toThrow(/not a valid namespace/)
    expect(() => renderKubernetesSecret(v, { name: 'api', labels: { 'bad key!': 'x' } })).toThrow(/label key/)
    expect(() => renderKubernetesSecret(v, { name: 'api', labels: { app: 'has space' } })).toThrow(/value of label "app"/)
    expect(() => renderKubernetesSecret(v, { name: 'api', annotations: { '-x': 'anything' } })).toThrow(/annotation key/)
    expect(() => parsePairs(['novalue'], 'label')).toThrow(/not key=value/)
    expect(parsePairs(['a=b=c', 'e='], 'annotation')).toEqual({ a: 'b=c', e: '' })
  })
})
