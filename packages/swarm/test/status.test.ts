import { describe, expect, it } from 'vitest'
import { normalizeStatus } from '../src/status.ts'

describe('normalizeStatus', () => {
  it('fills the parts a starting tab does not report yet', () => {
    const s = normalizeStatus({ state: 'starting' })
    expect(s).toMatchObject({
      peerId: '', state: 'starting', neighbours: [], membership: [], rejected: {}, heartbeatRatePerSec: 0,
      relay: { addrs: [], connected: false, reserved: false, bootstraps: 0 }
    })
    expect(s!.counters.messagesIn).toBe(0)
    expect(normalizeStatus({ state: 'error', error: 'no relay address' })).toMatchObject({ state: 'error', error: 'no relay address' })
  })

  it('keeps a full status, including fields the harness does not know', () => {
    const full = {
      peerId: 'p', startedAt: 5, state: 'running', config: { heartbeatMs: 1000 },
      relay: { addrs: ['/a'], connected: true, reserved: true, bootstraps: 2, failures: 1 },
      neighbours: [{ peerId: 'q', transport: 'webrtc', direction: 'inbound', openedAt: 1 }],
      membership: [{ peerId: 'q', state: 'alive', phi: 0.1, lastHeardAt: 99, lastHeardMsAgo: 10, heartbeats: 3, hidden: false }],
      counters: { heartbeatsSent: 1, heartbeatsReceived: 2, messagesIn: 3, messagesOut: 4, bytesIn: 5, bytesOut: 6, dialsStarted: 7, dialsSucceeded: 8, dialsFailed: 9, pruned: 1 },
      rejected: { 'bad-signature': 1 },
      heartbeatRatePerSec: 0.9
    }
    const s = normalizeStatus(full)
    expect(s).toMatchObject({ ...full, counters: { heartbeatsSent: 1, dialsFailed: 9 } })
    expect(s!.counters).not.toHaveProperty('pruned')
    expect((s as unknown as { config: unknown }).config).toEqual({ heartbeatMs: 1000 })
  })

  it('keeps only numeric start-up milestones', () => {
    expect(normalizeStatus({ state: 'running', timeline: { starting: 3, reserved: 'soon', relayConnected: 40, x: Infinity } })!.timeline)
      .toEqual({ starting: 3, relayConnected: 40 })
    expect(normalizeStatus({ state: 'running', timeline: [1, 2] })).not.toHaveProperty('timeline')
  })

  it('keeps gossip copy counters per topic as numbers, zero where a field is missing or not a number', () => {
    const s = normalizeStatus({ state: 'running', gossipCopies: { u: { first: 4, firstBytes: 400, duplicates: 2, duplicateBytes: 'x', forwarded: 3, forwardedBytes: 300, idontwantSkipped: 1 }, bad: 7 } })
    expect(s!.gossipCopies).toEqual({ u: { first: 4, firstBytes: 400, duplicates: 2, duplicateBytes: 0, forwarded: 3, forwardedBytes: 300, idontwantSkipped: 1 } })
    expect(normalizeStatus({ state: 'running', gossipCopies: [] })).not.toHaveProperty('gossipCopies')
  })

  it('keeps gossip lane counters as numbers, zero where a field is missing or not a number', () => {
    expect(normalizeStatus({ state: 'running', gossipLanes: { controlOut: 5, bulkOut: 'x', controlIn: 7, bulkIn: 2, extra: 1 } })!.gossipLanes)
      .toEqual({ controlOut: 5, bulkOut: 0, controlIn: 7, bulkIn: 2 })
    expect(normalizeStatus({ state: 'running', gossipLanes: 3 })).not.toHaveProperty('gossipLanes')
  })

  it('rejects what is not a status', () => {
    for (const raw of [null, undefined, 42, 'running', [], {}, { state: 'flying' }]) expect(normalizeStatus(raw)).toBeUndefined()
  })

  it('drops malformed neighbours and members instead of failing later', () => {
    const s = normalizeStatus({ state: 'running', neighbours: [null, { transport: 'webrtc' }, { peerId: 'a', transport: 'webrtc' }], membership: 'x' })
    expect(s!.neighbours.map(n => n.peerId)).toEqual(['a'])
    expect(s!.membership).toEqual([])
  })
})
