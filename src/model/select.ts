// Which leaves and comments are encrypted: the six sops selection rules over the key path and
// the comment stack (spec 4.2, 4.3). One function, no format knowledge.
import { compileRegex, regexError } from './regex.js'
import type { SelectionRule } from './metadata.js'

/** Frames of comment texts, one per map/list being walked (root first). */
export type CommentStack = string[][]

export type Selector = (path: readonly string[], stack: CommentStack, isComment: boolean) => boolean

/** Why a regex rule can never match (invalid RE2, or look-around JS has but sops lacks); undefined when fine. */
export function ruleProblem(rule: SelectionRule): string | undefined {
  if (!rule.kind.endsWith('_regex')) return undefined
  const err = regexError(rule.value)
  return err === undefined ? undefined : `${rule.kind} "${rule.value.slice(0, 60)}" is not a valid RE2 expression (${err}), so it matches nothing`
}

export function makeSelector(rule: SelectionRule): Selector {
  const v = rule.value
  switch (rule.kind) {
    case 'unencrypted_suffix':
      return (path) => !path.some((k) => k.endsWith(v))
    case 'encrypted_suffix':
      return (path) => path.some((k) => k.endsWith(v))
    case 'unencrypted_regex': {
      const re = compileRegex(v)
      return (path) => re === null || !path.some((k) => test(re, k))
    }
    case 'encrypted_regex': {
      const re = compileRegex(v)
      return (path) => re !== null && path.some((k) => test(re, k))
    }
    case 'unencrypted_comment_regex': {
      const re = compileRegex(v)
      return (_path, stack) => re === null || !stack.some((frame) => frame.some((c) => test(re, c)))
    }
    case 'encrypted_comment_regex': {
      const re = compileRegex(v)
      return (_path, stack, isComment) => {
        if (re === null) return false
        for (let f = 0; f < stack.length; f++) {
          const frame = stack[f] as string[]
          // the comment being decided is the last one of the innermost frame: it never selects itself
          const end = isComment && f === stack.length - 1 ? frame.length - 1 : frame.length
          for (let i = 0; i < end; i++) if (test(re, frame[i] as string)) return true
        }
        return false
      }
    }
  }
}

function test(re: RegExp, s: string): boolean {
  re.lastIndex = 0
  return re.test(s)
}
