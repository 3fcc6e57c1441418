/**
 * NodeConfig.leaderFlood on real nodes over the memory transport: the leader's Leads and a coordinator's messages on
 * the model topic go to every direct neighbour subscribed to the topic, not only to its gossip mesh, so a tab next to
 * the leader hears it without a forwarding hop. With leaderFlood=0 they go to the mesh as any other message.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TOPICS, decodeWireMessage } from '@fedmesh/protocol'
import type { FedmeshNode } from '@fedmesh/node'
import { MODEL_TOPIC } from '@fedmesh/node'
import { Simulation, until } from '../../packages/sim/src/index.ts'
import { trainingSim } from './support/training-sim.ts'
import type { TrainingSim } from './support/training-sim.ts'

interface Publishing {
  publish: (topic: string, data: Uint8Array, opts?: { floodPublish?: boolean }) => Promise<{ recipients: Array<{ toString: () => string }> }>
  getSubscribers: (topic: string) => Array<{ toString: () => string }>
  getMeshPeers: (topic: string) => string[]
}

interface LeadSent { recipients: number, subscribers: number, mesh: number }

/** Records each Lead `node` publishes from now on: how many peers it went to, against the topic's subscribers and mesh. */
function recordLeads (node: FedmeshNode): LeadSent[] {
  const pubsub = node.libp2p.services.pubsub as unknown as Publishing
  const publish = pubsub.publish.bind(pubsub)
  const sent: LeadSent[] = []
  pubsub.publish = async (topic, data, opts) => {
    const subscribers = pubsub.getSubscribers(topic).length
    const mesh = pubsub.getMeshPeers(topic).length
    const result = await publish(topic, data, opts)
    if (topic === TOPICS.election && decodeWireMessage(data).election?.kind === 'lead') sent.push({ recipients: result.recipients.length, subscribers, mesh })
    return result
  }
  return sent
}

describe('leader flood (NodeConfig.leaderFlood)', () => {
  let sim: Simulation | undefined
  afterEach(async () => { await sim?.stop(); sim = undefined })

  /** 8 nodes with 6-7 direct links each, more than the election mesh's at most 5 (Dhi): returns the leader's next 3 Leads. */
  async function leadsOf (leaderFlood: boolean): Promise<LeadSent[]> {
    sim = new Simulation({ heartbeatMs: 500, targetPeers: 6, maxPeers: 7, config: { leaderFlood } })
    await sim.add(8)
    expect(await until(() => sim!.agreedLeader() !== undefined && Math.min(...sim!.directDegrees()) >= 6, 60_000)).toBeDefined()
    const leader = sim.live().find(n => n.peerId === sim!.agreedLeader()!.leader)!
    const sent = recordLeads(leader)
    expect(await until(() => sent.length >= 3, 20_000)).toBeDefined()
    return sent
  }

  it('sends each Lead to every subscribed neighbour, beyond the mesh', async () => {
    const sent = await leadsOf(true)
    for (const s of sent) expect(s.recipients).toBe(s.subscribers)
    expect(sent.some(s => s.recipients > s.mesh)).toBe(true)
  }, 90_000)

  it('with leaderFlood=0 sends Leads to the mesh only', async () => {
    const sent = await leadsOf(false)
    for (const s of sent) expect(s.recipients).toBeLessThanOrEqual(Math.max(s.mesh, 3))
    expect(sent.some(s => s.recipients < s.subscribers)).toBe(true)
  }, 90_000)
})

describe('a coordinator\'s model-topic messages (training service)', () => {
  let t: TrainingSim | undefined
  afterEach(async () => { await t?.stop(); t = undefined })

  it('announcements and model headers reach every subscribed neighbour of the coordinator', async () => {
    t = await trainingSim({ learner: 'synthetic', config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 3, roundDeadlineMs: 20_000, learnEveryMs: 500, targetPeers: 6, maxPeers: 7 } })
    const nodes = await t.add(8)
    const models: Array<{ recipients: number, subscribers: number, mesh: number }> = []
    for (const n of nodes) {
      const pubsub = n.libp2p.services.pubsub as unknown as Publishing
      const publish = pubsub.publish.bind(pubsub)
      pubsub.publish = async (topic, data, opts) => {
        const subscribers = pubsub.getSubscribers(topic).length
        const mesh = pubsub.getMeshPeers(topic).length
        const result = await publish(topic, data, opts)
        if (topic === MODEL_TOPIC) models.push({ recipients: result.recipients.length, subscribers, mesh })
        return result
      }
    }
    await t.allAt(3, nodes, 90_000)
    expect(models.length).toBeGreaterThan(0)
    for (const m of models) expect(m.recipients).toBe(m.subscribers)
    // beyond the mesh at least once: with 6-7 neighbours and a mesh of at most 5
    expect(models.some(m => m.recipients > m.mesh)).toBe(true)
  }, 120_000)
})
