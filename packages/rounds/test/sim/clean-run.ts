/** The 100-node session simulation shared by the unit tests and the bench (bench/clean-rounds.ts). */
import type { RuleName } from '@fedmesh/aggregation'
import { honest, signFlip, Sim } from '../helpers.ts'

export interface CleanRunOptions {
  nodes: number
  rounds: number
  d: number
  rule: RuleName
  f: number
  /** How many nodes (the last ones; never node 0, the coordinator) send sign-flipped updates. */
  attackers?: number
  seed?: number
  /** See SimOptions.shared; default true. */
  shared?: boolean
}

export interface CleanRunResult {
  sim: Sim
  /** The lowest model version any node holds at the end. */
  roundsCompleted: number
  /** Honest peers that some honest node quarantined at any time. */
  honestQuarantined: string[]
  attackers: string[]
  /** Over node 1's verified models: selections by the rule of attackers' and of honest updates. */
  attackerSelections: number
  honestSelections: number
  rejectedModels: number
  /** Highest suspicion score of an honest peer at any honest node at the end. */
  maxHonestScore: number
  /** Wall time of the whole run and messages delivered (for the bench's overhead figure). */
  elapsedMs: number
  delivered: number
}

export function cleanRun (o: CleanRunOptions): CleanRunResult {
  const started = performance.now()
  const attackers = o.attackers ?? 0
  const seed = o.seed ?? 7
  // the common direction honest clients agree on; each adds its own fixed bias (non-IID data) and fresh noise
  const mean = Float32Array.from({ length: o.d }, (_, i) => 0.01 * Math.sin(i + 1))
  const isAttacker = (i: number): boolean => i >= o.nodes - attackers
  const sim = new Sim({
    nodes: o.nodes,
    d: o.d,
    seed,
    shared: o.shared ?? true,
    behaviours: i => isAttacker(i) ? signFlip(mean, 3) : honest(mean, 0.004, 0.003, seed),
    config: { aggregator: { rule: o.rule, f: o.f }, minParticipants: Math.max(3, 2 * o.f + 3), maxRounds: o.rounds, deadlineMs: 10_000 }
  })
  sim.membership()
  sim.elect(1, 0)
  // rounds run back to back inside the network loop (each close opens the next); ticks would only matter for deadlines
  for (let i = 0; i < 3 && (sim.sessions[0]?.model.version ?? 0) < o.rounds; i++) sim.tick(100)

  const honestIds = new Set(sim.ids.filter((_, i) => !isAttacker(i)))
  const quarantined = new Set<string>()
  for (const { node, event } of sim.events) {
    if (event.type === 'quarantined' && honestIds.has(sim.ids[node] as string) && honestIds.has(event.peer)) quarantined.add(event.peer)
  }
  let attackerSelections = 0
  let honestSelections = 0
  for (const e of sim.eventsOf('model-accepted', 1)) {
    for (const p of e.selected) {
      if (honestIds.has(p)) honestSelections++
      else attackerSelections++
    }
  }
  let maxHonestScore = 0
  sim.sessions.forEach((s, i) => {
    if (isAttacker(i)) return
    for (const p of s.suspicion.snapshot()) if (honestIds.has(p.peer)) maxHonestScore = Math.max(maxHonestScore, p.score)
  })
  return {
    sim,
    roundsCompleted: Math.min(...sim.sessions.map(s => s.model.version)),
    honestQuarantined: [...quarantined],
    attackers: sim.ids.filter((_, i) => isAttacker(i)),
    attackerSelections,
    honestSelections,
    rejectedModels: sim.eventsOf('model-rejected').length,
    maxHonestScore,
    elapsedMs: performance.now() - started,
    delivered: sim.delivered
  }
}
