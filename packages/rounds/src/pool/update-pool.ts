import { decodeModelUpdate, encodeUpdateChunks, Reassembler, UpdateRejectCounters, UpdateValidator, UPDATE_REASON_ACTION } from '@fedmesh/updates'
import type { ChunkAdmission, ChunkingOptions, ModelUpdate, Rejection, TensorSpec, UpdateEncoding, UpdateRejectReason } from '@fedmesh/updates'
import type { HeldUpdate } from '../aggregate/round-aggregate.ts'
import type { Clock } from '../types.ts'

export interface UpdatePoolOptions {
  session: string
  shapes: TensorSpec[]
  clock: Clock
  /** L2 bound on a dequantised delta (UpdateValidator.maxNorm). */
  maxNorm: number
  maxSamples?: number
  /** Reassembly timeout for a partial payload; default 30 s. */
  reassemblyTimeoutMs?: number
}

export type PoolResult =
  | { ok: true, complete: false }
  /** `equivocation`: the sender already had another update this round (both are kept, for verification). */
  | { ok: true, complete: true, held: HeldUpdate, equivocation: boolean }
  | Rejection

/** How many different updates per sender and round are kept (one, plus evidence of equivocation). */
const MAX_PER_SENDER = 2
/**
 * Rounds held at once, from the round of the model this node holds: that closed round (its late updates are still
 * gossiped on to nodes that need them to verify), the open one, and the next (whose updates arrive while this node
 * still verifies the model they train from). An update outside the window is ignored, which in gossipsub also means
 * not forwarded: too narrow a window cut updates off from nodes one version behind (missing-update in the swarm e2e).
 */
export const WINDOW_ROUNDS = 3

/**
 * The model updates this node holds, for the round being played and the next one. Updates are gossiped to every
 * node so that every node can recompute the coordinator's aggregate; they are kept whatever their term (the
 * term is informational: an update is bound to its round and base version, so it stays valid when a new
 * coordinator re-opens the round after failover) and whoever sent them (quarantine decides what this node
 * aggregates as coordinator, not what it needs to verify someone else's aggregate).
 *
 * Two rounds are accepted at once because a fast participant may already send round r+1 while this node is still
 * waiting out the grace period for round r's model: gossip will not deliver that update again.
 * Rounds and versions move in lockstep (round r trains from version r - 1), so each round's base is known.
 */
export class UpdatePool {
  readonly rejected = new UpdateRejectCounters()
  private readonly opts: UpdatePoolOptions
  private readonly reassembler: Reassembler
  private readonly validators = new Map<number, UpdateValidator>()
  private readonly held = new Map<number, Map<string, HeldUpdate>>()
  private firstRound = 1

  constructor (opts: UpdatePoolOptions) {
    this.opts = opts
    this.reassembler = new Reassembler({
      clock: opts.clock,
      timeoutMs: opts.reassemblyTimeoutMs ?? 30_000,
      counters: this.rejected,
      admit: c => this.admit(c)
    })
    this.setWindow(1)
  }

  /** The first and last round accepted. */
  get window (): [number, number] {
    return [this.firstRound, this.lastRound]
  }

  private get lastRound (): number {
    return this.firstRound + WINDOW_ROUNDS - 1
  }

  /** Accept rounds `first` .. `first + WINDOW_ROUNDS - 1`; forget everything older. */
  setWindow (first: number): void {
    if (first < this.firstRound) return
    this.firstRound = first
    for (const round of [...this.validators.keys()]) if (round < first) this.validators.delete(round)
    for (const round of [...this.held.keys()]) if (round < first) this.held.delete(round)
    for (let round = first; round < first + WINDOW_ROUNDS; round++) {
      if (!this.validators.has(round)) {
        this.validators.set(round, new UpdateValidator({
          expect: { session: this.opts.session, round, term: 0, anyTerm: true, baseVersion: round - 1, shapes: this.opts.shapes },
          maxNorm: this.opts.maxNorm,
          maxSamples: this.opts.maxSamples,
          counters: this.rejected
        }))
      }
    }
    this.reassembler.dropOlderThan(this.opts.session, first)
  }

  /** A chunk from `fedmesh/updates/1`. Never throws. */
  accept (data: Uint8Array, from: string | undefined): PoolResult {
    const r = this.reassembler.accept({ data, from })
    if (!r.ok) return r
    if (!r.complete) return { ok: true, complete: false }
    const p = r.payload
    const validator = this.validators.get(p.round)
    if (validator === undefined) return this.count(rejection('stale-round', `round ${p.round} left the window while its chunks arrived`))
    const v = validator.validate({ payload: p.payload, from: p.from, digest: p.digest, routing: p })
    if (v.ok) return { ok: true, complete: true, held: this.store(v.update, v.digest, p.from), equivocation: false }
    if (v.reason !== 'duplicate') return v
    // a second, different update from the same sender: it passed every other check (duplicate is checked last),
    // and the coordinator may have aggregated this one, so keep it to be able to verify; the sender equivocates
    const decoded = decodeModelUpdate(p.payload)
    if (!decoded.ok) return v
    const bucket = this.bucket(p.round)
    const copies = [...bucket.values()].filter(h => h.from === p.from).length
    if (copies >= MAX_PER_SENDER) return v
    return { ok: true, complete: true, held: this.store(decoded.value, p.digest, p.from), equivocation: true }
  }

