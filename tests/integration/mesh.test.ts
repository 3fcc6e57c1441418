/**
 * Several real fedmesh nodes in Node.js (node-datachannel WebRTC) and the real relay process: bounded direct links,
 * heartbeat coverage, surviving a relay shutdown, re-bootstrap when it returns, and closed nodes marked dead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FedmeshNode } from '@fedmesh/node'
import { startRelayProcess, waitFor, type RelayProcess } from '../support/relay-process.ts'

const N = 5
const TARGET = 2

describe('mesh of Node.js nodes over WebRTC through the real relay', () => {
  let relay: RelayProcess
  // one key for both relay runs: the restarted relay keeps its identity
  const keyDir = mkdtempSync(join(tmpdir(), 'fedmesh-relay-'))
  const keyFile = join(keyDir, 'relay.key')
  const nodes: FedmeshNode[] = []

  beforeAll(async () => {
    relay = await startRelayProcess({ keyFile })
    for (let i = 0; i < N; i++) {
      const node = await FedmeshNode.create({ relayAddrs: relay.multiaddrs, heartbeatMs: 500, targetPeers: TARGET, maxPeers: 3 })
      await node.start()
      nodes.push(node)
    }
  })

  afterAll(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await relay?.stop()
    rmSync(keyDir, { recursive: true, force: true })
  })

  const coverage = (live: FedmeshNode[]): boolean => live.every(n => {
    const alive = new Set(n.status().membership.filter(m => m.state === 'alive' && m.heartbeats > 0).map(m => m.peerId))
    return live.every(o => o === n || alive.has(o.peerId))
  })
  const describeAll = (live: FedmeshNode[]): string => JSON.stringify(live.map(n => {
    const s = n.status()
    return { direct: s.neighbours.filter(x => x.transport === 'webrtc').length, alive: s.membership.filter(m => m.state === 'alive').length, relay: s.relay, dial: s.lastDialError }
  }))

  it('every node gets direct WebRTC peers, stays bounded, and hears every other node', async () => {
    await waitFor(() => nodes.every(n => n.status().neighbours.filter(x => x.transport === 'webrtc').length >= TARGET) && coverage(nodes),
      60_000, () => describeAll(nodes))
    // the mesh is bounded: a peer's inbound dial may exceed maxPeers for a moment, and peering's next tick (1 s)
    // prunes it, so the bound must hold within a few ticks (it never would if pruning broke)
    await waitFor(() => nodes.every(n => n.status().neighbours.filter(x => x.transport === 'webrtc').length <= 3), 5_000, () => describeAll(nodes))
    for (const n of nodes) {
      const s = n.status()
      // the relay is never a gossip neighbour
      expect(s.neighbours.some(x => x.peerId === relay.peerId)).toBe(false)
      expect(s.relay.connected && s.relay.reserved).toBe(true)
      expect(s.counters.heartbeatsReceived).toBeGreaterThan(0)
      expect(Object.keys(s.rejected)).toEqual([])
    }
  })

  it('keeps gossiping over direct links while the relay is down, and re-bootstraps when it returns', async () => {
    expect(await relay.stop()).toBe(0)
    await waitFor(() => nodes.every(n => !n.status().relay.connected), 15_000, () => describeAll(nodes))
    const before = nodes.map(n => n.status().counters.heartbeatsReceived)
    await new Promise(r => setTimeout(r, 4000))
    nodes.forEach((n, i) => { expect(n.status().counters.heartbeatsReceived).toBeGreaterThan((before[i] ?? 0) + 4) })
    // every pair alive, relay still down (a loaded machine can hold one heartbeat back long enough for a brief 'suspect')
    await waitFor(() => coverage(nodes), 10_000, () => describeAll(nodes))
    expect(nodes.every(n => !n.status().relay.connected)).toBe(true)

    const port = relay.port
    relay = await startRelayProcess({ keyFile, port })
    await waitFor(() => nodes.every(n => n.status().relay.connected && n.status().relay.reserved), 60_000, () => describeAll(nodes))
    expect(nodes.every(n => n.status().relay.bootstraps >= 2)).toBe(true)
  })

  it('marks a stopped node dead on every other node', async () => {
    const gone = nodes.pop()!
    await gone.stop()
    await waitFor(() => nodes.every(n => n.status().membership.find(m => m.peerId === gone.peerId)?.state === 'dead'), 30_000, () => describeAll(nodes))
    await waitFor(() => coverage(nodes), 10_000, () => describeAll(nodes))
  })
})
