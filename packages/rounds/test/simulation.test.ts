import { describe, expect, it } from 'vitest'
import { cleanRun } from './sim/clean-run.ts'

// 100 full RoundSessions exchanging real update chunks (validated once, see SimOptions.shared), each verifying every
// model. 500 rounds take minutes on a 2-core machine, so the test runs enough rounds for suspicion scores to reach
// their steady state (5 half-lives) and the 500-round figure comes from `pnpm --filter @fedmesh/rounds bench`.
describe('100-node simulation', () => {
  it('Krum, clean, 50 rounds: every round completes, no model rejected, no honest peer quarantined', { timeout: 600_000 }, () => {
    const r = cleanRun({ nodes: 100, rounds: 50, d: 64, rule: 'krum', f: 0 })
    expect(r.roundsCompleted).toBe(50)
    expect(r.rejectedModels).toBe(0)
    expect(r.honestQuarantined).toEqual([])
    // honest peers are left out by Krum almost every round: their scores sit near, and below, the ceiling
    const ledger = r.sim.sessions[1]?.suspicion
    expect(r.maxHonestScore).toBeGreaterThan(0.5)
    expect(r.maxHonestScore).toBeLessThan(ledger?.excludedCeiling as number)
    expect(new Set(r.sim.sessions.map(s => s.model.digest)).size).toBe(1)
  })

  it('Multi-Krum f=20 with 20 % sign-flip attackers, 25 rounds: attackers are excluded every round, honest peers never quarantined', { timeout: 600_000 }, () => {
    const r = cleanRun({ nodes: 100, rounds: 25, d: 64, rule: 'multi-krum', f: 20, attackers: 20 })
    expect(r.roundsCompleted).toBe(25)
    expect(r.rejectedModels).toBe(0)
    expect(r.attackerSelections).toBe(0)
    expect(r.honestSelections).toBe(25 * 80)
    expect(r.honestQuarantined).toEqual([])
    // every honest node saw every attacker excluded in every round
    const s = r.sim.sessions[1]
    for (const a of r.attackers) expect(s?.suspicion.score(a)).toBeGreaterThan(r.maxHonestScore)
  })
})
