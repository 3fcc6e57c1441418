import type { LocalData } from '../data.ts'
import type { ModelSpec } from '../spec.ts'
import type { MetricSample } from '../tasks/link-health/features.ts'
import type { LinkHealthScore, ScoreOptions } from '../tasks/link-health/scorer.ts'
import type { EvaluateResult, TrainOptions } from '../trainer.ts'
import type { NamedWeights } from '../weights.ts'
import { LearnerCore } from './core.ts'
import type { LearnerEnvironment } from './core.ts'
import { withLagMonitor } from './lag-monitor.ts'
import type { InitResult, Learner, LearnerInitOptions, TrainReport } from './types.ts'

/**
 * The Learner interface in the calling thread: what Node runs (one per simulated node; they share the tfjs
 * engine and, for mnist, one loaded dataset). Defaults to the cpu backend, since tfjs-node is not used.
 */
export class InProcessLearner implements Learner {
  private core: LearnerCore | undefined
  private readonly env: LearnerEnvironment

  constructor (env: LearnerEnvironment = {}) {
    this.env = env
  }

  async init (spec: ModelSpec, options: LearnerInitOptions = {}): Promise<InitResult> {
    if (this.core !== undefined) throw new Error('InProcessLearner.init was already called; create a new learner for a new spec')
    this.core = await LearnerCore.create(spec, { backends: ['cpu'], ...options }, this.env)
    return this.core.info
  }

  async train (globalWeights: NamedWeights, data: LocalData, options?: TrainOptions): Promise<TrainReport> {
    const core = this.ready()
    const { result, maxLagMs } = await withLagMonitor(() => core.train(globalWeights, data, options))
    return { ...result, callerMaxLagMs: maxLagMs }
  }

  async score (window: MetricSample[], options?: ScoreOptions): Promise<LinkHealthScore> {
    return this.ready().score(window, options)
  }

  async evaluate (data: LocalData, weights?: NamedWeights): Promise<EvaluateResult> {
    return await this.ready().evaluate(data, weights)
  }

  async getWeights (): Promise<NamedWeights> {
    return this.ready().getWeights()
  }

  async setWeights (weights: NamedWeights): Promise<void> {
    this.ready().setWeights(weights)
  }

  async dispose (): Promise<void> {
    await this.core?.dispose()
  }

  private ready (): LearnerCore {
    if (this.core === undefined) throw new Error('call init(spec) before using the learner')
    return this.core
  }
}
