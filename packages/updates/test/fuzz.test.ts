import { describe, expect, it } from 'vitest'
import {
  chunkPayload, decodeChunk, decodeGlobalModel, decodeModelUpdate, decodeRoundOpen, digestWeights, encodeChunk, encodeGlobalModel,
  encodeModelUpdate, encodeRoundOpen, quantizeDelta, Reassembler, UPDATE_REJECT_REASONS, UpdateReceiver, UpdateValidator
} from '../src/index.ts'
import type { DecodeResult, GlobalModel, ModelUpdate, TensorSpec } from '../src/index.ts'
import { ALICE, BOB, makeDelta, MALLORY, manualClock, randomInt, seededRandom } from './helpers.ts'

// A tiny model, so that mutations land in headers and tensor metadata often, not only in the values.
const SHAPES: TensorSpec[] = [{ name: 'w', shape: [4, 5] }, { name: 'b', shape: [5] }]
const EXPECT = { session: 'fz', round: 3, term: 1, baseVersion: 2, shapes: SHAPES }
const INPUTS_PER_DECODER = 3000
// generous: the machine is shared, and these loops are CPU-bound
const FUZZ_TIMEOUT_MS = 120_000
const KNOWN = new Set<string>(UPDATE_REJECT_REASONS)

function seedUpdates (random: () => number): ModelUpdate[] {
  return (['float32', 'int8', 'int8-topk'] as const).flatMap(scheme => [ALICE, BOB].map(sender => ({
    session: EXPECT.session, round: EXPECT.round, term: EXPECT.term, baseVersion: EXPECT.baseVersion, samples: randomInt(random, 1, 1000), sender,
    ...quantizeDelta(makeDelta(SHAPES, random, 0.1), { scheme, topkFraction: 0.3 })
  })))
}

function seedModel (random: () => number): GlobalModel {
  const tensors = makeDelta(SHAPES, random)
  return {
    session: EXPECT.session, round: 3, term: 1, version: 3, coordinator: BOB, rule: 'krum',
    includedDigests: ['ab'.repeat(32), 'cd'.repeat(32)], scores: [1.5, Number.NaN], tensors, weightsDigest: digestWeights(tensors)
  }
}

/** Top-level [start, end) byte ranges of a message's fields; parsing stops at the first field that does not fit. */
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

