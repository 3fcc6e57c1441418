/**
 * Crash failovers with a Byzantine member in the way: the setting of test/byzantine.test.ts (7 nodes, one hijacker
 * that claims every next term, forges certificates and never leads; 15 % loss, 5 % duplicates, deliveries 10-200 ms),
 * over many seeds. Each run crashes three leaders in a row (letting each crashed one age out of the electorate first,
 * so that the honest survivors always hold a quorum) and measures simulated time from each crash until every honest
 * node recognises the same new leader; a run that goes 15 s without one counts as failed and stops there.
 *
 *   node --import tsx packages/election/bench/hijacked-crashes.ts [runs=100]
 *
 * Written to check that a rule which makes members wait longer for a pledged successor does not let a Byzantine
 * successor stall them (docs/election.md, "Slow links when the leader crashes: offered pre-votes").
 */
import { cpus } from 'node:os'
import { Cluster, nodeIds } from '../test/sim/cluster.ts'
import { hijacker } from '../test/sim/byzantine.ts'
import { percentile } from '../test/sim/stats.ts'

const runs = Number(process.argv.find(a => /^\d+$/.test(a)) ?? 100)
const link = { loss: 0.15, delayMs: [10, 200] as const, duplicate: 0.05 }
const s = (ms: number): string => (ms / 1000).toFixed(2)

let failed = 0
const took: number[] = []
for (let seed = 1; seed <= runs; seed++) {
  const ids = nodeIds(7, seed)
  const liar = ids[6] as string
  const c = new Cluster({ size: 7, seed, link, byzantine: { [liar]: hijacker() } })
  for (let round = 0; round < 3; round++) {
    // the crashed leaders still count in quorums for memberTtlMs: wait until every honest node has dropped them
    if (round > 0) c.runUntilCrashedForgotten(30_000)
    if (c.runUntilAgreement(15_000) === undefined) { failed++; break }
    const before = c.agreement() as { leader: string, term: number }
    c.runFor(2_000)
    c.crash(before.leader)
    const ms = c.runUntilAgreement(15_000, a => a.term > before.term)
    if (ms === undefined) { failed++; break }
    took.push(ms)
  }
}
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${runs} seeds, 7 nodes (one hijacker), 15 % loss, 10-200 ms`)
console.log(`runs with no leader for 15 s: ${failed} of ${runs}; crash failovers measured: ${took.length}, median ${s(percentile(took, 50))} s, p95 ${s(percentile(took, 95))} s, max ${s(Math.max(...took))} s`)
