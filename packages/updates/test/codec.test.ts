import { deflateSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import {
  checkGlobalModel, globalModelHeader,
  chunkPayload, decodeChunk, decodeGlobalModel, decodeModelUpdate, decodeRoundOpen, digestUpdate, digestWeights, encodeChunk, encodeGlobalModel,
  encodeModelUpdate, encodeRoundOpen, encodeRoundOpenChunks, MAX_HELD_DIGESTS, quantizeDelta, Reassembler, UPDATES_WIRE_VERSION
} from '../src/index.ts'
import type { GlobalModel, Int8Tensor, ModelUpdate, QuantizedTensor, RoundOpen } from '../src/index.ts'
import * as pb from '../src/wire/updates.ts'
import { ALICE, BOB, makeDelta, makeUpdate, seededRandom, SHAPES } from './helpers.ts'

function makeGlobalModel (): GlobalModel {
  const tensors = makeDelta(SHAPES, seededRandom(4))
  return {
    session: 'mnist-1',
    round: 7,
    term: 2,
    version: 7,
    coordinator: BOB,
    includedDigests: [digestUpdate(Uint8Array.of(1)), digestUpdate(Uint8Array.of(2))],
    scores: [12.5, Number.NaN],
    rule: 'krum',
    tensors,
    weightsDigest: digestWeights(tensors)
  }
}

/** Encodes a wire object directly, bypassing the encoder's checks, to build hostile payloads. */
function rawUpdate (patch: Partial<pb.ModelUpdate> = {}, tensorPatch: Partial<pb.TensorData> = {}): Uint8Array {
  const int8 = makeUpdate().tensors[0] as Int8Tensor
  return pb.ModelUpdate.encode({
    version: UPDATES_WIRE_VERSION,
    session: 's',
    round: 1,
    term: 1,
    baseVersion: 1,
    samples: 1,
    sender: ALICE,
    tensors: [{
      name: int8.name,
      shape: int8.shape,
      scheme: pb.Scheme.INT8,
      scale: int8.scale,
      values: new Uint8Array(int8.values.slice().buffer),
      indices: new Uint8Array(0),
      ...tensorPatch
    }],
    ...patch
  })
}

function expectMalformed (bytes: Uint8Array, detail: RegExp): void {
  const r = decodeModelUpdate(bytes)
  expect(r.ok).toBe(false)
  if (!r.ok) {
    expect(r.reason).toBe('malformed')
    expect(r.detail).toMatch(detail)
  }
}

describe('model update codec', () => {
  it('round-trips the header and every scheme', () => {
    for (const scheme of ['float32', 'int8', 'int8-topk'] as const) {
      const update = makeUpdate({ quantize: { scheme, topkFraction: 0.3 } })
      const r = decodeModelUpdate(encodeModelUpdate(update))
      expect(r).toEqual({ ok: true, value: update })
    }
  })

  it('decoded arrays do not share memory with the input bytes', () => {
    const bytes = encodeModelUpdate(makeUpdate())
    const r = decodeModelUpdate(bytes)
    if (!r.ok) throw new Error(r.detail)
    const before = (r.value.tensors[0] as Int8Tensor).values.slice()
    bytes.fill(0)
    expect((r.value.tensors[0] as Int8Tensor).values).toEqual(before)
  })

  it('the encoder refuses what receivers would reject, naming the field', () => {
    const good = makeUpdate()
    const withTensor = (t: Partial<QuantizedTensor>): ModelUpdate => ({ ...good, tensors: [{ ...(good.tensors[0] as Int8Tensor), ...t } as QuantizedTensor] })
    expect(() => encodeModelUpdate({ ...good, sender: 'not a peer id' })).toThrow(/sender/)
    expect(() => encodeModelUpdate({ ...good, session: '' })).toThrow(/session/)
    expect(() => encodeModelUpdate({ ...good, round: -1 })).toThrow(/round/)
    expect(() => encodeModelUpdate({ ...good, term: 1.5 })).toThrow(/term/)
    expect(() => encodeModelUpdate({ ...good, samples: 0 })).toThrow(/samples/)
    expect(() => encodeModelUpdate(withTensor({ scale: Number.NaN }))).toThrow(/scale NaN/)
    expect(() => encodeModelUpdate(withTensor({ scale: Math.fround(1e38) }))).toThrow(/127 \* scale/)
    expect(() => encodeModelUpdate(withTensor({ scale: 0.1 }))).toThrow(/not a float32/)
    expect(() => encodeModelUpdate(withTensor({ scale: -0.5 }))).toThrow(/negative/)
    expect(() => encodeModelUpdate(withTensor({ shape: [3] }))).toThrow(/Int8Array of 3/)
    const f32 = quantizeDelta(makeDelta(SHAPES, seededRandom(1)), { scheme: 'float32' })
    ;(f32.tensors[2]?.values as Float32Array)[3] = Number.POSITIVE_INFINITY
    expect(() => encodeModelUpdate({ ...good, ...f32 })).toThrow(/dense2\/kernel.*index 3/)
  })

  it('decodes a hostile but well-formed payload to the right reason', () => {
    expect(decodeModelUpdate(rawUpdate())).toMatchObject({ ok: true })
    expect(decodeModelUpdate(rawUpdate({ version: 2 }))).toMatchObject({ ok: false, reason: 'unsupported-version' })
    expectMalformed(rawUpdate({ sender: 'x y' }), /sender/)
    expectMalformed(rawUpdate({}, { values: new Uint8Array(5) }), /5 int8 values for 1600/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.SCHEME_UNKNOWN }), /unknown scheme/)
    expectMalformed(rawUpdate({}, { indices: Uint8Array.of(1) }), /no indices/)
    expectMalformed(rawUpdate({}, { shape: [1, 2, 3, 4, 5, 6, 7, 8, 9] }), /more than 8 elements/)
    expectMalformed(rawUpdate({}, { shape: [65536, 65536] }), /elements, at most/)
    expectMalformed(rawUpdate({}, { scale: -1 }), /negative/)
    // top-k: index past the end, values/indices count mismatch, truncated varint
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_TOPK, shape: [4], indices: Uint8Array.of(0, 3), values: Uint8Array.of(1, 2) }), /index 4 out of range/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_TOPK, shape: [4], indices: Uint8Array.of(0, 1), values: Uint8Array.of(1) }), /1 values for 2/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_TOPK, shape: [400], indices: Uint8Array.of(0x81), values: Uint8Array.of(1) }), /truncated/)
    // a non-finite scale is not malformed: the validator reports it as 'non-finite'
    expect(decodeModelUpdate(rawUpdate({}, { scale: Number.NaN }))).toMatchObject({ ok: true })
  })

  it('the structural walk catches what protons would misread', () => {
    const good = rawUpdate()
    // field 3 (round, varint) sent as a fixed32 (round 0 is not encoded, so this is its only occurrence)
    expectMalformed(Uint8Array.of(...rawUpdate({ round: 0 }), (3 << 3) | 5, 1, 0, 0, 0), /wire type 5, expected 0/)
    // a singular field twice (protons would keep the last)
    expectMalformed(Uint8Array.of(...good, (3 << 3) | 0, 9), /more than once/)
    // uint32 out of range
    expectMalformed(Uint8Array.of(...rawUpdate({ samples: 0 }), (6 << 3) | 0, 0x80, 0x80, 0x80, 0x80, 0x10), /out of range/)
    // a padded six-byte varint (protons' uint32 reader would skip ten bytes)
    expectMalformed(Uint8Array.of(...rawUpdate({ round: 0 }), (3 << 3) | 0, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00), /longer than 5 bytes/)
    // a tensor whose shape [20, 80] is packed (protons reads unpacked only, so it must not reach protons)
    expectMalformed(Uint8Array.of(...rawUpdate({ tensors: [] }), (8 << 3) | 2, 4, (2 << 3) | 2, 2, 20, 80), /TensorData.2: wire type 2, expected 0/)
    // invalid UTF-8 in the session
    const session = rawUpdate({ session: 'ab' })
    const at = session.indexOf(0x61)
    session[at] = 0xff
    expectMalformed(session, /UTF-8/)
    // truncated input
    expectMalformed(good.subarray(0, good.length - 3), /runs past the end|truncated/)
    // unknown fields are skipped (forward compatibility)
    // (field 99, wire type 2: tag 794 = varint 0x9a 0x06)
    expect(decodeModelUpdate(Uint8Array.of(...good, 0x9a, 0x06, 2, 7, 7))).toMatchObject({ ok: true })
  })

  it('compress deflates int8 values losslessly, where that makes them smaller', () => {
    // half the entries exactly 0, as in an mnist delta (weights of always-0 pixels do not move)
    const update = makeUpdate()
    const sparse = update.tensors.map(t => t.scheme === 'int8' ? { ...t, values: t.values.map((v, i) => i % 2 === 0 ? 0 : v) } : t)
    const plain = { ...update, tensors: sparse }
    const raw = encodeModelUpdate(plain)
    const compressed = encodeModelUpdate(plain, { compress: true })
    expect(compressed.length).toBeLessThan(raw.length * 0.8)
    expect(pb.ModelUpdate.decode(compressed).tensors.map(t => t.scheme)).toContain(pb.Scheme.INT8_DEFLATE)
    expect(decodeModelUpdate(compressed)).toEqual({ ok: true, value: plain })
    // the same bytes every time (a payload's digest is its id)
    expect(encodeModelUpdate(plain, { compress: true })).toEqual(compressed)
    // values that do not shrink (here 8 bytes) go as they are; float32 and top-k are never deflated
    const tiny = { ...plain, tensors: [{ scheme: 'int8' as const, name: 'b', shape: [8], scale: 0.5, values: Int8Array.of(1, -7, 100, 3, -128, 9, 27, -60) }] }
    expect(pb.ModelUpdate.decode(encodeModelUpdate(tiny, { compress: true })).tensors[0]?.scheme).toBe(pb.Scheme.INT8)
    for (const scheme of ['float32', 'int8-topk'] as const) {
      const other = makeUpdate({ quantize: { scheme, topkFraction: 0.3 } })
      expect(encodeModelUpdate(other, { compress: true })).toEqual(encodeModelUpdate(other))
    }
  })

  it('deflated values must inflate to exactly one byte per element; a bomb is cut off, not expanded', () => {
    const n = 1600 // SHAPES[0], the tensor rawUpdate carries
    const deflated = (length: number): Uint8Array<ArrayBuffer> => deflateSync(new Uint8Array(length).fill(3)) as Uint8Array<ArrayBuffer>
    expect(decodeModelUpdate(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: deflated(n) }))).toMatchObject({ ok: true })
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: deflated(n - 1) }), /inflate to 1599 bytes, expected 1600/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: deflated(n + 1) }), /inflate to more than 1600 bytes/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: deflated(n).slice(0, 5) }), /do not inflate/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: Uint8Array.of(0xff, 0xff, 0xff, 0xff) }), /do not inflate/)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: deflated(n), indices: Uint8Array.of(1) }), /no indices/)
    // 16 MiB of zeros deflate to ~16 KB, cut short here so that the stream is broken at its end: a decoder that
    // inflated all of it would report the break; this one stops within the first few KB it reads
    const bomb = deflateSync(new Uint8Array(16 * 1024 * 1024), { level: 1 })
    expect(bomb.length).toBeGreaterThan(12_000)
    expectMalformed(rawUpdate({}, { scheme: pb.Scheme.INT8_DEFLATE, values: bomb.subarray(0, bomb.length - 2000) }), /more than 1600 bytes/)
  })

  it('never throws on non-Uint8Array input', () => {
    expect(decodeModelUpdate(undefined as unknown as Uint8Array)).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeChunk('abc' as unknown as Uint8Array)).toMatchObject({ ok: false, reason: 'malformed' })
  })
})

