import { describe, expect, it } from 'vitest'
import { encodeUpdateChunks, quantizeDelta } from '@fedmesh/updates'
import { UpdatePool } from '../src/index.ts'
import { WINDOW_ROUNDS } from '../src/pool/update-pool.ts'
import { initialModel, manualClock, peerIdFor } from './helpers.ts'

const D = 8

function chunkFor (round: number, sender: string): Uint8Array {
  const tensors = quantizeDelta(initialModel(D).map(t => ({ ...t, data: t.data.map((_, i) => 0.01 * (i + round)) })), { scheme: 'int8' }).tensors
  const { chunks } = encodeUpdateChunks({ session: 's', round, term: 1, baseVersion: round - 1, samples: 10, sender, tensors })
  expect(chunks).toHaveLength(1)
  return chunks[0]!
}

describe('UpdatePool round window', () => {
  it('holds the closed round, the open one and the next: late and early updates are kept (and so gossiped on)', () => {
    expect(WINDOW_ROUNDS).toBe(3)
    const pool = new UpdatePool({ session: 's', shapes: initialModel(D).map(t => ({ name: t.name, shape: t.shape })), clock: manualClock(), maxNorm: 100 })
    // this node holds model v2 (round 2 closed): a straggler's round-2 update still reaches nodes verifying v2
    pool.setWindow(2)
    expect(pool.window).toEqual([2, 4])
    const a = peerIdFor(1)
    expect(pool.accept(chunkFor(2, a), a)).toMatchObject({ ok: true, complete: true })
    // round 4 trains from v3, which this node may still be verifying
    expect(pool.accept(chunkFor(4, a), a)).toMatchObject({ ok: true, complete: true })
    expect(pool.accept(chunkFor(5, a), a)).toMatchObject({ ok: false, reason: 'future-round' })
    expect(pool.accept(chunkFor(1, a), a)).toMatchObject({ ok: false, reason: 'stale-round' })
    pool.setWindow(3)
    expect(pool.updates(2)).toEqual([])
    expect(pool.updates(4)).toHaveLength(1)
  })
})
