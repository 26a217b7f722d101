import { describe, it, expect } from 'vitest'
import { binaryStore } from '../../src/stores/binary.js'
import { storeFor, formatFromPath, parseFormat } from '../../src/stores/index.js'
import type { MapEntry, ParsedFile } from '../../src/tree/types.js'
import { errorOf } from '../support/errors.js'

const enc = new TextEncoder()
const dec = new TextDecoder()


describe('binary store', () => {
  const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x0a, 0x41, 0x0d])

  it('plain mode: the whole file is one bytes value under "data", copied', () => {
    const f = binaryStore.parse(bytes, 'plain')
    expect(f).toEqual({ branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: { kind: 'bytes', value: bytes } }] }], metadata: null })
    const v = (f.branches[0]!.items[0] as MapEntry).value as { value: Uint8Array }
    expect(v.value).not.toBe(bytes)
  })

  it('plain emit gives the exact bytes back, nothing added; str data is UTF-8 encoded', () => {
    expect(binaryStore.emit(binaryStore.parse(bytes, 'plain'))).toEqual(bytes)
    expect(binaryStore.emit(binaryStore.parse(new Uint8Array(), 'plain'))).toEqual(new Uint8Array())
    const f: ParsedFile = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: { kind: 'str', value: 'hé' } }] }], metadata: null }
    expect(dec.decode(binaryStore.emit(f))).toBe('hé')
  })

  it('encrypted mode reads and writes the JSON wrapper (example.txt layout)', () => {
    const text =
      '{\n\t"data": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",\n\t"sops": {\n\t\t"lastmodified": "2026-01-01T00:00:00Z",\n\t\t"mac": "ENC[m]",\n\t\t"version": "3.13.2"\n\t}\n}\n'
    const f = binaryStore.parse(enc.encode(text), 'encrypted')
    expect((f.branches[0]!.items[0] as MapEntry).value).toEqual({ kind: 'str', value: 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]' })
    expect(f.metadata).toEqual({ lastmodified: '2026-01-01T00:00:00Z', mac: 'ENC[m]', version: '3.13.2' })
    expect(dec.decode(binaryStore.emit(f))).toBe(text)
    expect(dec.decode(binaryStore.emit(f, { indent: 2 }))).toContain('\n  "data": ')
  })

  it('refuses to write raw output without a string "data" value', () => {
    expect(errorOf(() => binaryStore.emit({ branches: [{ kind: 'map', items: [] }], metadata: null })).message).toMatch(/no "data"/)
    const f: ParsedFile = { branches: [{ kind: 'map', items: [{ kind: 'entry', key: 'data', value: { kind: 'int', value: 1n } }] }], metadata: null }
    expect(errorOf(() => binaryStore.emit(f)).message).toMatch(/not hold a string/)
  })

  it('emitValue: strings and bytes raw, a map as the raw file, others refused', () => {
    expect(binaryStore.emitValue({ kind: 'bytes', value: bytes })).toEqual(bytes)
    expect(dec.decode(binaryStore.emitValue({ kind: 'str', value: 'x' }))).toBe('x')
    expect(errorOf(() => binaryStore.emitValue({ kind: 'int', value: 1n })).code).toBe('usage')
  })
})

// The store index lives here too (no separate test file for it).
describe('stores index', () => {
  it.each([
    ['a.yaml', 'yaml'],
    ['dir.json/a.yml', 'yaml'],
    ['secrets.enc.json', 'json'],
    ['x.ini', 'ini'],
    ['.env', 'dotenv'],
    ['prod.env', 'dotenv'],
    ['conf/.env.production', 'dotenv'],
    ['.env.local', 'dotenv'],
    ['.env.local.json', 'json'],
    ['C:\\x\\.env.test', 'dotenv'],
    ['.envrc', 'binary'],
    ['a.env.txt', 'binary'],
    ['X.JSON', 'binary'],
    ['key.pem', 'binary'],
    ['noext', 'binary'],
  ])('formatFromPath(%j) = %s', (path, format) => {
    expect(formatFromPath(path)).toBe(format)
  })

  it('parseFormat accepts the five names and env; rejects others as usage errors', () => {
    for (const f of ['yaml', 'json', 'dotenv', 'ini', 'binary']) expect(parseFormat(f)).toBe(f)
    expect(parseFormat('env')).toBe('dotenv')
    expect(parseFormat('JSON')).toBe('json')
    const err = errorOf(() => parseFormat('toml'))
    expect(err.code).toBe('usage')
    expect(err.hint).toMatch(/yaml, json/)
  })

  it('storeFor loads the store of each format', async () => {
    for (const f of ['json', 'dotenv', 'ini', 'binary'] as const) expect((await storeFor(f)).format).toBe(f)
  })

  it('storeFor loads the YAML store', async () => {
    expect((await storeFor('yaml')).format).toBe('yaml')
  })
})
