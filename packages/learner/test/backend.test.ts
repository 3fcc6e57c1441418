import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { BackendUnavailableError, selectBackend } from '../src/engine.ts'

describe('selectBackend', () => {
  it('falls back to cpu when a preferred backend is not registered, and says why', async () => {
    const report = await selectBackend(['webgpu', 'cpu'])
    expect(report.active).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect(report.requested).toEqual(['webgpu', 'cpu'])
    expect(report.fallbacks).toHaveLength(1)
    expect(report.fallbacks[0]!.backend).toBe('webgpu')
    expect(report.fallbacks[0]!.reason).toMatch(/not registered/)
  })

  it('falls back when a registered backend fails to start, with the error as reason', async () => {
    tf.registerBackend('broken-gpu', () => { throw new Error('no GPU adapter found') })
    try {
      const report = await selectBackend(['broken-gpu', 'cpu'])
      expect(report.active).toBe('cpu')
      expect(tf.getBackend()).toBe('cpu')
      expect(report.fallbacks).toEqual([{ backend: 'broken-gpu', reason: expect.stringMatching(/failed to initialise.*no GPU adapter found/) }])
      // tensors work on the fallback
      expect(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]).toBe(3)
    } finally {
      tf.removeBackend('broken-gpu')
    }
  })

  it('throws, listing every reason, when nothing starts', async () => {
    const error = await selectBackend(['nope', 'webgpu']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    expect((error as BackendUnavailableError).fallbacks.map(f => f.backend)).toEqual(['nope', 'webgpu'])
    expect(String(error)).toMatch(/nope: not registered.*webgpu: not registered/)
    await selectBackend(['cpu'])
  })

  it('loads and starts the wasm backend on demand (Node finds the binaries in the package)', async () => {
    const report = await selectBackend(['wasm', 'cpu'])
    expect(report).toEqual({ active: 'wasm', requested: ['wasm', 'cpu'], fallbacks: [] })
    expect(tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]).toBe(11)
    await selectBackend(['cpu'])
  }, 30_000)
})
