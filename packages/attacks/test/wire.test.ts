import { chunkPayload, decodeModelUpdate, encodeModelUpdate, quantizeDelta, Reassembler, UpdateValidator } from '@fedmesh/updates'
import type { ModelUpdate, UpdateExpectation } from '@fedmesh/updates'
import { flipLabel } from '@fedmesh/learner'
import { describe, expect, it } from 'vitest'
import { deflateBombBytesFor, deflateBombPayload, garbagePayload, labelFlipData, lieAboutAggregate, nonFiniteUpdatePayload, oversizedUpdatePayload } from '../src/index.ts'
import { distance, gaussian, peerIdFor, seededRandom } from './helpers.ts'

const MALLORY = peerIdFor(3)
const SHAPES = [{ name: 'dense0/kernel', shape: [20, 8] }, { name: 'dense0/bias', shape: [8] }]
const EXPECT: UpdateExpectation = { session: 'attacks', round: 4, term: 2, baseVersion: 3, shapes: SHAPES }

function honestUpdate (seed: number): ModelUpdate {
  const random = seededRandom(seed)
  const delta = SHAPES.map(s => ({ ...s, data: Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => 0.01 * gaussian(random)) }))
  return { session: 'attacks', round: 4, term: 2, baseVersion: 3, samples: 50, sender: MALLORY, ...quantizeDelta(delta, { scheme: 'int8' }) }
}

const validator = (): UpdateValidator => new UpdateValidator({ expect: EXPECT, maxNorm: 10 })

describe('wire attacks', () => {
  it('the honest update they start from is accepted (so each rejection below is the attack\'s doing)', () => {
    expect(validator().validate({ payload: encodeModelUpdate(honestUpdate(1)), from: MALLORY }).ok).toBe(true)
  })

  it('garbage bytes are dropped as malformed or unsupported, never accepted, never thrown', () => {
    const v = validator()
    for (let seed = 0; seed < 200; seed++) {
      const bytes = garbagePayload(1 + (seed * 37) % 900, seededRandom(seed))
      const result = v.validate({ payload: bytes, from: MALLORY })
      expect(result.ok).toBe(false)
    }
    expect(v.accepted).toBe(0)
    const counted = v.rejected.snapshot()
    expect(counted.malformed + counted['unsupported-version']).toBe(200)
    expect(garbagePayload(16, seededRandom(1))).toEqual(garbagePayload(16, seededRandom(1)))
  })

  it('garbage travels as well-formed chunks, so it reaches the payload decoder', () => {
    const bytes = garbagePayload(600, seededRandom(9))
    const { chunks } = chunkPayload(bytes, { kind: 'model-update', session: 'attacks', round: 4, term: 2 }, { maxChunkBytes: 256 })
    const reassembler = new Reassembler({ clock: { now: () => 0 } })
    let completed: Uint8Array | undefined
    for (const data of chunks) {
      const result = reassembler.accept({ data, from: MALLORY })
      if (result.ok && result.complete) completed = result.payload.payload
    }
    expect(chunks.length).toBeGreaterThan(1)
    expect(completed).toEqual(bytes)
    expect(validator().validate({ payload: completed!, from: MALLORY })).toMatchObject({ ok: false, reason: 'malformed' })
  })

  it('an oversized payload is well formed but over the cap, and dropped as oversized', () => {
    const v = validator()
    const bytes = oversizedUpdatePayload(honestUpdate(2), v.payloadLimit + 1)
    expect(bytes.length).toBeGreaterThan(v.payloadLimit)
    expect(decodeModelUpdate(bytes).ok).toBe(true)
    expect(v.validate({ payload: bytes, from: MALLORY })).toMatchObject({ ok: false, reason: 'oversized' })
  })

  it('a deflate bomb stays under the size cap and is dropped as malformed once it inflates past its tensor', () => {
    const v = validator()
    const update = honestUpdate(4)
    const inflated = deflateBombBytesFor(v.payloadLimit / 2)
    const bytes = deflateBombPayload(update, inflated)
    expect(bytes.length).toBeLessThan(v.payloadLimit)
    expect(inflated).toBeGreaterThan(100 * 8) // far more than the last tensor's 8 elements
    const result = v.validate({ payload: bytes, from: MALLORY })
    expect(result).toMatchObject({ ok: false, reason: 'malformed' })
    expect(result.ok ? '' : result.detail).toMatch(/dense0\/bias.*inflate to more than 8 bytes/)
    // the same writer with a stream of exactly the tensor's length is a valid update: the bytes around it are right
    const exact = decodeModelUpdate(deflateBombPayload(update, 8))
    expect(exact.ok).toBe(true)
    if (exact.ok) {
      expect(exact.value.tensors[0]).toEqual(update.tensors[0])
      expect(exact.value.tensors[1]).toMatchObject({ scheme: 'int8', name: 'dense0/bias', shape: [8], values: new Int8Array(8) })
    }
    expect(() => deflateBombPayload({ ...update, tensors: [] }, 8)).toThrow(/last tensor is int8/)
  })

  it('a NaN or Inf scale decodes structurally and is dropped as non-finite', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const update = honestUpdate(3)
      const bytes = nonFiniteUpdatePayload(update, value, 1)
      const decoded = decodeModelUpdate(bytes)
      expect(decoded.ok).toBe(true)
      if (!decoded.ok) continue
      const scales = decoded.value.tensors.map(t => t.scheme === 'float32' ? 0 : t.scale)
      expect(scales[0]).toBe((update.tensors[0] as { scale: number }).scale)
      expect(Object.is(scales[1], value)).toBe(true)
      expect(validator().validate({ payload: bytes, from: MALLORY })).toMatchObject({ ok: false, reason: 'non-finite' })
    }
    expect(() => encodeModelUpdate({ ...honestUpdate(3), tensors: honestUpdate(3).tensors.map(t => ({ ...t, scale: Number.NaN })) })).toThrow()
    expect(() => nonFiniteUpdatePayload(honestUpdate(3), 1)).toThrow(/NaN or ±Infinity/)
  })
})

