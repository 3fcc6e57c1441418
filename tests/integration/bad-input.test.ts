/**
 * A rogue peer links to an honest node over real WebRTC and publishes bad heartbeats: garbage, oversized, unsigned,
 * someone else's identity, replays, stale and unknown-topic envelopes. The honest node must survive, drop each with
 * the right counted reason, never deliver them to membership, and keep its honest neighbours.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { FedmeshNode } from '@fedmesh/node'
import { TOPICS, WIRE_VERSION, encodeWireMessage, type HeartbeatBody } from '@fedmesh/protocol'
import { startRelayProcess, waitFor, type RelayProcess } from '../support/relay-process.ts'

async function rogue (relayAddr: string, policy: 'StrictSign' | 'StrictNoSign') {
  const node = await createLibp2p({
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [webSockets(), circuitRelayTransport(), webRTC({ rtcConfiguration: { iceServers: [] } })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
    connectionMonitor: { enabled: false },
    // a WebRTC dial through the relay can take longer than libp2p's 6 s default on a loaded machine
    connectionManager: { dialTimeout: 30_000, addressDialTimeout: 30_000 },
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: policy, allowPublishToZeroTopicPeers: true, floodPublish: true })
    }
  })
  await node.dial(multiaddr(relayAddr))
  return node
}

const body = (): HeartbeatBody => ({
  intervalMs: 1000,
  hidden: false,
  neighbours: [],
  metrics: { rttMeanMs: 1, rttMaxMs: 1, lossRatio: 0, eventLoopLagMs: 0, heapUsedBytes: 1, msgsInPerS: 0, msgsOutPerS: 0, bytesInPerS: 0, bytesOutPerS: 0, directPeers: 1, relayedPeers: 0 }
})

describe('bad input from a connected peer', () => {
  let relay: RelayProcess
  let victim: FedmeshNode
  let honest: FedmeshNode
  const rogues: Array<Awaited<ReturnType<typeof rogue>>> = []

  beforeAll(async () => {
    relay = await startRelayProcess({})
    victim = await FedmeshNode.create({ relayAddrs: relay.multiaddrs, heartbeatMs: 500, targetPeers: 3 })
    honest = await FedmeshNode.create({ relayAddrs: relay.multiaddrs, heartbeatMs: 500, targetPeers: 3 })
    await victim.start()
    await honest.start()
    await waitFor(() => victim.status().membership.some(m => m.peerId === honest.peerId && m.state === 'alive'), 60_000, () => JSON.stringify(victim.status().neighbours))
  })

  afterAll(async () => {
    await Promise.allSettled([...rogues.map(async r => { await r.stop() }), victim?.stop(), honest?.stop()])
    await relay?.stop()
  })

  async function linkAndSubscribe (policy: 'StrictSign' | 'StrictNoSign') {
    const r = await rogue(relay.multiaddrs[0]!, policy)
    rogues.push(r)
    await waitFor(() => victim.status().relay.reserved, 30_000, () => 'victim has no reservation')
    const target = multiaddr(`${relay.multiaddrs[0]}/p2p-circuit/webrtc/p2p/${victim.peerId}`)
    for (let attempt = 1; ; attempt++) {
      try {
        await r.dial(target, { signal: AbortSignal.timeout(30_000) })
        break
      } catch (err) {
        if (attempt >= 3) throw err
      }
    }
    r.services.pubsub.subscribe(TOPICS.heartbeat)
    await waitFor(() => r.services.pubsub.getSubscribers(TOPICS.heartbeat).some(p => p.toString() === victim.peerId), 20_000, () => 'victim never subscribed')
    return r
  }

  it('drops each kind of bad message with its reason, and stays healthy', async () => {
    const signed = await linkAndSubscribe('StrictSign')
    const me = signed.peerId.toString()
    const now = Date.now()
    const env = (over: Partial<{ topic: string, sender: string, seq: number, sentAtMs: number }>) =>
      encodeWireMessage({ version: WIRE_VERSION, topic: TOPICS.heartbeat, sender: me, seq: 1, sentAtMs: now, heartbeat: body(), ...over })

    const pub = async (data: Uint8Array): Promise<void> => { await signed.services.pubsub.publish(TOPICS.heartbeat, data) }
    await pub(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))                    // malformed
    await pub(crypto.getRandomValues(new Uint8Array(20 * 1024)).map(b => b | 1))        // oversized
    await pub(env({ sender: honest.peerId }))                                            // sender-mismatch
    await pub(env({ seq: 5 }))                                                           // accepted
    await pub(env({ seq: 5 }))                                                           // replayed (new gossipsub seqno, same envelope seq)
    await pub(env({ seq: 6, sentAtMs: now - 10 * 60_000 }))                              // stale
    await pub(env({ seq: 7, sentAtMs: now + 10 * 60_000 }))                              // future

    const unsigned = await linkAndSubscribe('StrictNoSign')
    await unsigned.services.pubsub.publish(TOPICS.heartbeat, env({ seq: 8 }))           // unsigned

    const expected = ['malformed', 'oversized', 'sender-mismatch', 'replayed', 'stale', 'future', 'unsigned']
    await waitFor(() => expected.every(r => (victim.status().rejected[r] ?? 0) >= 1), 20_000, () => JSON.stringify(victim.status().rejected))
    const rejected = victim.status().rejected
    for (const reason of expected) expect(rejected[reason], reason).toBe(1)

    // the one valid rogue heartbeat made it a member; nothing else from it was delivered
    const rogueView = victim.status().membership.find(m => m.peerId === me)
    expect(rogueView?.heartbeats).toBe(1)
    // and the honest neighbour is still alive, heartbeats still flowing
    const before = victim.status().counters.heartbeatsReceived
    const healthy = (): boolean => victim.status().counters.heartbeatsReceived > before && victim.status().membership.find(m => m.peerId === honest.peerId)?.state === 'alive'
    await waitFor(healthy, 10_000, () => JSON.stringify(victim.status().membership))
    // (each rogue may need a reservation and WebRTC dial retries of up to 30 s each on a loaded machine)
  }, 300_000)
})
