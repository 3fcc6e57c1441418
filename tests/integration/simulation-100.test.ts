/**
 * 100 fedmesh nodes in this process over the memory transport (packages/sim): the same node code as a tab. Every
 * node comes to hear every other, all agree on exactly one leader, and when the leader crashes (its links cut, no
 * resign) the rest agree on a new one in a higher term. Heartbeats every 10 s (defaultHeartbeatMs(100)): at 1 s, and
 * even at 5 s, 100 nodes' N² heartbeat and election traffic backs up one process on 2 cores; the election's timings are
 * stretched with the heartbeat (simulationElectionTimings: 10 s lease), and convergence is: every node heard every other, and >= 99 % of pairs alive at once
 * (docs/benchmarks.md, "Node simulation").
 */
import { describe, expect, it } from 'vitest'
import { defaultHeartbeatMs, runScenario, simulationElectionTimings } from '../../packages/sim/src/index.ts'

describe('100 nodes in one process', () => {
  it('converge on heartbeat coverage, elect exactly one leader, and replace a crashed leader in a higher term', async () => {
    const heartbeatMs = defaultHeartbeatMs(100)
    const report = await runScenario({ nodes: 100, heartbeatMs, election: simulationElectionTimings(heartbeatMs), minCoverage: 0.99, killLeader: 1, killMode: 'crash', durationS: 2, timeoutS: 240 })
    expect(report.errors).toEqual([])
    expect(report.coverageMs).toBeDefined()
    expect(report.firstLeader).toBeDefined()
    expect(report.sameTermLeaders).toBe(0)
    const failover = report.failovers[0]
    expect(failover?.failoverMs).toBeDefined()
    expect(failover?.newLeader).not.toBe(failover?.killed)
    expect(failover?.newTerm).toBeGreaterThan(failover?.oldTerm ?? Infinity)
    expect(report.final.leaders).toBe(1)
    expect(report.final.agreed?.leader).toBe(failover?.newLeader)
    expect(report.rejected).toEqual({})
    expect(report.ok).toBe(true)
  }, 900_000)
})