  /**
   * An update already reassembled and validated elsewhere (UpdateValidator with the same expectation: a worker
   * doing the byte work, or a simulation validating each gossiped update once for all its nodes). Only the checks
   * that depend on this node's state run here: the round window, the base, one update per sender.
   */
  acceptValidated (update: ModelUpdate, digest: string, flat?: Float32Array): PoolResult {
    if (update.session !== this.opts.session) return this.count(rejection('wrong-session', `session '${update.session}'`))
    if (update.round < this.firstRound) return this.count(rejection('stale-round', `round ${update.round}, this node accepts ${this.firstRound}..${this.lastRound}`))
    if (update.round > this.lastRound) return this.count(rejection('future-round', `round ${update.round}, this node accepts ${this.firstRound}..${this.lastRound}`))
    if (update.baseVersion !== update.round - 1) return this.count(rejection('wrong-base', `round ${update.round} trained from v${update.baseVersion}`))
    const bucket = this.bucket(update.round)
    if (bucket.has(digest)) return this.count(rejection('duplicate', `update ${digest.slice(0, 12)} already held`))
    const copies = [...bucket.values()].filter(h => h.from === update.sender).length
    if (copies >= MAX_PER_SENDER) return this.count(rejection('duplicate', `${update.sender} already has ${copies} updates for round ${update.round}`))
    const held = this.store(update, digest, update.sender)
    if (flat !== undefined) held.flat = flat
    return { ok: true, complete: true, held, equivocation: copies > 0 }
  }

  /** This node's own update: encodes it for gossip and holds it like any other. */
  addLocal (update: ModelUpdate, encoding: ChunkingOptions & UpdateEncoding = {}): { held: HeldUpdate, chunks: Uint8Array[] } {
    const encoded = encodeUpdateChunks(update, encoding)
    const validator = this.validators.get(update.round)
    if (validator === undefined) throw new RangeError(`round ${update.round} is outside the accepted window ${this.firstRound}..${this.lastRound}`)
    const v = validator.validate({ payload: encoded.payload, from: update.sender, digest: encoded.digest })
    if (!v.ok) throw new RangeError(`own update refused: ${v.reason}: ${v.detail}`)
    return { held: this.store(v.update, v.digest, update.sender), chunks: encoded.chunks }
  }

  /** Every update held for `round`, in arrival order. */
  updates (round: number): HeldUpdate[] {
    return [...(this.held.get(round)?.values() ?? [])]
  }

  /** The digests of every update held for `round`, in arrival order (a round announcement's `held`). */
  digests (round: number): string[] {
    return [...(this.held.get(round)?.keys() ?? [])]
  }

  /** How many updates of `round` are held (without copying them). */
  heldCount (round: number): number {
    return this.held.get(round)?.size ?? 0
  }

  get (round: number, digest: string): HeldUpdate | undefined {
    return this.held.get(round)?.get(digest)
  }

  /** Reason counts, every reason present (0 when never seen). */
  rejectCounts (): Record<UpdateRejectReason, number> {
    return this.rejected.snapshot()
  }

  private store (update: ModelUpdate, digest: string, from: string): HeldUpdate {
    const bucket = this.bucket(update.round)
    const existing = bucket.get(digest)
    if (existing !== undefined) return existing
    const held: HeldUpdate = { digest, update, from, receivedAt: this.opts.clock.now() }
    bucket.set(digest, held)
    return held
  }

  private bucket (round: number): Map<string, HeldUpdate> {
    let b = this.held.get(round)
    if (b === undefined) {
      b = new Map()
      this.held.set(round, b)
    }
    return b
  }

  private admit (c: ChunkAdmission): Rejection | undefined {
    if (c.kind !== 'model-update') return rejection('wrong-kind', `a ${c.kind} payload on the updates topic`)
    if (c.session !== this.opts.session) return rejection('wrong-session', `session '${c.session}', expected '${this.opts.session}'`)
    if (c.round < this.firstRound) return rejection('stale-round', `round ${c.round}, this node accepts ${this.firstRound}..${this.lastRound}`)
    if (c.round > this.lastRound) return rejection('future-round', `round ${c.round}, this node accepts ${this.firstRound}..${this.lastRound}`)
    const limit = this.validators.get(c.round)?.payloadLimit ?? 0
    if (c.totalBytes > limit) return rejection('oversized', `payload of ${c.totalBytes} bytes announced, cap for this model is ${limit}`)
    return undefined
  }

  private count (r: Rejection): Rejection {
    this.rejected.count(r.reason)
    return r
  }
}

/** Reasons only the author of an update can cause: evidence against it (see UPDATE_REASON_ACTION). */
export function isAuthorFault (reason: UpdateRejectReason): boolean {
  // 'unsigned' names no author; 'oversized'/'malformed' chunks may be a forwarder's corruption but StrictSign
  // signatures make the author accountable for what it signed
  return UPDATE_REASON_ACTION[reason] === 'reject' && reason !== 'unsigned'
}

function rejection (reason: UpdateRejectReason, detail: string): Rejection {
  return { ok: false, reason, detail }
}
