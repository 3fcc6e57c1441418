import { describe, expect, it } from 'vitest'
import { digestUpdate, digestWeights, encodeModelUpdate } from '@fedmesh/updates'
import type { GlobalModel, ModelUpdate, RoundOpen, Tensor } from '@fedmesh/updates'
import { aggregateRound, RoundCoordinator, verifyGlobalModel } from '../src/index.ts'
import type { HeldUpdate } from '../src/index.ts'
import { peerIdFor } from './helpers.ts'

const base: Tensor[] = [{ name: 'w', shape: [2], data: Float32Array.of(1, 2) }, { name: 'b', shape: [1], data: Float32Array.of(0.5) }]
const BASE = { version: 4, digest: digestWeights(base), tensors: base }

function held (i: number, delta: [number, number, number], samples = 1): HeldUpdate {
  const update: ModelUpdate = {
    session: 's', round: 5, term: 1, baseVersion: 4, samples, sender: peerIdFor(i),
    tensors: [{ scheme: 'float32', name: 'w', shape: [2], values: Float32Array.of(delta[0], delta[1]) }, { scheme: 'float32', name: 'b', shape: [1], values: Float32Array.of(delta[2]) }]
  }
  return { digest: digestUpdate(encodeModelUpdate(update)), update, from: update.sender, receivedAt: 0 }
}

const open = (rule: string, f = 0, minParticipants = 1): RoundOpen => ({
  session: 's', round: 5, term: 1, coordinator: peerIdFor(0), baseVersion: 4, baseDigest: BASE.digest, deadlineMs: 1000, minParticipants, aggregator: { rule, f }
})

function announce (o: RoundOpen, inputs: HeldUpdate[]): GlobalModel {
  const a = aggregateRound(base, inputs, { rule: o.aggregator.rule as 'fedavg', f: o.aggregator.f ?? 0 })
  return { session: 's', round: 5, term: 1, version: 5, coordinator: o.coordinator, includedDigests: a.includedDigests, scores: a.scores, rule: o.aggregator.rule, tensors: a.tensors, weightsDigest: a.weightsDigest }
}

describe('aggregateRound', () => {
  it('FedAvg, hand-computed: base + sample-weighted mean of the deltas, in float32', () => {
    // deltas (1,0,0) x1 sample and (0,1,1) x3 samples: mean (0.25, 0.75, 0.75); base (1,2,0.5) -> (1.25, 2.75, 1.25)
    const a = aggregateRound(base, [held(1, [1, 0, 0], 1), held(2, [0, 1, 1], 3)], { rule: 'fedavg' })
    expect([...(a.tensors[0] as Tensor).data, ...(a.tensors[1] as Tensor).data]).toEqual([1.25, 2.75, 1.25])
    expect(a.weightsDigest).toBe(digestWeights(a.tensors))
    expect(a.excluded).toEqual([])
  })

  it('Krum, hand-computed: picks the update closest to its n-f-2 nearest neighbours, whatever the input order', () => {
    // n=5, f=1: each score sums the 2 nearest squared distances. Four updates near (0.1, 0, 0) and one far away.
    const ups = [held(1, [0.1, 0, 0]), held(2, [0.1, 0.02, 0]), held(3, [0.1, -0.02, 0]), held(4, [0.12, 0, 0]), held(5, [-5, 5, 5])]
    const a = aggregateRound(base, ups, { rule: 'krum', f: 1 })
    const b = aggregateRound(base, [...ups].reverse(), { rule: 'krum', f: 1 })
    expect(b.weightsDigest).toBe(a.weightsDigest)
    // (0.1, 0, 0) has neighbours at squared distance 0.0004, 0.0004 (score 0.0008), every other honest one more
    expect(a.selected).toEqual([ups[0]?.digest])
    expect([...(a.tensors[0] as Tensor).data]).toEqual([Math.fround(1 + Math.fround(0.1)), 2])
    expect(a.excluded).toHaveLength(4)
    expect(a.scores[a.includedDigests.indexOf(ups[0]?.digest as string)]).toBeCloseTo(0.0008, 6)
  })
})