describe('global model codec', () => {
  it('round-trips, NaN scores included', () => {
    const model = makeGlobalModel()
    const r = decodeGlobalModel(encodeGlobalModel(model))
    expect(r).toEqual({ ok: true, value: model })
  })

  it('a header (globalModelHeader) carries the weights\' digest alone; checkGlobalModel tells the two forms apart', () => {
    const model = makeGlobalModel()
    const header = globalModelHeader(model)
    const bytes = encodeGlobalModel(header)
    expect(bytes.length).toBeLessThan(encodeGlobalModel(model).length / 4)
    expect(decodeGlobalModel(bytes)).toEqual({ ok: true, value: { ...model, tensors: [] } })
    const shapes = model.tensors.map(t => ({ name: t.name, shape: t.shape }))
    // gossiped: a header, never weights
    expect(checkGlobalModel(header, { session: model.session, header: true })).toBeUndefined()
    expect(checkGlobalModel(model, { session: model.session, header: true })).toMatchObject({ reason: 'shape-mismatch', detail: expect.stringMatching(/digest only/) })
    // fetched: the weights, never a header
    expect(checkGlobalModel(model, { session: model.session, shapes })).toBeUndefined()
    expect(checkGlobalModel(header, { session: model.session, shapes })).toMatchObject({ reason: 'shape-mismatch' })
    // with weights, the encoder still insists on their digest
    expect(() => encodeGlobalModel({ ...model, weightsDigest: 'ab'.repeat(32) })).toThrow(/weightsDigest/)
  })

  it('the encoder checks digests, scores, rule and values', () => {
    const m = makeGlobalModel()
    expect(() => encodeGlobalModel({ ...m, includedDigests: ['abc', m.includedDigests[0] as string] })).toThrow(/hex/)
    expect(() => encodeGlobalModel({ ...m, includedDigests: [m.includedDigests[0] as string, m.includedDigests[0] as string] })).toThrow(/twice/)
    expect(() => encodeGlobalModel({ ...m, scores: [1] })).toThrow(/one score per included digest/)
    expect(() => encodeGlobalModel({ ...m, scores: [1, Number.POSITIVE_INFINITY] })).toThrow(/finite or NaN/)
    expect(() => encodeGlobalModel({ ...m, rule: '' })).toThrow(/rule/)
    expect(() => encodeGlobalModel({ ...m, coordinator: '' })).toThrow(/coordinator/)
    const tensors = makeDelta(SHAPES, seededRandom(1))
    ;(tensors[0]?.data as Float32Array)[0] = Number.NaN
    expect(() => encodeGlobalModel({ ...m, tensors })).toThrow(/not finite/)
    expect(() => encodeGlobalModel({ ...m, weightsDigest: 'ab'.repeat(32) })).toThrow(/weightsDigest is not the digest/)
    expect(() => encodeGlobalModel({ ...m, weightsDigest: 'xyz' })).toThrow(/weightsDigest must be/)
  })

  it('the weights digest covers names, shapes and every bit of every value', () => {
    const m = makeGlobalModel()
    const d = digestWeights(m.tensors)
    const copy = m.tensors.map(t => ({ ...t, data: t.data.slice() }))
    expect(digestWeights(copy)).toBe(d)
    ;(copy[1]?.data as Float32Array)[3] = Math.fround((copy[1]?.data as Float32Array)[3] as number) + 2 ** -20
    expect(digestWeights(copy)).not.toBe(d)
    expect(digestWeights(m.tensors.map((t, i) => i === 0 ? { ...t, name: 'other' } : t))).not.toBe(d)
    // -0 and +0 are equal numbers but different weights bits
    expect(digestWeights([{ name: 'z', shape: [1], data: Float32Array.of(-0) }])).not.toBe(digestWeights([{ name: 'z', shape: [1], data: Float32Array.of(0) }]))
    expect(digestWeights([{ name: 'a', shape: [2, 3], data: new Float32Array(6) }])).not.toBe(digestWeights([{ name: 'a', shape: [3, 2], data: new Float32Array(6) }]))
  })

  it('the decoder refuses quantised tensors and short digests', () => {
    const m = makeGlobalModel()
    const wire = pb.GlobalModel.decode(encodeGlobalModel(m))
    const int8: pb.TensorData = { name: 'w', shape: [2], scheme: pb.Scheme.INT8, scale: 1, values: Uint8Array.of(1, 2), indices: new Uint8Array(0) }
    expect(decodeGlobalModel(pb.GlobalModel.encode({ ...wire, tensors: [int8] }))).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/float32/) })
    expect(decodeGlobalModel(pb.GlobalModel.encode({ ...wire, includedDigests: [Uint8Array.of(1, 2, 3), ...wire.includedDigests.slice(1)] }))).toMatchObject({ ok: false, reason: 'malformed' })
  })
})

