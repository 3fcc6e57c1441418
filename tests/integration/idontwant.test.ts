/**
 * The gossipsub patch (patches/@libp2p__gossipsub@17.1.1.patch, option idontwantMsgIdFn) on real nodes over the memory
 * transport: a large message's IDONTWANT goes to the receiver's other mesh peers on receipt, before the signature
 * check and without waiting for the next task's batch, and only once per message. At 20 tabs an update of ~51 KB
 * reached each tab about twice; a copy a mesh peer is told about in time is never sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOPICS } from '@fedmesh/protocol'
import type { FedmeshNode } from '@fedmesh/node'
import { Simulation, until } from '../../packages/sim/src/index.ts'

/** The patched gossipsub's internals this test reads (not part of its public API). */
interface GossipInternals {
  validateReceivedMessage: (from: unknown, rpcMsg: unknown) => Promise<{ code: string }>
  sendIDontWants: (msgId: Uint8Array, topic: string, source: string, now?: boolean) => void
  idontwants: Map<string, Map<string, number>>
  msgIdToStrFn: (id: Uint8Array) => string
  publish: (topic: string, data: Uint8Array) => Promise<unknown>
}

const gossip = (n: FedmeshNode): GossipInternals => n.libp2p.services.pubsub as unknown as GossipInternals
const meshOf = (n: FedmeshNode): string[] => n.status().gossipMesh?.[TOPICS.heartbeat] ?? []
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('IDONTWANT on receipt (gossipsub patch)', () => {
  const sim = new Simulation({ heartbeatMs: 500, targetPeers: 3 })
  let receiver: FedmeshNode
  let author: FedmeshNode
  /** receiver's mesh peers on the heartbeat topic other than the author: the ones its IDONTWANT goes to */
  let others: FedmeshNode[]
  const calls: Array<{ id: string, now: boolean }> = []

  beforeAll(async () => {
    await sim.add(5)
    // a receiver with the author (a peer whose mesh has the receiver too) and at least one more node in its heartbeat mesh
    const mutual = (n: FedmeshNode): string | undefined => meshOf(n).find(p => meshOf(sim.byId(p)!).includes(n.peerId))
    const pick = (): FedmeshNode | undefined => sim.live().find(n => meshOf(n).length >= 2 && mutual(n) !== undefined)
    expect(await until(() => pick() !== undefined, 60_000)).toBeDefined()
    receiver = pick()!
    author = sim.byId(mutual(receiver)!)!
    others = meshOf(receiver).filter(p => p !== author.peerId).map(p => sim.byId(p)!)
    const g = gossip(receiver)
    const send = g.sendIDontWants.bind(g)
    g.sendIDontWants = (msgId, topic, source, now) => {
      calls.push({ id: hex(msgId), now: now === true })
      send(msgId, topic, source, now)
    }
  }, 90_000)
  afterAll(async () => { await sim.stop() })

  const toldOthers = (id: Uint8Array): boolean => others.every(o => gossip(o).idontwants.get(receiver.peerId)?.has(gossip(o).msgIdToStrFn(id)) === true)

  it('tells its mesh peers before the signature is checked: even a forged copy gets one', async () => {
    const seqno = new Uint8Array(8).map(() => Math.floor(Math.random() * 256))
    const from = author.libp2p.peerId.toMultihash().bytes
    const forged = { from, seqno, topic: TOPICS.heartbeat, data: new Uint8Array(20 * 1024), signature: new Uint8Array(64) }
    const result = await gossip(receiver).validateReceivedMessage(author.libp2p.peerId, forged)
    expect(result.code).toBe('invalid')
    const id = new Uint8Array([...from.subarray(from.length - 8), ...seqno])
    expect(calls.filter(c => c.id === hex(id))).toEqual([{ id: hex(id), now: true }])
    // It only stops copies to the receiver itself; a forger can at worst make its victim miss one message from its
    // mesh, which the IHAVE gossip (and for updates the fetch from a neighbour) repairs.
    expect(await until(() => toldOthers(id), 10_000)).toBeDefined()
  }, 30_000)

  it('sends one IDONTWANT per large message, at once, and none for small ones', async () => {
    const before = calls.length
    // large: above idontwantMinDataSize (16 KiB); the heartbeat validator rejects it later, after the IDONTWANT
    await gossip(author).publish(TOPICS.heartbeat, new Uint8Array(20 * 1024).fill(7))
    expect(await until(() => calls.length > before, 10_000)).toBeDefined()
    const large = calls.slice(before)
    expect(large).toHaveLength(1)
    expect(large[0]?.now).toBe(true)
    const id = Uint8Array.from(Buffer.from(large[0]!.id, 'hex'))
    expect(await until(() => toldOthers(id), 10_000)).toBeDefined()
    // the heartbeats the nodes keep sending are small: no IDONTWANT for them
    const heartbeatsBefore = receiver.status().counters.heartbeatsReceived
    expect(await until(() => receiver.status().counters.heartbeatsReceived > heartbeatsBefore + 3, 10_000)).toBeDefined()
    expect(calls.length).toBe(before + 1)
  }, 30_000)

  it('counts each topic\'s first copies, duplicates and forwards in status().gossipCopies', async () => {
    const heard = receiver.status().counters.heartbeatsReceived
    expect(await until(() => receiver.status().counters.heartbeatsReceived > heard + 5, 10_000)).toBeDefined()
    const s = receiver.status()
    const c = s.gossipCopies?.[TOPICS.heartbeat]
    // every heartbeat taken was the first copy of its message (counted before the message is handed on), and only the
    // large message of the test before was rejected here
    expect(c?.first).toBeGreaterThanOrEqual(s.counters.heartbeatsReceived + 1)
    expect(c?.firstBytes).toBeGreaterThan(20 * 1024)
    expect(c?.forwarded).toBeGreaterThan(0)
    expect(c?.duplicates).toBeGreaterThanOrEqual(0)
    // and per topic: once a leader is agreed, election messages have reached every node
    expect(await until(() => sim.agreedLeader() !== undefined, 30_000)).toBeDefined()
    expect(receiver.status().gossipCopies?.[TOPICS.election]?.first).toBeGreaterThan(0)
  }, 60_000)
})
