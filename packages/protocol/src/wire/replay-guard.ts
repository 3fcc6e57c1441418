/**
 * Per-sender replay protection: the highest sequence number seen plus a sliding bitmap of the `window`
 * sequence numbers just below it (the scheme IPsec uses, RFC 4303 §3.4.3). gossipsub may deliver a
 * sender's messages out of order, so a late seq inside the window is accepted once; anything at or below
 * highest - window is treated as a replay because we can no longer tell.
 *
 * A sender that restarts (same peer id, sequence numbers from 1 again) would otherwise be locked out until
 * its new numbers overtook the old ones. When a message's seq looks old but its `sentAtMs` is later than
 * every message seen from that sender, it cannot be a replay (a replay carries its original timestamp,
 * which is not later than what we have seen), so the sender's window starts afresh. Messages dated before
 * that restart are refused from then on, so the previous run's messages cannot be replayed into the new window.
 *
 * Senders are kept in a bounded LRU. An evicted sender's history is forgotten, so its old messages could
 * be replayed once more; the validator's freshness check (maxAgeMs) bounds how old such messages can be.
 */
interface SenderWindow {
  highest: number
  /** Latest sentAtMs among accepted messages. */
  latestSentAtMs: number
  /** sentAtMs of the restart that opened this window (-Infinity if none): anything older predates the restart. */
  floorSentAtMs: number
  /** Bit (seq mod window) is set when that seq, within (highest - window, highest], was seen. */
  bits: Uint32Array
}

export interface ReplayGuardOptions {
  /** Sequence numbers tracked below the highest; default 64. */
  window?: number
  /** Senders remembered (least recently used evicted first); default 10_000. */
  maxSenders?: number
}

export class ReplayGuard {
  readonly window: number
  readonly maxSenders: number
  private readonly senders = new Map<string, SenderWindow>()

  constructor (opts: ReplayGuardOptions = {}) {
    this.window = opts.window ?? 64
    this.maxSenders = opts.maxSenders ?? 10_000
    if (!Number.isInteger(this.window) || this.window < 1) throw new RangeError(`replay window must be an integer >= 1, got ${this.window}`)
    if (!Number.isInteger(this.maxSenders) || this.maxSenders < 1) throw new RangeError(`maxSenders must be an integer >= 1, got ${this.maxSenders}`)
  }

  /**
   * Records `seq` for `sender` and returns true if it is new; false if it is a replay.
   * `sentAtMs` (the author's timestamp) lets a restarted sender back in; omit it (always, for a given
   * guard) to judge by seq alone.
   */
  check (sender: string, seq: number, sentAtMs = Number.NEGATIVE_INFINITY): boolean {
    let state = this.senders.get(sender)
    if (state === undefined || (sentAtMs > state.latestSentAtMs && !this.acceptsSeq(state, seq))) {
      state = {
        highest: seq,
        latestSentAtMs: sentAtMs,
        floorSentAtMs: state === undefined ? Number.NEGATIVE_INFINITY : sentAtMs,
        bits: new Uint32Array(Math.ceil(this.window / 32))
      }
      this.setBit(state, seq)
      this.senders.delete(sender)
      this.senders.set(sender, state)
      this.evictOverflow()
      return true
    }
    // re-insert so Map iteration order is least-recently-used first
    this.senders.delete(sender)
    this.senders.set(sender, state)
    if (sentAtMs < state.floorSentAtMs || !this.acceptsSeq(state, seq)) return false
    state.latestSentAtMs = Math.max(state.latestSentAtMs, sentAtMs)

    if (seq > state.highest) {
      const advance = seq - state.highest
      if (advance >= this.window) {
        state.bits.fill(0)
      } else {
        // slots of the seqs that newly enter the window still hold bits of seqs that left it
        for (let s = state.highest + 1; s <= seq; s++) this.clearBit(state, s)
      }
      state.highest = seq
      this.setBit(state, seq)
      return true
    }
    this.setBit(state, seq)
    return true
  }

  /** Whether check() would accept, without recording anything. */
  wouldAccept (sender: string, seq: number, sentAtMs = Number.NEGATIVE_INFINITY): boolean {
    const state = this.senders.get(sender)
    if (state === undefined) return true
    if (sentAtMs > state.latestSentAtMs && !this.acceptsSeq(state, seq)) return true
    return sentAtMs >= state.floorSentAtMs && this.acceptsSeq(state, seq)
  }

  private acceptsSeq (state: SenderWindow, seq: number): boolean {
    if (seq > state.highest) return true
    if (seq <= state.highest - this.window) return false
    return !this.getBit(state, seq)
  }

  highest (sender: string): number | undefined {
    return this.senders.get(sender)?.highest
  }

  get size (): number {
    return this.senders.size
  }

  forget (sender: string): void {
    this.senders.delete(sender)
  }

  private evictOverflow (): void {
    while (this.senders.size > this.maxSenders) {
      const oldest = this.senders.keys().next().value
      if (oldest === undefined) return
      this.senders.delete(oldest)
    }
  }

  private slot (seq: number): [word: number, mask: number] {
    const bit = seq % this.window
    return [bit >>> 5, 1 << (bit & 31)]
  }

  private getBit (state: SenderWindow, seq: number): boolean {
    const [word, mask] = this.slot(seq)
    return ((state.bits[word] as number) & mask) !== 0
  }

  private setBit (state: SenderWindow, seq: number): void {
    const [word, mask] = this.slot(seq)
    state.bits[word] = (state.bits[word] as number) | mask
  }

  private clearBit (state: SenderWindow, seq: number): void {
    const [word, mask] = this.slot(seq)
    state.bits[word] = (state.bits[word] as number) & ~mask
  }
}
