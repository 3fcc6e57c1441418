import { describe, expect, it } from 'vitest'
import { MemoryCheckpointStore } from '@fedmesh/checkpoint'
import { flattenWeights, initialWeights, linkHealthModelSpec } from '@fedmesh/learner'
import { InProcessLearner } from '@fedmesh/learner/engine'
import { LocalLearning, learningPlan } from '../src/learning/index.ts'
import type { LinkHealthPrediction } from '../src/learning/index.ts'
import { degrade, normalStream } from '../../../packages/learner/test/helpers.ts'

const spec = linkHealthModelSpec({ seed: 3, localEpochs: 8 })

/** A LocalLearning with an in-process learner, a memory store and a timer the test fires by hand. */
function setup (store = new MemoryCheckpointStore(), backends?: string[]) {
  const timers: Array<{ ms: number, fn: () => void, stopped: boolean }> = []
  const learner = new InProcessLearner()
  const learning = new LocalLearning({
    learner,
    spec,
    ...(backends !== undefined ? { initOptions: { backends } } : {}),
    checkpointKey: 'link-health/3#tab-a',
    store,
    learnEveryMs: 5000,
    every: (ms, fn) => {
      const t = { ms, fn, stopped: false }
      timers.push(t)
      return () => { t.stopped = true }
    },
    wallNow: () => 1_700_000_000_000
  })
  return { learning, learner, store, timers }
}

describe('LocalLearning', () => {
  it('collects samples, trains on the schedule, checkpoints, and publishes per-node and per-link scores', async () => {
    const { learning, store, timers } = setup()
    await learning.start()
    expect(timers.map(t => t.ms)).toEqual([5000])
    const status = learning.status()
    expect(status).toMatchObject({ task: 'link-health', state: 'collecting', backend: 'cpu', modelVersion: 0, samples: 0, runs: 0 })
    expect(status.fallbackReason).toBeUndefined()

    const seen: LinkHealthPrediction[] = []
    const off = learning.predictions.onScore(p => { seen.push(p) })
    const stream = normalStream({ seed: 9, count: 80 })
    for (const sample of stream.slice(0, 5)) learning.addSample(sample)
    expect(await learning.trainOnce()).toBeUndefined() // too few samples: nothing to learn from yet
    for (const sample of stream.slice(5, 40)) learning.addSample(sample)
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(seen.length).toBeGreaterThan(0)
    expect(Object.keys(seen.at(-1)!.links).sort()).toEqual(stream[0]!.neighbours.map(n => n.peerId).sort())

    timers[0]!.fn() // the schedule fires
    await waitFor(() => learning.status().runs === 1)
    const trained = learning.status()
    expect(trained.modelVersion).toBe(1)
    expect(trained.samples).toBe(40)
    expect(trained.trainedSamples).toBe(37) // windows of 4 samples in 40
    expect(trained.lastLoss!).toBeLessThan(trained.lastLossBefore!)
    expect(trained.worstLagMs).toBeGreaterThanOrEqual(0)
    expect(trained.epochMs).toBeGreaterThan(0)
    expect(trained.checkpoint).toEqual({ version: 1, savedAt: 1_700_000_000_000 })
    const saved = await store.load('link-health/3#tab-a')
    expect(saved?.version).toBe(1)

    // more data and more runs keep lowering the loss on this steady stream
    for (const sample of stream.slice(40)) learning.addSample(sample)
    await learning.trainOnce()
    await learning.trainOnce()
    const later = learning.status()
    expect(later.modelVersion).toBe(3)
    expect(later.losses).toHaveLength(3)
    expect(later.losses[2]!).toBeLessThan(later.losses[0]!)

    // a link that turns slow and lossy stands out in the per-link scores
    const last = stream.at(-1)!
    for (let i = 1; i <= 4; i++) learning.addSample(degrade({ ...last, atMs: last.atMs + i * 1000 }, { peers: ['peer-2'] }))
    await waitFor(() => seen.at(-1)?.atMs === last.atMs + 4000)
    const p = seen.at(-1)!
    expect(p.modelVersion).toBe(3)
    expect(p.links['peer-2']!).toBeGreaterThan(Math.max(...Object.entries(p.links).filter(([id]) => id !== 'peer-2').map(([, s]) => s)))
    expect(p.anomalousLinks[0]).toBe('peer-2')
    expect(learning.status().anomaly?.links['peer-2']).toBe(p.links['peer-2'])
    off()
    await learning.stop()
    expect(timers[0]!.stopped).toBe(true)
  }, 120_000)

  it('resumes from its checkpoint after a restart and serves the checkpointed weights', async () => {
    const store = new MemoryCheckpointStore()
    const first = setup(store)
    await first.learning.start()
    for (const sample of normalStream({ seed: 4, count: 20 })) first.learning.addSample(sample)
    await first.learning.trainOnce()
    await first.learning.trainOnce()
    const weights = await first.learner.getWeights()
    await first.learning.stop()

    const second = setup(store)
    await second.learning.start()
    expect(second.learning.status()).toMatchObject({ modelVersion: 2, resumedFrom: 2 })
    expect(flattenWeights(await second.learner.getWeights())).toEqual(flattenWeights(weights))
    for (const sample of normalStream({ seed: 5, count: 20 })) second.learning.addSample(sample)
    await second.learning.trainOnce()
    expect(second.learning.status().modelVersion).toBe(3)
    expect((await store.load('link-health/3#tab-a'))?.version).toBe(3)
    await second.learning.stop()
  }, 120_000)

  it('deletes other tabs\' checkpoints not saved for a week at start, keeping its own and recent ones', async () => {
    const store = new MemoryCheckpointStore()
    const day = 24 * 3600_000
    const now = 1_700_000_000_000
    const save = async (session: string, savedAt: number): Promise<void> => { await store.save({ session, version: 1, round: 1, term: 1, weights: initialWeights(spec), savedAt }) }
    await save('link-health/3#tab-a', now - 30 * day) // this tab's own, however old
    await save('link-health/3#tab-gone', now - 8 * day)
    await save('mnist/1#tab-gone', now - 8 * day)
    await save('link-health/3#tab-b', now - 6 * day)
    const { learning } = setup(store)
    await learning.start()
    expect(learning.status().checkpoint?.pruned).toBe(2)
    expect(learning.status().resumedFrom).toBe(1)
    expect(await store.load('link-health/3#tab-gone')).toBeUndefined()
    expect(await store.load('mnist/1#tab-gone')).toBeUndefined()
    expect((await store.load('link-health/3#tab-b'))?.version).toBe(1)
    await learning.stop()
  }, 120_000)

  it('adopts a model handed over (e.g. a global model), serves it, and checkpoints it with round and term', async () => {
    const store = new MemoryCheckpointStore()
    const { learning, learner } = setup(store)
    await learning.start()
    const global = initialWeights(spec).map(w => ({ ...w, data: w.data.map((x, i) => x + (i % 3) * 0.01) }))
    await learning.adopt(global, 12, { round: 11, term: 4 })
    expect(learning.status()).toMatchObject({ modelVersion: 12 })
    expect(flattenWeights(await learner.getWeights())).toEqual(flattenWeights(global))
    expect(await store.load('link-health/3#tab-a')).toMatchObject({ version: 12, round: 11, term: 4 })
    for (const sample of normalStream({ seed: 6, count: 12 })) learning.addSample(sample)
    await learning.trainOnce()
    expect(await store.load('link-health/3#tab-a')).toMatchObject({ version: 13, round: 11, term: 4 })
    await learning.stop()

    const again = setup(store)
    await again.learning.start()
    expect(again.learning.status()).toMatchObject({ modelVersion: 13, resumedFrom: 13 })
    await again.learning.stop()
  }, 60_000)

  it('starts fresh from a corrupt checkpoint and says why', async () => {
    const store = new MemoryCheckpointStore()
    store.setRaw('link-health/3#tab-a', new TextEncoder().encode('not a checkpoint at all'))
    const { learning, learner } = setup(store)
    await learning.start()
    const status = learning.status()
    expect(status.modelVersion).toBe(0)
    expect(status.resumedFrom).toBeUndefined()
    expect(status.checkpointProblem).toMatch(/stored checkpoint is corrupt: not a fedmesh checkpoint .*starting fresh/)
    expect(flattenWeights(await learner.getWeights())).toEqual(flattenWeights(initialWeights(spec)))
    expect(await store.load('link-health/3#tab-a')).toBeUndefined()
    await learning.stop()
  }, 60_000)

  it('reports the backend it fell back to and why', async () => {
    const { learning } = setup(undefined, ['no-such-backend', 'cpu'])
    await learning.start()
    const status = learning.status()
    expect(status.backend).toBe('cpu')
    expect(status.fallbackReason).toMatch(/^no-such-backend: not registered in this build/)
    await learning.stop()
  }, 60_000)

  it('reports a learner that cannot start as an error state', async () => {
    const { learning } = setup(undefined, ['no-such-backend'])
    await expect(learning.start()).rejects.toThrow(/no TensorFlow.js backend could start/)
    expect(learning.status()).toMatchObject({ state: 'error', error: expect.stringMatching(/no-such-backend: not registered/) })
  }, 60_000)
})

