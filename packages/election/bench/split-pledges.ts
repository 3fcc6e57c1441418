/**
 * Resign failover when the nodes' views differ on one member X: its heartbeats reach only half the others (at 20 tabs,
 * an attacker whose messages gossipsub stopped taking at some tabs), so X is alive in some views and not in the rest.
 * Where the term after the leader's prefers X, the nodes that see X pledge that term to it and the others to the member
 * it prefers next: the pledges split, neither side holds a quorum, and the resign elects nobody at once (the swarm's
 * d5, docs/benchmarks.md, thirty-fourth session: 9 pledges to 9, the new leader 5.1 s after the close).
 *
 * For each seed: 20 nodes, deliveries 200-1,000 ms (busy tabs), 2 % loss; X seen by all for 1 s, then by half; elect,
 * run 5 s (the followers pledge), then
 * the leader resigns. Measured: simulated time until every other node recognises the same new leader, and the terms
 * that took; in two rows, the seeds where the successor term prefers X (the pledges split) and the others. A seed whose
 * leader is X is left out.
 *
 *   node --import tsx packages/election/bench/split-pledges.ts [runs=400]
 */
import { cpus } from 'node:os'
import { preferred } from '../src/index.ts'
import { Cluster } from '../test/sim/cluster.ts'
import { percentile } from '../test/sim/stats.ts'

const runs = Number(process.argv.find(a => /^\d+$/.test(a)) ?? 400)
const s = (ms: number): string => (ms / 1000).toFixed(2)
const rows = { split: { took: [] as number[], terms: [] as number[], failures: 0 }, agreed: { took: [] as number[], terms: [] as number[], failures: 0 } }
let xLed = 0

for (let seed = 1; seed <= runs; seed++) {
  const c = new Cluster({ size: 20, seed, link: { loss: 0.02, delayMs: [200, 1_000], duplicate: 0 }, election: { leaseMs: 1_500 } })
  const x = c.ids[1]!
  const blind = new Set(c.ids.filter((id, i) => i % 2 === 0 && id !== x))
  // everyone sees X at first (so every electorate counts it, for memberTtlMs after it leaves a view), then half stop
  let hidden = false
  c.network.drop = (from, to, wire) => hidden && from === x && wire.kind === 'heartbeat' && blind.has(to)
  c.runFor(1_000)
  hidden = true
  if (c.runUntilAgreement(60_000) === undefined) continue
  c.runFor(5_000)
  c.runUntilAgreement(30_000)
  const before = c.agreement()
  if (before === undefined) continue
  if (before.leader === x) { xLed++; continue }
  const row = preferred(before.term + 1, c.ids.filter(id => id !== before.leader)) === x ? rows.split : rows.agreed
  c.close(before.leader)
  const ms = c.runUntilAgreement(30_000, a => a.term > before.term)
  const after = c.agreement()
  if (ms === undefined || after === undefined) { row.failures++; continue }
  row.took.push(ms)
  row.terms.push(after.term - before.term)
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${runs} seeds, 20 nodes, deliveries 200-1000 ms, 2 % loss; X (node 1) seen by all for 1 s, then by the 9 other odd-numbered nodes only (${xLed} seeds where X led left out)\n`)
console.log('| the successor term prefers | seeds | failover median (s) | p95 (s) | max (s) | terms, median / max | no agreement in 30 s |')
console.log('|---|---:|---:|---:|---:|---:|---:|')
for (const [name, r] of [['X (the pledges split)', rows.split], ['another member', rows.agreed]] as const) {
  if (r.took.length === 0) { console.log(`| ${name} | 0 | - | - | - | - | ${r.failures} |`); continue }
  console.log(`| ${name} | ${r.took.length + r.failures} | ${s(percentile(r.took, 50))} | ${s(percentile(r.took, 95))} | ${s(Math.max(...r.took))} | ${percentile(r.terms, 50)} / ${Math.max(...r.terms)} | ${r.failures} |`)
}