describe('round-open codec', () => {
  const open: RoundOpen = {
    session: 'mnist-1', round: 8, term: 3, coordinator: BOB, baseVersion: 7, baseDigest: 'cd'.repeat(32),
    deadlineMs: 15_000, minParticipants: 5, aggregator: { rule: 'multi-krum', f: 2, m: 4, nnm: true }
  }

  it('round-trips; unset options stay unset and 0 means "the default"', () => {
    expect(decodeRoundOpen(encodeRoundOpen(open))).toEqual({ ok: true, value: open })
    const plain: RoundOpen = { ...open, aggregator: { rule: 'krum', f: 0 } }
    expect(decodeRoundOpen(encodeRoundOpen(plain))).toEqual({ ok: true, value: plain })
    const clip: RoundOpen = { ...open, aggregator: { rule: 'centered-clipping', f: 1, clipRadius: 0.25, clipIterations: 3, trim: 2 } }
    expect(decodeRoundOpen(encodeRoundOpen(clip))).toEqual({ ok: true, value: clip })
  })

  it('a takeover lists the updates its coordinator holds; an empty list is the same as none', () => {
    const held = ['01'.repeat(32), 'ab'.repeat(32)]
    const takeover: RoundOpen = { ...open, held }
    expect(decodeRoundOpen(encodeRoundOpen(takeover))).toEqual({ ok: true, value: takeover })
    expect(encodeRoundOpen(takeover).length - encodeRoundOpen(open).length).toBe(2 * 34)
    expect(decodeRoundOpen(encodeRoundOpen({ ...open, held: [] }))).toEqual({ ok: true, value: open })
    expect(() => encodeRoundOpen({ ...open, held: ['ab'] })).toThrow(/held digest/)
    expect(() => encodeRoundOpen({ ...open, held: [held[0]!, held[0]!] })).toThrow(/twice/)
    const many = Array.from({ length: MAX_HELD_DIGESTS + 1 }, (_, i) => i.toString(16).padStart(64, '0'))
    expect(() => encodeRoundOpen({ ...open, held: many })).toThrow(/at most 256/)
    expect(decodeRoundOpen(encodeRoundOpen({ ...open, held: many.slice(1) }))).toMatchObject({ ok: true })
    const wire = pb.RoundOpen.decode(encodeRoundOpen(takeover))
    expect(decodeRoundOpen(pb.RoundOpen.encode({ ...wire, held: [Uint8Array.of(1, 2, 3)] }))).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/held digest 0/) })
    expect(decodeRoundOpen(pb.RoundOpen.encode({ ...wire, held: many.map(d => Uint8Array.from(Buffer.from(d, 'hex'))) }))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeRoundOpen(pb.RoundOpen.encode({ ...wire, held: [wire.held[0]!, wire.held[0]!] }))).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/twice/) })
  })

  it('the encoder refuses what receivers would drop', () => {
    expect(() => encodeRoundOpen({ ...open, baseDigest: 'ab' })).toThrow(/baseDigest/)
    expect(() => encodeRoundOpen({ ...open, deadlineMs: 0 })).toThrow(/deadlineMs/)
    expect(() => encodeRoundOpen({ ...open, minParticipants: 0 })).toThrow(/minParticipants/)
    expect(() => encodeRoundOpen({ ...open, coordinator: '' })).toThrow(/coordinator/)
    expect(() => encodeRoundOpen({ ...open, aggregator: { rule: '' } })).toThrow(/rule/)
    expect(() => encodeRoundOpen({ ...open, aggregator: { rule: 'krum', m: 0 } })).toThrow(/m is 0/)
    expect(() => encodeRoundOpen({ ...open, aggregator: { rule: 'centered-clipping', clipRadius: Number.NaN } })).toThrow(/clipRadius/)
  })

  it('the decoder drops a missing spec, a bool that is not 0/1, a short digest and another version', () => {
    const wire = pb.RoundOpen.decode(encodeRoundOpen(open))
    expect(decodeRoundOpen(pb.RoundOpen.encode({ ...wire, aggregator: undefined }))).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/aggregator/) })
    expect(decodeRoundOpen(pb.RoundOpen.encode({ ...wire, baseDigest: Uint8Array.of(1, 2) }))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeRoundOpen(pb.RoundOpen.encode({ ...wire, version: 9 }))).toMatchObject({ ok: false, reason: 'unsupported-version' })
    // AggregatorSpec.nnm (field 7) as varint 2: protons would read "true"; the structural walk refuses it
    const bytes = encodeRoundOpen(open)
    const at = bytes.lastIndexOf(7 << 3)
    expect(bytes[at + 1]).toBe(1)
    const tampered = bytes.slice()
    tampered[at + 1] = 2
    expect(decodeRoundOpen(tampered)).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringMatching(/enum/) })
    expect(decodeRoundOpen(encodeModelUpdate(makeUpdate()))).toMatchObject({ ok: false })
  })

  it('travels as a single round-open chunk that a Reassembler completes at once', () => {
    const encoded = encodeRoundOpenChunks(open)
    expect(encoded.chunks).toHaveLength(1)
    expect(decodeChunk(encoded.chunks[0] as Uint8Array)).toMatchObject({ ok: true, value: { kind: 'round-open', round: 8, term: 3, count: 1 } })
    const r = new Reassembler({ clock: { now: () => 0 } }).accept({ data: encoded.chunks[0] as Uint8Array, from: BOB })
    expect(r).toMatchObject({ ok: true, complete: true, payload: { kind: 'round-open', digest: encoded.digest } })
    expect(chunkPayload(encoded.payload, { kind: 'round-open', session: 's', round: 1, term: 1 }).chunks).toHaveLength(1)
  })
})

