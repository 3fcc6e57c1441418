/**
 * Resign failover when every message is slow: 20 tabs on 2 cores deliver gossip in most of a second, since each
 * main thread waits for a core. For each delivery delay (uniform in [min, max]) and election timeout, `runs` seeded
 * 20-node clusters elect, run 5 s (the view settles and the followers pledge: pledgeAfterStableMs), then the leader
 * resigns (a closing tab), or with --crash stops without a word (a tab whose resign never gets out: its followers wait
 * out the lease); measured: simulated time until every other node recognises the same new leader, and how many terms
 * that took.
 *
 *   node --import tsx packages/election/bench/slow-links.ts [runs=100] [--no-pledge] [--crash]
 *
 * Loss 2 % per delivery, no duplicates; the lease is max(1.5 s, 1.5 × the longest delay), so Leads that merely take
 * long do not lapse it. Prints a markdown table (docs/election.md, "Slow links").
 */
import { cpus } from 'node:os'
import { Cluster } from '../test/sim/cluster.ts'
import { percentile } from '../test/sim/stats.ts'

const runs = Number(process.argv.find(a => /^\d+$/.test(a)) ?? 100)
const pledge = !process.argv.includes('--no-pledge')
const crash = process.argv.includes('--crash')
const delays: Array<[number, number]> = [[10, 150], [100, 600], [200, 1_000], [300, 1_500], [500, 2_000]]
const timeouts: Array<[number, number]> = [[1_000, 1_500], [2_000, 3_000]]
const s = (ms: number): string => (ms / 1000).toFixed(2)

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${runs} seeds per row, 20 nodes, 2 % loss, succession pledges ${pledge ? 'on' : 'off'}, the leader ${crash ? 'crashes' : 'resigns'}\n`)
console.log('| delivery delay (ms) | election timeout (ms) | failover median (s) | p95 (s) | max (s) | terms, median / max | no agreement in 30 s |')
console.log('|---|---|---:|---:|---:|---:|---:|')
for (const delay of delays) {
  for (const timeout of timeouts) {
    const took: number[] = []
    const terms: number[] = []
    let failures = 0
    for (let seed = 1; seed <= runs; seed++) {
      const c = new Cluster({ size: 20, seed, link: { loss: 0.02, delayMs: delay, duplicate: 0 }, election: { electionTimeoutMs: timeout, leaseMs: Math.max(1_500, 1.5 * delay[1]), pledge } })
      if (c.runUntilAgreement(60_000) === undefined) { failures++; continue }
      c.runFor(5_000)
      c.runUntilAgreement(30_000)
      const before = c.agreement()
      if (before === undefined) { failures++; continue }
      if (crash) c.crash(before.leader)
      else c.close(before.leader)
      const ms = c.runUntilAgreement(30_000, a => a.term > before.term)
      const after = c.agreement()
      if (ms === undefined || after === undefined) { failures++; continue }
      took.push(ms)
      terms.push(after.term - before.term)
    }
    console.log(`| ${delay[0]}–${delay[1]} | ${timeout[0]}–${timeout[1]} | ${s(percentile(took, 50))} | ${s(percentile(took, 95))} | ${s(Math.max(...took))} | ${percentile(terms, 50)} / ${Math.max(...terms)} | ${failures} |`)
  }
}
