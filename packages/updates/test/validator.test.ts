import { describe, expect, it } from 'vitest'
import {
  chunkPayload, dequantize, digestWeights, encodeGlobalModelChunks, encodeModelUpdate, flattenTensors, GlobalModelReceiver,
  UPDATE_REASON_ACTION, UPDATE_REJECT_REASONS, UpdateReceiver, UpdateValidator
} from '../src/index.ts'
import type { GlobalModel, ModelUpdate, UpdateRejectReason, UpdateValidationResult } from '../src/index.ts'
import * as pb from '../src/wire/updates.ts'
import { ALICE, BOB, EXPECT, makeDelta, makeUpdate, MALLORY, manualClock, seededRandom, SHAPES } from './helpers.ts'

const MAX_NORM = 10

/** Encodes with protons directly, skipping the encoder's checks, to build updates an honest peer never sends. */
function rawEncode (update: ModelUpdate, patch: Partial<pb.ModelUpdate> = {}, tensorPatch: Partial<pb.TensorData> = {}): Uint8Array {
  const wire = pb.ModelUpdate.decode(encodeModelUpdate(update))
  return pb.ModelUpdate.encode({ ...wire, ...patch, tensors: wire.tensors.map((t, i) => i === 0 ? { ...t, ...tensorPatch } : t) })
}

function validator (opts: Partial<ConstructorParameters<typeof UpdateValidator>[0]> = {}): UpdateValidator {
  return new UpdateValidator({ expect: EXPECT, maxNorm: MAX_NORM, ...opts })
}

const produced = new Set<UpdateRejectReason>()
function expectReason (result: { ok: boolean, reason?: UpdateRejectReason }, reason: UpdateRejectReason, name = reason): void {
  expect(result, name).toMatchObject({ ok: false, reason })
  produced.add(reason)
}

