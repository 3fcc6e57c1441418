import { describe, expect, it } from 'vitest'
import { initialWeights, linkHealthModelSpec, weightLayout } from '@fedmesh/learner'
import { CheckpointStoreError, MemoryCheckpointStore, resume } from '../src/index.ts'
import type { Checkpoint, CheckpointStore } from '../src/index.ts'
import { checkpoint, layout } from './helpers.ts'

describe('resume', () => {
  it('returns the stored checkpoint when it fits the model', async () => {
    const store = new MemoryCheckpointStore()
    await store.save(checkpoint())
    const r = await resume(store, 'link-health/7', layout)
    expect(r.problem).toBeUndefined()
    expect(r.checkpoint?.version).toBe(3)
  })

  it('starts fresh with nothing stored, silently', async () => {
    expect(await resume(new MemoryCheckpointStore(), 'none', layout)).toEqual({})
  })

  it('deletes a corrupt checkpoint, says why, and starts fresh', async () => {
    const store = new MemoryCheckpointStore()
    store.setRaw('link-health/7', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]))
    const r = await resume(store, 'link-health/7', layout)
    expect(r.checkpoint).toBeUndefined()
    expect(r.problem).toMatch(/corrupt: not a fedmesh checkpoint.*deleted it, starting fresh/)
    expect(await store.load('link-health/7')).toBeUndefined()
  })

  it('deletes a checkpoint of another model layout', async () => {
    const store = new MemoryCheckpointStore()
    const other = linkHealthModelSpec({ seed: 7, nodeHidden: [10, 3] })
    await store.save({ ...checkpoint(), weights: initialWeights(other) })
    const r = await resume(store, 'link-health/7', weightLayout(linkHealthModelSpec({ seed: 7 })))
    expect(r.problem).toMatch(/does not fit this model \(tensor 'node\/dense0\/kernel' has shape \[60, 10\], the model expects \[60, 24\]\)/)
    expect(await store.load('link-health/7')).toBeUndefined()
  })

  it('keeps the data when the store itself fails, and never throws', async () => {
    let cleared = false
    const broken: CheckpointStore = {
      load: async () => { throw new CheckpointStoreError('IndexedDB read failed: QuotaExceededError') },
      save: async (_: Checkpoint) => {},
      clear: async () => { cleared = true }
    }
    const r = await resume(broken, 's', layout)
    expect(r).toEqual({ problem: 'could not read the checkpoint, starting fresh: IndexedDB read failed: QuotaExceededError' })
    expect(cleared).toBe(false)
  })
})
