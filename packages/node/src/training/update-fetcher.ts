/**
 * Both ends of `/fedmesh/updates/1.0.0` for the training service: keeps the signed update chunks this node received
 * (to serve them), and on a 'fetch-updates' event asks the model's sender, then each direct neighbour, for the
 * updates a parked model still lacks. Never dials: only open direct connections are used, since a verifier has a
 * grace period of seconds, not a dial's worth.
 */
import { decodeChunk } from '@fedmesh/updates'
import type { ChunkMessage } from '@fedmesh/updates'
import { encodeSignedMessage, openSignedMessage, requestUpdates, serveUpdateRequest, signOwnMessage, SignedChunkArchive } from './update-fetch.ts'
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
  /** Models that lacked updates after updateFetchAfterMs ('fetch-updates' events). */
  asked: number
  /** Of those, fetched in full. */
  recovered: number
  /** Of those, still lacking some after every neighbour was asked. */
  failed: number
  /** Streams opened to ask a neighbour. */
  requests: number
  /** Chunks received whose author signature held and that the session took. */
  chunks: number
  /** Served chunks dropped, by reason (bad-signature, unrequested, ... or the session's reason). */
  rejected: Record<string, number>
  /** Requests this node answered, and the chunks it sent. */
  served: number
  servedChunks: number
  lastError?: string
  archive: { rounds: number, bytes: number }
}

interface Ask { round: number, digests: string[], from: string }

export class UpdateFetcher {
  private readonly archive: SignedChunkArchive
  private readonly queue: Ask[] = []
  private busy = false
  private readonly counters = { asked: 0, recovered: 0, failed: 0, requests: 0, chunks: 0, served: 0, servedChunks: 0 }
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
    this.counters.asked++
    this.queue.push({ round: e.round, digests: [...e.digests], from: e.from })
    if (!this.busy) void this.drain()
  }

  async serve (stream: Stream): Promise<void> {
    try {
      const r = await serveUpdateRequest(stream, q => this.lookup(q), this.init.timeoutMs)
      if (r.outcome !== 'bad-request') this.counters.served++
      this.counters.servedChunks += r.chunks
    } catch (err: any) {
      this.lastError = `serving: ${err?.message ?? String(err)}`
    }
  }

  status (): UpdateFetchStatus {
    return { ...this.counters, rejected: { ...this.rejected }, ...(this.lastError !== undefined ? { lastError: this.lastError } : {}), archive: this.archive.size }
  }

  private lookup (q: UpdateRequest): Uint8Array[] {
    if (q.session !== this.init.session()) return []
    return this.archive.get(q.round, q.digests)
  }

  private async drain (): Promise<void> {
    this.busy = true
    try {
      for (let a = this.queue.shift(); a !== undefined; a = this.queue.shift()) await this.fetch(a)
    } finally {
      this.busy = false
    }
  }

  /**
   * Asks the model's sender and every direct neighbour at once (a verifier has seconds: one slow or empty-handed
   * neighbour must not use them up), each for what is still missing when its turn to send comes.
   */
  private async fetch (a: Ask): Promise<void> {
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
      for (const frame of frames) {
        const opened = await openSignedMessage(frame, this.init.topic)
        if (!opened.ok) { this.reject(opened.reason); continue }
        const c = decodeChunk(opened.data)
        if (!c.ok || c.value.kind !== 'model-update' || c.value.round !== a.round || !wanted.has(c.value.digest)) { this.reject('unrequested'); continue }
        if (this.init.missing(a.round, [c.value.digest]).length === 0) continue // another neighbour's copy came first
        const refused = this.init.deliver(opened.from, opened.data)
        if (refused !== undefined) { this.reject(refused); continue }
        this.counters.chunks++
        this.archive.add(c.value.round, c.value.digest, c.value.index, frame)
      }
    }))
    if (this.init.missing(a.round, a.digests).length === 0) this.counters.recovered++
    else this.counters.failed++
  }

  private reject (reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1
  }
}
