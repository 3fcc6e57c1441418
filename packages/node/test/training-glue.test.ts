/**
 * The training service's glue: session settings and their refusal, the model-fetch request codec and the stream
 * exchange over a real libp2p stream pair, and the attacker transforms (model, wire, lying coordinator).
 */
// Node 20 lacks Promise.withResolvers, which libp2p's stream utilities use (the integration project loads this too)
import '../../../scripts/node-env.js'
import { describe, expect, it } from 'vitest'
import { streamPair } from '@libp2p/utils'
import { RoundSession, UpdatePool } from '@fedmesh/rounds'
import { decodeChunk, decodeGlobalModel, decodeModelUpdate, digestWeights, encodeGlobalModelChunks, globalModelHeader, quantizeDelta } from '@fedmesh/updates'
import type { GlobalModel, ModelUpdate, Tensor } from '@fedmesh/updates'
import { ConfigError, configFromSearchParams, resolveConfig, sessionOf } from '../src/config.ts'
import { decodeModelRequest, encodeModelRequest, requestModel, serveModelRequest, MODEL_FETCH_PROTOCOL } from '../src/training/model-fetch.ts'
import { Attacker } from '../src/training/attacker.ts'
import { learnerTrainer } from '../src/training/learner.ts'
import { trainNotBefore } from '../src/training/training.ts'

function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => { a = (a * 1664525 + 1013904223) >>> 0; return a / 4294967296 }
}

const model = (d: number, fill = 0): Tensor[] => [
  { name: 'dense/kernel', shape: [d - 1], data: new Float32Array(d - 1).fill(fill) },
  { name: 'dense/bias', shape: [1], data: new Float32Array(1).fill(fill) }
]

describe('session settings', () => {
  it('defaults make a link-health session with Krum that 3 tabs can run', () => {
    const c = resolveConfig({})
    expect({ rule: c.rule, f: c.f, minParticipants: c.minParticipants, rounds: c.rounds, roundDeadlineMs: c.roundDeadlineMs }).toEqual({ rule: 'krum', f: 0, minParticipants: 3, rounds: 0, roundDeadlineMs: 30_000 })
    expect(sessionOf(c)).toBe('link-health/1')
    expect(sessionOf({ session: 'demo', task: 'mnist' })).toBe('demo')
  })

  it('reads the URL parameters, 0 allowed for rounds and f', () => {
    const p = configFromSearchParams(new URLSearchParams('session=s1&rounds=0&roundDeadlineMs=5000&minParticipants=7&rule=median&f=2'))
    expect(p).toMatchObject({ session: 's1', rounds: 0, roundDeadlineMs: 5000, minParticipants: 7, rule: 'median', f: 2 })
    expect(resolveConfig(p).rule).toBe('median')
  })

  it('refuses a rule that cannot run on minParticipants updates, saying what is needed', () => {
    expect(() => resolveConfig({ rule: 'krum', f: 2, minParticipants: 5 })).toThrow(ConfigError)
    expect(() => resolveConfig({ rule: 'krum', f: 2, minParticipants: 5 })).toThrow(/need at least 7 updates or f <= 1/)
    expect(() => resolveConfig({ rule: 'nope' as never })).toThrow(/unknown rule 'nope'; expected one of fedavg, krum/)
    expect(() => resolveConfig({ f: -1 })).toThrow(/f must be an integer >= 0/)
    expect(resolveConfig({ rule: 'krum', f: 2, minParticipants: 7 }).f).toBe(2)
  })
})

