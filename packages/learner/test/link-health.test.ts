import { describe, expect, it } from 'vitest'
import {
  LINK_FEATURE_NAMES, NODE_FEATURE_NAMES, RunningMedian, anomalousLinks, initialWeights,
  linkHealthExamples, linkHealthModelSpec, linkHealthWindow, nodeFeatures, linkFeatures
} from '../src/index.ts'
import { InProcessLearner } from '../src/engine.ts'
import { degrade, normalStream } from './helpers.ts'

describe('link-health features', () => {
  it('log-scales RTT and keeps loss, lag and peer counts in about [0, 1]', () => {
    const [sample] = normalStream({ seed: 1, count: 1 })
    const f = nodeFeatures(sample!)
    expect(f.length).toBe(NODE_FEATURE_NAMES.length)
    const at = (name: typeof NODE_FEATURE_NAMES[number]): number => f[NODE_FEATURE_NAMES.indexOf(name)]!
    expect(at('rttMean')).toBeCloseTo(Math.log1p(sample!.metrics.rttMeanMs) / Math.log1p(1000), 5)
    expect(at('loss')).toBeCloseTo(sample!.metrics.lossRatio, 6)
    expect(at('neighbours')).toBeCloseTo(6 / 32, 6)
    for (const value of f) {
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThanOrEqual(1)
    }
    // a 20x RTT is a bounded but clear step in log space
    const slow = nodeFeatures(degrade(sample!))
    const step = slow[NODE_FEATURE_NAMES.indexOf('rttMean')]! - at('rttMean')
    expect(step).toBeGreaterThan(0.3)
    expect(step).toBeLessThan(0.5)
    expect(slow[NODE_FEATURE_NAMES.indexOf('loss')]).toBeCloseTo(0.5, 6)
  })

  it('treats non-finite metrics as zero instead of poisoning the model with NaN', () => {
    const [sample] = normalStream({ seed: 2, count: 1 })
    const broken = { ...sample!, metrics: { ...sample!.metrics, heapUsedBytes: NaN, rttMeanMs: Infinity } }
    expect([...nodeFeatures(broken)].every(Number.isFinite)).toBe(true)
  })

  it('link features compare a link with the node median and one-hot the transport', () => {
    const f = linkFeatures({ peerId: 'p', transport: 'relayed', rttMs: 99, loss: 0.2 }, 9)
    expect(f.length).toBe(LINK_FEATURE_NAMES.length)
    const at = (name: typeof LINK_FEATURE_NAMES[number]): number => f[LINK_FEATURE_NAMES.indexOf(name)]!
    expect(at('present')).toBe(1)
    expect(at('rttVsMedian')).toBeCloseTo(1, 6) // (99+1)/(9+1) = 10x -> log10 = 1
    expect(at('relayed')).toBe(1)
    expect(at('webrtc')).toBe(0)
    expect(at('loss')).toBeCloseTo(0.2, 6)
    expect([...linkFeatures(undefined, 9)].every(v => v === 0)).toBe(true)
  })

  it('builds one node example per full window and one link example per current link', () => {
    const samples = normalStream({ seed: 3, count: 10, peers: 3 })
    // peer-2 disappears from the last sample
    samples[9] = { ...samples[9]!, neighbours: samples[9]!.neighbours.slice(0, 2) }
    const ex = linkHealthExamples(samples, 4)
    expect(ex.node.rows).toBe(7)
    expect(ex.node.width).toBe(4 * NODE_FEATURE_NAMES.length)
    expect(ex.link.rows).toBe(6 * 3 + 2)
    // the first node example is the first four samples' features, oldest first
    const first = [...samples.slice(0, 4).flatMap(s => [...nodeFeatures(s)])]
    expect([...ex.node.data.subarray(0, ex.node.width)]).toEqual(first.map(v => Math.fround(v)))
    expect(linkHealthExamples(samples.slice(0, 3), 4).node.rows).toBe(0)
  })

  it('pads a short scoring window and marks links absent from older samples', () => {
    const samples = normalStream({ seed: 4, count: 2, peers: 2 })
    samples[0] = { ...samples[0]!, neighbours: samples[0]!.neighbours.slice(0, 1) }
    const w = linkHealthWindow(samples, 4)
    expect(w.atMs).toBe(samples[1]!.atMs)
    expect(w.peerIds).toEqual(['peer-0', 'peer-1'])
    expect(w.node.length).toBe(4 * NODE_FEATURE_NAMES.length)
    // peer-1 row: absent in the three padded copies of sample 0, present in sample 1
    const width = 4 * LINK_FEATURE_NAMES.length
    const present = (row: number, pos: number): number => w.links.data[row * width + pos * LINK_FEATURE_NAMES.length]!
    expect([0, 1, 2, 3].map(p => present(1, p))).toEqual([0, 0, 0, 1])
    expect([0, 1, 2, 3].map(p => present(0, p))).toEqual([1, 1, 1, 1])
    expect(() => linkHealthWindow([], 4)).toThrow(/at least one metric sample/)
  })
})

