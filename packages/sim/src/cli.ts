/**
 * `pnpm sim --nodes N [--duration S] [--json FILE] ...`: N fedmesh nodes in this process over the memory transport;
 * see --help. Progress goes to stderr, the JSON report to --json FILE (or stdout with --json -).
 * Exit code 0 if the run is ok, 1 if not, 2 for bad usage.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runScenario } from './simulation/scenario.ts'
import type { ScenarioOptions } from './simulation/scenario.ts'
import type { ElectionTimings } from '@fedmesh/node'

const HELP = `pnpm sim --nodes N [options]

Runs N fedmesh nodes (the same FedmeshNode code as a tab: peering, heartbeats, membership, election) in this Node.js
process, linked by libp2p's memory transport and an in-process directory instead of WebRTC and the relay. Waits until
every node hears every other and all agree on one leader, then injects the faults asked for, then measures a steady
window. Prints progress to stderr and a JSON report.

Options:
  --nodes N             nodes to run (default 20)
  --duration S          steady-state window after the faults, seconds (default 10)
  --timeout S           give up waiting for convergence or agreement after S seconds (default 180)
  --heartbeat-ms MS     heartbeat interval (default 1000 up to 30 nodes, 5000 up to 60, 10000 above: see docs/benchmarks.md);
                        above 1000 the election's lease and timeouts are stretched too (simulationElectionTimings)
  --target-peers N      direct peers per node (default 6)
  --latency-ms MS       delay added to every buffer on a memory link (default 0)
  --kill-leader K       kill the agreed leader K times in a row, measuring each failover (default 0)
  --kill-mode MODE      crash (links cut first, no resign; default) or graceful (resigns, like a closing tab)
  --partition N         cut the leader and N-1 others off (a minority), then heal
  --partition-s S       how long the partition lasts (default 10)
  --json FILE           write the report to FILE ("-" for stdout)
  --quiet               no progress lines
  -h, --help            this help

Examples:
  pnpm sim --nodes 20 --kill-leader 3 --json sim-20.json
  pnpm sim --nodes 100 --kill-leader 1 --partition 5 --duration 30`

function num (v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got '${v}'`)
  return n
}

class UsageError extends Error {}

export function parseCli (argv: string[]): ScenarioOptions & { json?: string, quiet: boolean, help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' }, duration: { type: 'string' }, timeout: { type: 'string' }, 'heartbeat-ms': { type: 'string' },
      'target-peers': { type: 'string' }, 'latency-ms': { type: 'string' }, 'kill-leader': { type: 'string' }, 'kill-mode': { type: 'string' },
      partition: { type: 'string' }, 'partition-s': { type: 'string' }, json: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  const nodes = num(values.nodes, 'nodes', 2) ?? 20
  const mode = values['kill-mode'] ?? 'crash'
  if (mode !== 'crash' && mode !== 'graceful') throw new UsageError(`--kill-mode must be crash or graceful, got '${mode}'`)
  const partition = num(values.partition, 'partition', 1)
  if (partition !== undefined && partition >= nodes / 2) throw new UsageError(`--partition must be a minority (< ${nodes / 2}), got ${partition}`)
  const heartbeatMs = num(values['heartbeat-ms'], 'heartbeat-ms', 50) ?? defaultHeartbeatMs(nodes)
  const opts: ScenarioOptions & { json?: string, quiet: boolean, help: boolean } = {
    nodes,
    heartbeatMs,
    election: simulationElectionTimings(heartbeatMs),
    minCoverage: nodes <= 30 ? 1 : 0.99,
    durationS: num(values.duration, 'duration', 0) ?? 10,
    timeoutS: num(values.timeout, 'timeout', 1) ?? 180,
    killLeader: num(values['kill-leader'], 'kill-leader', 0) ?? 0,
    killMode: mode,
    partitionSize: partition ?? 0,
    partitionS: num(values['partition-s'], 'partition-s', 0) ?? 10,
    quiet: values.quiet === true,
    help: values.help === true
  }
  const target = num(values['target-peers'], 'target-peers', 1)
  if (target !== undefined) opts.targetPeers = target
  const latency = num(values['latency-ms'], 'latency-ms', 0)
  if (latency !== undefined) opts.latencyMs = latency
  if (values.json !== undefined) opts.json = values.json
  return opts
}

/**
 * Heartbeat traffic grows with N² (every node hears every other every interval); in one process on 2 cores 1 s
 * heartbeats saturate the CPU beyond ~30 nodes, so larger simulations use 5 s, and 10 s above 60 nodes: at 5 s, 100
 * nodes' gossip backed up by over a minute in one process (messages dropped as stale) and no leader held (docs/benchmarks.md).
 */
export function defaultHeartbeatMs (nodes: number): number { return nodes <= 30 ? 1000 : nodes <= 60 ? 5000 : 10_000 }

/**
 * Election timings for a simulation. With 1 s heartbeats: the defaults (the tab's). With slower heartbeats (large
 * simulations, one CPU-bound process) the warm-up must cover two heartbeats, and the lease must outlast the event-loop
 * stalls of a saturated process (seconds on a shared 2-core machine), so Leads, lease and timeouts are stretched;
 * failover figures measured with them say so (docs/benchmarks.md).
 */
export function simulationElectionTimings (heartbeatMs: number): ElectionTimings {
  if (heartbeatMs <= 1000) return {}
  // scale with the heartbeat: at 5 s the lease is 5 s; at 10 s (100 nodes) 10 s, and certificates (each a batch of
  // signed votes every node checks) come every 16 s, so the election's own traffic cannot back up one process
  const k = heartbeatMs / 5000
  return { leadIntervalMs: 1000 * k, leaseMs: 5000 * k, electionTimeoutMs: [3000 * k, 4500 * k], claimRetryMs: 750 * k, warmupMs: 2 * heartbeatMs, certificateEveryMs: 8000 * k }
}

async function main (): Promise<number> {
  let opts
  try {
    opts = parseCli(process.argv.slice(2))
  } catch (err: any) {
    process.stderr.write(`${err?.message ?? err}\n\n${HELP}\n`)
    return 2
  }
  if (opts.help) { process.stdout.write(`${HELP}\n`); return 0 }
  const start = Date.now()
  const report = await runScenario({ ...opts, progress: opts.quiet ? () => {} : (line) => { process.stderr.write(`[sim ${((Date.now() - start) / 1000).toFixed(0)}s] ${line}\n`) } })
  const json = JSON.stringify(report, null, 2)
  if (opts.json === '-') process.stdout.write(`${json}\n`)
  else if (opts.json !== undefined) writeFileSync(opts.json, `${json}\n`)
  process.stderr.write(`${report.ok ? 'ok' : 'FAILED'}: ${report.nodes} nodes, coverage in ${report.coverageMs ?? '-'} ms, first leader at ${report.firstLeaderMs ?? '-'} ms, failovers ${report.failovers.map(f => f.failoverMs ?? 'none').join(', ') || '-'} ms${report.errors.length > 0 ? `; errors: ${report.errors.join('; ')}` : ''}\n`)
  return report.ok ? 0 : 1
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(code => process.exit(code), (err) => { process.stderr.write(`${err?.stack ?? err}\n`); process.exit(1) })
}