describe('/fedmesh/model/1.0.0', () => {
  it('request codec: round trip, and bad bytes are undefined, never a throw', () => {
    expect(decodeModelRequest(encodeModelRequest({ session: 'a', version: 3 }))).toEqual({ session: 'a', version: 3 })
    for (const bad of ['', '{', 'null', '[]', '{"session":1,"version":1}', '{"session":"a","version":-1}', '{"session":"a","version":1.5}']) {
      expect(decodeModelRequest(new TextEncoder().encode(bad))).toBeUndefined()
    }
    expect(decodeModelRequest(new Uint8Array([0xff, 0xfe]))).toBeUndefined()
    expect(decodeModelRequest(new Uint8Array(1000))).toBeUndefined()
  })

  it('a requester gets the model a server holds, and nothing for a version it does not', async () => {
    const payload = new Uint8Array(200_000).map((_, i) => i % 251)
    for (const [version, expected] of [[4, payload], [5, undefined]] as const) {
      const [outbound, inbound] = await streamPair()
      const served = serveModelRequest(inbound, r => (r.session === 's' && r.version === 4 ? payload : undefined), 5_000)
      const connection = { newStream: async () => outbound } as unknown as Parameters<typeof requestModel>[0]
      const got = await requestModel(connection, { session: 's', version }, 300_000, 5_000)
      expect(got === undefined ? undefined : Array.from(got.subarray(0, 10))).toEqual(expected === undefined ? undefined : Array.from(expected.subarray(0, 10)))
      expect(got?.byteLength).toBe(expected?.byteLength)
      expect(await served).toBe(expected === undefined ? 'not-held' : 'served')
    }
    expect(MODEL_FETCH_PROTOCOL).toBe('/fedmesh/model/1.0.0')
  })

  it('a reply above the cap is refused', async () => {
    const [outbound, inbound] = await streamPair()
    void serveModelRequest(inbound, () => new Uint8Array(10_000), 5_000).catch(() => {})
    const connection = { newStream: async () => outbound } as unknown as Parameters<typeof requestModel>[0]
    await expect(requestModel(connection, { session: 's', version: 1 }, 1_000, 5_000)).rejects.toThrow()
  })
})

