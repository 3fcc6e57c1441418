import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  decodeWireMessage, encodeHeartbeat, encodeWireMessage, manualClock, MAX_MESSAGE_BYTES, MessageValidator, REJECT_REASONS, TOPICS
} from '../src/index.ts'
import type { InboundMessage, ManualClock, RejectReason, ValidationResult } from '../src/index.ts'
import { Envelope } from '../src/wire/fedmesh.ts'
import { peerIdFor, randomInt, sampleHeartbeat, seededRandom } from './fixtures.ts'

const SENDERS = [peerIdFor(11), peerIdFor(12), peerIdFor(13)]

function validMessage (random: () => number, clock: ManualClock, seq: number): { bytes: Uint8Array, sender: string } {
  const sender = SENDERS[randomInt(random, 0, SENDERS.length - 1)] as string
  const bytes = encodeHeartbeat({
    sender,
    seq,
    sentAtMs: clock.wallNow() - randomInt(random, 0, 5_000),
    heartbeat: sampleHeartbeat({ neighbours: randomInt(random, 0, 8), intervalMs: randomInt(random, 50, 5_000), hidden: random() < 0.3, random })
  })
  return { bytes, sender }
}

/**
 * Top-level [start, end) byte ranges of a message's fields. Earlier mutations may have broken the message,
 * so parsing stops at the first field that does not fit; at least one range is always returned.
 */
function topLevelFields (bytes: Uint8Array): Array<[number, number]> {
  const ranges: Array<[number, number]> = []
  let pos = 0
  const varint = (): number => {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) throw new RangeError('truncated')
      const b = bytes[pos++] as number
      value += (b & 0x7f) * scale
      if (b < 0x80) return value
      scale *= 128
    }
    throw new RangeError('varint too long')
  }
  try {
    while (pos < bytes.length) {
      const start = pos
      const wireType = varint() % 8
      if (wireType === 0) varint()
      else if (wireType === 2) pos += varint()
      else if (wireType === 5) pos += 4
      else if (wireType === 1) pos += 8
      else break
      if (pos > bytes.length) break
      ranges.push([start, pos])
    }
  } catch {}
  return ranges.length > 0 ? ranges : [[0, bytes.length]]
}

type Mutation = (bytes: Uint8Array, random: () => number, donor: Uint8Array) => Uint8Array

const concat = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
const randomBytes = (random: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => randomInt(random, 0, 255))

const MUTATIONS: Record<string, Mutation> = {
  bitFlip: (b, r) => {
    const out = b.slice()
    for (let i = randomInt(r, 1, 8); i > 0; i--) {
      const at = randomInt(r, 0, out.length - 1)
      out[at] = (out[at] as number) ^ (1 << randomInt(r, 0, 7))
    }
    return out
  },
  setByte: (b, r) => {
    const out = b.slice()
    out[randomInt(r, 0, out.length - 1)] = [0x00, 0x01, 0x7f, 0x80, 0xff, randomInt(r, 0, 255)][randomInt(r, 0, 5)] as number
    return out
  },
  truncate: (b, r) => b.slice(0, randomInt(r, 0, b.length - 1)),
  extend: (b, r) => concat(b, randomBytes(r, randomInt(r, 1, 32))),
  deleteRange: (b, r) => {
    const start = randomInt(r, 0, b.length - 1)
    return concat(b.subarray(0, start), b.subarray(Math.min(b.length, start + randomInt(r, 1, 16))))
  },
  splice: (b, r, donor) => {
    const at = randomInt(r, 0, b.length)
    const from = randomInt(r, 0, donor.length - 1)
    return concat(b.subarray(0, at), donor.subarray(from, from + randomInt(r, 1, 64)), b.subarray(at))
  },
  duplicateField: (b, r) => {
    const fields = topLevelFields(b)
    const [start, end] = fields[randomInt(r, 0, fields.length - 1)] as [number, number]
    const at = (fields[randomInt(r, 0, fields.length - 1)] as [number, number])[r() < 0.5 ? 0 : 1]
    return concat(b.subarray(0, at), b.subarray(start, end), b.subarray(at))
  },
  dropField: (b, r) => {
    const fields = topLevelFields(b)
    const [start, end] = fields[randomInt(r, 0, fields.length - 1)] as [number, number]
    return concat(b.subarray(0, start), b.subarray(end))
  },
  hugeVarint: (b, r) => {
    const field = [1, 4, 5, 10, 2, 77][randomInt(r, 0, 5)] as number
    const huge = r() < 0.5 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01] : [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    const fields = topLevelFields(b)
    const at = (fields[randomInt(r, 0, fields.length - 1)] as [number, number])[1]
    return concat(b.subarray(0, at), [field * 8], huge, b.subarray(at))
  },
  lengthPastEnd: (b, r) => {
    // rewrite a length-delimited top-level field's length so it claims more bytes than remain
    const fields = topLevelFields(b).filter(([start, end]) => ((b[start] as number) & 7) === 2 && end - start >= 2)
    if (fields.length === 0) return concat(b, [0x12], [0xff, 0xff, 0x03]) // a topic field claiming 65535 bytes
    const [start, end] = fields[randomInt(r, 0, fields.length - 1)] as [number, number]
    const bogus = b.length + randomInt(r, 1, 1_000_000)
    const varint: number[] = []
    for (let n = bogus; ; n = Math.floor(n / 128)) { if (n < 128) { varint.push(n); break } varint.push((n % 128) | 0x80) }
    const tagLength = 1 // our top-level tags (fields 1..10) are one byte
    const oldLenBytes = topLevelLengthBytes(b, start + tagLength)
    return concat(b.subarray(0, start + tagLength), varint, b.subarray(start + tagLength + oldLenBytes, end), b.subarray(end))
  }
}

