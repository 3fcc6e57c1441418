/**
 * 500 clean rounds of a 100-node session (Krum, then Multi-Krum), every node a full RoundSession on an in-memory
 * network: real update chunks, reassembly, validation, aggregation and verification at every node. Prints the
 * issue's figure (honest peers excluded from the session, i.e. quarantined by some honest node: target 0) and the
 * round logic's cost per node and round. Then the same with 20 % sign-flip attackers.
 *
 * The long runs validate each gossiped update once for all nodes and memoise the aggregation (SimOptions.shared), so
 * their per-node cost is the protocol logic alone; the last run (--wire-rounds, default 5) has every node decode,
 * reassemble, hash and validate every update chunk and recompute every aggregate itself: a tab's real cost per round.
 *
 *   pnpm --filter @fedmesh/rounds bench [-- --rounds 500 --nodes 100 --d 64 --wire-rounds 5]
 */
import os from 'node:os'
import { cleanRun } from '../test/sim/clean-run.ts'
import type { CleanRunOptions } from '../test/sim/clean-run.ts'

function arg (name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const rounds = arg('rounds', 500)
const nodes = arg('nodes', 100)
const d = arg('d', 64)
const wireRounds = arg('wire-rounds', 5)

const runs: Array<[string, CleanRunOptions]> = [
  ['krum, clean', { nodes, rounds, d, rule: 'krum', f: 0 }],
  ['multi-krum f=20, clean', { nodes, rounds, d, rule: 'multi-krum', f: 20 }],
  ['multi-krum f=20, 20 % sign-flip', { nodes, rounds, d, rule: 'multi-krum', f: 20, attackers: Math.floor(nodes / 5) }],
  [`krum, clean, full wire pipeline at every node (${wireRounds} rounds)`, { nodes, rounds: wireRounds, d, rule: 'krum', f: 0, shared: false }]
]

console.log(`rounds bench: ${nodes} nodes, ${rounds} rounds, d=${d}, int8 updates, every node verifies every round (node ${process.version}, ${process.arch}, load average ${os.loadavg()[0]?.toFixed(1)})`)
for (const [name, options] of runs) {
  const r = cleanRun(options)
  const perNodeRound = r.elapsedMs / (r.roundsCompleted * nodes)
  const attackers = r.attackers.length
  const attackerShare = attackers === 0 ? '' : `, attacker updates selected ${r.attackerSelections} times vs honest ${r.honestSelections}`
  console.log(`${name}: ${r.roundsCompleted} rounds completed, honest peers excluded from the session: ${r.honestQuarantined.length}` +
    `, models rejected: ${r.rejectedModels}, max honest suspicion ${r.maxHonestScore.toFixed(3)}${attackerShare}`)
  console.log(`  round logic: ${(r.elapsedMs / r.roundsCompleted).toFixed(1)} ms per round for all ${nodes} nodes, ${perNodeRound.toFixed(3)} ms per node per round` +
    ` (${r.delivered} messages, ${(r.elapsedMs / 1000).toFixed(1)} s)`)
}
