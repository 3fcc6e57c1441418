/**
 * φ-accrual failure detector (Hayashibara et al., 2004) over heartbeat inter-arrival times.
 *
 * φ = -log10(P(a heartbeat arrives later than `elapsed`)), with the normal CDF replaced by Akka's logistic
 * approximation. φ = 1 means ~10% chance the peer is fine and merely late, φ = 8 ~1e-8.
 * The tail is computed in log space so φ stays finite (and comparable) however long the silence.
 */
export interface PhiAccrualOptions {
  /** Inter-arrival samples kept; default 100. */
  windowSize?: number
  /** Floor on the standard deviation, so very regular heartbeats don't make φ explode on slight jitter; default 250 ms. */
  minStdDevMs?: number
  /** Extra silence tolerated on top of the mean (GC pauses, gossip hops); default 1_000 ms. */
  acceptableHeartbeatPauseMs?: number
  /** Seeds the window before real samples exist (the advertised interval). */
  firstHeartbeatEstimateMs?: number
}

export interface PhiContext {
  /** Lower bound on the expected interval (e.g. the interval the peer advertises). */
  expectedIntervalMs?: number
  /** Overrides acceptableHeartbeatPauseMs for this evaluation (e.g. longer for hidden tabs). */
  pauseMs?: number
}

const LN10 = Math.log(10)

export class PhiAccrualDetector {
  readonly windowSize: number
  readonly minStdDevMs: number
  readonly acceptableHeartbeatPauseMs: number
  private readonly intervals: Float64Array
  private next = 0
  private count = 0
  private sum = 0
  private sumSquares = 0
  private last: number | undefined

  constructor (opts: PhiAccrualOptions = {}) {
    this.windowSize = opts.windowSize ?? 100
    this.minStdDevMs = opts.minStdDevMs ?? 250
    this.acceptableHeartbeatPauseMs = opts.acceptableHeartbeatPauseMs ?? 1_000
    if (!Number.isInteger(this.windowSize) || this.windowSize < 2) throw new RangeError(`windowSize must be an integer >= 2, got ${this.windowSize}`)
    if (!(this.minStdDevMs > 0)) throw new RangeError(`minStdDevMs must be > 0, got ${this.minStdDevMs}`)
    if (!(this.acceptableHeartbeatPauseMs >= 0)) throw new RangeError(`acceptableHeartbeatPauseMs must be >= 0, got ${this.acceptableHeartbeatPauseMs}`)
    this.intervals = new Float64Array(this.windowSize)
    if (opts.firstHeartbeatEstimateMs !== undefined) this.seed(opts.firstHeartbeatEstimateMs)
  }

  /** Records a heartbeat arriving at `now` (monotonic ms). */
  heartbeat (now: number): void {
    if (this.last !== undefined) this.addSample(Math.max(0, now - this.last))
    this.last = now
  }

  /** Suspicion level at `now`; 0 before the first heartbeat. */
  phi (now: number, context: PhiContext = {}): number {
    if (this.last === undefined) return 0
    const observedMean = this.count > 0 ? this.sum / this.count : 0
    const mean = Math.max(observedMean, context.expectedIntervalMs ?? 0) + (context.pauseMs ?? this.acceptableHeartbeatPauseMs)
    if (mean <= 0) return 0
    return phiOf(Math.max(0, now - this.last), mean, Math.max(this.stdDev(), this.minStdDevMs))
  }

  /**
   * Moves the last arrival `ms` later, so a span of silence is neither counted by phi() nor recorded as
   * part of the next interval: used when the *observer* was stalled (throttled timers), not the peer.
   */
  discountSilence (ms: number, now: number): void {
    if (this.last === undefined || !(ms > 0)) return
    this.last = Math.min(now, this.last + ms)
  }

  /** Forgets the samples (the peer's timing regime changed) but keeps the last arrival time. */
  reset (firstHeartbeatEstimateMs?: number): void {
    this.next = 0
    this.count = 0
    this.sum = 0
    this.sumSquares = 0
    if (firstHeartbeatEstimateMs !== undefined) this.seed(firstHeartbeatEstimateMs)
  }

  get lastHeartbeatAt (): number | undefined {
    return this.last
  }

  get samples (): number {
    return this.count
  }

  mean (): number {
    return this.count > 0 ? this.sum / this.count : 0
  }

  stdDev (): number {
    if (this.count === 0) return 0
    const mean = this.sum / this.count
    return Math.sqrt(Math.max(0, this.sumSquares / this.count - mean * mean))
  }

  /** Like Akka: two samples at mean ± mean/4, so φ is meaningful from the second heartbeat on. */
  private seed (estimateMs: number): void {
    if (!(estimateMs > 0) || !Number.isFinite(estimateMs)) throw new RangeError(`firstHeartbeatEstimateMs must be finite and > 0, got ${estimateMs}`)
    const spread = estimateMs / 4
    this.addSample(estimateMs - spread)
    this.addSample(estimateMs + spread)
  }

  private addSample (interval: number): void {
    if (this.count === this.windowSize) {
      const evicted = this.intervals[this.next] as number
      this.sum -= evicted
      this.sumSquares -= evicted * evicted
    } else {
      this.count++
    }
    this.intervals[this.next] = interval
    this.next = (this.next + 1) % this.windowSize
    this.sum += interval
    this.sumSquares += interval * interval
  }
}

/**
 * φ for a silence of `elapsed` given a normal(mean, stdDev) inter-arrival distribution. Akka's logistic
 * approximation gives P(later than elapsed) = 1 / (1 + e^a) with a = y(1.5976 + 0.070566y²), y the z-score,
 * so φ = log10(1 + e^a), evaluated without overflow for large a.
 */
export function phiOf (elapsed: number, mean: number, stdDev: number): number {
  const y = (elapsed - mean) / stdDev
  const a = y * (1.5976 + 0.070566 * y * y)
  return a > 0
    ? (a + Math.log1p(Math.exp(-a))) / LN10
    : Math.log1p(Math.exp(a)) / LN10
}
