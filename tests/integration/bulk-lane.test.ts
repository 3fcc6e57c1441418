/**
 * The gossipsub patch's bulk lane (patches/@libp2p__gossipsub@17.1.1.patch, option bulkLane) on real nodes over the
 * memory transport: update and model chunks go to each peer on a stream of their own, so a message on any other
 * topic does not wait behind them. At 20 tabs, with one stream per peer, a resign took 1.2-2.3 s to arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '@fedmesh/protocol'
import { BULK_LANE_PROTOCOL, MODEL_TOPIC, UPDATES_TOPIC, type FedmeshNode } from '@fedmesh/node'
import { Simulation, until } from '../../packages/sim/src/index.ts'

interface Message { topic: string, seqno?: Uint8Array }
interface Rpc { subscriptions: unknown[], messages: Message[] }
interface Stream { rawStream: { writeStatus: string, protocol?: string, abort: (err: Error) => void } }
/** The patched gossipsub's internals this test reads (not part of its public API). */
interface GossipInternals {
  prepareMessage: (topic: string, data: Uint8Array) => Promise<{ rawMsg: Message }>
  sendRpc: (id: string, rpc: Rpc) => boolean
  handleReceivedRpc: (from: { toString: () => string }, rpc: Rpc) => Promise<void>
  streamsOutboundBulk: Map<string, Stream>
  streamsInboundBulk: Map<string, Stream>
  peers: Map<string, unknown>
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex')
const gossip = (n: FedmeshNode): GossipInternals => n.libp2p.services.pubsub as unknown as GossipInternals

describe('the bulk lane (gossipsub patch)', () => {
  const sim = new Simulation({ heartbeatMs: 500, targetPeers: 2, latencyMs: 10 })
  let author: FedmeshNode
  let receiver: FedmeshNode
  /** the messages the receiver read from the author, in arrival order */
  const arrivals: Array<{ topic: string, seqno: string }> = []

  beforeAll(async () => {
    ;[author, receiver] = await sim.add(2) as [FedmeshNode, FedmeshNode]
    expect(await until(() => gossip(author).streamsOutboundBulk.has(receiver.peerId) &&
      gossip(receiver).streamsOutboundBulk.has(author.peerId), 60_000)).toBeDefined()
    const g = gossip(receiver)
    const handle = g.handleReceivedRpc.bind(g)
    g.handleReceivedRpc = async (from, rpc) => {
      if (from.toString() === author.peerId) for (const m of rpc.messages) arrivals.push({ topic: m.topic, seqno: hex(m.seqno) })
      return await handle(from, rpc)
    }
  }, 90_000)
  afterAll(async () => { await sim.stop() })

  it('opens a stream of its own to each gossip peer, and keeps heartbeats and election messages off it', async () => {
    const out = gossip(author).streamsOutboundBulk.get(receiver.peerId)!
    expect(out.rawStream.protocol).toBe(BULK_LANE_PROTOCOL)
    expect(gossip(receiver).streamsInboundBulk.get(author.peerId)?.rawStream.protocol).toBe(BULK_LANE_PROTOCOL)
    const before = receiver.status().gossipLanes!
    const heartbeats = receiver.status().counters.heartbeatsReceived
    expect(await until(() => receiver.status().counters.heartbeatsReceived > heartbeats + 2, 10_000)).toBeDefined()
    const after = receiver.status().gossipLanes!
    expect(after.controlIn).toBeGreaterThan(before.controlIn)
    expect(after.bulkIn).toBe(before.bulkIn)
  }, 30_000)

  it('delivers a small message sent after a backlog of chunks before the backlog is through', async () => {
    // 40 chunks of 60 KB (2.4 MB, far beyond a yamux stream's 256 KB window, so most wait for window updates, 10 ms
    // each way) and then one small heartbeat-topic message, written in one task. On one stream it would come last.
    const chunks = await Promise.all(Array.from({ length: 40 }, async (_, i) =>
      await gossip(author).prepareMessage(i % 2 === 0 ? UPDATES_TOPIC : MODEL_TOPIC, new Uint8Array(60 * 1024).fill(i))))
    const small = await gossip(author).prepareMessage(TOPICS.heartbeat, new Uint8Array(64))
    const lanesBefore = receiver.status().gossipLanes!
    arrivals.length = 0
    for (const c of chunks) expect(gossip(author).sendRpc(receiver.peerId, { subscriptions: [], messages: [c.rawMsg] })).toBe(true)
    expect(gossip(author).sendRpc(receiver.peerId, { subscriptions: [], messages: [small.rawMsg] })).toBe(true)
    expect(await until(() => arrivals.filter(a => a.topic !== TOPICS.heartbeat && a.topic !== TOPICS.election).length === 40, 30_000)).toBeDefined()
    const smallAt = arrivals.findIndex(a => a.seqno === hex(small.rawMsg.seqno))
    const lastChunkAt = arrivals.findLastIndex(a => a.topic === UPDATES_TOPIC || a.topic === MODEL_TOPIC)
    expect(smallAt).toBeGreaterThanOrEqual(0)
    expect(smallAt).toBeLessThan(lastChunkAt)
    const lanes = receiver.status().gossipLanes!
    // every chunk came on the bulk lane
    expect(lanes.bulkIn - lanesBefore.bulkIn).toBe(40)
  }, 60_000)

  it('falls back to the main stream when the lane is gone, and keeps the peer', async () => {
    gossip(author).streamsOutboundBulk.get(receiver.peerId)!.rawStream.abort(new Error('test: lane lost'))
    expect(await until(() => !gossip(author).streamsOutboundBulk.has(receiver.peerId), 20_000)).toBeDefined()
    const chunk = await gossip(author).prepareMessage(UPDATES_TOPIC, new Uint8Array(1024))
    const before = receiver.status().gossipLanes!
    arrivals.length = 0
    expect(gossip(author).sendRpc(receiver.peerId, { subscriptions: [], messages: [chunk.rawMsg] })).toBe(true)
    expect(await until(() => arrivals.some(a => a.topic === UPDATES_TOPIC), 20_000)).toBeDefined()
    expect(receiver.status().gossipLanes!.bulkIn).toBe(before.bulkIn)
    // a broken lane is not a broken peer
    expect(gossip(author).peers.has(receiver.peerId)).toBe(true)
    expect(gossip(receiver).peers.has(author.peerId)).toBe(true)
  }, 30_000)
})

describe('without the bulk lane (bulkLane=0)', () => {
  const sim = new Simulation({ heartbeatMs: 500, targetPeers: 2, latencyMs: 10, config: { bulkLane: false } })
  afterAll(async () => { await sim.stop() })

  it('opens no second stream and carries chunks on the main stream', async () => {
    const [author, receiver] = await sim.add(2) as [FedmeshNode, FedmeshNode]
    expect(await until(() => receiver.status().counters.heartbeatsReceived > 2, 30_000)).toBeDefined()
    expect(gossip(author).streamsOutboundBulk.size).toBe(0)
    expect(author.libp2p.getProtocols()).not.toContain(BULK_LANE_PROTOCOL)
    const chunk = await gossip(author).prepareMessage(UPDATES_TOPIC, new Uint8Array(1024))
    const before = receiver.status().gossipLanes!
    expect(gossip(author).sendRpc(receiver.peerId, { subscriptions: [], messages: [chunk.rawMsg] })).toBe(true)
    expect(await until(() => receiver.status().gossipLanes!.controlIn > before.controlIn, 10_000)).toBeDefined()
    expect(receiver.status().gossipLanes!.bulkIn).toBe(0)
  }, 60_000)
})
