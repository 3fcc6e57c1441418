/**
 * What a node will serve one remote peer on request (models, update chunks): a token bucket of requests and one of
 * bytes per peer. A neighbour that asks without end would otherwise have this node upload for it without end; honest
 * askers ask a few times a round (a lost update, a late joiner's model) and never come near the budget.
 *
 * Bytes are charged once the reply's size is known and may go into debt (one reply may be larger than what is left); a
 * peer in debt is refused until it is repaid, so over time a peer gets about `bytes.perSecond` at most. Pure: the
 * caller passes the time.
 */

export interface BucketSpec {
  /** Tokens a peer may spend at once. */
  burst: number
  /** Tokens refilled per second, up to `burst`. */
  perSecond: number
}

export interface PeerBudgetSpec {
  requests: BucketSpec
  bytes: BucketSpec
  /** Peers tracked at once; past it the least recently seen is forgotten, which gives it a fresh budget: keep it
   * well above the number of peers that can be connected at once (maxPeers direct links, a few relayed). */
  maxPeers: number
}

/**
 * Generous next to what an honest neighbour asks (a few requests and at most a round's updates, some MB for mnist,
 * per round), tight next to a peer that asks in a loop.
 */
export const DEFAULT_SERVE_BUDGET: PeerBudgetSpec = {
  requests: { burst: 30, perSecond: 2 },
  bytes: { burst: 8 * 1024 * 1024, perSecond: 1024 * 1024 },
  maxPeers: 256
}

interface Entry { requests: number, bytes: number, at: number }

export class PeerBudget {
  private readonly peers = new Map<string, Entry>()

  constructor (private readonly spec: PeerBudgetSpec = DEFAULT_SERVE_BUDGET) {
    for (const [name, b] of [['requests', spec.requests], ['bytes', spec.bytes]] as const) {
      if (!(b.burst > 0) || !(b.perSecond > 0)) throw new RangeError(`serve budget: ${name} needs burst > 0 and perSecond > 0, got ${b.burst} and ${b.perSecond}`)
    }
    if (!Number.isInteger(spec.maxPeers) || spec.maxPeers < 1) throw new RangeError(`serve budget: maxPeers must be an integer >= 1, got ${spec.maxPeers}`)
  }

  /** May `peer` be served a request now? Spends one request token if so. */
  admit (peer: string, now: number): boolean {
    const e = this.refill(peer, now)
    if (e.requests < 1 || e.bytes <= 0) return false
    e.requests -= 1
    return true
  }

  /** Charge what was served to `peer` (after serving: the size is known only then). */
  charge (peer: string, bytes: number, now: number): void {
    this.refill(peer, now).bytes -= bytes
  }

  /** Peers tracked now (bounded by maxPeers). */
  get size (): number { return this.peers.size }

  private refill (peer: string, now: number): Entry {
    let e = this.peers.get(peer)
    if (e === undefined) {
      e = { requests: this.spec.requests.burst, bytes: this.spec.bytes.burst, at: now }
      if (this.peers.size >= this.spec.maxPeers) this.forgetOne()
    } else {
      const s = Math.max(0, now - e.at) / 1000
      e.requests = Math.min(this.spec.requests.burst, e.requests + s * this.spec.requests.perSecond)
      e.bytes = Math.min(this.spec.bytes.burst, e.bytes + s * this.spec.bytes.perSecond)
      e.at = Math.max(e.at, now)
      this.peers.delete(peer)
    }
    // the map's order is the order peers were last seen: the first is the least recent
    this.peers.set(peer, e)
    return e
  }

  private forgetOne (): void {
    const first = this.peers.keys().next()
    if (first.done !== true) this.peers.delete(first.value)
  }
}
