import { anomalousLinks, DEFAULT_ANOMALY_THRESHOLD } from '@fedmesh/learner'
import type { LinkHealthScore } from '@fedmesh/learner'

/** One link-health prediction, as the MAPE-K loop consumes it. */
export interface LinkHealthPrediction {
  /** Monotonic ms of the newest metric sample scored. */
  atMs: number
  /** Whole-node anomaly score: ~1 normal, >= threshold anomalous. */
  node: number
  /** Score per current neighbour (peer id). */
  links: Record<string, number>
  /** The node feature reconstructed worst: a hint at the cause ('rttMean', 'eventLoopLag', ...). */
  topFeature: string
  /** False until the running median rests on enough windows; early scores are rough. */
  calibrated: boolean
  /** Neighbours at or above the threshold, worst first. */
  anomalousLinks: string[]
  threshold: number
  /** Version of the local model that produced it. */
  modelVersion: number
}

export type PredictionListener = (prediction: LinkHealthPrediction) => void

/**
 * The predictions API for the MAPE-K loop: the newest link-health prediction and a subscription to every new one
 * (one per heartbeat once the learner runs). A listener that throws is reported and does not stop the others.
 */
export class Predictions {
  private readonly listeners = new Set<PredictionListener>()
  private current: LinkHealthPrediction | undefined

  constructor (readonly threshold = DEFAULT_ANOMALY_THRESHOLD, private readonly onListenerError: (err: unknown) => void = err => { console.error('fedmesh: prediction listener failed', err) }) {}

  /** Subscribe to every new prediction; returns the unsubscribe function. */
  onScore (listener: PredictionListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  latest (): LinkHealthPrediction | undefined {
    return this.current
  }

  /** Called by the learning loop with each new score. */
  publish (score: LinkHealthScore, modelVersion: number): LinkHealthPrediction {
    const prediction: LinkHealthPrediction = {
      atMs: score.atMs,
      node: score.node,
      links: { ...score.links },
      topFeature: score.nodeTopFeature,
      calibrated: score.calibrated,
      anomalousLinks: anomalousLinks(score, this.threshold),
      threshold: this.threshold,
      modelVersion
    }
    this.current = prediction
    for (const listener of [...this.listeners]) {
      try {
        listener(prediction)
      } catch (err) {
        this.onListenerError(err)
      }
    }
    return prediction
  }
}
