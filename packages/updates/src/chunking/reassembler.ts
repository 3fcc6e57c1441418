import { digestUpdate } from '../digest/digest.ts'
import { rejection, UpdateRejectCounters } from '../validation/reasons.ts'
import type { Rejection } from '../validation/reasons.ts'
import { decodeChunk } from '../wire/codec.ts'
import { DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_PAYLOAD_BYTES } from '../wire/limits.ts'
import type { ChunkMessage, ChunkRouting } from '../wire/types.ts'

export interface ReassemblerOptions {
  /** Monotonic milliseconds, for timeouts. */
  clock: { now(): number }
  /** Cap on one inbound chunk message (bigger ones are 'oversized' before decoding); default 60 KiB. */
  maxChunkBytes?: number
  /** Cap on a whole payload as announced by its chunks; default 64 MiB. */
  maxPayloadBytes?: number
  /** Partial payloads buffered at once, all senders; default 64. */
  maxPending?: number
  /** Partial payloads buffered at once per sender; default 2 (this round's and a straggler). */
  maxPendingPerSender?: number
  /** Chunk bytes buffered at once, all senders; default 64 MiB. */
  maxBufferedBytes?: number
  /** A partial payload is dropped this long after its first chunk arrived; default 60 s. */
  timeoutMs?: number
  /** Completed or failed payload ids remembered, so late copies of their chunks are not reassembled again; default 4096. */
  rememberPayloads?: number
  /**
   * Checks a chunk's routing fields before anything is buffered (session, round, term, kind); returns a
   * rejection to drop it. The chunk's own fields are not covered by the digest, so the payload header is
   * compared with them again after reassembly (UpdateValidator does).
   */
  admit?: (chunk: ChunkAdmission) => Rejection | undefined
  /** Payload digest; default SHA-256 hex (digestUpdate). */
  digest?: (payload: Uint8Array) => string
  /** Counters to count rejections into (share one between reassembler and validator); default: own. */
  counters?: UpdateRejectCounters
}

/** What an admit hook sees of a chunk: its routing fields, announced payload size and verified author. */
export interface ChunkAdmission extends ChunkRouting {
  totalBytes: number
  from: string
}

/** A chunk as gossipsub delivers it: the bytes and the author verified from the StrictSign signature. */
export interface InboundChunk {
  data: Uint8Array
  from?: string
}

export interface CompletedPayload extends ChunkRouting {
  digest: string
  /** Author of every chunk. */
  from: string
  payload: Uint8Array
}

export type ChunkResult =
  | { ok: true, complete: false, digest: string, received: number, count: number, duplicate: boolean }
  | { ok: true, complete: true, payload: CompletedPayload }
  | Rejection

export interface ReassemblerStats {
  pending: number
  bufferedBytes: number
  completed: number
  /** Partial payloads dropped: past timeoutMs, superseded by a newer round, to make room, or for a conflicting chunk. */
  dropped: { timeout: number, round: number, capacity: number, inconsistent: number }
}

interface PartialPayload extends ChunkRouting {
  key: string
  from: string
  digest: string
  count: number
  totalBytes: number
  /** Length of every chunk but the last, once one of them has arrived. */
  chunkSize: number | undefined
  chunks: Map<number, Uint8Array>
  bytes: number
  startedAt: number
}

/**
 * Puts chunked payloads back together with bounded memory. Partial payloads are keyed by (author, digest),
 * so nobody can inject chunks into another peer's payload; the digest is checked once all chunks are in.
 * Memory: at most maxPending partial payloads (maxPendingPerSender per author) and maxBufferedBytes of chunk
 * data; when full, partial payloads of older rounds of the same session make room, otherwise the new chunk
 * is refused as 'buffer-full' (first come, first served: a flood cannot push out payloads already arriving).
 */
