import { describe, expect, it } from 'vitest'
import { Predictions } from '../src/learning/index.ts'
import type { LinkHealthScore } from '@fedmesh/learner'

const score: LinkHealthScore = {
  atMs: 5, node: 1.2, links: { a: 0.9, b: 4.5, c: 3 }, nodeError: 0.01, linkErrors: { a: 0.01, b: 0.05, c: 0.03 }, nodeTopFeature: 'rttMean', calibrated: true
}

describe('Predictions', () => {
  it('keeps the latest prediction, lists anomalous links worst first, and notifies every listener', () => {
    const errors: unknown[] = []
    const predictions = new Predictions(3, err => { errors.push(err) })
    expect(predictions.latest()).toBeUndefined()
    const got: number[] = []
    predictions.onScore(() => { throw new Error('broken listener') })
    const off = predictions.onScore(p => { got.push(p.node) })
    const p = predictions.publish(score, 7)
    expect(p).toEqual({ atMs: 5, node: 1.2, links: { a: 0.9, b: 4.5, c: 3 }, topFeature: 'rttMean', calibrated: true, anomalousLinks: ['b', 'c'], threshold: 3, modelVersion: 7 })
    expect(predictions.latest()).toBe(p)
    expect(got).toEqual([1.2])
    expect(errors).toHaveLength(1)
    off()
    predictions.publish({ ...score, node: 2 }, 8)
    expect(got).toEqual([1.2])
    expect(predictions.latest()?.modelVersion).toBe(8)
  })
})
