import { describe, expect, it } from 'vitest'
import { SuspicionLedger } from '../src/index.ts'

describe('SuspicionLedger', () => {
  it('a peer excluded by the rule in every round converges below the threshold (500 rounds)', () => {
    const s = new SuspicionLedger()
    let max = 0
    for (let r = 0; r < 500; r++) {
      expect(s.evidence('honest', 'excluded')).toBeUndefined()
      max = Math.max(max, s.score('honest'))
      s.advanceRound()
    }
    // the geometric series w / (1 - 2^(-1/10)) = 0.05 / 0.0670 = 0.746, approached from below
    expect(s.excludedCeiling).toBeCloseTo(0.05 / (1 - 2 ** -0.1), 12)
    expect(max).toBeLessThan(s.excludedCeiling + 1e-12)
    expect(max).toBeGreaterThan(0.74)
    expect(s.isQuarantined('honest')).toBe(false)
  })

  it('refuses weights with which exclusion alone would quarantine', () => {
    expect(() => new SuspicionLedger({ weights: { excluded: 0.07 } })).toThrow(/excluded every round would reach 1\.04/)
    expect(() => new SuspicionLedger({ halfLifeRounds: 100 })).toThrow(/shorter half-life/)
    expect(() => new SuspicionLedger({ threshold: 0 })).toThrow(/threshold/)
  })

  it('strong evidence quarantines; the score decays and the peer is released below releaseBelow', () => {
    const s = new SuspicionLedger()
    expect(s.evidence('m', 'invalid-update', 'norm-bound')).toBeUndefined()
    expect(s.score('m')).toBe(0.5)
    const q = s.evidence('m', 'invalid-update', 'non-finite')
    expect(q).toMatchObject({ type: 'quarantined', peer: 'm', score: 1, reasons: { 'invalid-update': 2 } })
    expect(s.isQuarantined('m')).toBe(true)
    // 1 -> below 0.5 takes just over one half-life (10 rounds): released in round 11, not before
    for (let r = 1; r <= 10; r++) expect(s.advanceRound()).toEqual([])
    expect(s.isQuarantined('m')).toBe(true)
    expect(s.advanceRound()).toMatchObject([{ type: 'released', peer: 'm' }])
    expect(s.score('m')).toBeCloseTo(2 ** -1.1, 12)
    expect(s.snapshot()[0]).toMatchObject({ peer: 'm', quarantined: false, reasons: { 'invalid-update': 2 }, lastDetail: 'invalid-update: non-finite' })
  })

  it('a failed verification quarantines the coordinator at once; an unverifiable model needs a second one', () => {
    const s = new SuspicionLedger()
    expect(s.evidence('c1', 'failed-verification')).toMatchObject({ type: 'quarantined' })
    expect(s.evidence('c2', 'unverifiable-model')).toBeUndefined()
    expect(s.evidence('c2', 'unverifiable-model')).toMatchObject({ type: 'quarantined' })
    expect(s.quarantined()).toEqual(['c1', 'c2'])
  })
})
