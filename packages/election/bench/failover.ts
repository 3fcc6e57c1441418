/**
 * Simulated failover times: for each configuration, `runs` seeded clusters elect a leader, run 2 s, then the leader
 * crashes (or resigns, as a closing tab does); we measure the simulated time until every surviving node recognises
 * the same new leader (term above the old one). Also the cold-start time, and the CPU cost of the state machine.
 *
 *   node --import tsx packages/election/bench/failover.ts [runs=200] [--quick]
 *
 * Prints markdown tables (copied into docs/election.md).
 */
import { cpus } from 'node:os'
import { Election } from '../src/index.ts'
import type { LeadMessage } from '../src/index.ts'
import { seededRandom } from '../src/sim/index.ts'
import { Cluster } from '../test/sim/cluster.ts'
import { percentile } from '../test/sim/stats.ts'

const runs = Number(process.argv.find(a => /^\d+$/.test(a)) ?? 200)
const quick = process.argv.includes('--quick')

interface Row {
  nodes: number
  loss: number
  mode: 'crash' | 'resign'
  start: number[]
  failover: number[]
  failures: number
}

function measure (nodes: number, loss: number, mode: 'crash' | 'resign'): Row {
  const row: Row = { nodes, loss, mode, start: [], failover: [], failures: 0 }
  for (let seed = 1; seed <= runs; seed++) {
    const c = new Cluster({ size: nodes, seed, link: { loss, delayMs: [10, 150], duplicate: 0.02 } })
    const start = c.runUntilAgreement(30_000)
    if (start === undefined) { row.failures++; continue }
    row.start.push(start)
    c.runFor(2_000)
    // Not c.agreement() at this instant: under heavy loss some follower's lease may be lapsed for a moment.
    c.runUntilAgreement(30_000)
    const before = c.agreement()
    if (before === undefined) { row.failures++; continue }
    if (mode === 'crash') c.crash(before.leader)
    else c.close(before.leader)
    const took = c.runUntilAgreement(30_000, a => a.term > before.term)
    if (took === undefined) row.failures++
    else row.failover.push(took)
  }
  return row
}

const s = (ms: number): string => (ms / 1000).toFixed(2)

function table (rows: Row[]): string {
  const lines = [
    '| nodes | loss | leader | runs | failover median (s) | p95 (s) | max (s) | cold start median / p95 (s) | no agreement in 30 s |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|'
  ]
  for (const r of rows) {
    lines.push(`| ${r.nodes} | ${Math.round(r.loss * 100)} % | ${r.mode === 'crash' ? 'crashes' : 'resigns'} | ${runs} | ${s(percentile(r.failover, 50))} | ${s(percentile(r.failover, 95))} | ${s(Math.max(...r.failover))} | ${s(percentile(r.start, 50))} / ${s(percentile(r.start, 95))} | ${r.failures} |`)
  }
  return lines.join('\n')
}

/**
 * The old leader is cut off with a minority: how long does it still believe it leads while the majority already
 * follows a new leader? (Fencing makes this harmless; docs/election.md, "What is not guaranteed".)
 */
function overlap (nodes: number, count: number): string {
  const windows: number[] = []
  for (let seed = 1; seed <= count; seed++) {
    const c = new Cluster({ size: nodes, seed, link: { loss: 0.1, delayMs: [10, 150], duplicate: 0.02 } })
    c.runUntilAgreement(30_000)
    c.runFor(2_000)
    c.runUntilAgreement(30_000)
    const old = c.agreement()
    if (old === undefined) continue
    // The leader and a minority (4 of 10) on one side, the majority (6) on the other.
    const others = c.ids.filter(id => id !== old.leader)
    const minoritySize = Math.ceil(nodes / 2) - 1
    const majority = others.slice(minoritySize - 1)
    c.partition([[old.leader, ...others.slice(0, minoritySize - 1)], majority])
    if (c.runUntilAgreement(30_000, a => a.term > old.term, () => majority) === undefined) continue
    const newAt = c.now
    c.scheduler.runUntilTrue(() => c.election(old.leader).role !== 'leader', c.now + 30_000)
    windows.push(c.now - newAt)
  }
  return `| ${nodes} | ${windows.length} | ${s(percentile(windows, 50))} | ${s(percentile(windows, 95))} | ${s(Math.max(...windows))} |`
}

