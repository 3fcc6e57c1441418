import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { InProcessLearner } from '../src/engine.ts'
import { flattenWeights, initialWeights, linkHealthModelSpec, sharedScheduler } from '../src/index.ts'
import { normalStream } from './helpers.ts'

const tick = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 0))

describe('training runs', () => {
  it('caps optimiser steps per network with maxLocalSteps', async () => {
    const spec = linkHealthModelSpec({ seed: 1, localEpochs: 5, batchSize: 8, maxLocalSteps: 3 })
    const learner = new InProcessLearner()
    await learner.init(spec)
    const report = await learner.train(initialWeights(spec), { task: 'link-health', samples: normalStream({ seed: 1, count: 40 }) })
    expect(report.steps).toBe(6) // 3 for 'node' + 3 for 'link'
    expect(report.epochs).toBe(1) // both networks reach 3 steps within the first of the 5 epochs
    const uncapped = new InProcessLearner()
    await uncapped.init({ ...spec, maxLocalSteps: undefined })
    const full = await uncapped.train(initialWeights(spec), { task: 'link-health', samples: normalStream({ seed: 1, count: 40 }) })
    expect(full.steps).toBe(5 * (Math.ceil(37 / 8) + Math.ceil(37 * 6 / 8)))
    expect(full.epochs).toBe(5)
    // 10 steps: 'node' (5 a pass) ends after 2 epochs, 'link' (28 a pass) inside the first; 2 epochs took steps
    const between = new InProcessLearner()
    await between.init({ ...spec, maxLocalSteps: 10 })
    const part = await between.train(initialWeights(spec), { task: 'link-health', samples: normalStream({ seed: 1, count: 40 }) })
    expect(part).toMatchObject({ steps: 20, epochs: 2 })
    await between.dispose()
    await learner.dispose()
    await uncapped.dispose()
  }, 60_000)

  it('scoring while a training run is in progress uses the served model, not half-trained weights', async () => {
    const spec = linkHealthModelSpec({ seed: 2, localEpochs: 3 })
    const learner = new InProcessLearner()
    await learner.init(spec, { yieldEveryMs: 0 }) // yield after every step, so score requests interleave
    const samples = normalStream({ seed: 2, count: 40 })
    const window = samples.slice(-4)
    const before = await learner.score(window, { observe: false })
    const servedBefore = flattenWeights(await learner.getWeights())

    let finished = false
    const training = learner.train(initialWeights(linkHealthModelSpec({ seed: 99 })), { task: 'link-health', samples })
      .then(r => { finished = true; return r })
    for (let i = 0; i < 5; i++) await tick()
    expect(finished).toBe(false)
    expect(flattenWeights(await learner.getWeights())).toEqual(servedBefore)
    expect((await learner.score(window, { observe: false })).nodeError).toBe(before.nodeError)

    const report = await training
    expect(report.steps).toBeGreaterThan(5)
    expect(flattenWeights(await learner.getWeights())).not.toEqual(servedBefore)
    expect((await learner.score(window, { observe: false })).nodeError).not.toBe(before.nodeError)
    await learner.dispose()
  }, 60_000)

  it('queues overlapping train calls instead of mixing them', async () => {
    const spec = linkHealthModelSpec({ seed: 3, localEpochs: 1 })
    const samples = normalStream({ seed: 3, count: 20 })
    const g1 = initialWeights(spec)
    const g2 = initialWeights(linkHealthModelSpec({ seed: 4 }))
    const learner = new InProcessLearner()
    await learner.init(spec, { yieldEveryMs: 0 })
    const [r1, r2] = await Promise.all([
      learner.train(g1, { task: 'link-health', samples }, { seed: 1 }),
      learner.train(g2, { task: 'link-health', samples }, { seed: 2 })
    ])
    const solo = new InProcessLearner()
    await solo.init(spec)
    expect(flattenWeights(r1.delta)).toEqual(flattenWeights((await solo.train(g1, { task: 'link-health', samples }, { seed: 1 })).delta))
    expect(flattenWeights(r2.delta)).toEqual(flattenWeights((await solo.train(g2, { task: 'link-health', samples }, { seed: 2 })).delta))
    await learner.dispose()
    await solo.dispose()
  }, 60_000)

  it('many train calls started at once queue at the gate instead of all setting up in one burst', async () => {
    // a started link-health run with SGD holds four tensors: the node and link inputs and each optimiser's
    // learning-rate scalar (SGD keeps no other state)
    const spec = linkHealthModelSpec({ seed: 7, localEpochs: 2, optimizer: { name: 'sgd', learningRate: 0.01 } })
    const samples = normalStream({ seed: 7, count: 30 })
    const learners = await Promise.all(Array.from({ length: 20 }, async () => {
      const l = new InProcessLearner()
      await l.init(spec)
      return l
    }))
    const base = tf.memory().numTensors
    // start them at the beginning of a fresh slice, when the gate has budget to give away
    const opener = {}
    await sharedScheduler.cooperate(opener, 0)
    sharedScheduler.leave(opener)
    const runs = learners.map(l => l.train(initialWeights(spec), { task: 'link-health', samples }))
    // a macrotask queued now runs before the scheduler's next turn: by then only the run holding the slice has set up
    const holdingTensors = await new Promise<number>(resolve => setImmediate(() => resolve((tf.memory().numTensors - base) / 4)))
    await Promise.all(runs)
    expect(holdingTensors).toBeLessThanOrEqual(1)
    expect(tf.memory().numTensors).toBe(base)
    await Promise.all(learners.map(l => l.dispose()))
  }, 60_000)

  it('does not leak tensors across train, score, evaluate and setWeights', async () => {
    const spec = linkHealthModelSpec({ seed: 6, localEpochs: 1 })
    const samples = normalStream({ seed: 6, count: 20 })
    const learner = new InProcessLearner()
    await learner.init(spec)
    const cycle = async (): Promise<void> => {
      const report = await learner.train(initialWeights(spec), { task: 'link-health', samples })
      await learner.score(samples.slice(-4))
      await learner.evaluate({ task: 'link-health', samples })
      await learner.setWeights(report.delta)
    }
    await cycle()
    const tensors = tf.memory().numTensors
    for (let i = 0; i < 3; i++) await cycle()
    expect(tf.memory().numTensors).toBe(tensors)
    await learner.dispose()
    expect(tf.memory().numTensors).toBeLessThan(tensors)
  }, 60_000)

  it('a disposed learner says so', async () => {
    const learner = new InProcessLearner()
    await learner.init(linkHealthModelSpec({ seed: 5 }))
    await learner.dispose()
    await expect(learner.getWeights()).rejects.toThrow(/disposed/)
    await expect(new InProcessLearner().getWeights()).rejects.toThrow(/call init/)
  })
})
