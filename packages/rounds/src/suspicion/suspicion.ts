/**
 * Evidence-based suspicion of peers (design step 5). Each piece of evidence adds its weight to the peer's score;
 * scores decay exponentially, halving every `halfLifeRounds` rounds. A peer at or above `threshold` is
 * quarantined (its updates are left out of aggregates this node computes, its round announcements ignored) until
 * its score decays below `releaseBelow` (hysteresis, so a peer does not flap at the threshold).
 *
 * Why these defaults: exclusion by the aggregation rule is weak evidence, because Krum leaves out honest updates
 * every round (it selects one of n). With per-round decay d = 2^(-1/halfLife), a peer excluded every round
 * converges to excluded / (1 - d); the constructor refuses weights for which that reaches the threshold, so
 * exclusion alone can never quarantine anyone. Strong evidence (a payload only a faulty or hostile peer sends, a
 * model that fails verification) quarantines at once or after a second offence.
 */

export const EVIDENCE_KINDS = [
  /** an update payload rejected for a reason only its author can cause (malformed, non-finite, norm bound, ...) */
  'invalid-update',
  /** two different updates from one sender for one round */
  'equivocation',
  /** a round announcement that breaks the protocol (wrong base, not the elected leader) */
  'invalid-announcement',
  /** a global model it coordinated was recomputed to something else */
  'failed-verification',
  /** a global model it coordinated included an update this node never received (may be gossip loss) */
  'unverifiable-model',
  /** its update was left out by the aggregation rule (weak: honest updates are left out too) */
  'excluded'
] as const
export type EvidenceKind = typeof EVIDENCE_KINDS[number]

export interface SuspicionConfig {
  /** Rounds for a score to halve; default 10. */
  halfLifeRounds?: number
  /** Quarantine at or above this score; default 1. */
  threshold?: number
  /** Release from quarantine below this score; default threshold / 2. */
  releaseBelow?: number
  /** Weight per evidence kind; defaults in DEFAULT_EVIDENCE_WEIGHTS. */
  weights?: Partial<Record<EvidenceKind, number>>
}

export const DEFAULT_EVIDENCE_WEIGHTS: Readonly<Record<EvidenceKind, number>> = {
  'invalid-update': 0.5,
  equivocation: 1,
  'invalid-announcement': 0.5,
  'failed-verification': 1,
  'unverifiable-model': 0.5,
  excluded: 0.05
}

export interface PeerSuspicion {
  peer: string
  score: number
  quarantined: boolean
  /** Pieces of evidence seen, by kind (never decays: the history behind the score). */
  reasons: Partial<Record<EvidenceKind, number>>
  lastDetail?: string
}

export interface SuspicionChange {
  type: 'quarantined' | 'released'
  peer: string
  score: number
  reasons: Record<string, number>
}

interface Entry {
  score: number
  quarantined: boolean
  reasons: Partial<Record<EvidenceKind, number>>
  lastDetail?: string
}

export class SuspicionLedger {
  readonly halfLifeRounds: number
  readonly threshold: number
  readonly releaseBelow: number
  readonly weights: Readonly<Record<EvidenceKind, number>>
  /** Score multiplier per round. */
  readonly decay: number
  private readonly peers = new Map<string, Entry>()

  constructor (config: SuspicionConfig = {}) {
    this.halfLifeRounds = config.halfLifeRounds ?? 10
    this.threshold = config.threshold ?? 1
    this.releaseBelow = config.releaseBelow ?? this.threshold / 2
    this.weights = { ...DEFAULT_EVIDENCE_WEIGHTS, ...config.weights }
    if (!(this.halfLifeRounds > 0)) throw new RangeError(`halfLifeRounds must be > 0, got ${this.halfLifeRounds}`)
    if (!(this.threshold > 0)) throw new RangeError(`threshold must be > 0, got ${this.threshold}`)
    if (!(this.releaseBelow > 0 && this.releaseBelow <= this.threshold)) throw new RangeError(`releaseBelow must be in (0, threshold], got ${this.releaseBelow}`)
    for (const kind of EVIDENCE_KINDS) {
      if (!(this.weights[kind] >= 0)) throw new RangeError(`weight of '${kind}' must be >= 0, got ${this.weights[kind]}`)
    }
    this.decay = 2 ** (-1 / this.halfLifeRounds)
    const ceiling = this.excludedCeiling
    if (ceiling >= this.threshold) {
      throw new RangeError(`an honest peer excluded every round would reach ${ceiling.toFixed(3)} >= threshold ${this.threshold}: ` +
        `use an 'excluded' weight below ${(this.threshold * (1 - this.decay)).toFixed(4)} or a shorter half-life`)
    }
  }

  /** The score a peer excluded by the rule in every round converges to: excluded / (1 - decay). */
  get excludedCeiling (): number {
    return this.weights.excluded / (1 - this.decay)
  }

  /** Records evidence against `peer`; returns the change if it is now quarantined. */
  evidence (peer: string, kind: EvidenceKind, detail?: string): SuspicionChange | undefined {
    const e = this.entry(peer)
    e.score += this.weights[kind]
    e.reasons[kind] = (e.reasons[kind] ?? 0) + 1
    if (detail !== undefined) e.lastDetail = `${kind}: ${detail}`
    if (!e.quarantined && e.score >= this.threshold) {
      e.quarantined = true
      return { type: 'quarantined', peer, score: e.score, reasons: { ...e.reasons } }
    }
    return undefined
  }

  /** One round passed: every score decays; returns the peers released from quarantine. */
  advanceRound (): SuspicionChange[] {
    const changes: SuspicionChange[] = []
    for (const [peer, e] of this.peers) {
      e.score *= this.decay
      if (e.quarantined && e.score < this.releaseBelow) {
        e.quarantined = false
        changes.push({ type: 'released', peer, score: e.score, reasons: { ...e.reasons } })
      }
      // forget peers whose score is negligible and who were never more than weakly suspected
      if (e.score < 1e-6 && !e.quarantined) this.peers.delete(peer)
    }
    return changes
  }

  isQuarantined (peer: string): boolean {
    return this.peers.get(peer)?.quarantined === true
  }

  score (peer: string): number {
    return this.peers.get(peer)?.score ?? 0
  }

  quarantined (): string[] {
    return [...this.peers].filter(([, e]) => e.quarantined).map(([p]) => p).sort()
  }

  /** Every suspected peer, most suspected first. */
  snapshot (): PeerSuspicion[] {
    return [...this.peers]
      .map(([peer, e]) => ({ peer, score: e.score, quarantined: e.quarantined, reasons: { ...e.reasons }, ...(e.lastDetail !== undefined ? { lastDetail: e.lastDetail } : {}) }))
      .sort((a, b) => b.score - a.score || (a.peer < b.peer ? -1 : 1))
  }

  private entry (peer: string): Entry {
    let e = this.peers.get(peer)
    if (e === undefined) {
      e = { score: 0, quarantined: false, reasons: {} }
      this.peers.set(peer, e)
    }
    return e
  }
}
