/**
 * 100 fedmesh nodes in this process over the memory transport train one session with Krum (f = 3): every update is
 * gossiped to all 100, every node recomputes and verifies every global model, and all end on one model version.
 * A small synthetic model (64 weights) keeps 100 learners in one process cheap; the network, election, rounds and
 * verification are the real ones. Heartbeats every 10 s as in the 100-node election test (defaultHeartbeatMs(100), docs/benchmarks.md).
 */
import { describe, expect, it } from 'vitest'
import { defaultHeartbeatMs, shareSignatureChecks, sleep } from '@fedmesh/sim'
import { trainingSim } from './support/training-sim.ts'

describe('100 nodes train one session', () => {
  it('every node holds the same verified model after 2 Krum rounds, no honest node quarantined', async () => {
    await shareSignatureChecks()
    const t = await trainingSim({
      learner: 'synthetic',
      heartbeatMs: defaultHeartbeatMs(100),
      graceMs: 10_000,
      config: { rule: 'krum', f: 3, minParticipants: 40, rounds: 2, roundDeadlineMs: 60_000, learnEveryMs: 1_000 }
    })
    try {
      for (let i = 0; i < 10; i++) {
        await t.add(10)
        await sleep(250)
      }
      const nodes = t.sim.live()
      const progress = setInterval(() => {
        const s = t.statuses(nodes)
        const count = (f: (x: typeof s[number]) => unknown): string => JSON.stringify(Object.entries(s.reduce<Record<string, number>>((m, x) => { const k = String(f(x)); m[k] = (m[k] ?? 0) + 1; return m }, {})))
        const e = nodes.map(n => n.election.status())
        const alive = e.map(x => x.alive).sort((a, b) => a - b)
        console.log(`versions ${count(x => x.version)} terms ${count(x => x.term)} rounds ${count(x => x.round)} leaders agreed ${t.sim.agreedLeader()?.term ?? '-'} | election roles ${JSON.stringify(e.reduce<Record<string, number>>((m, x) => { m[x.role] = (m[x.role] ?? 0) + 1; return m }, {}))} alive min ${alive[0]} median ${alive[50]} coverage ${t.sim.coverage().toFixed(3)}`)
      }, 15_000)
      try {
        await t.allAt(2, nodes, 600_000)
      } finally {
        clearInterval(progress)
      }
      const statuses = t.statuses(nodes)
      for (const s of statuses) {
        expect(s.version).toBe(2)
        expect(s.models.rejected).toBe(0)
        expect(s.quarantined).toEqual([])
      }
      const last = statuses.map(s => s.lastRound)
      expect(statuses.filter(s => s.lastRound?.verified === true).length).toBeGreaterThanOrEqual(99)
      expect(Math.min(...last.map(l => l?.included.length ?? 0))).toBeGreaterThanOrEqual(40)
      const totals = last.map(l => l?.overheadMs.total).filter((x): x is number => x !== undefined).sort((a, b) => a - b)
      console.log(`100 nodes, round 2: ${last[0]?.included.length} updates aggregated; last update -> verified, ms: p50 ${totals[Math.floor(totals.length / 2)]}, max ${totals.at(-1)}`)
    } finally {
      await t.stop()
    }
  }, 900_000)
})
