import { describe, expect, it } from 'vitest'
import {
  AggregationError, AggregationInputError, AggregationPreconditionError, RULE_NAMES,
  aggregate, checkPreconditions, maxTolerableByzantine
} from '../src/index.ts'
import type { AggregatorSpec, RuleName } from '../src/index.ts'
import { updates } from './helpers.ts'

function preconditionMessage (n: number, spec: AggregatorSpec): string {
  try {
    checkPreconditions(n, spec)
  } catch (error) {
    expect(error).toBeInstanceOf(AggregationPreconditionError)
    expect(error).toBeInstanceOf(AggregationError)
    return (error as Error).message
  }
  throw new Error(`expected checkPreconditions(${n}, ${JSON.stringify(spec)}) to throw`)
}

describe('checkPreconditions', () => {
  it('states what Krum needs', () => {
    expect(preconditionMessage(5, { rule: 'krum', f: 2 })).toBe('krum needs n > 2f+2: got n=5, f=2; need at least 7 updates or f <= 1')
    expect(preconditionMessage(2, { rule: 'krum' })).toBe('krum needs n > 2f+2: got n=2, f=0; need at least 3 updates')
    expect(preconditionMessage(6, { rule: 'multi-krum', f: 2 })).toBe('multi-krum needs n > 2f+2: got n=6, f=2; need at least 7 updates or f <= 1')
  })

  it('states what Bulyan needs', () => {
    expect(preconditionMessage(10, { rule: 'bulyan', f: 2 })).toBe('bulyan needs n >= 4f+3: got n=10, f=2; need at least 11 updates or f <= 1')
  })

  it('puts the Krum and Bulyan thresholds exactly at n = 2f+3 and n = 4f+3', () => {
    for (let f = 0; f <= 6; f++) {
      expect(() => checkPreconditions(2 * f + 3, { rule: 'krum', f })).not.toThrow()
      expect(() => checkPreconditions(2 * f + 2, { rule: 'krum', f })).toThrow(AggregationPreconditionError)
      expect(() => checkPreconditions(4 * f + 3, { rule: 'bulyan', f })).not.toThrow()
      expect(() => checkPreconditions(4 * f + 2, { rule: 'bulyan', f })).toThrow(AggregationPreconditionError)
      expect(() => checkPreconditions(2 * f + 1, { rule: 'median', f })).not.toThrow()
      expect(() => checkPreconditions(2 * f, { rule: 'median', f })).toThrow(AggregationPreconditionError)
    }
  })

  it('agrees with maxTolerableByzantine for every rule', () => {
    const specFor = (rule: RuleName, f: number): AggregatorSpec => rule === 'centered-clipping' ? { rule, f, clipRadius: 1 } : { rule, f }
    for (const rule of RULE_NAMES) {
      for (let n = 1; n <= 25; n++) {
        const max = maxTolerableByzantine(rule, n)
        if (max >= 0) expect(() => checkPreconditions(n, specFor(rule, max))).not.toThrow()
        // fedavg ignores f (it tolerates none but f may still drive nearest-neighbour mixing).
        if (rule !== 'fedavg') expect(() => checkPreconditions(n, specFor(rule, max + 1))).toThrow(AggregationPreconditionError)
      }
    }
  })

  it('checks f, n, the rule name and rule parameters', () => {
    expect(preconditionMessage(5, { rule: 'median', f: 1.5 })).toBe('f (the number of Byzantine updates to tolerate) must be an integer >= 0: got 1.5')
    expect(preconditionMessage(5, { rule: 'median', f: -1 })).toMatch(/must be an integer >= 0: got -1/)
    expect(preconditionMessage(0, { rule: 'median' })).toBe('median needs at least one update: got n=0')
    expect(preconditionMessage(5, { rule: 'mean' as RuleName })).toMatch(/^unknown aggregation rule "mean"; expected one of fedavg, krum,/)
    expect(preconditionMessage(10, { rule: 'multi-krum', f: 2, m: 9 })).toBe(
      'multi-krum needs an integer m with 1 <= m <= n-f (averaging more than n-f would admit Byzantine updates): got m=9 with n=10, f=2; use m <= 8')
    expect(preconditionMessage(10, { rule: 'multi-krum', f: 2, m: 0 })).toMatch(/got m=0/)
    expect(preconditionMessage(10, { rule: 'trimmed-mean', f: 2, trim: 1 })).toBe(
      'trimmed-mean needs trim >= f so every Byzantine value can be discarded: got trim=1, f=2; use trim >= 2 or omit it')
    expect(preconditionMessage(4, { rule: 'trimmed-mean', trim: 2 })).toBe('trimmed-mean needs n > 2*trim: got n=4, trim=2; need at least 5 updates or trim <= 1')
    expect(preconditionMessage(5, { rule: 'centered-clipping' })).toBe('centered-clipping needs clipRadius, a finite number > 0: got undefined')
    expect(preconditionMessage(5, { rule: 'centered-clipping', clipRadius: -1 })).toMatch(/clipRadius, a finite number > 0: got -1/)
    expect(preconditionMessage(5, { rule: 'centered-clipping', clipRadius: 1, clipIterations: 0 })).toBe(
      'centered-clipping needs clipIterations, an integer >= 1: got 0')
    expect(preconditionMessage(4, { rule: 'fedavg', f: 2, nnm: true })).toBe(
      'nearest-neighbour mixing needs n > 2f: got n=4, f=2; need at least 5 updates or f <= 1')
  })

  it('accepts defaults: multi-krum m = n-f, trim = f, clipIterations = 1', () => {
    expect(() => checkPreconditions(10, { rule: 'multi-krum', f: 2 })).not.toThrow()
    expect(() => checkPreconditions(5, { rule: 'trimmed-mean', f: 2 })).not.toThrow()
    expect(() => checkPreconditions(3, { rule: 'centered-clipping', clipRadius: 0.5 })).not.toThrow()
  })
})

