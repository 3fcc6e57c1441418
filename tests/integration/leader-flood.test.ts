/**
 * Messages that go beyond the gossip mesh, on real nodes over the memory transport. NodeConfig.leaderFlood: the
 * leader's Leads and a coordinator's messages on the model topic go to every direct neighbour subscribed to the
 * topic, so a tab next to the leader hears it without a forwarding hop (with leaderFlood=0 they go to the mesh as any
 * other message). NodeConfig.directToCoordinator: a member's update goes to the coordinator directly when it is a
 * neighbour (patched gossipsub's `alsoTo`).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TOPICS, decodeWireMessage } from '@fedmesh/protocol'
import type { FedmeshNode } from '@fedmesh/node'
import { MODEL_TOPIC, UPDATES_TOPIC } from '@fedmesh/node'
import { Simulation, until } from '../../packages/sim/src/index.ts'
import { trainingSim } from './support/training-sim.ts'
import type { TrainingSim } from './support/training-sim.ts'

interface Publishing {
  publish: (topic: string, data: Uint8Array, opts?: { floodPublish?: boolean, alsoTo?: string[] }) => Promise<{ recipients: Array<{ toString: () => string }> }>
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

describe('updates to the coordinator, model messages to every neighbour (training service)', () => {
  let t: TrainingSim | undefined
  afterEach(async () => { await t?.stop(); t = undefined })

  it('a member\'s update reaches a neighbouring coordinator directly; the coordinator\'s messages reach every subscribed neighbour', async () => {
    t = await trainingSim({ learner: 'synthetic', config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 4, roundDeadlineMs: 20_000, learnEveryMs: 500, targetPeers: 6, maxPeers: 7 } })
    const nodes = await t.add(8)
    const updates: Array<{ from: string, leader?: string, coordinator?: string, subscribed: boolean, inMesh: boolean, recipients: string[] }> = []
    const models: Array<{ recipients: number, subscribers: number }> = []
    for (const n of nodes) {
      const pubsub = n.libp2p.services.pubsub as unknown as Publishing
      const publish = pubsub.publish.bind(pubsub)
      pubsub.publish = async (topic, data, opts) => {
        const subscribers = pubsub.getSubscribers(topic).map(String)
        const mesh = pubsub.getMeshPeers(topic)
        const result = await publish(topic, data, opts)
        const recipients = result.recipients.map(String)
        const coordinator = opts?.alsoTo?.[0]
        const leader = n.election.leader()
        if (topic === UPDATES_TOPIC) updates.push({ from: n.peerId, ...(leader === undefined ? {} : { leader }), ...(coordinator === undefined ? {} : { coordinator }), subscribed: coordinator !== undefined && subscribers.includes(coordinator), inMesh: coordinator !== undefined && mesh.includes(coordinator), recipients })
        if (topic === MODEL_TOPIC) models.push({ recipients: recipients.length, subscribers: subscribers.length })
        return result
      }
    }
    await t.allAt(4, nodes, 90_000)
    // every member's update named its coordinator (the coordinator's own names nobody), and went to it whenever that
    // coordinator was a subscribed neighbour
    expect(updates.length).toBeGreaterThan(0)
    for (const u of updates) {
      if (u.leader === u.from) { expect(u.coordinator).toBeUndefined(); continue }
      expect(u.coordinator).toBeDefined()
      expect(u.coordinator).not.toBe(u.from)
      if (u.subscribed) expect(u.recipients).toContain(u.coordinator)
    }
    // some of those went to it outside the sender's mesh: the mesh alone would have taken a forwarding hop
    expect(updates.some(u => u.subscribed && !u.inMesh && u.recipients.includes(u.coordinator!))).toBe(true)
    // announcements and model headers went to every subscribed neighbour of their coordinator
    expect(models.length).toBeGreaterThan(0)
    for (const m of models) expect(m.recipients).toBe(m.subscribers)
  }, 120_000)
})