const concat = (...parts: ArrayLike<number>[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}
const randomBytes = (random: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => randomInt(random, 0, 255))

type Mutation = (b: Uint8Array, r: () => number, donor: Uint8Array) => Uint8Array
const MUTATIONS: Mutation[] = [
  (b, r) => { const out = b.slice(); for (let i = randomInt(r, 1, 8); i > 0; i--) { const at = randomInt(r, 0, out.length - 1); out[at] = (out[at] as number) ^ (1 << randomInt(r, 0, 7)) } return out },
  (b, r) => { const out = b.slice(); out[randomInt(r, 0, out.length - 1)] = [0x00, 0x01, 0x7f, 0x80, 0xff, randomInt(r, 0, 255)][randomInt(r, 0, 5)] as number; return out },
  (b, r) => b.slice(0, randomInt(r, 0, b.length - 1)),
  (b, r) => concat(b, randomBytes(r, randomInt(r, 1, 16))),
  (b, r, d) => concat(b.subarray(0, randomInt(r, 0, b.length)), d.subarray(randomInt(r, 0, d.length))),
  (b, r) => { const f = topLevelFields(b); const [s, e] = f[randomInt(r, 0, f.length - 1)] as [number, number]; return concat(b, b.subarray(s, e)) },
  (b, r) => { const f = topLevelFields(b); const [s, e] = f[randomInt(r, 0, f.length - 1)] as [number, number]; return concat(b.subarray(0, s), b.subarray(e)) },
  (b, r) => { const f = topLevelFields(b); const [s, e] = f[randomInt(r, 0, f.length - 1)] as [number, number]; return concat(b.subarray(0, s), randomBytes(r, e - s), b.subarray(e)) },
  // nested: flip a byte inside the first tensor (tensor fields sit at the end of update messages)
  (b, r) => { const out = b.slice(); const at = randomInt(r, Math.floor(out.length / 2), out.length - 1); out[at] = randomInt(r, 0, 255); return out },
  (_b, r) => randomBytes(r, randomInt(r, 0, 200))
]

function mutate (seed: Uint8Array, random: () => number, donor: Uint8Array): Uint8Array {
  let bytes = seed
  for (let i = randomInt(random, 1, 3); i > 0; i--) {
    if (bytes.length === 0) bytes = randomBytes(random, 8)
    bytes = (MUTATIONS[randomInt(random, 0, MUTATIONS.length - 1)] as Mutation)(bytes, random, donor)
  }
  return bytes
}

/** Runs `decode` on many mutants; every result is ok or a decode reason, and what decodes re-encodes to the same value. */
function fuzzDecoder<T> (seeds: Uint8Array[], decode: (b: Uint8Array) => DecodeResult<T>, reencode: (v: T) => Uint8Array | undefined, seed: number): { ok: number, rejected: number } {
  const random = seededRandom(seed)
  let ok = 0
  let rejected = 0
  for (let i = 0; i < INPUTS_PER_DECODER; i++) {
    const input = mutate(seeds[randomInt(random, 0, seeds.length - 1)] as Uint8Array, random, seeds[randomInt(random, 0, seeds.length - 1)] as Uint8Array)
    // plain checks in the loop (vitest's expect is slow at thousands of calls); a failure throws with the input
    const result = decode(input)
    if (!result.ok) {
      if ((result.reason !== 'malformed' && result.reason !== 'unsupported-version') || typeof result.detail !== 'string') {
        throw new Error(`unexpected rejection ${JSON.stringify(result)} for input ${Array.from(input).join(',')}`)
      }
      rejected++
      continue
    }
    ok++
    // the decoder accepted it, so the encoder must agree it is a valid value (or refuse only non-finite content)
    const again = reencode(result.value)
    if (again === undefined) continue
    const redecoded = decode(again)
    if (!redecoded.ok || !sameValue(redecoded.value, result.value)) {
      throw new Error(`decode → encode → decode changed the value for input ${Array.from(input).join(',')}`)
    }
  }
  return { ok, rejected }
}

/** Structural equality for decoded values: plain objects, arrays, typed arrays; NaN equals NaN. */
function sameValue (a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>
    const y = b as unknown as ArrayLike<number>
    if (a.constructor !== b.constructor || x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false
    return true
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    return ka.length === kb.length && ka.every(k => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  }
  return false
}

describe('fuzzing the decoders', () => {
  it('sameValue tells different values apart', () => {
    expect(sameValue({ a: [1, Number.NaN], t: Int8Array.of(1, 2) }, { a: [1, Number.NaN], t: Int8Array.of(1, 2) })).toBe(true)
    expect(sameValue({ t: Int8Array.of(1, 2) }, { t: Int8Array.of(1, 3) })).toBe(false)
    expect(sameValue({ t: Int8Array.of(1, 2) }, { t: Uint8Array.of(1, 2) })).toBe(false)
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(sameValue([0], [-0])).toBe(false)
  })

  it(`decodeModelUpdate: ${INPUTS_PER_DECODER} mutants never throw; accepted ones re-encode identically`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const seeds = seedUpdates(seededRandom(1)).map(u => encodeModelUpdate(u))
    const { ok, rejected } = fuzzDecoder(seeds, decodeModelUpdate, v => {
      try { return encodeModelUpdate(v) } catch (err) {
        // the encoder refuses NaN/Infinity content and samples 0, which the decoder leaves to the validator
        expect(String(err)).toMatch(/scale|value|samples/)
        return undefined
      }
    }, 101)
    expect(ok).toBeGreaterThan(50)
    expect(rejected).toBeGreaterThan(INPUTS_PER_DECODER / 2)
  })

  it(`decodeGlobalModel: ${INPUTS_PER_DECODER} mutants never throw; accepted ones re-encode identically`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const seeds = [seedModel(seededRandom(2)), { ...seedModel(seededRandom(3)), includedDigests: [], scores: [] }].map(encodeGlobalModel)
    const { ok } = fuzzDecoder(seeds, decodeGlobalModel, v => {
      try { return encodeGlobalModel(v) } catch (err) {
        // the decoder leaves non-finite weights and a weights digest that does not match them to the verifier
        expect(String(err)).toMatch(/not finite|weightsDigest is not the digest/)
        return undefined
      }
    }, 202)
    expect(ok).toBeGreaterThan(50)
  })

  it(`decodeRoundOpen: ${INPUTS_PER_DECODER} mutants never throw; accepted ones re-encode identically`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const seeds = [
      { session: 'fz', round: 3, term: 2, coordinator: BOB, baseVersion: 2, baseDigest: 'ab'.repeat(32), deadlineMs: 20_000, minParticipants: 4, aggregator: { rule: 'multi-krum', f: 1, m: 3, nnm: true } },
      { session: 'fz', round: 9, term: 1, coordinator: ALICE, baseVersion: 8, baseDigest: 'cd'.repeat(32), deadlineMs: 5, minParticipants: 1, aggregator: { rule: 'centered-clipping', f: 0, clipRadius: 0.5, clipIterations: 2 } }
    ].map(encodeRoundOpen)
    const { ok, rejected } = fuzzDecoder(seeds, decodeRoundOpen, v => {
      try { return encodeRoundOpen(v) } catch (err) {
        // a mutated double can become NaN/Infinity/negative, which the encoder refuses; the decoder reports it too
        expect(String(err)).toMatch(/clipRadius/)
        return undefined
      }
    }, 606)
    expect(ok).toBeGreaterThan(50)
    expect(rejected).toBeGreaterThan(INPUTS_PER_DECODER / 4)
  })

  it(`decodeChunk: ${INPUTS_PER_DECODER} mutants never throw; accepted ones re-encode identically`, { timeout: FUZZ_TIMEOUT_MS }, () => {
    const payload = encodeModelUpdate(seedUpdates(seededRandom(4))[1] as ModelUpdate)
    const seeds = chunkPayload(payload, { kind: 'model-update', session: 'fz', round: 3, term: 1 }, { maxChunkBytes: 120 }).chunks
    const { ok } = fuzzDecoder(seeds, decodeChunk, encodeChunk, 303)
    expect(ok).toBeGreaterThan(50)
  })
})