export class Reassembler {
  readonly rejected: UpdateRejectCounters
  private readonly clock: { now(): number }
  private readonly maxChunkBytes: number
  private readonly maxPayloadBytes: number
  private readonly maxPending: number
  private readonly maxPendingPerSender: number
  private readonly maxBufferedBytes: number
  private readonly timeoutMs: number
  private readonly rememberPayloads: number
  private readonly admit: ((chunk: ChunkAdmission) => Rejection | undefined) | undefined
  private readonly digest: (payload: Uint8Array) => string
  private readonly pending = new Map<string, PartialPayload>()
  private readonly pendingPerSender = new Map<string, number>()
  /** (author, digest) → how it ended, oldest first. */
  private readonly finished = new Map<string, string>()
  private bufferedBytes = 0
  private completed = 0
  private readonly dropped = { timeout: 0, round: 0, capacity: 0, inconsistent: 0 }

  constructor (opts: ReassemblerOptions) {
    if (typeof opts?.clock?.now !== 'function') throw new TypeError('Reassembler needs opts.clock ({ now(): number } in ms)')
    this.clock = opts.clock
    this.maxChunkBytes = positive(opts.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES, 'maxChunkBytes')
    this.maxPayloadBytes = positive(opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, 'maxPayloadBytes')
    this.maxPending = positive(opts.maxPending ?? 64, 'maxPending')
    this.maxPendingPerSender = positive(opts.maxPendingPerSender ?? 2, 'maxPendingPerSender')
    this.maxBufferedBytes = positive(opts.maxBufferedBytes ?? 64 * 1024 * 1024, 'maxBufferedBytes')
    this.timeoutMs = positive(opts.timeoutMs ?? 60_000, 'timeoutMs')
    this.rememberPayloads = positive(opts.rememberPayloads ?? 4096, 'rememberPayloads')
    this.admit = opts.admit
    this.digest = opts.digest ?? digestUpdate
    this.rejected = opts.counters ?? new UpdateRejectCounters()
  }