describe('RunningMedian', () => {
  it('is the median of the last capacity values and ignores non-finite ones', () => {
    const m = new RunningMedian(3)
    expect(m.median()).toBeUndefined()
    for (const v of [5, 1, NaN, 3]) m.push(v)
    expect(m.median()).toBe(3)
    m.push(100) // window is now 1, 3, 100
    expect(m.median()).toBe(3)
    m.push(100) // 3, 100, 100
    expect(m.median()).toBe(100)
    m.reset([2, 4])
    expect(m.size).toBe(2)
    expect(m.median()).toBe(3)
  })
})

describe('link-health learner', () => {
  it('after a short training, a 20x RTT with 50% loss scores far above normal windows', async () => {
    const spec = linkHealthModelSpec({ seed: 7, localEpochs: 10 })
    const learner = new InProcessLearner()
    await learner.init(spec)
    const train = normalStream({ seed: 10, count: 120 })
    const report = await learner.train(initialWeights(spec), { task: 'link-health', samples: train }, { seed: 1 })
    expect(report.loss).toBeLessThan(report.lossBefore / 5)
    expect(report.samples).toBe(120 - 4 + 1)

    // fresh normal data from the same distribution, scored window by window
    const live = normalStream({ seed: 11, count: 40, startMs: 200_000 })
    const normalScores: number[] = []
    for (let end = 4; end <= live.length; end++) {
      const s = await learner.score(live.slice(end - 4, end))
      expect(s.calibrated).toBe(true)
      normalScores.push(s.node)
    }
    normalScores.sort((a, b) => a - b)
    const medianNormal = normalScores[normalScores.length >> 1]!
    const worstNormal = normalScores[normalScores.length - 1]!
    expect(medianNormal).toBeGreaterThan(0.3)
    expect(medianNormal).toBeLessThan(3)

    const window = live.slice(-4)
    const anomalous = await learner.score([...window.slice(0, 3), degrade(window[3]!)])
    expect(anomalous.node).toBeGreaterThan(10 * worstNormal)
    expect(['rttMean', 'rttMax', 'loss', 'neighbourRttMedian', 'neighbourLossMax']).toContain(anomalous.nodeTopFeature)
    await learner.dispose()
  }, 60_000)

  it('singles out the one degraded link', async () => {
    const spec = linkHealthModelSpec({ seed: 8, localEpochs: 10 })
    const learner = new InProcessLearner()
    await learner.init(spec)
    await learner.train(initialWeights(spec), { task: 'link-health', samples: normalStream({ seed: 20, count: 120 }) }, { seed: 1 })
    const live = normalStream({ seed: 21, count: 20, startMs: 200_000 })
    for (let end = 4; end <= live.length; end++) await learner.score(live.slice(end - 4, end))
    const window = live.slice(-4)
    const score = await learner.score([...window.slice(0, 3), degrade(window[3]!, { peers: ['peer-2'] })], { observe: false })
    const others = Object.entries(score.links).filter(([peer]) => peer !== 'peer-2').map(([, s]) => s)
    expect(others).toHaveLength(5)
    expect(score.links['peer-2']).toBeGreaterThan(10 * Math.max(...others))
    expect(anomalousLinks(score)).toEqual(['peer-2'])
    await learner.dispose()
  }, 60_000)
})