function topLevelLengthBytes (b: Uint8Array, at: number): number {
  let n = 1
  while (((b[at + n - 1] as number) & 0x80) !== 0) n++
  return n
}

describe('fuzz: MessageValidator.validate', () => {
  afterEach(() => { vi.restoreAllMocks() })

  /** Why a result is not a proper rejection, or undefined. Plain checks: expect() per input would dominate the run time. */
  const problemWith = (result: ValidationResult): string | undefined => {
    if (result.ok) return undefined
    if (!(REJECT_REASONS as readonly string[]).includes(result.reason)) return `unknown reason ${String(result.reason)}`
    if (typeof result.detail !== 'string' || result.detail.length === 0) return `no detail for ${result.reason}`
    return undefined
  }

  // generous timeouts: the machine is shared and these loops do tens of thousands of encodes
  it('rejects 5000 random byte strings with a reason, never throwing', { timeout: 60_000 }, () => {
    const random = seededRandom(0xfed)
    const clock = manualClock(0)
    const validator = new MessageValidator({ clock })
    const header = encodeHeartbeat({ sender: SENDERS[0] as string, seq: 1, sentAtMs: clock.wallNow(), heartbeat: sampleHeartbeat() })
    const inputs = 5000
    const problems: string[] = []
    for (let i = 0; i < inputs; i++) {
      // a third start with a genuine prefix so the decoder gets past the first field more often
      const tail = randomBytes(random, randomInt(random, 0, 300))
      const data = random() < 0.33 ? concat(header.subarray(0, randomInt(random, 1, 80)), tail) : tail
      const result = validator.validate({ topic: TOPICS.heartbeat, data, from: SENDERS[0], signed: true })
      const problem = result.ok ? 'random bytes accepted' : problemWith(result)
      if (problem !== undefined) problems.push(`input ${i}: ${problem}`)
    }
    expect(problems.slice(0, 5)).toEqual([])
    expect(validator.accepted + validator.rejected.total()).toBe(inputs)
    expect(validator.rejected.get('malformed')).toBeGreaterThan(inputs / 2)
  })

  it('survives 6000 mutations of valid messages; whatever it accepts is a genuine message', { timeout: 60_000 }, () => {
    const random = seededRandom(0xbeef)
    const clock = manualClock(0)
    const validator = new MessageValidator({ clock })
    const names = Object.keys(MUTATIONS)
    const perMutation: Record<string, { accepted: number, rejected: number }> = {}
    const inputs = 6000
    let seq = 1
    const problems: string[] = []
    const recentlyAccepted: InboundMessage[] = []
    let replays = 0
    let previous = validMessage(random, clock, seq++).bytes // splice donor: the previous valid message
    for (let i = 0; i < inputs; i++) {
      clock.advance(randomInt(random, 0, 50))
      if (recentlyAccepted.length > 0 && random() < 0.05) {
        // re-deliver something accepted before: it must not get through twice
        const again = recentlyAccepted[randomInt(random, 0, recentlyAccepted.length - 1)] as InboundMessage
        const result = validator.validate(again)
        if (result.ok || (result.reason !== 'replayed' && result.reason !== 'stale')) problems.push(`input ${i}: re-delivery not rejected as a replay`)
        replays++
        continue
      }
      const { bytes, sender } = validMessage(random, clock, seq++)
      const donor = previous
      previous = bytes
      let data = bytes
      const applied: string[] = []
      for (let k = randomInt(random, 1, 3); k > 0; k--) {
        const name = names[randomInt(random, 0, names.length - 1)] as string
        applied.push(name)
        data = data.length === 0 ? data : (MUTATIONS[name] as Mutation)(data, random, donor)
      }
      const msg: InboundMessage = { topic: TOPICS.heartbeat, data, from: sender, signed: true }
      const result = validator.validate(msg)
      const problem = problemWith(result)
      if (problem !== undefined) problems.push(`input ${i} (${applied.join('+')}): ${problem}`)
      const key = applied[0] as string
      perMutation[key] ??= { accepted: 0, rejected: 0 }
      if (!result.ok) { perMutation[key].rejected++; continue }
      perMutation[key].accepted++
      recentlyAccepted.push(msg)
      if (recentlyAccepted.length > 20) recentlyAccepted.shift()

      // Accepted: it must be a message we could have sent ourselves, and decode identically everywhere.
      const message = result.message
      expect(message.sender).toBe(sender)
      expect(message.topic).toBe(TOPICS.heartbeat)
      expect(decodeWireMessage(data)).toEqual(message)
      const reencoded = encodeWireMessage(message) // throws if any field is out of schema
      expect(decodeWireMessage(reencoded)).toEqual(message)
      expect(Envelope.encode(Envelope.decode(reencoded))).toEqual(reencoded)
    }
    expect(problems.slice(0, 5)).toEqual([])
    expect(validator.accepted + validator.rejected.total()).toBe(inputs)
    expect(replays).toBeGreaterThan(0)
    // the run exercised both sides and many distinct rejection paths
    expect(validator.accepted).toBeGreaterThan(100)
    const seen = REJECT_REASONS.filter(r => validator.rejected.get(r) > 0)
    expect(seen).toEqual(expect.arrayContaining<RejectReason>(['malformed', 'schema', 'sender-mismatch', 'wrong-topic', 'unsupported-version', 'stale', 'replayed']))
    for (const name of names) expect(perMutation[name]?.rejected ?? 0, name).toBeGreaterThan(0)
  })

  it('rejects oversized inputs before the protobuf decoder runs', { timeout: 60_000 }, () => {
    const random = seededRandom(7)
    const clock = manualClock(0)
    const validator = new MessageValidator({ clock })
    const valid = encodeHeartbeat({ sender: SENDERS[0] as string, seq: 1, sentAtMs: clock.wallNow(), heartbeat: sampleHeartbeat() })
    const decode = vi.spyOn(Envelope, 'decode') // after encodeHeartbeat, which decodes its own output as a check
    for (let i = 0; i < 50; i++) {
      const padding = new Uint8Array(randomInt(random, MAX_MESSAGE_BYTES - valid.length + 1, 200_000)).fill(randomInt(random, 0, 255))
      const data = concat(valid, padding)
      const result = validator.validate({ topic: TOPICS.heartbeat, data, from: SENDERS[0], signed: true })
      expect(result).toMatchObject({ ok: false, reason: 'oversized' })
    }
    expect(decode).not.toHaveBeenCalled()
    expect(validator.rejected.get('oversized')).toBe(50)
    // the spy does observe decoding of a normal-sized message
    expect(validator.validate({ topic: TOPICS.heartbeat, data: valid, from: SENDERS[0], signed: true }).ok).toBe(true)
    expect(decode).toHaveBeenCalledTimes(1)
  })
})