  /** Never throws, whatever the input. */
  accept (input: InboundChunk): ChunkResult {
    let result: ChunkResult
    try {
      result = this.handle(input)
    } catch (err) {
      result = rejection('malformed', `unexpected error: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (!result.ok) this.rejected.count(result.reason)
    return result
  }

  /** Drops partial payloads of other sessions and of rounds before `round`: call when a round starts. */
  dropOlderThan (session: string, round: number): void {
    for (const entry of [...this.pending.values()]) {
      if (entry.session !== session || entry.round < round) {
        this.remove(entry)
        this.dropped.round++
      }
    }
  }

  /** Drops partial payloads past their timeout (also done on every accept). */
  sweep (): void {
    const now = this.clock.now()
    for (const entry of [...this.pending.values()]) {
      if (now - entry.startedAt > this.timeoutMs) {
        this.remove(entry)
        this.dropped.timeout++
      }
    }
  }

  stats (): ReassemblerStats {
    return { pending: this.pending.size, bufferedBytes: this.bufferedBytes, completed: this.completed, dropped: { ...this.dropped } }
  }

  private handle (input: InboundChunk): ChunkResult {
    const data = input?.data
    if (!(data instanceof Uint8Array)) return rejection('malformed', 'chunk data is not a Uint8Array')
    if (data.length > this.maxChunkBytes) return rejection('oversized', `chunk message of ${data.length} bytes, cap is ${this.maxChunkBytes}`)
    const decoded = decodeChunk(data)
    if (!decoded.ok) return rejection(decoded.reason, decoded.detail)
    const chunk = decoded.value
    if (chunk.totalBytes > this.maxPayloadBytes) return rejection('oversized', `payload of ${chunk.totalBytes} bytes announced, cap is ${this.maxPayloadBytes}`)
    const from = input.from
    if (typeof from !== 'string' || from === '') return rejection('unsigned', 'chunk has no verified author')
    const refused = this.admit?.({ kind: chunk.kind, session: chunk.session, round: chunk.round, term: chunk.term, totalBytes: chunk.totalBytes, from })
    if (refused !== undefined) return refused

    const key = `${from}\u0000${chunk.digest}`
    const outcome = this.finished.get(key)
    if (outcome !== undefined) return rejection('duplicate', `payload ${chunk.digest.slice(0, 12)}… from ${from} already ${outcome}`)
    this.sweep()

    let entry = this.pending.get(key)
    // The author signed every chunk, so a chunk contradicting the others of its payload means nothing of that
    // payload can be trusted: the partial payload is dropped with it.
    const sizeProblem = chunkSizeProblem(chunk)
    if (sizeProblem !== undefined) return entry === undefined ? rejection('inconsistent-chunk', sizeProblem) : this.abandon(entry, sizeProblem)
    if (chunk.count === 1 && entry === undefined) return this.finish(key, from, chunk, [chunk.data])

    if (entry === undefined) {
      const refusedRoom = this.makeRoom(from, chunk)
      if (refusedRoom !== undefined) return refusedRoom
      entry = {
        key, from, digest: chunk.digest, kind: chunk.kind, session: chunk.session, round: chunk.round, term: chunk.term,
        count: chunk.count, totalBytes: chunk.totalBytes, chunkSize: undefined, chunks: new Map(), bytes: 0, startedAt: this.clock.now()
      }
      this.pending.set(key, entry)
      this.pendingPerSender.set(from, (this.pendingPerSender.get(from) ?? 0) + 1)
    } else {
      const headerConflict = headerConflictWith(entry, chunk)
      if (headerConflict !== undefined) return this.abandon(entry, headerConflict)
      const existing = entry.chunks.get(chunk.index)
      if (existing !== undefined) {
        // the same signed chunk can reach us along several gossip paths: harmless
        if (bytesEqual(existing, chunk.data)) return { ok: true, complete: false, digest: entry.digest, received: entry.chunks.size, count: entry.count, duplicate: true }
        return this.abandon(entry, `chunk ${chunk.index} arrived twice with different bytes`)
      }
      const sizeConflict = sizeConflictWith(entry, chunk)
      if (sizeConflict !== undefined) return this.abandon(entry, sizeConflict)
      if (this.bufferedBytes + chunk.data.length > this.maxBufferedBytes) {
        this.evictStaler(chunk, () => this.bufferedBytes + chunk.data.length <= this.maxBufferedBytes)
        if (this.bufferedBytes + chunk.data.length > this.maxBufferedBytes) {
          // the payload can no longer complete here; free what it holds rather than keep a dead entry
          this.remove(entry)
          this.dropped.capacity++
          return rejection('buffer-full', `${this.bufferedBytes} of ${this.maxBufferedBytes} buffered bytes in use`)
        }
      }
    }

    if (chunk.index < chunk.count - 1) entry.chunkSize = chunk.data.length
    entry.chunks.set(chunk.index, chunk.data)
    entry.bytes += chunk.data.length
    this.bufferedBytes += chunk.data.length
    if (entry.chunks.size < entry.count) {
      return { ok: true, complete: false, digest: entry.digest, received: entry.chunks.size, count: entry.count, duplicate: false }
    }
    this.remove(entry)
    const parts: Uint8Array[] = []
    for (let i = 0; i < entry.count; i++) parts.push(entry.chunks.get(i) as Uint8Array)
    return this.finish(key, from, entry, parts)
  }

  private finish (key: string, from: string, meta: ChunkRouting & { digest: string, totalBytes: number }, parts: Uint8Array[]): ChunkResult {
    let length = 0
    for (const p of parts) length += p.length
    if (length !== meta.totalBytes) {
      this.remember(key, 'rejected (inconsistent)')
      return rejection('inconsistent-chunk', `chunks add up to ${length} bytes, announced ${meta.totalBytes}`)
    }
    const payload = parts.length === 1 ? parts[0] as Uint8Array : concat(parts, length)
    const actual = this.digest(payload)
    if (actual !== meta.digest) {
      this.remember(key, 'rejected (digest mismatch)')
      return rejection('digest-mismatch', `payload hashes to ${actual.slice(0, 12)}…, chunks announced ${meta.digest.slice(0, 12)}…`)
    }
    this.remember(key, 'reassembled')
    this.completed++
    return {
      ok: true,
      complete: true,
      payload: { kind: meta.kind, session: meta.session, round: meta.round, term: meta.term, digest: meta.digest, from, payload }
    }
  }

  /** Frees room for a new partial payload, or says why there is none. */
  private makeRoom (from: string, chunk: ChunkMessage): Rejection | undefined {
    const senderFull = (): boolean => (this.pendingPerSender.get(from) ?? 0) >= this.maxPendingPerSender
    const fits = (): boolean => !senderFull() && this.pending.size < this.maxPending && this.bufferedBytes + chunk.data.length <= this.maxBufferedBytes
    if (fits()) return undefined
    this.evictStaler(chunk, fits)
    if (fits()) return undefined
    if (senderFull()) return rejection('buffer-full', `${from} already has ${this.maxPendingPerSender} partial payloads buffered`)
    return rejection('buffer-full', `${this.pending.size}/${this.maxPending} partial payloads, ${this.bufferedBytes}/${this.maxBufferedBytes} bytes buffered`)
  }

  /** Drops partial payloads of the same session but an older round than `chunk`, oldest first, until `enough()`. */
  private evictStaler (chunk: ChunkRouting, enough: () => boolean): void {
    const staler = [...this.pending.values()]
      .filter(e => e.session === chunk.session && e.round < chunk.round)
      .sort((a, b) => a.startedAt - b.startedAt)
    for (const entry of staler) {
      if (enough()) return
      this.remove(entry)
      this.dropped.capacity++
    }
  }

  private abandon (entry: PartialPayload, why: string): Rejection {
    this.remove(entry)
    this.dropped.inconsistent++
    this.remember(entry.key, 'rejected (inconsistent)')
    return rejection('inconsistent-chunk', why)
  }

  private remove (entry: PartialPayload): void {
    if (this.pending.delete(entry.key)) {
      this.bufferedBytes -= entry.bytes
      const left = (this.pendingPerSender.get(entry.from) ?? 1) - 1
      if (left <= 0) this.pendingPerSender.delete(entry.from)
      else this.pendingPerSender.set(entry.from, left)
    }
  }

  private remember (key: string, outcome: string): void {
    this.finished.delete(key)
    this.finished.set(key, outcome)
    if (this.finished.size > this.rememberPayloads) {
      const oldest = this.finished.keys().next().value
      if (oldest !== undefined) this.finished.delete(oldest)
    }
  }
}

/**
 * Chunks are cut at a fixed size, so every chunk but the last has the same length and count follows from
 * it; anything else cannot come from an honest sender.
 */
function chunkSizeProblem (c: ChunkMessage): string | undefined {
  if (c.index < c.count - 1 && Math.ceil(c.totalBytes / c.data.length) !== c.count) {
    return `chunk ${c.index} of ${c.data.length} bytes cannot be one of ${c.count} equal chunks of a ${c.totalBytes}-byte payload`
  }
  if (c.count === 1 && c.data.length !== c.totalBytes) return `single chunk of ${c.data.length} bytes for a ${c.totalBytes}-byte payload`
  return undefined
}

function headerConflictWith (entry: PartialPayload, c: ChunkMessage): string | undefined {
  if (c.count !== entry.count) return `count ${c.count} but earlier chunks said ${entry.count}`
  if (c.totalBytes !== entry.totalBytes) return `totalBytes ${c.totalBytes} but earlier chunks said ${entry.totalBytes}`
  if (!sameRouting(entry, c)) return 'kind, session, round or term differ from earlier chunks of the same payload'
  return undefined
}

function sizeConflictWith (entry: PartialPayload, c: ChunkMessage): string | undefined {
  if (entry.bytes + c.data.length > entry.totalBytes) return `chunks exceed the announced ${entry.totalBytes} bytes`
  const isLast = c.index === c.count - 1
  if (!isLast && entry.chunkSize !== undefined && c.data.length !== entry.chunkSize) {
    return `chunk ${c.index} has ${c.data.length} bytes, earlier chunks ${entry.chunkSize}`
  }
  return undefined
}

function sameRouting (a: ChunkRouting, b: ChunkRouting): boolean {
  return a.kind === b.kind && a.session === b.session && a.round === b.round && a.term === b.term
}

function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function concat (parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function positive (value: number, name: string): number {
  if (!(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`)
  return value
}
