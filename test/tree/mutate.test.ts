// setAtPath / unsetAtPath / nodesEqual on hand-built trees (YAML-parsed where comments matter):
// placement of new keys, creation of containers, list quirks, errors naming the path, "changed".
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { SecretsError } from '../../src/errors.js'
import { storeFor } from '../../src/stores/index.js'
import { treeToJs } from '../../src/tree/convert.js'
import { nodesEqual, setAtPath, unsetAtPath } from '../../src/tree/mutate.js'
import { getAtPath, parseTreePath } from '../../src/tree/path.js'
import type { MapNode, Node } from '../../src/tree/types.js'

const yamlStore = await storeFor('yaml')
const yaml = (text: string): MapNode => yamlStore.parse(Buffer.from(text), 'plain').branches[0] as MapNode
const emit = (root: MapNode): string => Buffer.from(yamlStore.emit({ branches: [root], metadata: null })).toString()
const s = (value: string): Node => ({ kind: 'str', value })
const int = (v: number): Node => ({ kind: 'int', value: BigInt(v) })

function thrown(fn: () => unknown): SecretsError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsError)
    return e as SecretsError
  }
  throw new Error('expected an error')
}

describe('setAtPath', () => {
  it('replaces an existing value where it stands', () => {
    const root = yaml('a: 1\nb: 2\nc: 3\n')
    expect(setAtPath(root, ['b'], s('two'))).toBe(true)
    expect(emit(root)).toBe('a: 1\nb: two\nc: 3\n')
  })

  it('appends a missing key at the end of its map, after trailing comments too', () => {
    const root = yaml('a: 1\ndb:\n    user: app\n# end\n')
    expect(setAtPath(root, parseTreePath('["db"]["password"]'), s('x'))).toBe(true)
    expect(setAtPath(root, parseTreePath('z'), s('last'))).toBe(true)
    expect(emit(root)).toBe('a: 1\ndb:\n    user: app\n    password: x\n# end\nz: last\n')
  })

  it('creates intermediate maps, and lists for index parts', () => {
    const root = yaml('a: 1\n')
    setAtPath(root, parseTreePath('db.primary.password'), s('p'))
    setAtPath(root, parseTreePath('["servers"][5]["name"]'), s('web'))
    expect(treeToJs(root)).toEqual({ a: 1, db: { primary: { password: 'p' } }, servers: [{ name: 'web' }] })
  })

  it('appends at an index >= the length (no padding) and replaces within', () => {
    const root = yaml('l: [a, b]\n')
    setAtPath(root, ['l', 7], s('c'))
    setAtPath(root, ['l', 0], s('A'))
    expect(treeToJs(root)).toEqual({ l: ['A', 'b', 'c'] })
  })

  it('counts comment items in list indexes, like getAtPath (and sops)', () => {
    const root = yaml('l:\n    # first\n    - a\n    - b\n')
    expect(treeToJs(getAtPath(root, ['l', 1]))).toBe('a')
    setAtPath(root, ['l', 1], s('A'))
    expect(treeToJs(root)).toEqual({ l: ['A', 'b'] })
    const e = thrown(() => setAtPath(root, ['l', 0], s('x')))
    expect(e.where).toBe('["l"][0]')
    expect(e.message).toMatch(/comment/)
    expect(emit(root)).toContain('# first')
  })

  it('replaces a scalar standing in the way', () => {
    const root = yaml('db: old\n')
    expect(setAtPath(root, ['db', 'password'], s('p'))).toBe(true)
    expect(treeToJs(root)).toEqual({ db: { password: 'p' } })
  })

  it('refuses an index on a map and a key on a list, naming the path', () => {
    const root = yaml('m: {a: 1}\nl: [1]\n')
    const e1 = thrown(() => setAtPath(root, ['m', 0], s('x')))
    expect(e1.where).toBe('["m"][0]')
    expect(e1.message).toBe('["m"] is a map, but the path gives it an index ([0])')
    const e2 = thrown(() => setAtPath(root, ['l', 'k'], s('x')))
    expect(e2.message).toBe('["l"] is a list, but the path gives it a key ("k")')
    expect(thrown(() => setAtPath(root, [0], s('x'))).message).toMatch(/^the top level is a map/)
    expect(thrown(() => setAtPath(root, [], s('x'))).code).toBe('usage')
  })

  it('reports no change for an equal value and keeps the old node (its source text) untouched', () => {
    const root = yaml('port: 0x1F\nname: app\n')
    const before = getAtPath(root, ['port'])
    expect(setAtPath(root, ['port'], int(31))).toBe(false)
    expect(getAtPath(root, ['port'])).toBe(before)
    expect(emit(root)).toBe('port: 0x1F\nname: app\n')
    expect(setAtPath(root, ['port'], s('31'))).toBe(true) // a string is not the int
    expect(setAtPath(root, ['name'], s('app'))).toBe(false)
  })

  it('set then get gives the value back, for any path of keys (property)', () => {
    const part = fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.nat({ max: 3 }))
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.array(part, { maxLength: 3 }), fc.string())), (ops) => {
        const root: MapNode = { kind: 'map', items: [] }
        for (const [head, rest, value] of ops) {
          const path = [head, ...rest]
          try {
            setAtPath(root, path, s(value))
          } catch (e) {
            expect(e).toBeInstanceOf(SecretsError) // a container of the other kind is in the way
            continue
          }
          // An index past the end appends, so read back the last element in that case.
          let cur: Node = root
          for (const p of path) {
            if (typeof p === 'number' && cur.kind === 'list') cur = (cur.items[p] ?? cur.items[cur.items.length - 1]) as Node
            else cur = getAtPath(cur, [p])
          }
          expect(cur).toEqual(s(value))
        }
      }),
    )
  })
})