describe('attacker modes', () => {
  const update = (sender: string, fill: number): ModelUpdate => ({
    session: 's', round: 1, term: 1, baseVersion: 0, samples: 10, sender, tensors: quantizeDelta(model(8, fill), { scheme: 'int8' }).tensors
  })
  const shapes = model(8).map(t => ({ name: t.name, shape: t.shape }))

  it('honest mode changes nothing', () => {
    const a = new Attacker('none', seeded(1))
    const own = new Float32Array([1, 2, 3])
    expect(a.poison(own, [], 5, 1)).toBe(own)
    expect(a.wireChunks(update('p', 0.1), shapes)).toBeUndefined()
  })

  it('sign-flip sends the opposite of its delta; ALIE without two honest updates falls back (counted)', () => {
    const flip = new Attacker('sign-flip', seeded(1))
    expect(Array.from(flip.poison(new Float32Array([1, -2]), [], 5, 1))).toEqual([-1, 2])
    const alie = new Attacker('alie', seeded(1))
    const own = new Float32Array([1, 1])
    expect(alie.poison(own, [new Float32Array([1, 2])], 5, 1)).toBe(own)
    expect(alie.counts.failures).toBe(1)
    expect(alie.poison(own, [new Float32Array([1, 2]), new Float32Array([3, 2]), new Float32Array([2, 2])], 5, 1)).not.toBe(own)
  })

  it('wire attacks produce chunks an honest pool drops with a counted reason', () => {
    for (const [name, reason] of [['garbage', 'malformed'], ['nan', 'non-finite'], ['oversized', 'oversized'], ['deflate-bomb', 'malformed']] as const) {
      const chunks = new Attacker(name, seeded(2)).wireChunks(update('12D3KooWattacker', 0.1), shapes)!
      const pool = new UpdatePool({ session: 's', shapes, clock: { now: () => 0 }, maxNorm: 100 })
      pool.setWindow(1)
      const results = chunks.map(c => pool.accept(c, '12D3KooWattacker'))
      expect(results.some(r => !r.ok)).toBe(true)
      expect(pool.rejectCounts()[reason]).toBeGreaterThan(0)
    }
  })

  it('the lying coordinator rewrites the model consistently, in place, and serves the same lie', () => {
    const tensors = model(256, 0.5)
    const g: GlobalModel = { session: 's', round: 1, term: 1, version: 1, coordinator: 'c', includedDigests: [], scores: [], rule: 'krum', tensors, weightsDigest: digestWeights(tensors) }
    const chunks = encodeGlobalModelChunks(g, { maxChunkBytes: 400 }).chunks
    expect(chunks.length).toBeGreaterThan(1)
    const before = { topic: 'model' as const, data: new Uint8Array([1]) }
    const after = { topic: 'model' as const, data: new Uint8Array([2]) }
    const liar = new Attacker('lying-coordinator', seeded(3))
    const out = liar.lie([before, ...chunks.map(data => ({ topic: 'model' as const, data })), after])
    expect(out[0]).toBe(before)
    expect(out.at(-1)).toBe(after)
    const lied = decodeGlobalModel(liar.lieAbout(1)!)
    expect(lied.ok && lied.value.weightsDigest).toBe(lied.ok && digestWeights(lied.value.tensors))
    expect(lied.ok && lied.value.weightsDigest).not.toBe(g.weightsDigest)
    const middle = out.slice(1, -1).map(p => decodeChunk(p.data))
    expect(middle.every(c => c.ok && c.value.kind === 'global-model')).toBe(true)
    expect(new Attacker('none', seeded(3)).lie([before])).toEqual([before])
  })

  it('the lying coordinator lies about a gossiped header with the weights its session holds, and serves those', () => {
    const tensors = model(256, 0.5)
    const g: GlobalModel = { session: 's', round: 1, term: 1, version: 1, coordinator: 'c', includedDigests: [], scores: [], rule: 'krum', tensors, weightsDigest: digestWeights(tensors) }
    const header = encodeGlobalModelChunks(globalModelHeader(g)).chunks.map(data => ({ topic: 'model' as const, data }))
    // without the weights there is nothing consistent to lie with: the model is withheld and counted
    const blind = new Attacker('lying-coordinator', seeded(3))
    expect(blind.lie(header)).toEqual([])
    expect(blind.counts.failures).toBe(1)
    const liar = new Attacker('lying-coordinator', seeded(3))
    const out = liar.lie(header, undefined, v => v === 1 ? tensors : undefined)
    expect(out).toHaveLength(1)
    const c = decodeChunk(out[0]!.data)
    const gossiped = c.ok && c.value.kind === 'global-model' ? decodeGlobalModel(c.value.data) : undefined
    if (gossiped?.ok !== true) throw new Error('the lie does not decode')
    expect(gossiped.value.tensors).toEqual([])
    const served = decodeGlobalModel(liar.lieAbout(1)!)
    if (!served.ok) throw new Error('the served lie does not decode')
    expect(served.value.weightsDigest).toBe(gossiped.value.weightsDigest)
    expect(digestWeights(served.value.tensors)).toBe(served.value.weightsDigest)
    expect(served.value.weightsDigest).not.toBe(g.weightsDigest)
  })

  it('the hidden-input coordinator also lists a phantom update, in sorted place with score 0', () => {
    const tensors = model(16, 0.5)
    const included = ['11'.repeat(32), 'ee'.repeat(32)]
    const g: GlobalModel = { session: 's', round: 1, term: 1, version: 1, coordinator: 'c', includedDigests: included, scores: [1.5, 2.5], rule: 'krum', tensors, weightsDigest: digestWeights(tensors) }
    const liar = new Attacker('hidden-input-coordinator', seeded(4))
    liar.lie(encodeGlobalModelChunks(g).chunks.map(data => ({ topic: 'model' as const, data })))
    const lied = decodeGlobalModel(liar.lieAbout(1)!)
    if (!lied.ok) throw new Error('the lie does not decode')
    const digests = lied.value.includedDigests
    expect(digests).toHaveLength(3)
    expect(digests.filter(d => !included.includes(d))).toHaveLength(1)
    expect([...digests].sort()).toEqual(digests)
    const phantom = digests.findIndex(d => !included.includes(d))
    expect(lied.value.scores[phantom]).toBe(0)
    expect(lied.value.scores.filter((_, i) => i !== phantom)).toEqual([1.5, 2.5])
    expect(lied.value.weightsDigest).not.toBe(g.weightsDigest)
  })

  it('a model delta the honest encoder refuses never becomes an update (nan in a model attack falls to the wire)', () => {
    // the RoundSession refuses to encode non-finite values: that is why 'nan' acts on the wire
    expect(() => quantizeDelta([{ name: 'x', shape: [1], data: new Float32Array([Number.NaN]) }], { scheme: 'int8' })).toThrow()
    expect(decodeModelUpdate(new Uint8Array([1, 2, 3])).ok).toBe(false)
  })
})