describe('fuzzing the receive path', () => {
  it('UpdateValidator: mutated payloads always get a known reason and every call is counted once', { timeout: FUZZ_TIMEOUT_MS }, () => {
    const random = seededRandom(404)
    // deflated int8 values too (INT8_DEFLATE): mutants of a compressed stream must fail as cleanly
    const seeds = seedUpdates(seededRandom(5)).flatMap(u => [encodeModelUpdate(u), encodeModelUpdate(u, { compress: true })])
    const v = new UpdateValidator({ expect: EXPECT, maxNorm: 100 })
    const calls = 3000
    for (let i = 0; i < calls; i++) {
      const payload = mutate(seeds[randomInt(random, 0, seeds.length - 1)] as Uint8Array, random, seeds[0] as Uint8Array)
      const from = [ALICE, BOB, MALLORY, undefined][randomInt(random, 0, 3)]
      const result = v.validate({ payload, from })
      if (!result.ok && (!KNOWN.has(result.reason) || result.detail.length === 0)) throw new Error(`bad rejection ${JSON.stringify(result)}`)
    }
    expect(v.accepted + v.rejected.total()).toBe(calls)
  })

  it('UpdateReceiver: a stream of valid, mutated and foreign chunks never throws and stays within bounds', { timeout: FUZZ_TIMEOUT_MS }, () => {
    const random = seededRandom(505)
    const clock = manualClock()
    const maxPending = 6
    const maxBufferedBytes = 4000
    const rx = new UpdateReceiver({ clock, expect: EXPECT, maxNorm: 100, maxPending, maxBufferedBytes, timeoutMs: 5000 })
    const updates = seedUpdates(seededRandom(6))
    const streams = updates.map(u => ({ from: u.sender, chunks: chunkPayload(encodeModelUpdate(u), { kind: 'model-update', session: 'fz', round: 3, term: 1 }, { maxChunkBytes: 90 }).chunks }))
    const all = streams.flatMap(s => s.chunks)
    const delivered = new Set<string>()
    let calls = 0
    for (let i = 0; i < 6000; i++) {
      const s = streams[randomInt(random, 0, streams.length - 1)] as typeof streams[number]
      const chunk = s.chunks[randomInt(random, 0, s.chunks.length - 1)] as Uint8Array
      const roll = random()
      const data = roll < 0.5 ? chunk : mutate(chunk, random, all[randomInt(random, 0, all.length - 1)] as Uint8Array)
      const from = roll < 0.9 ? s.from : MALLORY
      const result = rx.accept({ data, from })
      calls++
      if (!result.ok && !KNOWN.has(result.reason)) throw new Error(`unknown reason ${result.reason}`)
      if (result.ok && result.complete) {
        // anything delivered is one of the genuine updates, from its genuine sender
        if (!updates.some(u => sameValue(u, result.update)) || result.from !== result.update.sender) throw new Error(`delivered a forged update from ${result.from}`)
        delivered.add(result.digest)
      }
      const stats = rx.reassembler.stats()
      if (stats.pending > maxPending || stats.bufferedBytes < 0 || stats.bufferedBytes > maxBufferedBytes) throw new Error(`bounds broken: ${JSON.stringify(stats)}`)
      if (i % 500 === 499) clock.advance(6000)
    }
    expect(delivered.size).toBeGreaterThan(0)
    expect(rx.rejected.total()).toBeGreaterThan(0)
    expect(calls).toBe(6000)
  })

  it('Reassembler: random bytes from random authors never throw', { timeout: FUZZ_TIMEOUT_MS }, () => {
    const random = seededRandom(606)
    const r = new Reassembler({ clock: manualClock() })
    for (let i = 0; i < 3000; i++) {
      const result = r.accept({ data: randomBytes(random, randomInt(random, 0, 300)), from: random() < 0.9 ? ALICE : undefined })
      if ((result.ok && result.complete) || (!result.ok && !KNOWN.has(result.reason))) throw new Error(`unexpected ${JSON.stringify(result)}`)
    }
  })
})
