import { describe, expect, it } from 'vitest'
import { encodeHeartbeat, manualClock, MessageValidator, PEER_TAIL_LENGTH, REJECT_REASONS, TOPICS, WIRE_VERSION } from '../src/index.ts'
import type { HeartbeatBody, InboundMessage, RejectReason } from '../src/index.ts'
import { Envelope } from '../src/wire/fedmesh.ts'
import { ALICE, BOB, sampleHeartbeat } from './fixtures.ts'

function setup (opts: { maxAgeMs?: number, maxFutureMs?: number } = {}) {
  const clock = manualClock(0)
  const validator = new MessageValidator({ clock, ...opts })
  const heartbeat = (seq = 1, patch: { sentAtMs?: number, sender?: string, body?: HeartbeatBody } = {}): Uint8Array =>
    encodeHeartbeat({ sender: patch.sender ?? ALICE, seq, sentAtMs: patch.sentAtMs ?? clock.wallNow(), heartbeat: patch.body ?? sampleHeartbeat() })
  const inbound = (data: Uint8Array, extra: Partial<InboundMessage> = {}): InboundMessage =>
    ({ topic: TOPICS.heartbeat, data, from: ALICE, signed: true, ...extra })
  /** A valid envelope re-encoded with some fields changed, bypassing encodeHeartbeat's own checks. */
  const raw = (patch: Partial<Envelope>): Uint8Array => Envelope.encode({ ...Envelope.decode(heartbeat(1)), ...patch })
  return { clock, validator, heartbeat, inbound, raw }
}

/** The given reason was counted `times` times and nothing else was counted or accepted. */
function expectOnly (validator: MessageValidator, reason: RejectReason, times: number): void {
  const expected = Object.fromEntries(REJECT_REASONS.map(r => [r, r === reason ? times : 0]))
  expect(validator.rejected.snapshot()).toEqual(expected)
  expect(validator.rejected.total()).toBe(times)
  expect(validator.accepted).toBe(0)
}

function expectReject (validator: MessageValidator, msg: InboundMessage, reason: RejectReason): void {
  const result = validator.validate(msg)
  expect(result.ok).toBe(false)
  if (!result.ok) {
    expect(result.reason, result.detail).toBe(reason)
    expect(result.detail.length).toBeGreaterThan(0)
  }
}

/** Protobuf varint bytes. */
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}
const field = (num: number, wireType: number): number[] => varint(num * 8 + wireType)
const lenDelimited = (num: number, bytes: number[]): number[] => [...field(num, 2), ...varint(bytes.length), ...bytes]
const ascii = (s: string): number[] => [...new TextEncoder().encode(s)]

