import { describe, expect, it } from 'vitest'
import { ModelSpecError, defaultModelSpec, linkHealthModelSpec, mnistModelSpec, validateModelSpec } from '../src/index.ts'
import type { ModelSpec } from '../src/index.ts'

describe('ModelSpec', () => {
  it('round-trips through JSON and still validates', () => {
    for (const spec of [defaultModelSpec('link-health', 1), defaultModelSpec('mnist', 1)]) {
      const copy = JSON.parse(JSON.stringify(spec)) as ModelSpec
      expect(copy).toEqual(spec)
      expect(() => validateModelSpec(copy)).not.toThrow()
    }
  })

  it('link-health autoencoders mirror the encoder and reconstruct their input', () => {
    const spec = linkHealthModelSpec({ seed: 1, windowSize: 3, nodeHidden: [20, 5] })
    const node = spec.networks[0]!
    expect(node.inputShape).toEqual([45])
    expect(node.layers.map(l => l.units)).toEqual([20, 5, 20, 45])
    expect(node.layers.map(l => l.activation)).toEqual(['relu', 'linear', 'relu', 'linear'])
  })

  it('names the problem in invalid specs', () => {
    const good = mnistModelSpec({ seed: 1 })
    const bad = (mutate: (s: ModelSpec) => void): ModelSpec => {
      const s = JSON.parse(JSON.stringify(good)) as ModelSpec
      mutate(s)
      return s
    }
    expect(() => validateModelSpec(bad(s => { s.seed = 1.5 }))).toThrow(/seed must be a safe integer/)
    expect(() => validateModelSpec(bad(s => { s.networks[0]!.layers[0]!.units = 0 }))).toThrow(/layer 0 units must be an integer >= 1/)
    expect(() => validateModelSpec(bad(s => { s.networks[0]!.layers.at(-1)!.units = 9 }))).toThrow(/last layer must have 10 units/)
    expect(() => validateModelSpec(bad(s => { s.networks[0]!.layers.at(-1)!.activation = 'relu' }))).toThrow(/logits/)
    expect(() => validateModelSpec(bad(s => { s.optimizer.learningRate = -1 }))).toThrow(/learningRate/)
    expect(() => validateModelSpec(bad(s => { (s.task as { name: string }).name = 'cifar' }))).toThrow(/task.name must be/)
    expect(() => validateModelSpec(bad(s => { s.task = { ...s.task, partition: { mode: 'dirichlet' } } as ModelSpec['task'] }))).toThrow(/alpha/)
    expect(() => linkHealthModelSpec({ seed: 1, windowSize: 0 })).toThrow(ModelSpecError)
  })
})