describe('learnerTrainer', () => {
  it('returns base + the learner\'s delta, flips labels for a label-flip attacker, and sits out without data', async () => {
    const seen: unknown[] = []
    const learner = {
      train: async (weights: Tensor[], data: unknown) => {
        seen.push(data)
        return { delta: weights.map(w => ({ ...w, data: w.data.map(() => 0.25) })), samples: 3, loss: 1, lossBefore: 2, losses: {}, steps: 1, epochs: 1, ms: 1, backend: 'cpu', callerMaxLagMs: 0 }
      }
    }
    let data: { task: 'mnist', indices: number[] } | undefined
    const t = learnerTrainer(learner, { data: () => data })
    expect(await t.train(model(4, 1), { session: 's', round: 1, attack: 'none' })).toBeUndefined()
    data = { task: 'mnist', indices: [1, 2] }
    const r = await t.train(model(4, 1), { session: 's', round: 1, attack: 'label-flip' })
    expect(Array.from(r!.weights[0]!.data)).toEqual([1.25, 1.25, 1.25])
    expect(r!.samples).toBe(3)
    expect(seen.at(-1)).toMatchObject({ labelFlip: { kind: 'reverse' } })
  })
})

describe('RoundSession verdicts reach the topic validator', () => {
  it('garbage on either topic is dropped with a reason, never thrown', () => {
    const s = new RoundSession({ self: '12D3KooWself', session: 's', clock: { now: () => 0 }, model: { version: 0, tensors: model(8) }, maxNorm: 10 })
    for (const bytes of [new Uint8Array(0), new Uint8Array([0xff, 1, 2]), new Uint8Array(5000).fill(7)]) {
      expect(s.onUpdateMessage(bytes, '12D3KooWother').verdict).not.toBe('accept')
      expect(s.onModelMessage(bytes, '12D3KooWother').verdict).not.toBe('accept')
    }
  })
})

describe('when a node asked to train starts', () => {
  const at = { lastTrainAt: 10_000, paceMs: 3_000, modelHeldAt: 14_000, trainAfterModelMs: 0, deadlineAt: 44_000, deadlineMs: 30_000 }
  it('paced from its last training, and trainAfterModelMs after it came to hold the model, whichever is later', () => {
    expect(trainNotBefore(at)).toBe(14_000) // the pace ran out before the model came: at once (the train event comes with the model)
    expect(trainNotBefore({ ...at, trainAfterModelMs: 1_000 })).toBe(15_000) // a second after the model
    expect(trainNotBefore({ ...at, modelHeldAt: 11_000, trainAfterModelMs: 1_000 })).toBe(13_000) // the pace is later
  })
  it('in a new coordinator\'s round (a term above its last training\'s) after half the pace', () => {
    expect(trainNotBefore({ ...at, modelHeldAt: 11_000 })).toBe(13_000)
    expect(trainNotBefore({ ...at, modelHeldAt: 11_000, newTerm: true })).toBe(11_500)
    expect(trainNotBefore({ ...at, modelHeldAt: 10_500, newTerm: true })).toBe(11_500) // never sooner than half the pace
    expect(trainNotBefore({ ...at, modelHeldAt: 11_000, trainAfterModelMs: 1_000, newTerm: true })).toBe(12_000)
  })
  it('by half the round\'s deadline whatever the pacing says, so it never misses the round', () => {
    expect(trainNotBefore({ ...at, trainAfterModelMs: 60_000 })).toBe(29_000)
    expect(trainNotBefore({ ...at, paceMs: 60_000 })).toBe(29_000)
  })
})
