/**
 * Federated training end to end over libp2p's memory transport: real FedmeshNodes (gossipsub, heartbeats,
 * membership, election, training service), real tfjs learners on the link-health task, Krum, verification of every
 * global model by every node, attackers, a lying coordinator, a crashed coordinator and a late joiner.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { until } from '@fedmesh/sim'
import type { FedmeshNode } from '@fedmesh/node'
import { initialWeights } from '@fedmesh/learner'
import { digestWeights, LINK_HEALTH_SPEC, trainingSim } from './support/training-sim.ts'
import type { TrainingSim } from './support/training-sim.ts'

let current: TrainingSim | undefined

afterEach(async () => {
  await current?.stop()
  current = undefined
})

describe('training service over the memory transport', () => {
  it('10 nodes train link-health with Krum: every node holds the same verified model version', async () => {
    const t = current = await trainingSim({ config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 3, roundDeadlineMs: 20_000, learnEveryMs: 500 } })
    const nodes = await t.add(10)
    await t.allAt(3, nodes, 90_000)
    const statuses = t.statuses(nodes)
    for (const [i, s] of statuses.entries()) {
      expect(s.version).toBe(3)
      expect(s.models.rejected).toBe(0)
      expect(s.quarantined).toEqual([])
      expect(s.training.runs).toBeGreaterThan(0)
      // the last model was recomputed by every node but its coordinator
      expect(s.lastRound?.version).toBe(3)
      if (s.lastRound?.coordinator !== nodes[i]!.peerId) expect(s.lastRound?.verified).toBe(true)
      expect(s.lastRound?.rule).toBe('krum')
      expect(s.lastRound?.included.length).toBeGreaterThanOrEqual(5)
      expect(s.lastRound?.included.filter(i => i.selected).length).toBe(1)
      // status is plain JSON
      expect(JSON.parse(JSON.stringify(s))).toEqual(s)
    }
    expect(statuses.filter(s => s.models.verified >= 1).length).toBeGreaterThanOrEqual(9)
    // the learners trained real weights: the model moved away from version 0
    expect(t.digests(nodes)[0]).not.toBe(digestWeights(initialWeights(LINK_HEALTH_SPEC)))
    const coordinator = statuses[0]?.lastRound?.coordinator
    expect(nodes.some(n => n.peerId === coordinator)).toBe(true)
    // checkpoints hold the accepted model
    const cp = await t.store.load(`link-health/1#${nodes[0]!.peerId}`)
    expect(cp?.version).toBe(3)
  })
})

export async function waitForRound (nodes: FedmeshNode[], round: number, timeoutMs: number): Promise<void> {
  const ok = await until(() => nodes.some(n => (n.training.status().round ?? 0) >= round), timeoutMs, 100)
  if (ok === undefined) throw new Error(`round ${round} never opened`)
}
