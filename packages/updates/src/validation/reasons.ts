/** Why an inbound chunk or update was dropped. Order mirrors the order of the checks. */
export const UPDATE_REJECT_REASONS = [
  /** chunk message or payload above its byte cap, checked before decoding */
  'oversized',
  /** bytes do not parse, or break the schema (lengths, indices, names, ...) */
  'malformed',
  'unsupported-version',
  /** no gossipsub-verified author */
  'unsigned',
  /** a global-model chunk where model updates are expected, or the reverse */
  'wrong-kind',
  'wrong-session',
  'stale-round',
  'future-round',
  /** trained under an older coordinator term */
  'stale-term',
  /** trained under a term this node has not seen yet */
  'future-term',
  /** payload already reassembled, or the sender already has an accepted update this round */
  'duplicate',
  /** the reassembly memory bound is reached */
  'buffer-full',
  /** a chunk disagrees with its payload's other chunks or with the payload's own header */
  'inconsistent-chunk',
  /** the reassembled payload does not hash to the id its chunks carry */
  'digest-mismatch',
  /** the update's sender is not the peer that signed its chunks */
  'sender-mismatch',
  /** trained from a different global-model version */
  'wrong-base',
  /** samples is not a positive integer under the cap */
  'bad-samples',
  /** tensor names or shapes differ from the model's */
  'shape-mismatch',
  /** NaN or ±Infinity in the dequantised delta (float32 values or scale) */
  'non-finite',
  /** L2 norm of the dequantised delta above the bound */
  'norm-bound'
] as const

export type UpdateRejectReason = typeof UPDATE_REJECT_REASONS[number]

export interface Rejection {
  ok: false
  reason: UpdateRejectReason
  detail: string
}

export function rejection (reason: UpdateRejectReason, detail: string): Rejection {
  return { ok: false, reason, detail }
}

/**
 * What to tell gossipsub for each reason. 'ignore': drop without penalising the forwarder, because honest
 * peers produce these (late copies, a node a round or term behind, a full buffer here). 'reject': drop and
 * penalise, because only a faulty or hostile author produces these. Chunks are forwarded before their
 * payload is complete, so payload-level reasons (digest-mismatch and below) can only stop the last chunk.
 */
export const UPDATE_REASON_ACTION: Readonly<Record<UpdateRejectReason, 'ignore' | 'reject'>> = {
  oversized: 'reject',
  malformed: 'reject',
  'unsupported-version': 'reject',
  unsigned: 'reject',
  'wrong-kind': 'reject',
  'wrong-session': 'ignore',
  'stale-round': 'ignore',
  'future-round': 'ignore',
  'stale-term': 'ignore',
  'future-term': 'ignore',
  duplicate: 'ignore',
  'buffer-full': 'ignore',
  'inconsistent-chunk': 'reject',
  'digest-mismatch': 'reject',
  'sender-mismatch': 'reject',
  'wrong-base': 'ignore',
  'bad-samples': 'reject',
  'shape-mismatch': 'reject',
  'non-finite': 'reject',
  'norm-bound': 'reject'
}

/** Counts rejections by reason, for metrics and the MAPE-K monitor. */
export class UpdateRejectCounters {
  private readonly counts = new Map<UpdateRejectReason, number>()

  count (reason: UpdateRejectReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1)
  }

  get (reason: UpdateRejectReason): number {
    return this.counts.get(reason) ?? 0
  }

  total (): number {
    let sum = 0
    for (const n of this.counts.values()) sum += n
    return sum
  }

  /** Every reason, including those never seen (as 0), so dashboards get a stable shape. */
  snapshot (): Record<UpdateRejectReason, number> {
    const out = {} as Record<UpdateRejectReason, number>
    for (const reason of UPDATE_REJECT_REASONS) out[reason] = this.get(reason)
    return out
  }
}