describe('MessageValidator', () => {
  it('accepts a valid heartbeat and returns the decoded message', () => {
    const { validator, heartbeat, inbound, clock } = setup()
    const result = validator.validate(inbound(heartbeat(1)))
    expect(result).toMatchObject({ ok: true, message: { sender: ALICE, seq: 1, sentAtMs: clock.wallNow(), topic: TOPICS.heartbeat } })
    expect(validator.accepted).toBe(1)
    expect(validator.rejected.total()).toBe(0)
  })

  it('oversized: rejects before decoding, even a message that would decode fine', () => {
    const { validator, heartbeat, inbound } = setup()
    const valid = heartbeat(1)
    // valid message + an unknown field padding it past 16 KiB: decodable, but too big
    const padded = new Uint8Array([...valid, ...lenDelimited(99, new Array(16 * 1024).fill(0x41))])
    expectReject(validator, inbound(padded), 'oversized')
    expectReject(validator, inbound(new Uint8Array(16 * 1024 + 1)), 'oversized')
    expectOnly(validator, 'oversized', 2)
  })

  it('malformed: truncation and wire-level violations', () => {
    const { validator, heartbeat, inbound } = setup()
    const valid = [...heartbeat(1)]
    const header = [...field(1, 0), 1, ...lenDelimited(2, ascii(TOPICS.heartbeat)), ...lenDelimited(3, ascii(ALICE))]
    const cases: number[][] = [
      valid.slice(0, valid.length - 1), // truncated inside the heartbeat
      [...valid, ...field(40, 2)], // an unknown length-delimited field with its length missing
      [...header, ...field(4, 2), 1, 1], // seq sent as length-delimited
      [...field(1, 0), 1, ...lenDelimited(2, [0xc3, 0x28])], // invalid UTF-8 topic
      [...header, ...lenDelimited(10, [...field(2, 0), 2])], // bool = 2
      [...header, ...lenDelimited(10, lenDelimited(3, [...field(2, 0), 9]))], // unknown Transport enum value
      [...header, ...field(10, 2), 4, ...field(1, 0), 0xe8, 0x07, ...field(2, 0), 1], // a nested field runs past its message's length
      [...header, ...field(1, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 11-byte varint
      [...header, ...field(1, 0), 0x80, 0x80, 0x80, 0x80, 0x10], // version = 2^32 (would truncate to 0 as uint32)
      [0x00, 0x01], // field number 0
      [...header, ...field(30, 3), ...field(30, 4)] // deprecated group
    ]
    for (const bytes of cases) expectReject(validator, inbound(new Uint8Array(bytes)), 'malformed')
    expectOnly(validator, 'malformed', cases.length)
  })

  it('unsupported-version', () => {
    const { validator, inbound, raw } = setup()
    expectReject(validator, inbound(raw({ version: WIRE_VERSION + 1 })), 'unsupported-version')
    expectReject(validator, inbound(raw({ version: 0 })), 'unsupported-version')
    expectOnly(validator, 'unsupported-version', 2)
  })

  it('unknown-topic: arrival topic we do not serve', () => {
    const { validator, inbound, raw } = setup()
    expectReject(validator, inbound(raw({ topic: 'fedmesh/mystery/1' }), { topic: 'fedmesh/mystery/1' }), 'unknown-topic')
    expectOnly(validator, 'unknown-topic', 1)
  })

  it('wrong-topic: envelope topic differs from the arrival topic', () => {
    const { validator, inbound, raw } = setup()
    expectReject(validator, inbound(raw({ topic: 'fedmesh/model/1' })), 'wrong-topic')
    expectOnly(validator, 'wrong-topic', 1)
  })

  it('unsigned: not signed, or no verified author', () => {
    const { validator, heartbeat, inbound } = setup()
    expectReject(validator, inbound(heartbeat(1), { signed: false }), 'unsigned')
    expectReject(validator, { topic: TOPICS.heartbeat, data: heartbeat(2), signed: true }, 'unsigned')
    expectOnly(validator, 'unsigned', 2)
  })

  it('sender-mismatch: envelope sender is not the signer', () => {
    const { validator, heartbeat, inbound } = setup()
    expectReject(validator, inbound(heartbeat(1), { from: BOB }), 'sender-mismatch')
    expectOnly(validator, 'sender-mismatch', 1)
  })

  it('schema: bodies, ranges, counts, peer ids, sequence numbers', () => {
    const { validator, heartbeat, inbound, raw } = setup()
    const env = Envelope.decode(heartbeat(1))
    const hb = env.heartbeat
    if (hb?.metrics === undefined) throw new Error('fixture lacks metrics')
    const withHb = (patch: Partial<typeof hb>): Uint8Array => raw({ heartbeat: { ...hb, ...patch } })
    const neighbour = hb.neighbours[0]
    if (neighbour === undefined) throw new Error('fixture lacks neighbours')
    const valid = [...heartbeat(1)]
    // the encoder writes fields in number order, so the heartbeat body (field 10) is everything after the header
    const bodyField = Envelope.encode({ ...env, heartbeat: undefined }).length
    const hbBytes = valid.slice(bodyField)
    expect(hbBytes[0]).toBe(82) // tag of field 10, wire type 2

    const cases: Uint8Array[] = [
      raw({ heartbeat: undefined }), // no body
      new Uint8Array([...valid, ...hbBytes]), // two heartbeat bodies
      new Uint8Array([...valid, ...lenDelimited(11, [])]), // heartbeat plus a body this version does not know
      new Uint8Array([...valid.slice(0, bodyField), ...lenDelimited(11, [])]), // only an unknown body
      withHb({ intervalMs: 49 }),
      withHb({ intervalMs: 600_001 }),
      withHb({ metrics: undefined }),
      withHb({ neighbours: new Array(65).fill(neighbour) }),
      withHb({ neighbours: [{ ...neighbour, peerTail: '' }] }),
      withHb({ neighbours: [{ ...neighbour, peerTail: 'Qm0OI' }] }), // 0, O and I are in neither base58 nor base32
      withHb({ neighbours: [{ ...neighbour, peerTail: 'a'.repeat(PEER_TAIL_LENGTH + 1) }] }), // a whole id is not a tail
      withHb({ neighbours: [{ ...neighbour, rttMs: -1 }] }),
      withHb({ neighbours: [{ ...neighbour, loss: 1.5 }] }),
      withHb({ metrics: { ...hb.metrics, eventLoopLagMs: Number.NaN } }),
      withHb({ metrics: { ...hb.metrics, bytesOutPerS: Number.POSITIVE_INFINITY } }),
      withHb({ metrics: { ...hb.metrics, msgsInPerS: -0.5 } }),
      withHb({ metrics: { ...hb.metrics, lossRatio: 2 } }),
      withHb({ metrics: { ...hb.metrics, heapUsedBytes: 2n ** 60n } }),
      raw({ seq: 0n }),
      raw({ seq: 2n ** 53n }),
      raw({ sentAtMs: 2n ** 63n })
    ]
    for (const bytes of cases) expectReject(validator, inbound(bytes), 'schema')
    expectOnly(validator, 'schema', cases.length)
  })

  it('schema: a sender id with characters outside base58/base32 (when it matches the signer string)', () => {
    const { validator, inbound, raw } = setup()
    const odd = 'peer/with/slashes'
    expectReject(validator, inbound(raw({ sender: odd }), { from: odd }), 'schema')
    expectOnly(validator, 'schema', 1)
  })

  it('stale: older than maxAgeMs by our wall clock, with the boundary accepted', () => {
    const { validator, heartbeat, inbound, clock } = setup({ maxAgeMs: 60_000 })
    expectReject(validator, inbound(heartbeat(1, { sentAtMs: clock.wallNow() - 60_001 })), 'stale')
    expectOnly(validator, 'stale', 1)
    expect(validator.validate(inbound(heartbeat(2, { sentAtMs: clock.wallNow() - 60_000 }))).ok).toBe(true)
  })

  it('future: dated beyond maxFutureMs, with the boundary accepted', () => {
    const { validator, heartbeat, inbound, clock } = setup({ maxFutureMs: 30_000 })
    expectReject(validator, inbound(heartbeat(1, { sentAtMs: clock.wallNow() + 30_001 })), 'future')
    expectOnly(validator, 'future', 1)
    expect(validator.validate(inbound(heartbeat(2, { sentAtMs: clock.wallNow() + 30_000 }))).ok).toBe(true)
  })

  it('replayed: the same message twice', () => {
    const { validator, heartbeat, inbound } = setup()
    const bytes = heartbeat(5)
    expect(validator.validate(inbound(bytes)).ok).toBe(true)
    expectReject(validator, inbound(bytes), 'replayed')
    expect(validator.rejected.snapshot()).toMatchObject({ replayed: 1 })
    expect(validator.rejected.total()).toBe(1)
    expect(validator.accepted).toBe(1)
  })

  it('replayed: a restarted sender is accepted, a replay of its previous run is not', () => {
    const { validator, heartbeat, inbound, clock } = setup()
    for (let seq = 1; seq <= 100; seq++) { clock.advance(100); expect(validator.validate(inbound(heartbeat(seq))).ok).toBe(true) }
    const oldMessage = heartbeat(100, { sentAtMs: clock.wallNow() - 50 })
    clock.advance(1000)
    expect(validator.validate(inbound(heartbeat(1))).ok).toBe(true) // restarted: seq 1, newer timestamp
    expectReject(validator, inbound(oldMessage), 'replayed')
    expectReject(validator, inbound(heartbeat(1, { sentAtMs: clock.wallNow() - 1 })), 'replayed')
    expect(validator.rejected.total()).toBe(2)
  })

  it('a rejected message does not advance the replay window', () => {
    const { validator, heartbeat, inbound, clock } = setup()
    // a stale copy and a forged-sender copy with seq 500 arrive first...
    expectReject(validator, inbound(heartbeat(500, { sentAtMs: clock.wallNow() - 120_000 })), 'stale')
    expectReject(validator, inbound(heartbeat(500, { sender: BOB })), 'sender-mismatch')
    // ...yet the genuine low sequence numbers are still accepted
    expect(validator.validate(inbound(heartbeat(1))).ok).toBe(true)
    expect(validator.validate(inbound(heartbeat(2))).ok).toBe(true)
  })

  it('never throws on hostile arguments', () => {
    const { validator } = setup()
    const hostile = [
      { topic: TOPICS.heartbeat, data: 'not bytes', signed: true, from: ALICE },
      { topic: TOPICS.heartbeat, data: null, signed: true },
      { topic: 42, data: new Uint8Array(3), signed: true },
      null
    ]
    for (const msg of hostile) {
      const result = validator.validate(msg as unknown as InboundMessage)
      expect(result.ok).toBe(false)
    }
    expect(validator.rejected.total()).toBe(hostile.length)
  })
})
