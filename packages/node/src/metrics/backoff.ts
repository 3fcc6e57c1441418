/** Exponential backoff with full jitter, per key; pure so the peering and relay logic can be unit-tested. */
export class Backoff<K> {
  private readonly entries = new Map<K, { failures: number, until: number }>()
  constructor (private readonly baseMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {}

  /** Record a failure and return the delay before the next attempt. */
  fail (key: K, now: number): number {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - 1, 20))
    const delay = Math.round(cap / 2 + this.random() * cap / 2)
    this.entries.set(key, { failures, until: now + delay })
    return delay
  }

  succeed (key: K): void { this.entries.delete(key) }
  ready (key: K, now: number): boolean { return (this.entries.get(key)?.until ?? 0) <= now }
  failures (key: K): number { return this.entries.get(key)?.failures ?? 0 }
  /** Forget keys whose backoff ended long ago, so the map stays bounded. */
  prune (now: number, olderThanMs: number): void {
    for (const [k, e] of this.entries) if (e.until + olderThanMs < now) this.entries.delete(k)
  }
}
