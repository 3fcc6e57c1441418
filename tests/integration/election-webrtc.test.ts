/**
 * The election over real links: four Node.js nodes on WebRTC through the real relay process elect one leader that
 * all recognise; when the leader stops (as a closing tab: it resigns), the others agree on a new one in a higher term.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FedmeshNode } from '@fedmesh/node'
import { startRelayProcess, waitFor, type RelayProcess } from '../support/relay-process.ts'

const N = 4

describe('election over WebRTC through the real relay', () => {
  let relay: RelayProcess
  const nodes: FedmeshNode[] = []

  beforeAll(async () => {
    relay = await startRelayProcess({})
    for (let i = 0; i < N; i++) {
      const node = await FedmeshNode.create({ relayAddrs: relay.multiaddrs, heartbeatMs: 500, targetPeers: 2, maxPeers: 3 })
      await node.start()
      nodes.push(node)
    }
  })

  afterAll(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await relay?.stop()
  })

  /** The leader every node in `live` recognises (and which leads itself), if they agree. */
  const agreed = (live: FedmeshNode[]): { leader: string, term: number } | undefined => {
    const views = live.map(n => ({ leader: n.election.leader(), term: n.election.leaderTerm() }))
    const first = views[0]
    if (first?.leader === undefined || first.term === undefined) return undefined
    if (!views.every(v => v.leader === first.leader && v.term === first.term)) return undefined
    return live.find(n => n.peerId === first.leader)?.election.role() === 'leader' ? { leader: first.leader, term: first.term } : undefined
  }
  const describeAll = (live: FedmeshNode[]): string => JSON.stringify(live.map(n => {
    const s = n.status()
    return { webrtc: s.neighbours.filter(x => x.transport === 'webrtc').length, alive: s.membership.filter(m => m.state === 'alive').length, election: { role: s.election?.role, term: s.election?.term, leader: s.election?.leader?.slice(-6) } }
  }))

  it('elects one leader that every node recognises, over direct WebRTC links', async () => {
    await waitFor(() => agreed(nodes) !== undefined, 90_000, () => describeAll(nodes))
    const { leader, term } = agreed(nodes)!
    expect(nodes.filter(n => n.election.role() === 'leader').map(n => n.peerId)).toEqual([leader])
    for (const n of nodes) {
      const s = n.status()
      expect(s.neighbours.some(x => x.transport === 'webrtc')).toBe(true)
      expect(s.election?.leaderTerm).toBe(term)
      expect(s.election?.rejected).toEqual({})
      // election messages reached this node over gossip
      expect(s.election?.counters.messagesIn).toBeGreaterThan(0)
    }
  })

  it('a leader that stops is replaced by another in a higher term', async () => {
    const old = agreed(nodes) ?? (await waitFor(() => agreed(nodes) !== undefined, 30_000, () => describeAll(nodes)), agreed(nodes)!)
    const gone = nodes.find(n => n.peerId === old.leader)!
    nodes.splice(nodes.indexOf(gone), 1)
    await gone.stop()
    await waitFor(() => { const a = agreed(nodes); return a !== undefined && a.term > old.term }, 60_000, () => describeAll(nodes))
    const next = agreed(nodes)!
    expect(next.leader).not.toBe(old.leader)
    for (const n of nodes) expect(n.election.accepts(old.term, old.leader)).toBe(false)
  })
})
