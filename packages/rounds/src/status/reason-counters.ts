/** Counts by free-form reason (round and verification reasons are not a closed set like the update reasons). */
export class ReasonCounters {
  private readonly counts = new Map<string, number>()

  count (reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1)
  }

  get (reason: string): number {
    return this.counts.get(reason) ?? 0
  }

  snapshot (): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)))
  }
}
