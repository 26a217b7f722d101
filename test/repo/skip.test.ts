// A test that needs a missing tool is never a silent pass: requireTool/needTool fail under CI=true
// and, on a laptop, mark the test skipped with the reason.
import { TestRunner, afterAll, describe, expect, it, vi } from 'vitest'
import { needTool, requireTool } from '../support/skip.js'

const missing = { ok: false, reason: '`frobnicate` not found on PATH' }

function withCI<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env.CI
  if (value === undefined) delete process.env.CI
  else process.env.CI = value
  try {
    return fn()
  } finally {
    if (saved === undefined) delete process.env.CI
    else process.env.CI = saved
  }
}

describe('requireTool', () => {
  it('an available tool: true', () => expect(requireTool({ ok: true }, 'frobnicate')).toBe(true))
  it('under CI=true a missing tool throws, naming it and the reason', () => {
    expect(() => withCI('true', () => requireTool(missing, 'frobnicate'))).toThrow('frobnicate is required under CI (CI=true) but unavailable: `frobnicate` not found on PATH')
  })
  it('on a laptop a missing tool prints the skip reason and returns false', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      expect(withCI(undefined, () => requireTool(missing, 'frobnicate'))).toBe(false)
      expect(warn).toHaveBeenCalledWith('skipped: frobnicate: `frobnicate` not found on PATH')
    } finally {
      warn.mockRestore()
    }
  })
})

describe('needTool', () => {
  const suite = TestRunner.getCurrentSuite()
  let reachedAfter = false

  it('an available tool: the test goes on', () => {
    needTool({ ok: true }, 'frobnicate')
    expect(true).toBe(true)
  })

  it('under CI=true a missing tool fails the test', () => {
    expect(() => withCI('true', () => needTool(missing, 'frobnicate'))).toThrow(/required under CI/)
  })

  it('on a laptop a missing tool stops the test here and marks it skipped', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      withCI(undefined, () => needTool(missing, 'frobnicate'))
      reachedAfter = true
    } finally {
      warn.mockRestore()
    }
  })

  afterAll(() => {
    expect(reachedAfter).toBe(false)
    const task = suite.tasks.find((t) => t.name.startsWith('on a laptop') && 'result' in t)
    if (task === undefined || !('result' in task)) throw new Error('the laptop test is missing')
    expect(task.result?.state).toBe('skip')
  })
})
