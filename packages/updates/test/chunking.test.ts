import { describe, expect, it } from 'vitest'
import { chunkPayload, decodeChunk, encodeChunk, encodeModelUpdate, Reassembler, UPDATE_REJECT_REASONS } from '../src/index.ts'
import type { ChunkResult, ChunkRouting, EncodedPayload } from '../src/index.ts'
import { ALICE, BOB, makeChunks, makeUpdate, MALLORY, manualClock, peerIdFor, seededRandom, shuffled } from './helpers.ts'

const ROUTING: ChunkRouting = { kind: 'model-update', session: 'mnist-1', round: 7, term: 2 }

function reassembler (opts: Partial<ConstructorParameters<typeof Reassembler>[0]> = {}): { r: Reassembler, clock: ReturnType<typeof manualClock> } {
  const clock = manualClock()
  return { r: new Reassembler({ clock, ...opts }), clock }
}

function feed (r: Reassembler, chunks: readonly Uint8Array[], from: string): ChunkResult[] {
  return chunks.map(data => r.accept({ data, from }))
}

function completed (results: ChunkResult[]): Uint8Array[] {
  return results.flatMap(x => x.ok && x.complete ? [x.payload.payload] : [])
}

/** Re-encodes chunk i of `p` with some fields changed (still validly signed by whoever sends it). */
function altered (p: EncodedPayload, i: number, change: (c: ReturnType<typeof decodeOk>) => ReturnType<typeof decodeOk>): Uint8Array {
  return encodeChunk(change(decodeOk(p.chunks[i] as Uint8Array)))
}

function decodeOk (bytes: Uint8Array): Extract<ReturnType<typeof decodeChunk>, { ok: true }>['value'] {
  const d = decodeChunk(bytes)
  if (!d.ok) throw new Error(d.detail)
  return d.value
}

describe('chunkPayload', () => {
  it('cuts a payload into chunk messages no larger than maxChunkBytes that concatenate back to it', () => {
    const payload = encodeModelUpdate(makeUpdate())
    for (const maxChunkBytes of [200, 512, 1000]) {
      const { chunks, digest } = chunkPayload(payload, ROUTING, { maxChunkBytes })
      expect(chunks.length).toBeGreaterThan(1)
      const decoded = chunks.map(decodeOk)
      for (const [i, c] of decoded.entries()) {
        expect((chunks[i] as Uint8Array).length).toBeLessThanOrEqual(maxChunkBytes)
        expect(c).toMatchObject({ ...ROUTING, digest, index: i, count: chunks.length, totalBytes: payload.length })
      }
      // the headers leave most of each chunk for data
      expect((decoded[0]?.data.length ?? 0)).toBeGreaterThan(maxChunkBytes - 100)
      const joined = Uint8Array.from(decoded.flatMap(c => Array.from(c.data)))
      expect(joined).toEqual(payload)
    }
  })

  it('a payload under the limit is one chunk; a limit too small for the headers is an error', () => {
    const payload = encodeModelUpdate(makeUpdate())
    expect(chunkPayload(payload, ROUTING).chunks).toHaveLength(1)
    expect(() => chunkPayload(payload, ROUTING, { maxChunkBytes: 40 })).toThrow(/no room for data/)
  })
})

