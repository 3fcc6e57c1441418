import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { InProcessLearner, mnistPackageSource } from '../src/node.ts'
import {
  MNIST_DIGIT_COUNTS, MNIST_PIXELS, MNIST_SIZE, classCounts, flipLabel, flipLabels, initialWeights,
  loadMnist, mnistExamples, mnistLabels, parseDigitFile, mnistModelSpec, mnistPartition, mnistSplit, partition
} from '../src/index.ts'

/** Mean over nodes of the Shannon entropy (bits) of each node's label histogram: log2(10) ≈ 3.32 when balanced. */
function meanLabelEntropy (shares: Uint32Array[], labels: Uint8Array): number {
  let total = 0
  for (const share of shares) {
    const counts = classCounts(share, labels)
    let h = 0
    for (const c of counts) if (c > 0) h -= (c / share.length) * Math.log2(c / share.length)
    total += h
  }
  return total / shares.length
}

describe('mnist loader', () => {
  it('reads 10,000 real digits from the mnist package, grouped by label, as bytes', async () => {
    const source = mnistPackageSource()
    const raw3 = await source(3)
    const json3 = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('mnist/src/digits/3.json'), 'utf8')) as { data: number[] }).data
    expect(raw3.length).toBe(json3.length)
    for (let i = 0; i < json3.length; i += 997) expect(raw3[i]).toBe(Math.fround(json3[i]!))
    expect(raw3.length).toBe(MNIST_DIGIT_COUNTS[3]! * MNIST_PIXELS)
    const dataset = await loadMnist(source)
    expect(await loadMnist(mnistPackageSource())).toBe(dataset) // shared by every in-process learner
    expect(dataset.count).toBe(MNIST_SIZE)
    expect(MNIST_SIZE).toBe(10_000)
    expect(dataset.pixels.length).toBe(MNIST_SIZE * MNIST_PIXELS)
    expect(dataset.labels).toEqual(mnistLabels())
    // the first image of digit 3 comes back as the package's values, to the package's 3-decimal precision
    const first3 = MNIST_DIGIT_COUNTS.slice(0, 3).reduce((a, b) => a + b, 0)
    expect(dataset.labels[first3]).toBe(3)
    expect(dataset.labels[first3 - 1]).toBe(2)
    const { x, labels } = mnistExamples(dataset, [first3])
    expect(labels[0]).toBe(3)
    for (let p = 0; p < MNIST_PIXELS; p++) expect(Math.abs(x[p]! - raw3[p]!)).toBeLessThan(0.0021)
    // a real digit: mostly background with a stroke
    const ink = [...x].filter(v => v > 0.5).length
    expect(ink).toBeGreaterThan(40)
    expect(ink).toBeLessThan(400)
  }, 60_000)

  it('parses digit files exactly like JSON.parse, and rejects malformed ones', () => {
    const text = '{ "data": [0, 0.5,1, 0.624 ,1e-3,-2.5E1]}'
    expect([...parseDigitFile(new TextEncoder().encode(text))]).toEqual((JSON.parse(text) as { data: number[] }).data.map(Math.fround))
    expect(parseDigitFile(new TextEncoder().encode('{"data":[]}')).length).toBe(0)
    expect(() => parseDigitFile(new TextEncoder().encode('{"data":[1,,2]}'))).toThrow(/expected a number at byte 11/)
    expect(() => parseDigitFile(new TextEncoder().encode('{"data":[1;2]}'))).toThrow(/expected ',' or ']'/)
    expect(() => parseDigitFile(new TextEncoder().encode('[1,2]'))).toThrow(/no "data"/)
  })

  it('splits train and test disjointly and deterministically', () => {
    const a = mnistSplit({ seed: 1, testSize: 500 })
    expect(a.test.length).toBe(500)
    expect(a.train.length).toBe(9500)
    expect(new Set([...a.train, ...a.test]).size).toBe(10_000)
    expect(mnistSplit({ seed: 1, testSize: 500 })).toEqual(a)
    expect(mnistSplit({ seed: 2, testSize: 500 }).test).not.toEqual(a.test)
    expect(mnistSplit({ seed: 1, testSize: 500, trainSize: 100 }).train).toEqual(a.train.slice(0, 100))
  })
})

