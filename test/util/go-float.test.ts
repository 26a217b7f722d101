import { describe, expect, it } from 'vitest'
import { formatGoFloat, formatGoJsonFloat } from '../../src/util/go-float.js'

// Expected values are Go's own output: fmt.Println(strconv.FormatFloat(x, verb, -1, 64)).
describe('formatGoFloat (strconv.FormatFloat, precision -1)', () => {
  it.each<[number, string, string, string]>([
    [0, '0', '0', '0'],
    [-0, '-0', '-0', '-0'],
    [1, '1', '1', '1'],
    [1.5, '1.5', '1.5', '1.5'],
    [-2.25, '-2.25', '-2.25', '-2.25'],
    [1234.56789, '1234.56789', '1234.56789', '1234.56789'],
    [100000, '100000', '100000', '100000'],
    [1000000, '1000000', '1e+06', '1E+06'],
    [1.5e21, '1500000000000000000000', '1.5e+21', '1.5E+21'],
    [0.0001, '0.0001', '0.0001', '0.0001'],
    [0.00001, '0.00001', '1e-05', '1E-05'],
    [1.2345e-7, '0.00000012345', '1.2345e-07', '1.2345E-07'],
    [1e100, '1' + '0'.repeat(100), '1e+100', '1E+100'],
    [0.1 + 0.2, '0.30000000000000004', '0.30000000000000004', '0.30000000000000004'],
    [5e-324, '0.' + '0'.repeat(323) + '5', '5e-324', '5E-324'],
    [NaN, 'NaN', 'NaN', 'NaN'],
    [Infinity, '+Inf', '+Inf', '+Inf'],
    [-Infinity, '-Inf', '-Inf', '-Inf'],
  ])('%d -> f %s, g %s, G %s', (x, f, g, G) => {
    expect(formatGoFloat(x, 'f')).toBe(f)
    expect(formatGoFloat(x, 'g')).toBe(g)
    expect(formatGoFloat(x, 'G')).toBe(G)
  })

  it('encoding/json keeps the sign of -0 and otherwise writes JS shortest form', () => {
    expect(formatGoJsonFloat(-0)).toBe('-0')
    expect(formatGoJsonFloat(1.5)).toBe('1.5')
    expect(formatGoJsonFloat(1e21)).toBe('1e+21')
  })
})