describe('Reassembler', () => {
  it('reassembles chunks arriving in any order, and checks the digest', () => {
    const p = makeChunks()
    expect(p.chunks.length).toBeGreaterThan(4)
    const random = seededRandom(5)
    for (let trial = 0; trial < 20; trial++) {
      const { r } = reassembler()
      const results = feed(r, shuffled(p.chunks, random), ALICE)
      expect(results.slice(0, -1).every(x => x.ok && !x.complete)).toBe(true)
      const last = results.at(-1)
      expect(last).toMatchObject({ ok: true, complete: true, payload: { ...ROUTING, digest: p.digest, from: ALICE } })
      expect(completed(results)).toEqual([p.payload])
      expect(r.stats()).toMatchObject({ pending: 0, bufferedBytes: 0, completed: 1 })
    }
  })

  it('takes identical copies of a chunk (several gossip paths) as harmless, and late copies as duplicates', () => {
    const p = makeChunks()
    const { r } = reassembler()
    const first = r.accept({ data: p.chunks[0] as Uint8Array, from: ALICE })
    expect(first).toMatchObject({ ok: true, complete: false, duplicate: false, received: 1 })
    expect(r.accept({ data: p.chunks[0] as Uint8Array, from: ALICE })).toMatchObject({ ok: true, complete: false, duplicate: true, received: 1 })
    const rest = feed(r, p.chunks.slice(1), ALICE)
    expect(completed(rest)).toHaveLength(1)
    expect(r.accept({ data: p.chunks[2] as Uint8Array, from: ALICE })).toMatchObject({ ok: false, reason: 'duplicate' })
    expect(r.rejected.get('duplicate')).toBe(1)
    expect(r.stats().completed).toBe(1)
  })

  it('keeps waiting while a chunk is missing, and drops the partial payload after the timeout', () => {
    const p = makeChunks()
    const { r, clock } = reassembler({ timeoutMs: 10_000 })
    const results = feed(r, p.chunks.slice(0, -1), ALICE)
    expect(completed(results)).toHaveLength(0)
    expect(r.stats().pending).toBe(1)
    expect(r.stats().bufferedBytes).toBeGreaterThan(0)
    clock.advance(10_001)
    r.sweep()
    expect(r.stats()).toMatchObject({ pending: 0, bufferedBytes: 0, dropped: { timeout: 1 } })
    // the missing chunk alone now starts over; it cannot complete the payload
    expect(r.accept({ data: p.chunks.at(-1) as Uint8Array, from: ALICE })).toMatchObject({ ok: true, complete: false })
  })

  it('rejects a corrupted chunk: the reassembled payload fails the digest check', () => {
    const p = makeChunks()
    const corrupted = altered(p, 1, c => {
      const data = c.data.slice()
      data[3] = (data[3] as number) ^ 0x10
      return { ...c, data }
    })
    const { r } = reassembler()
    const results = feed(r, [p.chunks[0] as Uint8Array, corrupted, ...p.chunks.slice(2)], ALICE)
    expect(results.at(-1)).toMatchObject({ ok: false, reason: 'digest-mismatch' })
    expect(completed(results)).toHaveLength(0)
    // and the genuine chunk arriving afterwards does not restart the failed payload
    expect(r.accept({ data: p.chunks[1] as Uint8Array, from: ALICE })).toMatchObject({ ok: false, reason: 'duplicate' })
  })

  it('rejects conflicting chunks of one payload and drops what was buffered for it', () => {
    const p = makeChunks()
    const cases: Array<[string, Uint8Array]> = [
      ['different bytes for an index', altered(p, 0, c => ({ ...c, data: c.data.map(b => b ^ 1) }))],
      ['count mismatch', altered(p, 1, c => ({ ...c, count: c.count + 1 }))],
      ['totalBytes mismatch', altered(p, 1, c => ({ ...c, totalBytes: c.totalBytes + 1 }))],
      ['round mismatch', altered(p, 1, c => ({ ...c, round: c.round + 1 }))],
      ['wrong chunk size', altered(p, 1, c => ({ ...c, data: c.data.subarray(1) }))]
    ]
    for (const [name, bad] of cases) {
      const { r } = reassembler()
      r.accept({ data: p.chunks[0] as Uint8Array, from: ALICE })
      const result = r.accept({ data: bad, from: ALICE })
      expect(result, name).toMatchObject({ ok: false, reason: 'inconsistent-chunk' })
      expect(r.stats(), name).toMatchObject({ pending: 0, bufferedBytes: 0, dropped: { inconsistent: 1 } })
    }
  })

  it('rejects a single chunk whose length cannot fit its announced count and size', () => {
    const p = makeChunks()
    const { r } = reassembler()
    // a middle chunk that is too short for `count` equal chunks
    expect(r.accept({ data: altered(p, 0, c => ({ ...c, totalBytes: c.totalBytes * 3 })), from: ALICE })).toMatchObject({ ok: false, reason: 'inconsistent-chunk' })
    const one = chunkPayload(p.payload, ROUTING, { maxChunkBytes: 60_000 })
    expect(r.accept({ data: altered(one, 0, c => ({ ...c, totalBytes: c.totalBytes + 5 })), from: ALICE })).toMatchObject({ ok: false, reason: 'inconsistent-chunk' })
  })

  it('keys payloads by author: foreign chunks with the same id cannot spoil or complete another peer\'s payload', () => {
    const p = makeChunks()
    const q = makeChunks({ sender: BOB, random: seededRandom(99) })
    const { r } = reassembler()
    const mixed = [
      ...p.chunks.slice(0, 3).map(data => ({ data, from: ALICE })),
      // Mallory replays Alice's chunks under her own signature, and sends a forged chunk 3 for Alice's id
      ...p.chunks.map(data => ({ data, from: MALLORY })).slice(0, 2),
      { data: altered(p, 3, c => ({ ...c, data: c.data.map(() => 0) })), from: MALLORY },
      // Bob's unrelated payload interleaved
      ...q.chunks.map(data => ({ data, from: BOB })),
      ...p.chunks.slice(3).map(data => ({ data, from: ALICE }))
    ]
    const results = mixed.map(m => r.accept(m))
    const done = results.flatMap(x => x.ok && x.complete ? [x.payload] : [])
    expect(done.map(d => [d.from, d.digest])).toEqual([[BOB, q.digest], [ALICE, p.digest]])
    expect(done[1]?.payload).toEqual(p.payload)
  })

  it('refuses oversized, unsigned and undecodable chunks before buffering anything', () => {
    const p = makeChunks()
    const { r } = reassembler({ maxChunkBytes: 400, maxPayloadBytes: 1000 })
    expect(r.accept({ data: new Uint8Array(401), from: ALICE })).toMatchObject({ ok: false, reason: 'oversized' })
    expect(r.accept({ data: p.chunks[0] as Uint8Array, from: ALICE })).toMatchObject({ ok: false, reason: 'oversized' }) // 512-byte chunk
    const small = chunkPayload(new Uint8Array(2000).fill(1), ROUTING, { maxChunkBytes: 300 })
    expect(r.accept({ data: small.chunks[0] as Uint8Array, from: ALICE })).toMatchObject({ ok: false, reason: 'oversized', detail: expect.stringMatching(/2000/) })
    expect(r.accept({ data: small.chunks[0] as Uint8Array })).toMatchObject({ ok: false, reason: 'oversized' })
    const tiny = chunkPayload(new Uint8Array(500).fill(1), ROUTING, { maxChunkBytes: 300 })
    expect(r.accept({ data: tiny.chunks[0] as Uint8Array })).toMatchObject({ ok: false, reason: 'unsigned' })
    expect(r.accept({ data: Uint8Array.of(0xff, 0xff), from: ALICE })).toMatchObject({ ok: false, reason: 'malformed' })
    expect(r.accept(null as never)).toMatchObject({ ok: false, reason: 'malformed' })
    expect(r.stats()).toMatchObject({ pending: 0, bufferedBytes: 0 })
  })

  it('asks the admit hook before buffering', () => {
    const p = makeChunks()
    const seen: unknown[] = []
    const { r } = reassembler({
      admit: c => { seen.push(c); return c.round < 8 ? { ok: false, reason: 'stale-round', detail: 'old' } : undefined }
    })
    expect(r.accept({ data: p.chunks[0] as Uint8Array, from: ALICE })).toEqual({ ok: false, reason: 'stale-round', detail: 'old' })
    expect(seen).toEqual([{ ...ROUTING, totalBytes: p.payload.length, from: ALICE }])
    expect(r.stats().pending).toBe(0)
    expect(r.rejected.get('stale-round')).toBe(1)
  })

  // generous timeout: CPU-bound loop on a shared machine
  it('stays within its memory bounds under a flood, and payloads already arriving still complete', { timeout: 60_000 }, () => {
    const maxPending = 8
    const maxBufferedBytes = 8 * 1024
    const { r } = reassembler({ maxPending, maxBufferedBytes, maxPendingPerSender: 2 })
    const honest = makeChunks()
    r.accept({ data: honest.chunks[0] as Uint8Array, from: ALICE })
    const random = seededRandom(3)
    const junk = new Uint8Array(500).fill(7)
    const reasons = new Map<string, number>()
    for (let i = 0; i < 1500; i++) {
      // many identities, each starting fake multi-chunk payloads (random ids) that never complete
      const sender = peerIdFor(1000 + (i % 300))
      const digest = Array.from({ length: 32 }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join('')
      const fake = encodeChunk({ ...ROUTING, digest, index: Math.floor(random() * 5), count: 6, totalBytes: 3000, data: junk })
      const result = r.accept({ data: fake, from: sender })
      const outcome = result.ok ? 'buffered' : result.reason
      reasons.set(outcome, (reasons.get(outcome) ?? 0) + 1)
      const s = r.stats()
      if (s.pending > maxPending || s.bufferedBytes > maxBufferedBytes) throw new Error(`bound broken at ${i}: ${JSON.stringify(s)}`)
    }
    expect([...reasons.keys()].sort()).toEqual(['buffer-full', 'buffered'])
    expect(reasons.get('buffer-full')).toBeGreaterThan(1400)
    const rest = feed(r, honest.chunks.slice(1), ALICE)
    expect(completed(rest)).toEqual([honest.payload])
  })

  it('limits partial payloads per sender', () => {
    const { r } = reassembler({ maxPendingPerSender: 2 })
    const payloads = [1, 2, 3].map(seed => chunkPayload(new Uint8Array(2000).fill(seed), ROUTING, { maxChunkBytes: 500 }))
    expect(r.accept({ data: payloads[0]?.chunks[0] as Uint8Array, from: MALLORY }).ok).toBe(true)
    expect(r.accept({ data: payloads[1]?.chunks[0] as Uint8Array, from: MALLORY }).ok).toBe(true)
    expect(r.accept({ data: payloads[2]?.chunks[0] as Uint8Array, from: MALLORY })).toMatchObject({ ok: false, reason: 'buffer-full', detail: expect.stringMatching(/already has 2/) })
    expect(r.accept({ data: payloads[2]?.chunks[0] as Uint8Array, from: BOB }).ok).toBe(true)
  })

  it('makes room by dropping partial payloads of older rounds, and dropOlderThan clears them at a round change', () => {
    const { r } = reassembler({ maxPending: 2 })
    const old = chunkPayload(new Uint8Array(2000).fill(1), { ...ROUTING, round: 6 }, { maxChunkBytes: 500 })
    const current = [2, 3].map(seed => chunkPayload(new Uint8Array(2000).fill(seed), ROUTING, { maxChunkBytes: 500 }))
    r.accept({ data: old.chunks[0] as Uint8Array, from: ALICE })
    r.accept({ data: current[0]?.chunks[0] as Uint8Array, from: BOB })
    expect(r.accept({ data: current[1]?.chunks[0] as Uint8Array, from: MALLORY }).ok).toBe(true)
    expect(r.stats()).toMatchObject({ pending: 2, dropped: { capacity: 1 } })
    // an older-round chunk cannot push out the current round
    const older = chunkPayload(new Uint8Array(2000).fill(4), { ...ROUTING, round: 5 }, { maxChunkBytes: 500 })
    expect(r.accept({ data: older.chunks[0] as Uint8Array, from: ALICE })).toMatchObject({ ok: false, reason: 'buffer-full' })
    r.dropOlderThan('mnist-1', 8)
    expect(r.stats()).toMatchObject({ pending: 0, bufferedBytes: 0, dropped: { round: 2 } })
  })

  it('counts every rejection by a known reason', () => {
    const { r } = reassembler()
    r.accept({ data: Uint8Array.of(1, 2, 3), from: ALICE })
    const snapshot = r.rejected.snapshot()
    expect(Object.keys(snapshot)).toEqual([...UPDATE_REJECT_REASONS])
    expect(snapshot.malformed).toBe(1)
    expect(r.rejected.total()).toBe(1)
  })
})