/** CPU cost of the hot paths at 100 members: renewing the lease on a Lead, and a tick. */
function cpuCost (): string {
  const members = Array.from({ length: 100 }, (_, i) => `12D3KooWPeer${String(i).padStart(40, '0')}`)
  const clock = { t: 0, now () { return this.t } }
  const e = new Election({ self: members[1] as string, clock, random: seededRandom(1), warmupMs: 0 })
  e.onMembership(members)
  const leader = members[0] as string
  const certificate = members.slice(2, 52).map(from => ({ type: 'vote' as const, term: 1, from, candidate: leader, electorate: 100 }))
  e.onMessage({ type: 'lead', term: 1, from: leader, electorate: 100, certificate })
  if (e.leader !== leader) throw new Error('bench setup: the follower did not recognise the leader')
  // as a leader's Leads do: naming the successor it nominates, so the follower pledges as it would
  const lead: LeadMessage = { type: 'lead', term: 1, from: leader, electorate: 100, successor: members[5] as string }
  const time = (n: number, fn: () => void): number => {
    for (let i = 0; i < 1_000; i++) fn()
    const t0 = performance.now()
    for (let i = 0; i < n; i++) fn()
    return ((performance.now() - t0) * 1000) / n
  }
  const perLead = time(200_000, () => { clock.t += 1; e.onMessage(lead) })
  // Following: the clock stays within the lease. Electing: the lease has lapsed, so each tick ranks 100 members.
  const perTick = time(100_000, () => { clock.t += 0.001; e.tick() })
  clock.t += 10_000
  const perElectingTick = time(20_000, () => { clock.t += 0.001; e.tick() })
  const perCertificate = time(20_000, () => {
    const fresh = new Election({ self: members[1] as string, clock, random: seededRandom(1), warmupMs: 0 })
    fresh.onMessage({ type: 'lead', term: 1, from: leader, electorate: 100, certificate })
  })
  return [
    '| operation (100 members) | µs per call |',
    '|---|---:|',
    `| onMessage(lead) renewing the lease | ${perLead.toFixed(2)} |`,
    `| tick() following a leader | ${perTick.toFixed(2)} |`,
    `| tick() during an election (no leader) | ${perElectingTick.toFixed(2)} |`,
    `| new Election + verifying a 50-vote certificate | ${perCertificate.toFixed(1)} |`
  ].join('\n')
}

const configs: Array<[number, number, 'crash' | 'resign']> = quick
  ? [[5, 0.1, 'crash'], [20, 0.1, 'crash']]
  : [
      [5, 0, 'crash'], [5, 0.1, 'crash'], [5, 0.3, 'crash'],
      [20, 0, 'crash'], [20, 0.1, 'crash'], [20, 0.3, 'crash'],
      [100, 0, 'crash'], [100, 0.1, 'crash'], [100, 0.3, 'crash'],
      [5, 0.1, 'resign'], [20, 0.1, 'resign'], [100, 0.1, 'resign']
    ]

const t0 = performance.now()
const rows: Row[] = []
for (const [nodes, loss, mode] of configs) {
  rows.push(measure(nodes, loss, mode))
  process.stderr.write(`done ${nodes} nodes ${loss} ${mode} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`)
}
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`)
console.log(`Simulated network: per-recipient loss as listed, delay uniform 10–150 ms, 2 % duplicates; 1 s heartbeats, 3 s failure timeout; defaults (lead every 300 ms, lease 1.5 s, election timeout 1–1.5 s).\n`)
console.log(table(rows))
console.log('\n| nodes | runs | old leader still leading after the majority elected: median (s) | p95 (s) | max (s) |')
console.log('|---:|---:|---:|---:|---:|')
console.log(overlap(10, quick ? 10 : 100))
console.log('\n' + cpuCost())
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s wall)`)
