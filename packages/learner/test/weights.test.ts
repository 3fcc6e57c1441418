import { describe, expect, it } from 'vitest'
import {
  addWeights, assertLayout, cloneWeights, flattenWeights, initialWeights, linkHealthModelSpec,
  mnistModelSpec, parameterCount, subtractWeights, unflattenWeights, weightLayout
} from '../src/index.ts'
import type { NamedWeights } from '../src/index.ts'
import { InProcessLearner } from '../src/engine.ts'
import { normalStream } from './helpers.ts'

function maxAbsDiff (a: NamedWeights, b: NamedWeights): number {
  let worst = 0
  a.forEach((w, i) => w.data.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - b[i]!.data[k]!)) }))
  return worst
}

describe('weight layout and initial weights', () => {
  it('names every kernel and bias per network in layer order', () => {
    const spec = mnistModelSpec({ seed: 1, hidden: [32, 16] })
    expect(weightLayout(spec)).toEqual([
      { name: 'classifier/dense0/kernel', shape: [784, 32] },
      { name: 'classifier/dense0/bias', shape: [32] },
      { name: 'classifier/dense1/kernel', shape: [32, 16] },
      { name: 'classifier/dense1/bias', shape: [16] },
      { name: 'classifier/dense2/kernel', shape: [16, 10] },
      { name: 'classifier/dense2/bias', shape: [10] }
    ])
    expect(parameterCount(weightLayout(spec))).toBe(784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10)
    const lh = weightLayout(linkHealthModelSpec({ seed: 1 })).map(s => s.name)
    expect(lh.filter(n => n.startsWith('node/'))).toHaveLength(8)
    expect(lh.filter(n => n.startsWith('link/'))).toHaveLength(8)
  })

  it('derives version 0 from the seed alone: same seed, same bits; other seed, other weights', () => {
    const a = initialWeights(linkHealthModelSpec({ seed: 42 }))
    const b = initialWeights(linkHealthModelSpec({ seed: 42 }))
    const c = initialWeights(linkHealthModelSpec({ seed: 43 }))
    expect(flattenWeights(a)).toEqual(flattenWeights(b))
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0.01)
    for (const w of a) {
      if (w.shape.length === 1) {
        expect(w.data.every(v => v === 0)).toBe(true)
      } else {
        const limit = Math.sqrt(6 / (w.shape[0]! + w.shape[1]!))
        expect(w.data.every(v => Math.abs(v) <= limit)).toBe(true)
        expect(new Set(w.data).size).toBeGreaterThan(w.data.length / 2)
      }
    }
  })

  it('two learners built from the same spec start from identical weights', async () => {
    const spec = linkHealthModelSpec({ seed: 5 })
    const [one, two] = [new InProcessLearner(), new InProcessLearner()]
    await one.init(spec)
    await two.init(spec)
    const w1 = await one.getWeights()
    expect(flattenWeights(w1)).toEqual(flattenWeights(await two.getWeights()))
    expect(flattenWeights(w1)).toEqual(flattenWeights(initialWeights(spec)))
    await one.dispose()
    await two.dispose()
  }, 60_000)
})

describe('get / set / delta', () => {
  it('set then get returns the same values, and train returns local − global', async () => {
    const spec = linkHealthModelSpec({ seed: 9, localEpochs: 2 })
    const learner = new InProcessLearner()
    await learner.init(spec)
    const global = initialWeights(linkHealthModelSpec({ seed: 1234 })) // different values, same layout
    await learner.setWeights(global)
    expect(flattenWeights(await learner.getWeights())).toEqual(flattenWeights(global))

    const result = await learner.train(global, { task: 'link-health', samples: normalStream({ seed: 3, count: 20 }) })
    const local = await learner.getWeights()
    expect(maxAbsDiff(result.delta, subtractWeights(local, global))).toBe(0)
    expect(maxAbsDiff(addWeights(global, result.delta), local)).toBeLessThan(1e-6)
    expect(flattenWeights(result.delta).some(v => v !== 0)).toBe(true)
    await learner.dispose()
  }, 60_000)

  it('flatten / unflatten round-trip in layout order', () => {
    const spec = linkHealthModelSpec({ seed: 2 })
    const w = initialWeights(spec)
    const flat = flattenWeights(w)
    expect(flat.length).toBe(parameterCount(weightLayout(spec)))
    expect(flat.subarray(0, w[0]!.data.length)).toEqual(w[0]!.data)
    const back = unflattenWeights(flat, weightLayout(spec))
    expect(back).toEqual(w)
    expect(() => unflattenWeights(flat.subarray(1), weightLayout(spec))).toThrow(/parameters/)
  })

  it('arithmetic: add with scale, subtract, clone is deep', () => {
    const w = initialWeights(linkHealthModelSpec({ seed: 3 }))
    const twice = addWeights(w, w)
    expect(maxAbsDiff(subtractWeights(twice, w), w)).toBe(0)
    expect(maxAbsDiff(addWeights(twice, w, -2), w.map(x => ({ ...x, data: new Float32Array(x.data.length) })))).toBe(0)
    const copy = cloneWeights(w)
    copy[0]!.data[0] = 99
    expect(w[0]!.data[0]).not.toBe(99)
  })

  it('rejects weights of another layout with a message naming the tensor', async () => {
    const spec = linkHealthModelSpec({ seed: 4 })
    const w = initialWeights(spec)
    const wrongShape = w.map((x, i) => i === 2 ? { ...x, shape: [x.shape[1]!, x.shape[0]!] } : x)
    expect(() => assertLayout(wrongShape, weightLayout(spec))).toThrow(/node\/dense1\/kernel.*expected shape/)
    expect(() => assertLayout(w.slice(1), weightLayout(spec))).toThrow(/expected 16 tensors/)
    const learner = new InProcessLearner()
    await learner.init(spec)
    await expect(learner.setWeights(initialWeights(mnistModelSpec({ seed: 4 })))).rejects.toThrow(/expected 16 tensors/)
    await learner.dispose()
  }, 60_000)
})
