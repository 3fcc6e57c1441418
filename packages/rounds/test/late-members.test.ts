import { describe, expect, it } from 'vitest'
import { LateMembers } from '../src/coordinator/late-members.ts'

const set = (...xs: string[]): Set<string> => new Set(xs)

describe('LateMembers', () => {
  it('a member is late after missing the given number of rounds in a row; one round with its update in starts it over', () => {
    const late = new LateMembers(2)
    late.record(1, set('a', 'b', 'c'), set('a', 'b'))
    expect(late.isLate('c')).toBe(false)
    late.record(2, set('a', 'b', 'c'), set('a', 'b'))
    expect(late.isLate('c')).toBe(true)
    expect(late.isLate('a')).toBe(false)
    late.record(3, set('a', 'b', 'c'), set('a', 'c'))
    expect(late.isLate('c')).toBe(false)
    expect(late.snapshot()).toEqual({ b: 1 })
  })

  it('only rounds a member was expected in count, and a member that left starts over when it returns', () => {
    const late = new LateMembers(2)
    late.record(1, set('a', 'c'), set('a'))
    late.record(2, set('a'), set('a')) // c left (not expected): forgotten
    late.record(3, set('a', 'c'), set('a'))
    expect(late.isLate('c')).toBe(false)
    expect(late.isLate('unknown')).toBe(false)
  })

  it('a round counts once: a model replacing one of the same round is not a second miss', () => {
    const late = new LateMembers(2)
    late.record(1, set('a', 'c'), set('a'))
    late.record(1, set('a', 'c'), set('a'))
    expect(late.isLate('c')).toBe(false)
    late.record(2, set('a', 'c'), set('a'))
    expect(late.isLate('c')).toBe(true)
  })

  it('0 turns it off', () => {
    const late = new LateMembers(0)
    for (let i = 0; i < 5; i++) late.record(i + 1, set('a', 'c'), set('a'))
    expect(late.isLate('c')).toBe(false)
  })
})