describe('verifyGlobalModel', () => {
  const ups = [held(1, [0.1, 0, 0]), held(2, [0.1, 0.02, 0]), held(3, [0.1, -0.02, 0]), held(4, [0.12, 0, 0]), held(5, [-5, 5, 5])]
  const lookup = (d: string): HeldUpdate | undefined => ups.find(u => u.digest === d)
  const o = open('krum', 1, 5)

  it('accepts the honest aggregate', () => {
    const r = verifyGlobalModel({ model: announce(o, ups), base: BASE, open: o, lookup })
    expect(r.ok).toBe(true)
  })

  it('rejects a lying coordinator, whatever the lie', () => {
    const honest = announce(o, ups)
    const fake = honest.tensors.map(t => ({ ...t, data: t.data.map(x => x + 0.5) }))
    expect(verifyGlobalModel({ model: { ...honest, tensors: fake, weightsDigest: digestWeights(fake) }, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'digest-mismatch' })
    expect(verifyGlobalModel({ model: { ...honest, tensors: fake }, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'weights-mismatch' })
    expect(verifyGlobalModel({ model: { ...honest, scores: honest.scores.map(s => s * 2) }, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'score-mismatch' })
    // aggregating a subset that leaves the honest majority out (the attacker's update wins among fewer inputs)
    const subset = announce({ ...o, aggregator: { rule: 'krum', f: 0 } }, [ups[0], ups[1], ups[4]] as HeldUpdate[])
    expect(verifyGlobalModel({ model: subset, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'too-few-updates' })
    expect(verifyGlobalModel({ model: { ...honest, rule: 'fedavg' }, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'wrong-rule' })
    expect(verifyGlobalModel({ model: { ...honest, includedDigests: [...honest.includedDigests].reverse() }, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'unsorted-digests' })
    expect(verifyGlobalModel({ model: { ...honest, version: 7 }, base: BASE, open: o, lookup })).toMatchObject({ ok: false, reason: 'wrong-base' })
  })

  it('reports missing updates (to wait for) and a rule that cannot run on what was included', () => {
    const honest = announce(o, ups)
    const r = verifyGlobalModel({ model: honest, base: BASE, open: o, lookup: d => d === ups[2]?.digest ? undefined : lookup(d) })
    expect(r).toMatchObject({ ok: false, reason: 'missing-update', missing: [ups[2]?.digest] })
    const o2 = open('krum', 2, 5)
    const r2 = verifyGlobalModel({ model: honest, base: BASE, open: o2, lookup })
    expect(r2).toMatchObject({ ok: false, reason: 'aggregation-failed', detail: expect.stringMatching(/krum needs n > 2f\+2: got n=5, f=2/) })
  })

  it('two included updates of one sender are refused', () => {
    const twin = held(1, [0.2, 0, 0])
    const all = [...ups, twin]
    const m = announce(open('krum', 1, 5), all)
    expect(verifyGlobalModel({ model: m, base: BASE, open: o, lookup: d => all.find(u => u.digest === d) })).toMatchObject({ ok: false, reason: 'duplicate-sender' })
  })
})

describe('RoundCoordinator configuration', () => {
  it('refuses a configuration the rule cannot satisfy, saying what it needs', () => {
    expect(() => new RoundCoordinator({ self: peerIdFor(0), session: 's', aggregator: { rule: 'krum', f: 2 }, minParticipants: 5, deadlineMs: 1000 }))
      .toThrow(/minParticipants=5 cannot satisfy the aggregator: krum needs n > 2f\+2: got n=5, f=2; need at least 7 updates or f <= 1/)
    expect(() => new RoundCoordinator({ self: peerIdFor(0), session: 's', aggregator: { rule: 'bulyan', f: 1 }, minParticipants: 7, deadlineMs: 1000 })).not.toThrow()
  })
})
