import type { LinkHealthTaskSpec } from '../../spec.ts'
import { linkHealthExamples, linkHealthWindow, NODE_FEATURE_NAMES, NODE_FEATURES } from './features.ts'
import type { FeatureMatrix, MetricSample, NodeFeatureName } from './features.ts'

/**
 * What the MAPE-K loop reads. Scores are reconstruction errors divided by the running median error of recent
 * windows, so about 1 is normal for this tab; DEFAULT_ANOMALY_THRESHOLD (3) is a sensible alarm level.
 */
export interface LinkHealthScore {
  /** atMs of the newest sample scored. */
  atMs: number
  /** Whole-node score. */
  node: number
  /** Score per current neighbour (peer id), from the link network. */
  links: Record<string, number>
  /** Raw mean squared reconstruction errors, for logging and tuning. */
  nodeError: number
  linkErrors: Record<string, number>
  /** The node feature the model reconstructed worst: a hint at the cause (e.g. 'rttMean', 'eventLoopLag'). */
  nodeTopFeature: NodeFeatureName
  /** False until the running median rests on enough windows (CALIBRATION_MIN); early scores are rough. */
  calibrated: boolean
}

export const DEFAULT_ANOMALY_THRESHOLD = 3
/** Node errors needed before scores count as calibrated. */
export const CALIBRATION_MIN = 8

/** Links whose score is at or above `threshold`, worst first. */
export function anomalousLinks (score: LinkHealthScore, threshold = DEFAULT_ANOMALY_THRESHOLD): string[] {
  return Object.entries(score.links).filter(([, s]) => s >= threshold).sort((a, b) => b[1] - a[1]).map(([peer]) => peer)
}

/**
 * Median of the last `capacity` values. The median, not the mean, is the baseline so a burst of anomalous
 * windows (up to half the history) does not teach the scorer that anomalies are normal.
 */
export class RunningMedian {
  private readonly values: number[] = []
  private next = 0
  readonly capacity: number

  constructor (capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RunningMedian capacity must be an integer >= 1, got ${capacity}`)
    this.capacity = capacity
  }

  get size (): number {
    return this.values.length
  }

  push (value: number): void {
    if (!Number.isFinite(value)) return
    if (this.values.length < this.capacity) this.values.push(value)
    else this.values[this.next] = value
    this.next = (this.next + 1) % this.capacity
  }

  /** Replace the history with (the last `capacity` of) `values`. */
  reset (values: Iterable<number> = []): void {
    this.values.length = 0
    this.next = 0
    for (const v of values) this.push(v)
  }

  median (): number | undefined {
    if (this.values.length === 0) return undefined
    const sorted = [...this.values].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  }
}

/** Runs one network on a row-major matrix and returns its outputs (same shape for an autoencoder). */
export type Reconstruct = (network: 'node' | 'link', input: FeatureMatrix) => Float32Array

/** Per-row mean squared error between input and reconstruction. */
function rowErrors (input: FeatureMatrix, output: Float32Array): Float64Array {
  const errors = new Float64Array(input.rows)
  for (let r = 0; r < input.rows; r++) {
    let sum = 0
    for (let c = 0; c < input.width; c++) {
      const d = input.data[r * input.width + c]! - output[r * input.width + c]!
      sum += d * d
    }
    errors[r] = sum / input.width
  }
  return errors
}

export interface ScoreOptions {
  /** Add this window's errors to the running history (default true). Use false to score hypotheticals. */
  observe?: boolean
}

/**
 * Anomaly scores for the link-health task. Model-agnostic: `reconstruct` runs whatever weights are current,
 * and `calibrate` re-bases the history whenever those weights change.
 */
export class LinkHealthScorer {
  private readonly task: LinkHealthTaskSpec
  private readonly reconstruct: Reconstruct
  private readonly nodeHistory: RunningMedian
  private readonly linkHistory: RunningMedian

  constructor (task: LinkHealthTaskSpec, reconstruct: Reconstruct) {
    this.task = task
    this.reconstruct = reconstruct
    this.nodeHistory = new RunningMedian(task.historySize)
    this.linkHistory = new RunningMedian(task.historySize * 4)
  }

  /**
   * Start the history over from the errors of the current model on `samples` (typically the data it was just
   * trained on); with no samples the history is simply cleared.
   */
  calibrate (samples: readonly MetricSample[] = []): void {
    const examples = linkHealthExamples(samples, this.task.windowSize)
    this.nodeHistory.reset(examples.node.rows > 0 ? rowErrors(examples.node, this.reconstruct('node', examples.node)) : [])
    this.linkHistory.reset(examples.link.rows > 0 ? rowErrors(examples.link, this.reconstruct('link', examples.link)) : [])
  }

  score (window: readonly MetricSample[], options: ScoreOptions = {}): LinkHealthScore {
    const features = linkHealthWindow(window, this.task.windowSize)
    const nodeInput: FeatureMatrix = { data: features.node, rows: 1, width: features.node.length }
    const nodeOutput = this.reconstruct('node', nodeInput)
    const nodeError = rowErrors(nodeInput, nodeOutput)[0]!

    // which feature (summed over the window's positions) was reconstructed worst
    const perFeature = new Float64Array(NODE_FEATURES)
    for (let i = 0; i < features.node.length; i++) {
      const d = features.node[i]! - nodeOutput[i]!
      perFeature[i % NODE_FEATURES]! += d * d
    }
    let top = 0
    for (let f = 1; f < NODE_FEATURES; f++) if (perFeature[f]! > perFeature[top]!) top = f

    const linkErrors: Record<string, number> = {}
    const links: Record<string, number> = {}
    const linkBaseline = this.baseline(this.linkHistory)
    if (features.links.rows > 0) {
      const errors = rowErrors(features.links, this.reconstruct('link', features.links))
      features.peerIds.forEach((peerId, r) => {
        linkErrors[peerId] = errors[r]!
        links[peerId] = this.normalise(errors[r]!, linkBaseline)
      })
    }
    const result: LinkHealthScore = {
      atMs: features.atMs,
      node: this.normalise(nodeError, this.baseline(this.nodeHistory)),
      links,
      nodeError,
      linkErrors,
      nodeTopFeature: NODE_FEATURE_NAMES[top]!,
      calibrated: this.nodeHistory.size >= CALIBRATION_MIN
    }
    if (options.observe !== false) {
      this.nodeHistory.push(nodeError)
      for (const e of Object.values(linkErrors)) this.linkHistory.push(e)
    }
    return result
  }

  private baseline (history: RunningMedian): number | undefined {
    const median = history.median()
    return median === undefined ? undefined : Math.max(median, this.task.errorFloor)
  }

  /** error / baseline; with no history yet the error is its own baseline (score <= 1, and calibrated is false). */
  private normalise (error: number, baseline: number | undefined): number {
    return error / (baseline ?? Math.max(error, this.task.errorFloor))
  }
}
