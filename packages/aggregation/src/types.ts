/** One client's contribution to a round: a model delta and the number of training samples behind it. */
export interface ClientUpdate {
  /** Unique per round; also the canonical ordering key that makes aggregation deterministic. */
  id: string
  delta: Float32Array
  /** Self-reported, so only FedAvg uses it: robust rules ignore it because a Byzantine client could inflate it. */
  samples: number
}

export type RuleName = 'fedavg' | 'krum' | 'multi-krum' | 'median' | 'trimmed-mean' | 'bulyan' | 'centered-clipping'

export interface AggregatorSpec {
  rule: RuleName
  /** Number of Byzantine updates to tolerate (default 0). */
  f?: number
  /** Multi-Krum: how many best-scored updates to average (default n - f). */
  m?: number
  /** Trimmed mean: values dropped at each end of every coordinate (default f; must be >= f). */
  trim?: number
  /** Centered clipping: radius tau of the clipping ball around the current centre (required). */
  clipRadius?: number
  /** Centered clipping: number of clipping iterations L (default 1). */
  clipIterations?: number
  /** Nearest-neighbour mixing (Allouah et al. 2023) before the rule: each update becomes the mean of its n - f nearest. */
  nnm?: boolean
}

export interface AggregateOptions {
  /** Centered clipping's starting centre, normally the previous round's aggregate (default: the zero vector). */
  previous?: Float32Array
}

export interface AggregationResult {
  aggregate: Float32Array
  /**
   * Ids whose updates contributed. Rules that rank (krum, multi-krum, bulyan) list them best first;
   * the others list every contributing id in id order.
   */
  selected: string[]
  /**
   * The rule's per-update score, keyed by id in id order: the Krum score for krum, multi-krum and bulyan
   * (bulyan: the first-round score over all n updates), the final clipping factor min(1, tau/‖x - v‖)
   * for centered-clipping, NaN for rules without one (fedavg, median, trimmed-mean).
   */
  scores: Map<string, number>
  rule: RuleName
}
