import { describe, expect, it } from 'vitest'
import {
  decodeWireMessage, encodeElection, encodeHeartbeat, encodeWireMessage, MAX_ELECTION_BYTES, modelHeadProblem,
  PEER_TAIL_LENGTH, peerTail, samePeer, TOPICS, WIRE_VERSION, WireDecodeError
} from '../src/index.ts'
import type { HeartbeatBody, TransportName } from '../src/index.ts'
import { Envelope, Transport } from '../src/wire/fedmesh.ts'
import { ALICE, BOB, peerIdFor, sampleHeartbeat } from './fixtures.ts'

describe('codec', () => {
  it('round-trips every field of a heartbeat', () => {
    const transports: TransportName[] = ['webrtc', 'relayed', 'websocket', 'memory', 'other', 'unknown']
    const heartbeat: HeartbeatBody = {
      ...sampleHeartbeat({ neighbours: 6, intervalMs: 1234, hidden: true }),
      // distinct non-zero values everywhere so a swapped or dropped field shows up
      metrics: {
        rttMeanMs: 12.5, rttMaxMs: 99.25, lossRatio: 0.125, eventLoopLagMs: 3.75, heapUsedBytes: 2 ** 50 + 7,
        msgsInPerS: 10.5, msgsOutPerS: 11.5, bytesInPerS: 1024.5, bytesOutPerS: 2048.25, directPeers: 4, relayedPeers: 3
      }
    }
    heartbeat.neighbours.forEach((n, i) => { n.transport = transports[i] as TransportName })
    const bytes = encodeHeartbeat({ sender: ALICE, seq: Number.MAX_SAFE_INTEGER, sentAtMs: 1_700_000_123_456, heartbeat })

    expect(decodeWireMessage(bytes)).toEqual({
      version: WIRE_VERSION,
      topic: TOPICS.heartbeat,
      sender: ALICE,
      seq: Number.MAX_SAFE_INTEGER,
      sentAtMs: 1_700_000_123_456,
      // neighbours travel as peer-id tails
      heartbeat: { ...heartbeat, neighbours: heartbeat.neighbours.map(n => ({ ...n, peerId: peerTail(n.peerId) })) }
    })
  })

  it('names neighbours by the tail of their peer id, so a heartbeat with 8 neighbours fits one SCTP packet with room', () => {
    const heartbeat: HeartbeatBody = {
      ...sampleHeartbeat({ neighbours: 8 }),
      model: { session: 'link-health/1', version: 1234, term: 56, digest: 'ab'.repeat(32), verified: true }
    }
    const bytes = encodeHeartbeat({ sender: ALICE, seq: 1_000_000, sentAtMs: 1_700_000_123_456, heartbeat })
    const decoded = decodeWireMessage(bytes).heartbeat?.neighbours ?? []
    expect(decoded.map(n => n.peerId)).toEqual(heartbeat.neighbours.map(n => n.peerId.slice(-PEER_TAIL_LENGTH)))
    decoded.forEach((n, i) => {
      expect(samePeer(n.peerId, heartbeat.neighbours[i]?.peerId ?? '')).toBe(true)
      expect(samePeer(n.peerId, peerIdFor(999))).toBe(false)
    })
    // with whole peer ids this heartbeat was 840 bytes; gossipsub adds about 150 (from, seqno, topic, signature)
    expect(bytes.length).toBeLessThan(500)
  })

  it('round-trips the training model head, and a heartbeat without one has none', () => {
    const model = { session: 'link-health/1', version: 2 ** 40 + 3, term: 17, digest: 'ab'.repeat(32), verified: true }
    const bytes = encodeHeartbeat({ sender: ALICE, seq: 3, sentAtMs: 5, heartbeat: { ...sampleHeartbeat(), model } })
    expect(decodeWireMessage(bytes).heartbeat?.model).toEqual(model)
    expect(Envelope.decode(bytes).heartbeat?.model).toEqual({ session: model.session, version: BigInt(model.version), term: 17n, digest: model.digest, verified: true })
    expect(decodeWireMessage(encodeHeartbeat({ sender: ALICE, seq: 3, sentAtMs: 5, heartbeat: sampleHeartbeat() })).heartbeat).not.toHaveProperty('model')
  })

  it('round-trips a leave as protobuf field 6, and an ordinary heartbeat carries none', () => {
    const bytes = encodeHeartbeat({ sender: ALICE, seq: 1003, sentAtMs: 5, heartbeat: { ...sampleHeartbeat(), leaving: true } })
    expect(decodeWireMessage(bytes).heartbeat?.leaving).toBe(true)
    expect(Envelope.decode(bytes).heartbeat?.leaving).toBe(true)
    const ordinary = encodeHeartbeat({ sender: ALICE, seq: 3, sentAtMs: 5, heartbeat: sampleHeartbeat() })
    expect(decodeWireMessage(ordinary).heartbeat).not.toHaveProperty('leaving')
    expect(bytes.byteLength - ordinary.byteLength).toBe(2 + 1) // the field (tag and value) and the longer seq varint
  })

  it('rejects a model head with an empty session, an oversized digest or an unsafe version', () => {
    const good = Envelope.decode(encodeHeartbeat({ sender: ALICE, seq: 3, sentAtMs: 5, heartbeat: { ...sampleHeartbeat(), model: { session: 's', version: 1, term: 1, digest: 'd', verified: false } } }))
    const reasonOf = (model: Partial<NonNullable<NonNullable<typeof good.heartbeat>['model']>>): string => {
      try {
        decodeWireMessage(Envelope.encode({ ...good, heartbeat: { ...good.heartbeat!, model: { ...good.heartbeat!.model!, ...model } } }))
        return 'ok'
      } catch (err) {
        return (err as WireDecodeError).reason
      }
    }
    expect(reasonOf({})).toBe('ok')
    expect(reasonOf({ session: '' })).toBe('schema')
    expect(reasonOf({ digest: 'x'.repeat(129) })).toBe('schema')
    expect(reasonOf({ version: 2n ** 60n })).toBe('schema')
    const send = (model: { session: string, version: number, term: number, digest: string, verified: boolean }): Uint8Array => encodeHeartbeat({ sender: ALICE, seq: 1, sentAtMs: 1, heartbeat: { ...sampleHeartbeat(), model } })
    expect(() => send({ session: '', version: 1, term: 1, digest: 'd', verified: true })).toThrow(/model.session/)
    expect(() => send({ session: 's', version: -1, term: 1, digest: 'd', verified: true })).toThrow(/model.version/)
    // the check a sender runs first (the heartbeat service leaves a bad head out rather than fail to encode)
    expect(modelHeadProblem({ session: 's', version: 1, term: 1, digest: 'd', verified: true })).toBeUndefined()
    expect(modelHeadProblem({ session: 's', version: 1, term: 0.5, digest: 'd', verified: true })).toMatch(/model.term/)
    expect(modelHeadProblem({ session: 's', version: 1, term: 1, digest: 'd'.repeat(129), verified: true })).toMatch(/model.digest/)
  })

  it('writes the documented protobuf fields (readable by the generated decoder)', () => {
    const bytes = encodeHeartbeat({ sender: ALICE, seq: 7, sentAtMs: 99, heartbeat: sampleHeartbeat({ neighbours: 2 }) })
    const env = Envelope.decode(bytes)
    expect(env.version).toBe(WIRE_VERSION)
    expect(env.heartbeat?.neighbours[0]?.peerTail).toHaveLength(PEER_TAIL_LENGTH)
    expect(env.seq).toBe(7n)
    expect(env.sentAtMs).toBe(99n)
    expect(env.heartbeat?.neighbours[0]?.transport).toBe(Transport.WEBRTC)
    expect(env.heartbeat?.neighbours[1]?.transport).toBe(Transport.RELAYED)
  })

  it('uses the heartbeat topic unless told otherwise', () => {
    const bytes = encodeHeartbeat({ sender: ALICE, seq: 1, sentAtMs: 1, heartbeat: sampleHeartbeat() })
    expect(decodeWireMessage(bytes).topic).toBe(TOPICS.heartbeat)
  })

  it('refuses to encode beyond the size cap', () => {
    // 200 votes with 400-byte signatures is ~90 KiB: over the election topic's 64 KiB cap
    const vote = { from: BOB, term: 1, candidate: ALICE, electorate: 300, signature: new Uint8Array(400) }
    const election = { kind: 'lead' as const, term: 1, candidate: '', electorate: 300, signature: new Uint8Array(0), certificate: new Array(200).fill(vote) }
    expect(() => encodeElection({ sender: ALICE, seq: 1, sentAtMs: 1, election }))
      .toThrow(new RegExp(`over the ${MAX_ELECTION_BYTES}-byte cap`))
  })

  it('refuses to encode what receivers would reject, naming the field', () => {
    const send = (patch: (h: HeartbeatBody) => void, extra: { seq?: number, sender?: string } = {}): Uint8Array => {
      const heartbeat = sampleHeartbeat()
      patch(heartbeat)
      return encodeHeartbeat({ sender: extra.sender ?? ALICE, seq: extra.seq ?? 1, sentAtMs: 1, heartbeat })
    }
    expect(() => send(() => {}, { seq: 1.5 })).toThrow(/seq/)
    expect(() => send(() => {}, { seq: 0 })).toThrow(/seq must be >= 1/)
    expect(() => send(() => {}, { sender: 'not a peer id!' })).toThrow(/sender/)
    expect(() => send(h => { h.metrics.rttMeanMs = Number.NaN })).toThrow(/metrics.rttMeanMs/)
    expect(() => send(h => { h.metrics.bytesInPerS = 1e39 })).toThrow(/metrics.bytesInPerS/) // Infinity as float32
    expect(() => send(h => { h.metrics.directPeers = -1 })).toThrow(/metrics.directPeers/)
    expect(() => send(h => { h.intervalMs = 10 })).toThrow(/intervalMs/)
    expect(() => send(h => { (h.neighbours[0] as { transport: string }).transport = 'carrier-pigeon' })).toThrow(/transport/)
    // and a valid one still encodes
    expect(send(() => {}).length).toBeGreaterThan(0)
  })

  it('decodeWireMessage reports why it failed', () => {
    const good = encodeHeartbeat({ sender: ALICE, seq: 1, sentAtMs: 1, heartbeat: sampleHeartbeat() })
    const reasonOf = (bytes: Uint8Array): string => {
      try {
        decodeWireMessage(bytes)
        return 'ok'
      } catch (err) {
        expect(err).toBeInstanceOf(WireDecodeError)
        return (err as WireDecodeError).reason
      }
    }
    expect(reasonOf(good)).toBe('ok')
    expect(reasonOf(good.subarray(0, good.length - 3))).toBe('malformed')
    expect(reasonOf(Envelope.encode({ ...Envelope.decode(good), version: WIRE_VERSION + 1 }))).toBe('unsupported-version')
    expect(reasonOf(Envelope.encode({ ...Envelope.decode(good), sender: peerIdFor(3) + '0' }))).toBe('schema')
  })
})
