/**
 * Both ends of `/fedmesh/updates/1.0.0` for the training service: keeps the signed update chunks this node received
 * (to serve them), and on a 'fetch-updates' event asks the model's sender, then each direct neighbour, for the
 * updates a parked model still lacks. As a coordinator whose round is extended short of minParticipants, it sweeps:
 * asks its neighbours, one after another, for the round's updates it does not hold. Never dials: only open direct
 * connections are used, since a verifier has a grace period of seconds, not a dial's worth.
 */
import { decodeChunk } from '@fedmesh/updates'
import type { ChunkMessage } from '@fedmesh/updates'
import { encodeSignedMessage, MAX_DIGESTS, MAX_EXCEPT, openSignedMessage, requestUpdates, serveUpdateRequest, signOwnMessage, SignedChunkArchive } from './update-fetch.ts'
import type { UpdateRequest } from './update-fetch.ts'
import type { Message } from '@libp2p/gossipsub'
import type { Connection, PrivateKey, Stream } from '@libp2p/interface'

export interface UpdateFetcherInit {
  topic: string
  self: string
  /** Signs this node's own chunks for serving. */
  privateKey: PrivateKey
  /** The session a request must name. */
  session: () => string | undefined
  /** An open, unlimited (direct) connection to `peer`, if any. */
  connection: (peer: string) => Connection | undefined
  neighbours: () => string[]
  /** The digests of `round` this node does not hold (yet). */
  missing: (round: number, digests: readonly string[]) => string[]
  /** The digests of every update of `round` this node holds. */
  held: (round: number) => string[]
  /** The oldest round the session still accepts updates for: older chunks are not kept. */
  firstRound: () => number
  /** Feed a checked chunk to the session as if gossiped: undefined if it was taken, else why not. */
  deliver: (from: string, data: Uint8Array) => string | undefined
  /** What a neighbour may send in reply to a request for `digests` updates. */
  limits: (digests: number) => { maxFrameBytes: number, maxFrames: number }
  timeoutMs: number
  maxArchiveBytes?: number
}

export interface UpdateFetchStatus {
  /** Asks for the updates a model lacked after updateFetchAfterMs ('fetch-updates' events; up to three a model). */
  asked: number
  /** Of those, the ones after which nothing was missing. */
  recovered: number
  /** Of those, the ones after which some were still missing once every neighbour was asked. */
  failed: number
  /** Streams opened to ask a neighbour. */
  requests: number
  /** Chunks received whose author signature held and that the session took. */
  chunks: number
  /** Served chunks dropped, by reason (bad-signature, unrequested, ... or the session's reason). */
  rejected: Record<string, number>
  /** Sweeps (a coordinator short of updates asked its neighbours for all of the round's it lacks), and of those the
   * ones whose served chunks completed at least one update here (gossip may bring the same meanwhile: not counted). */
  sweeps: number
  sweepsFruitful: number
  /** Requests this node answered, and the chunks it sent. */
  served: number
  servedChunks: number
  /** Requests refused because the asking peer had spent its serve budget. */
  limited: number
  lastError?: string
  archive: { rounds: number, bytes: number }
}

type Ask = { kind: 'digests', round: number, digests: string[], from: string } | { kind: 'sweep', round: number }

export class UpdateFetcher {
  private readonly archive: SignedChunkArchive
  private readonly queue: Ask[] = []
  private busy = false
  private readonly counters = { asked: 0, recovered: 0, failed: 0, requests: 0, chunks: 0, sweeps: 0, sweepsFruitful: 0, served: 0, servedChunks: 0, limited: 0 }
  private readonly rejected: Record<string, number> = {}
  private lastError: string | undefined

  constructor (private readonly init: UpdateFetcherInit) {
    this.archive = new SignedChunkArchive(init.maxArchiveBytes ?? 16 * 1024 * 1024)
  }

  /** A gossiped update chunk the session accepted (`chunk`: its decoded form): keep it for neighbours that miss it. */
  keep (msg: Message, chunk: ChunkMessage): void {
    if (msg.type !== 'signed' || chunk.kind !== 'model-update') return
    this.archive.forgetBefore(this.init.firstRound())
    this.archive.add(chunk.round, chunk.digest, chunk.index, encodeSignedMessage(msg))
  }

  /** A chunk of this node's own update, as it publishes it: kept, signed by this node, for neighbours that miss it. */
  keepOwn (data: Uint8Array): void {
    const c = decodeChunk(data)
    if (!c.ok || c.value.kind !== 'model-update') return
    const { round, digest, index } = c.value
    signOwnMessage(this.init.privateKey, this.init.topic, data).then(
      signed => { this.archive.add(round, digest, index, signed) },
      (err: any) => { this.lastError = `signing own chunk: ${err?.message ?? String(err)}` }
    )
  }

  ask (e: { round: number, digests: string[], from: string }): void {
    // a repeated ask while the last still waits its turn: that one asks for whatever is missing when it runs
    if (this.queue.some(a => a.kind === 'digests' && a.round === e.round && e.digests.every(d => a.digests.includes(d)))) return
    this.counters.asked++
    this.queue.push({ kind: 'digests', round: e.round, digests: [...e.digests], from: e.from })
    if (!this.busy) void this.drain()
  }