describe('lying coordinator', () => {
  const honest = Float32Array.from({ length: 500 }, (_, j) => Math.sin(j))

  it('shifts the aggregate by a random direction of the given norm', () => {
    const lie = lieAboutAggregate(honest, { kind: 'shift', norm: 0.5, random: seededRandom(4) })
    expect(distance(lie, honest)).toBeCloseTo(0.5, 5)
    expect(lie).toEqual(lieAboutAggregate(honest, { kind: 'shift', norm: 0.5, random: seededRandom(4) }))
  })

  it('negates or scales it, and always announces something different from the honest aggregate', () => {
    expect([...lieAboutAggregate(Float32Array.from([1, -2]), { kind: 'negate' })]).toEqual([-1, 2])
    expect([...lieAboutAggregate(Float32Array.from([1, -2]), { kind: 'scale', factor: 3 })]).toEqual([3, -6])
    const zeros = new Float32Array(3)
    expect(lieAboutAggregate(zeros, { kind: 'scale', factor: 2 })).not.toEqual(zeros)
    expect(() => lieAboutAggregate(honest, { kind: 'scale', factor: 1 })).toThrow(/not 1/)
  })
})

describe('label flip', () => {
  it('marks mnist data for the learner\'s own flipping (reverse by default) and checks the flip', () => {
    const data = labelFlipData({ task: 'mnist', indices: [1, 2, 3] })
    expect(data).toEqual({ task: 'mnist', indices: [1, 2, 3], labelFlip: { kind: 'reverse' } })
    expect(flipLabel(2, data.labelFlip!)).toBe(7)
    expect(() => labelFlipData({ task: 'mnist', indices: [] }, { kind: 'targeted', from: 3, to: 12 })).toThrow(/targeted/)
  })
})