describe('learningPlan', () => {
  it('gives every tab the session model and its own checkpoint key', () => {
    const a = learningPlan({ task: 'link-health', attack: 'none', tabId: 'a' })
    const b = learningPlan({ task: 'link-health', attack: 'none', tabId: 'b' })
    expect(a.spec).toEqual(b.spec)
    expect(a.session).toBe('link-health/1')
    expect(a.checkpointKey).not.toBe(b.checkpointKey)
    expect(a.mnistData).toBeUndefined()
  })

  it('caps the optimiser steps of a local training at localSteps per network (0: the spec\'s epochs, uncapped)', () => {
    for (const task of ['link-health', 'mnist'] as const) {
      expect(learningPlan({ task, attack: 'none', tabId: 'a', localSteps: 12 }).spec.maxLocalSteps).toBe(12)
      expect(learningPlan({ task, attack: 'none', tabId: 'a', localSteps: 0 }).spec.maxLocalSteps).toBeUndefined()
      expect(learningPlan({ task, attack: 'none', tabId: 'a' }).spec.maxLocalSteps).toBeUndefined()
    }
  })

  it('gives mnist tabs a stable, tab-specific share of the training split; label-flip flips it', () => {
    const a = learningPlan({ task: 'mnist', attack: 'none', tabId: 'a' })
    const again = learningPlan({ task: 'mnist', attack: 'none', tabId: 'a' })
    const b = learningPlan({ task: 'mnist', attack: 'label-flip', tabId: 'b' })
    const ia = (a.mnistData as { indices: number[] }).indices
    expect(ia).toHaveLength(600)
    expect(new Set(ia).size).toBe(600)
    expect(ia).toEqual((again.mnistData as { indices: number[] }).indices)
    expect(ia).not.toEqual((b.mnistData as { indices: number[] }).indices)
    expect(b.mnistData).toMatchObject({ labelFlip: { kind: 'reverse' } })
  })
})

async function waitFor (check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
