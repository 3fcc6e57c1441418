/** Why an inbound message was dropped. Order mirrors the validation order. */
export const REJECT_REASONS = [
  'oversized',
  'malformed',
  'unsupported-version',
  'unknown-topic',
  'wrong-topic',
  'unsigned',
  'sender-mismatch',
  'schema',
  'stale',
  'future',
  'replayed'
] as const

export type RejectReason = typeof REJECT_REASONS[number]

/** Counts rejections by reason, for metrics and the MAPE-K monitor. */
export class RejectCounters {
  private readonly counts = new Map<RejectReason, number>()

  count (reason: RejectReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1)
  }

  get (reason: RejectReason): number {
    return this.counts.get(reason) ?? 0
  }

  total (): number {
    let sum = 0
    for (const n of this.counts.values()) sum += n
    return sum
  }

  /** Every reason, including those never seen (as 0), so dashboards get a stable shape. */
  snapshot (): Record<RejectReason, number> {
    const out = {} as Record<RejectReason, number>
    for (const reason of REJECT_REASONS) out[reason] = this.get(reason)
    return out
  }
}
