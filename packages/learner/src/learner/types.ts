import type { BackendReport, WasmPaths } from '../backend.ts'
import type { LocalData } from '../data.ts'
import type { ModelSpec, TaskName } from '../spec.ts'
import type { LinkHealthScore, ScoreOptions } from '../tasks/link-health/scorer.ts'
import type { MetricSample } from '../tasks/link-health/features.ts'
import type { EvaluateResult, TrainOptions, TrainResult } from '../trainer.ts'
import type { NamedWeights, WeightSlot } from '../weights.ts'

/** Serialisable learner settings (they cross into the worker). */
export interface LearnerInitOptions {
  /** Backend preference, best first (default ['wasm', 'cpu']). */
  backends?: string[]
  /** Where the wasm binaries are served (browser bundles; see WasmPaths). */
  wasmPaths?: WasmPaths
  /** The ten mnist digit file URLs, digits 0..9 (browser; Node uses mnistPackageSource instead). */
  mnistUrls?: string[]
  /** See TrainerOptions.yieldEveryMs. */
  yieldEveryMs?: number
}

export interface InitResult {
  backend: BackendReport
  task: TaskName
  layout: WeightSlot[]
  parameterCount: number
}

export interface TrainReport extends TrainResult {
  /**
   * Worst event-loop lag of the calling thread while this call ran, ms: about 0 for a worker learner (the page
   * stays responsive), about one yield slice for an in-process learner. NaN if not measured.
   */
  callerMaxLagMs: number
}

/**
 * One node's learner. `LearnerClient` runs it in a module Web Worker; `InProcessLearner` runs the same core in the
 * calling thread (Node, tests, 100-node swarms).
 */
export interface Learner {
  init(spec: ModelSpec, options?: LearnerInitOptions): Promise<InitResult>
  /** Train from `globalWeights` on local data; afterwards the served model (score/evaluate) is the local result. */
  train(globalWeights: NamedWeights, data: LocalData, options?: TrainOptions): Promise<TrainReport>
  /** link-health only: anomaly scores of the newest window of samples, using the served model. */
  score(window: MetricSample[], options?: ScoreOptions): Promise<LinkHealthScore>
  /** Loss/accuracy on `data`, of `weights` if given, else of the served model. */
  evaluate(data: LocalData, weights?: NamedWeights): Promise<EvaluateResult>
  /** The served model's weights. */
  getWeights(): Promise<NamedWeights>
  /** Serve these weights (e.g. the new global model after aggregation) and recalibrate the scorer. */
  setWeights(weights: NamedWeights): Promise<void>
  dispose(): Promise<void>
}