describe('UpdateValidator', () => {
  it('accepts a valid update and returns it with its digest', () => {
    const v = validator()
    const update = makeUpdate()
    const result = v.validate({ payload: encodeModelUpdate(update), from: ALICE })
    expect(result).toMatchObject({ ok: true, update })
    if (result.ok) expect(result.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(v.accepted).toBe(1)
    expect(v.rejected.total()).toBe(0)
  })

  const header = (h: Partial<ModelUpdate>): Uint8Array => encodeModelUpdate(makeUpdate({ header: h }))
  const cases: Array<[UpdateRejectReason, () => { payload: unknown, from?: string }]> = [
    ['oversized', () => ({ payload: new Uint8Array(10 * 2010), from: ALICE })],
    ['malformed', () => ({ payload: Uint8Array.of(0x08, 0x01, 0x12, 0x50), from: ALICE })],
    ['malformed', () => ({ payload: 'not bytes', from: ALICE })],
    ['unsupported-version', () => ({ payload: rawEncode(makeUpdate(), { version: 2 }), from: ALICE })],
    ['unsigned', () => ({ payload: header({}) })],
    ['sender-mismatch', () => ({ payload: header({}), from: MALLORY })],
    ['wrong-session', () => ({ payload: header({ session: 'cifar' }), from: ALICE })],
    ['stale-round', () => ({ payload: header({ round: 6 }), from: ALICE })],
    ['future-round', () => ({ payload: header({ round: 8 }), from: ALICE })],
    ['stale-term', () => ({ payload: header({ term: 1 }), from: ALICE })],
    ['future-term', () => ({ payload: header({ term: 3 }), from: ALICE })],
    ['wrong-base', () => ({ payload: header({ baseVersion: 5 }), from: ALICE })],
    ['bad-samples', () => ({ payload: header({ samples: 1_000_001 }), from: ALICE })],
    ['bad-samples', () => ({ payload: rawEncode(makeUpdate(), { samples: 0 }), from: ALICE })],
    ['shape-mismatch', () => ({ payload: encodeModelUpdate({ ...makeUpdate(), tensors: makeUpdate().tensors.slice(1) }), from: ALICE })],
    ['shape-mismatch', () => ({ payload: rawEncode(makeUpdate(), {}, { name: 'dense9/kernel' }), from: ALICE })],
    ['shape-mismatch', () => ({ payload: rawEncode(makeUpdate(), {}, { shape: [80, 20] }), from: ALICE })],
    ['non-finite', () => ({ payload: rawEncode(makeUpdate(), {}, { scale: Number.NaN }), from: ALICE })],
    ['non-finite', () => ({ payload: rawEncode(makeUpdate(), {}, { scale: Number.POSITIVE_INFINITY }), from: ALICE })],
    ['non-finite', () => ({ payload: rawEncode(makeUpdate(), {}, { scale: Math.fround(3e37) }), from: ALICE })],
    ['non-finite', () => {
      const f32 = makeUpdate({ quantize: { scheme: 'float32' } })
      const values = new Float32Array((f32.tensors[0] as { values: Float32Array }).values)
      values[17] = Number.NaN
      return { payload: rawEncode(f32, {}, { values: new Uint8Array(values.buffer) }), from: ALICE }
    }],
    ['norm-bound', () => ({ payload: encodeModelUpdate(makeUpdate()), from: ALICE })] // with maxNorm 0.01 below
  ]

  it('with anyTerm, accepts an update of any term: the term is informational when rounds survive failover', () => {
    const v = new UpdateValidator({ expect: { ...EXPECT, anyTerm: true }, maxNorm: MAX_NORM })
    expect(v.validate({ payload: header({ term: 1 }), from: ALICE }).ok).toBe(true)
    expect(v.validate({ payload: header({ term: 3, sender: BOB }), from: BOB }).ok).toBe(true)
    expect(v.checkRouting({ kind: 'model-update', session: EXPECT.session, round: 7, term: 99 })).toBeUndefined()
    // everything else is still checked
    expectReason(v.validate({ payload: header({ term: 5, round: 8, sender: MALLORY }), from: MALLORY }), 'future-round')
    expectReason(v.validate({ payload: header({ term: 1 }), from: ALICE }), 'duplicate')
  })

  for (const [reason, make] of cases) {
    it(`rejects as '${reason}'`, () => {
      const v = validator(reason === 'norm-bound' ? { maxNorm: 0.01 } : {})
      const input = make()
      const result = v.validate(input as { payload: Uint8Array, from?: string })
      expectReason(result, reason)
      if (!result.ok) expect(result.detail.length).toBeGreaterThan(0)
      expect(v.rejected.get(reason)).toBe(1)
      expect(v.accepted).toBe(0)
    })
  }

  it('the norm bound is on the dequantised delta', () => {
    const update = makeUpdate({ quantize: { scheme: 'int8' } })
    const norm = Math.hypot(...flattenTensors(dequantize(update)))
    const payload = encodeModelUpdate(update)
    expect(validator({ maxNorm: norm * 1.001 }).validate({ payload, from: ALICE }).ok).toBe(true)
    expectReason(validator({ maxNorm: norm * 0.999 }).validate({ payload, from: ALICE }), 'norm-bound')
  })

  it('one update per sender per round; a rejected update does not use up the slot', () => {
    const v = validator()
    expectReason(v.validate({ payload: encodeModelUpdate(makeUpdate({ header: { baseVersion: 1 } })), from: ALICE }), 'wrong-base')
    expect(v.validate({ payload: encodeModelUpdate(makeUpdate()), from: ALICE }).ok).toBe(true)
    // a second, different update from the same sender in the same round (equivocation), and a plain repeat
    expectReason(v.validate({ payload: encodeModelUpdate(makeUpdate({ random: seededRandom(2) })), from: ALICE }), 'duplicate')
    expectReason(v.validate({ payload: encodeModelUpdate(makeUpdate()), from: ALICE }), 'duplicate')
    expect(v.validate({ payload: encodeModelUpdate(makeUpdate({ sender: BOB })), from: BOB }).ok).toBe(true)
    // the next round starts afresh
    v.expect({ ...EXPECT, round: 8, baseVersion: 7 })
    expect(v.validate({ payload: encodeModelUpdate(makeUpdate({ header: { round: 8, baseVersion: 7 } })), from: ALICE }).ok).toBe(true)
    expect(v.accepted).toBe(3)
    expect(v.rejected.snapshot()).toMatchObject({ duplicate: 2, 'wrong-base': 1 })
  })

  it('compares the payload header with the routing fields its chunks carried', () => {
    const v = validator()
    const payload = encodeModelUpdate(makeUpdate())
    expect(v.validate({ payload, from: ALICE, routing: { kind: 'model-update', session: EXPECT.session, round: 7, term: 2 } }).ok).toBe(true)
    expectReason(validator().validate({ payload, from: ALICE, routing: { kind: 'model-update', session: EXPECT.session, round: 7, term: 1 } }), 'inconsistent-chunk')
  })

  it('never throws, even for hostile arguments', () => {
    const v = validator()
    for (const input of [undefined, null, 42, {}, { payload: null }, { payload: new Uint8Array(0), from: ALICE }]) {
      let result: UpdateValidationResult | undefined
      expect(() => { result = v.validate(input as never) }).not.toThrow()
      expect(result?.ok).toBe(false)
    }
  })

  it('checks its options', () => {
    expect(() => new UpdateValidator({ expect: EXPECT, maxNorm: 0 })).toThrow(/maxNorm/)
    expect(() => new UpdateValidator({ expect: { ...EXPECT, shapes: [] }, maxNorm: 1 })).toThrow(/shapes/)
    expect(() => new UpdateValidator({ expect: { ...EXPECT, round: -1 }, maxNorm: 1 })).toThrow(/round/)
  })
})

describe('UpdateReceiver (chunks → reassembly → validation)', () => {
  function receiver (opts: Partial<ConstructorParameters<typeof UpdateReceiver>[0]> = {}): UpdateReceiver {
    return new UpdateReceiver({ clock: manualClock(), expect: EXPECT, maxNorm: MAX_NORM, ...opts })
  }
  const chunksOf = (update: ModelUpdate, maxChunkBytes = 400): Uint8Array[] => chunkPayload(encodeModelUpdate(update), { kind: 'model-update', session: update.session, round: update.round, term: update.term }, { maxChunkBytes }).chunks

  it('delivers a valid update once all its chunks are in', () => {
    const rx = receiver()
    const update = makeUpdate({ quantize: { scheme: 'int8-topk', topkFraction: 0.5 } })
    const results = chunksOf(update).map(data => rx.accept({ data, from: ALICE }))
    expect(results.at(-1)).toMatchObject({ ok: true, complete: true, update, from: ALICE })
    expect(results.slice(0, -1).every(r => r.ok && !r.complete)).toBe(true)
  })

  it('drops chunks of other rounds, terms, sessions and kinds before buffering them', () => {
    const rx = receiver()
    const cases: Array<[UpdateRejectReason, Partial<ModelUpdate>]> = [
      ['stale-round', { round: 6 }], ['future-round', { round: 8 }], ['stale-term', { term: 1 }], ['future-term', { term: 3 }], ['wrong-session', { session: 'x' }]
    ]
    for (const [reason, h] of cases) expectReason(rx.accept({ data: chunksOf(makeUpdate({ header: h }))[0] as Uint8Array, from: ALICE }), reason)
    const tensors = makeDelta(SHAPES, seededRandom(1))
    const model: GlobalModel = {
      session: EXPECT.session, round: 7, term: 2, version: 7, coordinator: BOB, includedDigests: [], scores: [], rule: 'krum', tensors, weightsDigest: digestWeights(tensors)
    }
    expectReason(rx.accept({ data: encodeGlobalModelChunks(model, { maxChunkBytes: 400 }).chunks[0] as Uint8Array, from: BOB }), 'wrong-kind')
    // a payload announced bigger than any honest encoding of this model
    const big = chunkPayload(new Uint8Array(20_000).fill(1), { kind: 'model-update', session: EXPECT.session, round: 7, term: 2 }, { maxChunkBytes: 1000 })
    expectReason(rx.accept({ data: big.chunks[0] as Uint8Array, from: ALICE }), 'oversized')
    expect(rx.reassembler.stats().pending).toBe(0)
    expect(rx.rejected.total()).toBe(7)
  })

  it('reports payload-level problems when the last chunk arrives', () => {
    const rx = receiver({ maxPending: 1 })
    // chunk routing says round 7 but the payload inside says round 8
    const lying = chunkPayload(encodeModelUpdate(makeUpdate({ header: { round: 8 } })), { kind: 'model-update', session: EXPECT.session, round: 7, term: 2 }, { maxChunkBytes: 400 })
    expectReason(lying.chunks.map(data => rx.accept({ data, from: ALICE })).at(-1) as { ok: boolean, reason?: UpdateRejectReason }, 'inconsistent-chunk')
    // a chunk corrupted (but re-signed) by its author
    const chunks = chunksOf(makeUpdate({ sender: BOB }))
    const bad = pb.Chunk.decode(chunks[1] as Uint8Array)
    bad.data[0] = (bad.data[0] as number) ^ 1
    const results = [chunks[0], pb.Chunk.encode(bad), ...chunks.slice(2)].map(data => rx.accept({ data: data as Uint8Array, from: BOB }))
    expectReason(results.at(-1) as { ok: boolean, reason?: UpdateRejectReason }, 'digest-mismatch')
    // memory bound: one partial payload at a time here
    const a = chunksOf(makeUpdate({ sender: ALICE, random: seededRandom(5) }))
    const m = chunksOf(makeUpdate({ sender: MALLORY }))
    expect(rx.accept({ data: a[0] as Uint8Array, from: ALICE }).ok).toBe(true)
    expectReason(rx.accept({ data: m[0] as Uint8Array, from: MALLORY }), 'buffer-full')
    // duplicates after completion
    a.slice(1).forEach(data => rx.accept({ data, from: ALICE }))
    expectReason(rx.accept({ data: a[0] as Uint8Array, from: ALICE }), 'duplicate')
  })

  it('expect() moves to the next round and drops partial payloads of the old one', () => {
    const rx = receiver()
    rx.accept({ data: chunksOf(makeUpdate())[0] as Uint8Array, from: ALICE })
    expect(rx.reassembler.stats().pending).toBe(1)
    rx.expect({ ...EXPECT, round: 8 })
    expect(rx.reassembler.stats().pending).toBe(0)
    expectReason(rx.accept({ data: chunksOf(makeUpdate())[1] as Uint8Array, from: ALICE }), 'stale-round')
  })
})

describe('GlobalModelReceiver', () => {
  const model = (patch: Partial<GlobalModel> = {}): GlobalModel => {
    const m = {
      session: EXPECT.session, round: 7, term: 2, version: 7, coordinator: BOB, includedDigests: ['0'.repeat(64)], scores: [Number.NaN], rule: 'median',
      tensors: makeDelta(SHAPES, seededRandom(1)), ...patch
    }
    return { ...m, weightsDigest: patch.weightsDigest ?? digestWeights(m.tensors) }
  }
  const receiver = (): GlobalModelReceiver => new GlobalModelReceiver({ clock: manualClock(), expect: { session: EXPECT.session, minRound: 7, term: 2, shapes: SHAPES, coordinator: BOB } })
  const deliver = (rx: GlobalModelReceiver, chunks: Uint8Array[], from: string): ReturnType<GlobalModelReceiver['accept']> => chunks.map(data => rx.accept({ data, from })).at(-1) as ReturnType<GlobalModelReceiver['accept']>

  it('reassembles and checks a global model', () => {
    const m = model()
    const rx = receiver()
    const result = deliver(rx, encodeGlobalModelChunks(m, { maxChunkBytes: 1000 }).chunks, BOB)
    expect(result).toMatchObject({ ok: true, complete: true, model: m, from: BOB })
    expect(rx.accepted).toBe(1)
  })

  it('rejects wrong authors, stale or misshapen models, non-finite weights and update chunks', () => {
    expectReason(deliver(receiver(), encodeGlobalModelChunks(model({ coordinator: MALLORY })).chunks, MALLORY), 'sender-mismatch')
    expectReason(deliver(receiver(), encodeGlobalModelChunks(model()).chunks, MALLORY), 'sender-mismatch')
    // refused at the first chunk, before anything is buffered
    const rx = receiver()
    expectReason(rx.accept({ data: encodeGlobalModelChunks(model(), { maxChunkBytes: 1000 }).chunks[0] as Uint8Array, from: MALLORY }), 'sender-mismatch')
    expect(rx.reassembler.stats().pending).toBe(0)
    expectReason(deliver(receiver(), encodeGlobalModelChunks(model({ round: 6 })).chunks, BOB), 'stale-round')
    expectReason(deliver(receiver(), encodeGlobalModelChunks(model({ term: 1 })).chunks, BOB), 'stale-term')
    expectReason(deliver(receiver(), encodeGlobalModelChunks(model({ tensors: makeDelta(SHAPES.slice(1), seededRandom(1)) })).chunks, BOB), 'shape-mismatch')
    const wire = pb.GlobalModel.decode(encodeGlobalModelChunks(model()).payload)
    const values = new Float32Array(new Uint8Array(wire.tensors[0]?.values ?? []).buffer)
    values[3] = Number.POSITIVE_INFINITY
    const poisoned = pb.GlobalModel.encode({ ...wire, tensors: wire.tensors.map((t, i) => i === 0 ? { ...t, values: new Uint8Array(values.buffer) } : t) })
    expectReason(deliver(receiver(), chunkPayload(poisoned, { kind: 'global-model', session: EXPECT.session, round: 7, term: 2 }).chunks, BOB), 'non-finite')
    expectReason(deliver(receiver(), chunkPayload(encodeModelUpdate(makeUpdate()), { kind: 'model-update', session: EXPECT.session, round: 7, term: 2 }).chunks, ALICE), 'wrong-kind')
  })
})

describe('reasons', () => {
  // runs after the tests above in this file (vitest runs a file's tests in order), which record what they produce
  it('every reason is produced by some test above and has a gossipsub action', () => {
    expect(new Set(UPDATE_REJECT_REASONS)).toEqual(produced)
    for (const reason of UPDATE_REJECT_REASONS) expect(['ignore', 'reject']).toContain(UPDATE_REASON_ACTION[reason])
  })

})
