import { selectBackend } from '../backend.ts'
import type { BackendReport } from '../backend.ts'
import type { LocalData } from '../data.ts'
import { TfModel } from '../model/dense-network.ts'
import { validateModelSpec } from '../spec.ts'
import type { ModelSpec } from '../spec.ts'
import type { MetricSample } from '../tasks/link-health/features.ts'
import { LinkHealthScorer } from '../tasks/link-health/scorer.ts'
import type { LinkHealthScore, ScoreOptions } from '../tasks/link-health/scorer.ts'
import { loadMnist, urlMnistSource } from '../tasks/mnist/dataset.ts'
import type { MnistDataset, MnistSource } from '../tasks/mnist/dataset.ts'
import { Trainer } from '../trainer.ts'
import type { EvaluateResult, MonotonicClock, TrainOptions, TrainResult } from '../trainer.ts'
import { initialWeights, parameterCount, weightLayout } from '../weights.ts'
import type { NamedWeights } from '../weights.ts'
import type { InitResult, LearnerInitOptions } from './types.ts'

/** Non-serialisable extras for in-process use. */
export interface LearnerEnvironment {
  /** Overrides options.mnistUrls (Node: mnistPackageSource() from '@fedmesh/learner/node'). */
  mnistSource?: MnistSource
  clock?: MonotonicClock
}

/**
 * The learner itself, shared by the worker and the in-process implementation. It keeps two models: the trainer's
 * (rewritten by every train call) and the served one (the last trained or set weights) that score, getWeights and
 * evaluate use, so scoring during a training run (the trainer yields between steps) sees a consistent model.
 */
export class LearnerCore {
  readonly spec: ModelSpec
  /** Backend, layout and size, as reported by init. */
  readonly info: InitResult
  private readonly trainer: Trainer
  private readonly served: TfModel
  private readonly scorer: LinkHealthScorer | undefined
  /** Local samples of the last training run: recalibrates the scorer when the served weights change. */
  private calibrationSamples: MetricSample[] = []
  /** Serialises the calls that use the trainer's variables. */
  private queue: Promise<unknown> = Promise.resolve()
  private disposed = false

  private constructor (spec: ModelSpec, info: InitResult, mnist: MnistDataset | undefined, env: LearnerEnvironment, options: LearnerInitOptions) {
    this.spec = spec
    this.info = info
    const trainerOptions: ConstructorParameters<typeof Trainer>[1] = {}
    if (mnist !== undefined) trainerOptions.mnist = mnist
    if (env.clock !== undefined) trainerOptions.clock = env.clock
    if (options.yieldEveryMs !== undefined) trainerOptions.yieldEveryMs = options.yieldEveryMs
    this.trainer = new Trainer(spec, trainerOptions)
    this.served = new TfModel(spec, initialWeights(spec))
    if (spec.task.name === 'link-health') {
      this.scorer = new LinkHealthScorer(spec.task, (network, input) => this.served.predict(network, input.data, input.rows, input.width))
    }
  }

  /** Choose the backend, load the task's data if needed, build both models from initialWeights(spec). */
  static async create (spec: ModelSpec, options: LearnerInitOptions = {}, env: LearnerEnvironment = {}): Promise<LearnerCore> {
    validateModelSpec(spec)
    const backendOptions = options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }
    const backend: BackendReport = await selectBackend(options.backends ?? ['wasm', 'cpu'], backendOptions)
    let mnist: MnistDataset | undefined
    if (spec.task.name === 'mnist') {
      const source = env.mnistSource ?? (options.mnistUrls === undefined ? undefined : urlMnistSource(options.mnistUrls))
      if (source === undefined) {
        throw new Error('the mnist task needs its digits: pass mnistUrls (browser: import \'mnist/src/digits/<d>.json?url\') ' +
          'or, in Node, mnistSource: mnistPackageSource() from \'@fedmesh/learner/node\'')
      }
      mnist = await loadMnist(source)
    }
    const layout = weightLayout(spec)
    const info: InitResult = { backend, task: spec.task.name, layout, parameterCount: parameterCount(layout) }
    return new LearnerCore(spec, info, mnist, env, options)
  }

  train (globalWeights: NamedWeights, data: LocalData, options: TrainOptions = {}): Promise<TrainResult> {
    return this.exclusive(async () => {
      const result = await this.trainer.train(globalWeights, data, options)
      this.served.setWeights(this.trainer.localWeights())
      if (data.task === 'link-health') this.calibrationSamples = data.samples
      this.scorer?.calibrate(this.calibrationSamples)
      return result
    })
  }

  score (window: MetricSample[], options: ScoreOptions = {}): LinkHealthScore {
    this.assertOpen()
    if (this.scorer === undefined) throw new Error(`score() is for the link-health task; this learner runs '${this.spec.task.name}'`)
    return this.scorer.score(window, options)
  }

  /**
   * Evaluates on the trainer's variables (queued behind a running training), with a snapshot of the served
   * weights unless `weights` is given, so a concurrent setWeights cannot change the model halfway through.
   */
  evaluate (data: LocalData, weights?: NamedWeights): Promise<EvaluateResult> {
    return this.exclusive(async () => await this.trainer.evaluate(weights ?? this.served.getWeights(), data))
  }

  getWeights (): NamedWeights {
    this.assertOpen()
    return this.served.getWeights()
  }

  setWeights (weights: NamedWeights): void {
    this.assertOpen()
    this.served.setWeights(weights)
    this.scorer?.calibrate(this.calibrationSamples)
  }

  dispose (): Promise<void> {
    return this.exclusive(async () => {
      this.disposed = true
      this.trainer.dispose()
      this.served.dispose()
    })
  }

  private assertOpen (): void {
    if (this.disposed) throw new Error('this learner has been disposed')
  }

  private exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      this.assertOpen()
      return fn()
    })
    this.queue = run.catch(() => undefined)
    return run
  }
}