describe('input validation', () => {
  function inputError (run: () => unknown): AggregationInputError {
    try {
      run()
    } catch (error) {
      expect(error).toBeInstanceOf(AggregationInputError)
      return error as AggregationInputError
    }
    throw new Error('expected an AggregationInputError')
  }

  it('rejects an empty round through aggregate', () => {
    expect(() => aggregate([], { rule: 'fedavg' })).toThrow('fedavg needs at least one update: got n=0')
  })

  it('names the update whose length differs', () => {
    const round = updates([[1, 2, 3], [1, 2, 3], [1, 2]])
    const error = inputError(() => aggregate(round, { rule: 'median' }))
    expect(error.message).toBe('update "u02" has 2 values but update "u00" has 3; all deltas must have the same length')
    expect(error.updateId).toBe('u02')
  })

  it('names the update and index of a non-finite value', () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const round = updates([[1, 2, 3], [1, bad, 3], [1, 2, 3]])
      const error = inputError(() => aggregate(round, { rule: 'krum' }))
      expect(error.message).toBe(`update "u01" has a non-finite value (${bad}) at index 1; deltas must be finite`)
      expect(error.updateId).toBe('u01')
    }
  })

  it('rejects duplicate ids', () => {
    const round = updates([[1], [2], [3]])
    round[2]!.id = 'u00'
    expect(inputError(() => aggregate(round, { rule: 'median' })).message).toBe('update id "u00" appears more than once; ids must be unique within a round')
  })

  it('checks sample counts for fedavg only', () => {
    expect(inputError(() => aggregate(updates([[1], [2]], [1, -1]), { rule: 'fedavg' })).message).toBe(
      'update "u01" has samples=-1; fedavg needs a finite sample count >= 0')
    expect(inputError(() => aggregate(updates([[1], [2]], [Number.NaN, 1]), { rule: 'fedavg' })).updateId).toBe('u00')
    expect(inputError(() => aggregate(updates([[1], [2]], [0, 0]), { rule: 'fedavg' })).message).toBe(
      'fedavg needs a positive total sample count: every update reported samples=0')
    // Robust rules ignore self-reported sample counts, so a bogus one cannot block them.
    expect(() => aggregate(updates([[1], [2], [3]], [-1, Number.NaN, 1]), { rule: 'median' })).not.toThrow()
  })

  it('checks the previous aggregate given to centered clipping', () => {
    const round = updates([[1, 2], [1, 2], [1, 2]])
    expect(inputError(() => aggregate(round, { rule: 'centered-clipping', clipRadius: 1 }, { previous: new Float32Array(3) })).message).toBe(
      'the previous aggregate must be a Float32Array of 2 values like the deltas: got 3')
    expect(inputError(() => aggregate(round, { rule: 'centered-clipping', clipRadius: 1 }, { previous: Float32Array.of(0, Number.NaN) })).message).toBe(
      'the previous aggregate has a non-finite value (NaN) at index 1')
  })
})