describe('chunk codec', () => {
  const chunk = {
    kind: 'model-update' as const, digest: 'ab'.repeat(32), index: 2, count: 3, totalBytes: 100, session: 's', round: 4, term: 1, data: Uint8Array.of(1, 2, 3)
  }

  it('round-trips', () => {
    expect(decodeChunk(encodeChunk(chunk))).toEqual({ ok: true, value: chunk })
  })

  it('refuses impossible index/count/size combinations', () => {
    expect(() => encodeChunk({ ...chunk, index: 3 })).toThrow(/index 3 must be below count 3/)
    expect(() => encodeChunk({ ...chunk, count: 0, index: 0 })).toThrow(/count 0/)
    expect(() => encodeChunk({ ...chunk, count: 101 })).toThrow(/count 101/)
    expect(() => encodeChunk({ ...chunk, totalBytes: 2 })).toThrow(/count 3 must be in 1..totalBytes|longer than the payload/)
    expect(() => encodeChunk({ ...chunk, data: new Uint8Array(0) })).toThrow(/non-empty/)
    expect(() => encodeChunk({ ...chunk, digest: 'xyz' })).toThrow(/digest/)
    const wire = pb.Chunk.decode(encodeChunk(chunk))
    expect(decodeChunk(pb.Chunk.encode({ ...wire, kind: pb.PayloadKind.PAYLOAD_UNKNOWN }))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeChunk(pb.Chunk.encode({ ...wire, payloadDigest: Uint8Array.of(1) }))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(decodeChunk(pb.Chunk.encode({ ...wire, version: 9 }))).toMatchObject({ ok: false, reason: 'unsupported-version' })
  })
})