describe('unsetAtPath', () => {
  it('removes a key, a nested key and a list element', () => {
    const root = yaml('a: 1\ndb:\n    user: u\n    password: p\nl: [x, y, z]\n')
    expect(unsetAtPath(root, ['a'])).toBe(true)
    expect(unsetAtPath(root, parseTreePath('db.password'))).toBe(true)
    expect(unsetAtPath(root, ['l', 1])).toBe(true)
    expect(treeToJs(root)).toEqual({ db: { user: 'u' }, l: ['x', 'z'] })
  })

  it('a missing key or index is an error naming the path, or false with missingOk', () => {
    const root = yaml('db:\n    user: u\nl: [x]\ns: text\n')
    const e = thrown(() => unsetAtPath(root, parseTreePath('db.password')))
    expect(e.message).toBe('key not found')
    expect(e.where).toBe('["db"]["password"]')
    expect(thrown(() => unsetAtPath(root, ['nope', 'deeper'])).where).toBe('["nope"]')
    expect(thrown(() => unsetAtPath(root, ['l', 3])).message).toBe('index out of bounds')
    expect(thrown(() => unsetAtPath(root, ['s', 'x'])).message).toMatch(/is a single value/)
    for (const p of [
      ['db', 'password'],
      ['nope', 'deeper'],
      ['l', 3],
      ['s', 'x'],
      ['l', 'k'],
    ] as const) {
      expect(unsetAtPath(root, p, { missingOk: true })).toBe(false)
    }
    expect(treeToJs(root)).toEqual({ db: { user: 'u' }, l: ['x'], s: 'text' })
  })

  it('keeps comments around the removed key', () => {
    const root = yaml('# about a\na: 1\nb: 2\n')
    unsetAtPath(root, ['a'])
    expect(emit(root)).toBe('# about a\nb: 2\n')
  })
})

describe('nodesEqual', () => {
  it('compares type and value, recursively, ignoring style and source text', () => {
    expect(nodesEqual(yaml('a: [1, "x", {b: true}]\n'), yaml('a:\n    - 1\n    - x\n    - b: true\n'))).toBe(true)
    expect(nodesEqual(yaml('a: 1\nb: 2\n'), yaml('b: 2\na: 1\n'))).toBe(false) // order matters
    expect(nodesEqual(yaml('a: 1\n'), yaml('a: "1"\n'))).toBe(false)
    expect(nodesEqual(yaml('a: 1.0\n'), yaml('a: 1\n'))).toBe(false)
    expect(nodesEqual({ kind: 'float', value: 0 }, { kind: 'float', value: -0 })).toBe(false)
    expect(nodesEqual({ kind: 'float', value: NaN }, { kind: 'float', value: NaN })).toBe(true)
    expect(nodesEqual({ kind: 'bytes', value: new Uint8Array([1, 2]) }, { kind: 'bytes', value: new Uint8Array([1, 2]) })).toBe(true)
    expect(nodesEqual(yaml('# c\na: 1\n'), yaml('a: 1\n'))).toBe(false)
    expect(nodesEqual({ kind: 'null' }, { kind: 'null', source: '~' })).toBe(true)
  })
})