  /** Ask the direct neighbours for every update of `round` this node lacks (once per call: the caller paces it). */
  sweep (round: number): void {
    if (this.queue.some(a => a.kind === 'sweep' && a.round === round)) return
    this.counters.sweeps++
    this.queue.push({ kind: 'sweep', round })
    if (!this.busy) void this.drain()
  }

  /** Answer the request on `stream`; `charge` is told the bytes of the reply (the asker's serve budget). */
  async serve (stream: Stream, charge: (bytes: number) => void = () => {}): Promise<void> {
    try {
      const r = await serveUpdateRequest(stream, q => {
        const chunks = this.lookup(q)
        charge(chunks.reduce((n, c) => n + c.byteLength, 0))
        return chunks
      }, this.init.timeoutMs)
      if (r.outcome !== 'bad-request') this.counters.served++
      this.counters.servedChunks += r.chunks
    } catch (err: any) {
      this.lastError = `serving: ${err?.message ?? String(err)}`
    }
  }

  /** A request refused before it was read: its asker had spent its serve budget. */
  noteLimited (): void { this.counters.limited++ }

  status (): UpdateFetchStatus {
    return { ...this.counters, rejected: { ...this.rejected }, ...(this.lastError !== undefined ? { lastError: this.lastError } : {}), archive: this.archive.size }
  }

  private lookup (q: UpdateRequest): Uint8Array[] {
    if (q.session !== this.init.session()) return []
    return 'digests' in q ? this.archive.get(q.round, q.digests) : this.archive.allBut(q.round, q.except)
  }

  private async drain (): Promise<void> {
    this.busy = true
    try {
      for (let a = this.queue.shift(); a !== undefined; a = this.queue.shift()) await (a.kind === 'sweep' ? this.sweepNeighbours(a.round) : this.fetch(a))
    } finally {
      this.busy = false
    }
  }

  /**
   * Asks the model's sender and every direct neighbour at once (a verifier has seconds: one slow or empty-handed
   * neighbour must not use them up), each for what is still missing when its turn to send comes.
   */
  private async fetch (a: Ask & { kind: 'digests' }): Promise<void> {
    const session = this.init.session()
    if (session === undefined) return
    const peers = [...new Set([a.from, ...this.init.neighbours()])].filter(p => p !== this.init.self)
    await Promise.all(peers.map(async peer => {
      const missing = this.init.missing(a.round, a.digests)
      const connection = this.init.connection(peer)
      if (missing.length === 0 || connection === undefined) return
      this.counters.requests++
      let frames: Uint8Array[]
      try {
        frames = await requestUpdates(connection, { session, round: a.round, digests: missing }, this.init.limits(missing.length), this.init.timeoutMs)
      } catch (err: any) {
        this.lastError = `${peer}: ${err?.message ?? String(err)}`
        return
      }
      const wanted = new Set(missing)
      await this.take(frames, a.round, d => wanted.has(d))
    }))
    if (this.init.missing(a.round, a.digests).length === 0) this.counters.recovered++
    else this.counters.failed++
  }

  /**
   * One neighbour after another, each for what this node still lacks when its turn comes: usually the first holds
   * everything, and the others then send nothing (in parallel, every neighbour would send the same updates).
   */
  private async sweepNeighbours (round: number): Promise<void> {
    const session = this.init.session()
    if (session === undefined) return
    const brought = new Set<string>()
    for (const peer of this.init.neighbours()) {
      const connection = this.init.connection(peer)
      if (peer === this.init.self || connection === undefined) continue
      const held = this.init.held(round)
      if (held.length > MAX_EXCEPT) return
      this.counters.requests++
      let frames: Uint8Array[]
      try {
        frames = await requestUpdates(connection, { session, round, except: held }, this.init.limits(MAX_DIGESTS), this.init.timeoutMs)
      } catch (err: any) {
        this.lastError = `${peer}: ${err?.message ?? String(err)}`
        continue
      }
      const skip = new Set(held)
      for (const d of await this.take(frames, round, d => !skip.has(d))) brought.add(d)
    }
    // fruitful: the sweep's own chunks completed an update (not gossip, which may bring one meanwhile)
    if (brought.size > 0 && this.init.missing(round, [...brought]).length < brought.size) this.counters.sweepsFruitful++
  }

  /**
   * Served frames: each checked (author signature, a chunk of an asked-for update of `round`) and fed to the session.
   * Returns the digests of the updates the session took chunks of.
   */
  private async take (frames: Uint8Array[], round: number, asked: (digest: string) => boolean): Promise<Set<string>> {
    const taken = new Set<string>()
    for (const frame of frames) {
      const opened = await openSignedMessage(frame, this.init.topic)
      if (!opened.ok) { this.reject(opened.reason); continue }
      const c = decodeChunk(opened.data)
      if (!c.ok || c.value.kind !== 'model-update' || c.value.round !== round || !asked(c.value.digest)) { this.reject('unrequested'); continue }
      if (this.init.missing(round, [c.value.digest]).length === 0) continue // another neighbour's copy came first
      const refused = this.init.deliver(opened.from, opened.data)
      if (refused !== undefined) { this.reject(refused); continue }
      this.counters.chunks++
      taken.add(c.value.digest)
      this.archive.add(c.value.round, c.value.digest, c.value.index, frame)
    }
    return taken
  }

  private reject (reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1
  }
}