describe('partition', () => {
  const labels = mnistLabels()
  const { train } = mnistSplit({ seed: 3, testSize: 1000 })

  it('iid: every item once, sizes within one, each node near the global class mix', () => {
    const shares = partition(train, labels, 20, { mode: 'iid', seed: 1 })
    const all = shares.flatMap(s => [...s])
    expect(all.length).toBe(train.length)
    expect(new Set(all).size).toBe(train.length)
    const sizes = shares.map(s => s.length)
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    const global = classCounts(train, labels).map(c => c / train.length)
    for (const share of shares) {
      classCounts(share, labels).forEach((c, k) => expect(Math.abs(c / share.length - global[k]!)).toBeLessThan(0.03))
    }
  })

  it('dirichlet: label skew grows as alpha shrinks', () => {
    const entropy = (alpha: number): number => meanLabelEntropy(partition(train, labels, 20, { mode: 'dirichlet', alpha, seed: 5 }), labels)
    const iid = meanLabelEntropy(partition(train, labels, 20, { mode: 'iid', seed: 5 }), labels)
    const [h100, h1, h01] = [entropy(100), entropy(1), entropy(0.1)]
    expect(h100).toBeGreaterThan(3.2)
    expect(iid).toBeGreaterThan(h100 - 0.05)
    expect(h1).toBeLessThan(h100 - 0.3)
    expect(h01).toBeLessThan(h1 - 0.5)
    expect(h01).toBeLessThan(1.5)
  })

  it('dirichlet: deterministic for a seed, every item once, no empty node', () => {
    const a = partition(train, labels, 50, { mode: 'dirichlet', alpha: 0.1, seed: 9, minPerNode: 5 })
    expect(partition(train, labels, 50, { mode: 'dirichlet', alpha: 0.1, seed: 9, minPerNode: 5 })).toEqual(a)
    expect(partition(train, labels, 50, { mode: 'dirichlet', alpha: 0.1, seed: 10, minPerNode: 5 })).not.toEqual(a)
    const all = a.flatMap(s => [...s])
    expect(new Set(all).size).toBe(train.length)
    expect(all.length).toBe(train.length)
    expect(Math.min(...a.map(s => s.length))).toBeGreaterThanOrEqual(5)
  })

  it('mnistPartition = split then partition, and rejects impossible requests', () => {
    const shares = mnistPartition(4, { mode: 'iid', seed: 3, testSize: 1000 })
    expect(shares.flatMap(s => [...s]).sort((x, y) => x - y)).toEqual([...train].sort((x, y) => x - y))
    expect(() => partition(train.slice(0, 3), labels, 4, { mode: 'iid', seed: 1 })).toThrow(/at least 1 items/)
    expect(() => partition(train, labels, 4, { mode: 'dirichlet', seed: 1 })).toThrow(/alpha/)
  })
})

describe('label flip', () => {
  it('reverse, targeted and shift relabel as documented', () => {
    expect([0, 3, 9].map(l => flipLabel(l, { kind: 'reverse' }))).toEqual([9, 6, 0])
    expect([7, 1, 3].map(l => flipLabel(l, { kind: 'targeted', from: 7, to: 1 }))).toEqual([1, 1, 3])
    expect([8, 9, 0].map(l => flipLabel(l, { kind: 'shift', by: 2 }))).toEqual([0, 1, 2])
    expect([...flipLabels([1, 2], { kind: 'reverse' })]).toEqual([8, 7])
    expect(() => flipLabels([1], { kind: 'targeted', from: 7, to: 10 })).toThrow(/classes in \[0, 10\)/)
  })
})

describe('mnist training', () => {
  const spec = mnistModelSpec({ seed: 11, hidden: [32], testSize: 500, trainSize: 800 })
  const { train, test } = mnistSplit({ seed: spec.seed, testSize: 500, trainSize: 800 })

  it('a few local epochs on 800 digits lower the loss and beat chance by far on held-out digits', async () => {
    const learner = new InProcessLearner({ mnistSource: mnistPackageSource() })
    const info = await learner.init({ ...spec, localEpochs: 3 })
    expect(info.backend.active).toBe('cpu')
    const global = initialWeights(spec)
    const before = await learner.evaluate({ task: 'mnist', indices: test }, global)
    const report = await learner.train(global, { task: 'mnist', indices: train }, { seed: 1 })
    expect(report.samples).toBe(800)
    expect(report.steps).toBe(3 * Math.ceil(800 / 32))
    expect(report.loss).toBeLessThan(report.lossBefore * 0.5)
    const after = await learner.evaluate({ task: 'mnist', indices: test })
    expect(before.accuracy).toBeLessThan(0.25)
    expect(after.accuracy).toBeGreaterThan(0.7)
    expect(after.samples).toBe(500)
    await learner.dispose()
  }, 120_000)

  it('the label-flip option trains on flipped labels (the model learns l -> 9 - l)', async () => {
    const learner = new InProcessLearner({ mnistSource: mnistPackageSource() })
    await learner.init({ ...spec, localEpochs: 3 })
    await learner.train(initialWeights(spec), { task: 'mnist', indices: train, labelFlip: { kind: 'reverse' } }, { seed: 1 })
    const honest = await learner.evaluate({ task: 'mnist', indices: test })
    const flipped = await learner.evaluate({ task: 'mnist', indices: test, labelFlip: { kind: 'reverse' } })
    expect(honest.accuracy).toBeLessThan(0.2)
    expect(flipped.accuracy).toBeGreaterThan(0.7)
    await learner.dispose()
  }, 120_000)

  it('says what is missing when the mnist digits are not provided', async () => {
    await expect(new InProcessLearner().init(spec)).rejects.toThrow(/mnistUrls.*mnistPackageSource/)
  })
})
