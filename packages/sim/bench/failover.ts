/**
 * Failover time in the Node simulation: N nodes over the memory transport, the agreed leader is killed K times in a
 * row; failover = kill -> every surviving node recognises the same new leader in a higher term. Prints a markdown
 * table (docs/benchmarks.md). Usage: failover.ts [--nodes 20,100] [--kills 5] [--mode crash|graceful|both]
 */
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { runScenario, defaultHeartbeatMs, simulationElectionTimings } from '../src/index.ts'
import type { KillMode } from '../src/index.ts'

const { values } = parseArgs({ options: { nodes: { type: 'string' }, kills: { type: 'string' }, mode: { type: 'string' } } })
const sizes = (values.nodes ?? '20,100').split(',').map(Number)
const kills = Number(values.kills ?? 5)
const modes: KillMode[] = values.mode === 'crash' || values.mode === 'graceful' ? [values.mode] : ['crash', 'graceful']

const rows: string[] = []
for (const nodes of sizes) {
  for (const mode of modes) {
    const heartbeatMs = defaultHeartbeatMs(nodes)
    const report = await runScenario({ nodes, heartbeatMs, election: simulationElectionTimings(heartbeatMs), minCoverage: nodes <= 30 ? 1 : 0.99, killLeader: kills, killMode: mode, durationS: 5, timeoutS: 240, progress: (l) => { process.stderr.write(`[${nodes} ${mode}] ${l}\n`) } })
    const times = report.failovers.map(f => f.failoverMs).filter((t): t is number => t !== undefined).sort((a, b) => a - b)
    const q = (p: number): string => times.length === 0 ? '-' : ((times[Math.min(times.length - 1, Math.floor(p * times.length))] as number) / 1000).toFixed(2)
    rows.push(`| ${nodes} | ${heartbeatMs} | ${simulationElectionTimings(heartbeatMs).leaseMs ?? 1500} | ${mode} | ${times.length}/${report.failovers.length} | ${q(0.5)} | ${times.length === 0 ? '-' : ((times.at(-1) as number) / 1000).toFixed(2)} | ${times.map(t => (t / 1000).toFixed(2)).join(', ')} | ${report.firstLeaderMs === undefined ? '-' : (report.firstLeaderMs / 1000).toFixed(1)} | ${report.steady.cpuCores} | ${report.steady.rssMiB} | ${report.errors.length === 0 ? 'ok' : report.errors.join('; ')} |`)
    process.stderr.write(`${rows.at(-1)}\n`)
  }
}
console.log(`Node simulation failover (${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, Node ${process.version})\n`)
console.log('| nodes | heartbeat ms | lease ms | kill | failovers measured | median (s) | max (s) | each (s) | first leader after start (s) | steady CPU (cores) | RSS (MiB) | result |')
console.log('|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|')
for (const r of rows) console.log(r)
process.exit(0)
