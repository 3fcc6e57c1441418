import * as tf from '@tensorflow/tfjs'
import { taskExamples } from './data.ts'
import type { LocalData, NetworkExamples } from './data.ts'
import { TfModel } from './model/dense-network.ts'
import { mixSeed, seededRandom, shuffleInPlace } from './random.ts'
import { sharedScheduler } from './scheduler.ts'
import type { SliceScheduler } from './scheduler.ts'
import { validateModelSpec } from './spec.ts'
import type { ModelSpec } from './spec.ts'
import type { MnistDataset } from './tasks/mnist/dataset.ts'
import { initialWeights, subtractWeights } from './weights.ts'
import type { NamedWeights } from './weights.ts'

export interface MonotonicClock {
  now(): number
}

export interface TrainerOptions {
  /** Measures `ms` and decides when to yield (default performance.now). */
  clock?: MonotonicClock
  /**
   * Give the event loop a turn after this much continuous training (default 50 ms), so a worker can still
   * answer score requests and a Node process running 100 learners keeps its sockets alive. 0 = after every step.
   * The budget is per realm, not per trainer (see SliceScheduler).
   */
  yieldEveryMs?: number
  /** Default: sharedScheduler (one per realm). */
  scheduler?: SliceScheduler
  /** Required for the mnist task. */
  mnist?: MnistDataset
}

export interface TrainOptions {
  /** Seeds the local shuffle (e.g. mixSeed(nodeIndex, round)); default: spec.seed and a per-trainer counter. */
  seed?: number
}

export interface NetworkLoss {
  before: number
  after: number
  rows: number
}

export interface TrainResult {
  /** local − global, in the weight layout: what the node publishes. */
  delta: NamedWeights
  /** Training examples behind the delta (node windows or images). */
  samples: number
  /** Mean loss on the local data after training (row-weighted over networks). */
  loss: number
  /** The same, before the first step (with the global weights). */
  lossBefore: number
  losses: Record<string, NetworkLoss>
  steps: number
  /** Epochs in which some network took a step: fewer than the spec's localEpochs when maxLocalSteps cut them short. */
  epochs: number
  /** Wall time of the whole call, ms. */
  ms: number
  backend: string
}

export interface EvaluateResult {
  /** Mean loss (mse or cross-entropy). */
  loss: number
  /** Fraction correct, for classifiers. */
  accuracy?: number
  samples: number
  losses: Record<string, number>
}

const defaultClock: MonotonicClock = { now: () => performance.now() }

/**
 * Rows per chunk of a full-data loss pass: small enough that a chunk is a short uninterrupted piece of work
 * (the pass cooperates between chunks) and never one huge tensor.
 */
const EVAL_CHUNK_ROWS = 256

/** Called between chunks of work; returns a promise when the caller should wait for its next turn. */
type Cooperate = () => Promise<void> | undefined

/**
 * Local training for one node: set the global weights, run E epochs of minibatch steps on the local data,
 * return the delta. Owns its own tfjs variables; the tfjs backend must already be selected (selectBackend).
 */
export class Trainer {
  readonly spec: ModelSpec
  private readonly model: TfModel
  private readonly clock: MonotonicClock
  private readonly yieldEveryMs: number
  private readonly scheduler: SliceScheduler
  private readonly mnist: MnistDataset | undefined
  private calls = 0
  private busy = false

  constructor (spec: ModelSpec, options: TrainerOptions = {}) {
    validateModelSpec(spec)
    this.spec = spec
    this.clock = options.clock ?? defaultClock
    this.yieldEveryMs = options.yieldEveryMs ?? 50
    this.scheduler = options.scheduler ?? sharedScheduler
    this.mnist = options.mnist
    if (spec.task.name === 'mnist' && this.mnist === undefined) throw new Error('the mnist task needs TrainerOptions.mnist (loadMnist(source))')
    this.model = new TfModel(spec, initialWeights(spec))
  }

  async train (globalWeights: NamedWeights, data: LocalData, options: TrainOptions = {}): Promise<TrainResult> {
    if (this.busy) throw new Error('Trainer.train is already running; wait for it (LearnerCore queues calls for you)')
    this.busy = true
    const start = this.clock.now()
    // wait for the slice before any work, so 100 train calls started together queue instead of each running
    // its set-up in one uninterruptible burst
    const turn = this.scheduler.enter(this, this.yieldEveryMs)
    if (turn !== undefined) await turn
    try {
      return await this.runTraining(globalWeights, data, options, start)
    } finally {
      this.scheduler.leave(this)
      this.busy = false
    }
  }

  private async runTraining (globalWeights: NamedWeights, data: LocalData, options: TrainOptions, start: number): Promise<TrainResult> {
    const examples = taskExamples(this.spec, data, this.mnist)
    if (examples.samples === 0) {
      throw new RangeError(this.spec.task.name === 'link-health'
        ? `link-health training needs at least windowSize = ${this.spec.task.windowSize} samples`
        : 'training needs at least one example')
    }
    this.model.setWeights(globalWeights)
    const random = seededRandom(mixSeed(this.spec.seed, options.seed ?? this.calls, 0x7472))
    this.calls++

    // one optimiser per network: tfjs optimisers keep their slots (Adam moments) by position in the variable list
    const tensors = examples.networks.filter(e => e.rows > 0).map(e => ({
      examples: e,
      x: tf.tensor2d(e.x, [e.rows, e.width]),
      labels: e.labels === undefined ? undefined : tf.tensor1d(e.labels, 'int32'),
      optimizer: this.createOptimizer()
    }))
    const losses: Record<string, NetworkLoss> = {}
    let steps = 0
    let epochs = 0
    try {
      for (const t of tensors) losses[t.examples.network] = { before: await this.meanLoss(t.examples), after: NaN, rows: t.examples.rows }
      const batchSize = this.spec.batchSize
      const maxSteps = this.spec.maxLocalSteps ?? Infinity
      const stepsPerNetwork = new Map<string, number>()
      for (let epoch = 0; epoch < this.spec.localEpochs; epoch++) {
        const stepsBefore = steps
        for (const t of tensors) {
          const net = this.model.network(t.examples.network)
          const order = shuffleInPlace(Int32Array.from({ length: t.examples.rows }, (_, i) => i), random)
          for (let from = 0; from < order.length; from += batchSize) {
            const done = stepsPerNetwork.get(t.examples.network) ?? 0
            if (done >= maxSteps) break
            const batch = order.subarray(from, Math.min(order.length, from + batchSize))
            tf.tidy(() => {
              const idx = tf.tensor1d(batch, 'int32')
              const xb = tf.gather(t.x, idx) as tf.Tensor2D
              const target = t.labels === undefined ? xb : tf.gather(t.labels, idx)
              t.optimizer.minimize(() => net.loss(xb, target), false, net.variables)
            })
            stepsPerNetwork.set(t.examples.network, done + 1)
            steps++
            const turn = this.cooperate()
            if (turn !== undefined) await turn
          }
        }
        if (steps === stepsBefore) break
        epochs++
      }
      for (const t of tensors) losses[t.examples.network]!.after = await this.meanLoss(t.examples)
    } finally {
      for (const t of tensors) {
        t.optimizer.dispose()
        t.x.dispose()
        t.labels?.dispose()
      }
    }

    const local = this.model.getWeights()
    return {
      delta: subtractWeights(local, globalWeights),
      samples: examples.samples,
      loss: weightedLoss(losses, 'after'),
      lossBefore: weightedLoss(losses, 'before'),
      losses,
      steps,
      epochs,
      ms: this.clock.now() - start,
      backend: tf.getBackend()
    }
  }

  /** Loss (and accuracy for classifiers) of `weights` on `data`, using this trainer's variables. */
  async evaluate (weights: NamedWeights, data: LocalData): Promise<EvaluateResult> {
    if (this.busy) throw new Error('Trainer.evaluate called while training; wait for train to finish')
    this.busy = true
    const turn = this.scheduler.enter(this, this.yieldEveryMs)
    if (turn !== undefined) await turn
    try {
      this.model.setWeights(weights)
      return await evaluateModel(this.model, taskExamples(this.spec, data, this.mnist), () => this.cooperate())
    } finally {
      this.scheduler.leave(this)
      this.busy = false
    }
  }

  /** The weights the last train call ended with (the local model). */
  localWeights (): NamedWeights {
    return this.model.getWeights()
  }

  dispose (): void {
    this.model.dispose()
  }

  private async meanLoss (examples: NetworkExamples): Promise<number> {
    return (await evaluateNetwork(this.model, examples, () => this.cooperate())).loss
  }

  /** Let other work in this realm run if the shared slice is used up. */
  private cooperate (): Promise<void> | undefined {
    return this.scheduler.cooperate(this, this.yieldEveryMs)
  }

  private createOptimizer (): tf.Optimizer {
    const { name, learningRate, momentum } = this.spec.optimizer
    switch (name) {
      case 'sgd': return tf.train.sgd(learningRate)
      case 'momentum': return tf.train.momentum(learningRate, momentum ?? 0.9)
      case 'adam': return tf.train.adam(learningRate)
    }
  }
}

function weightedLoss (losses: Record<string, NetworkLoss>, which: 'before' | 'after'): number {
  let sum = 0
  let rows = 0
  for (const l of Object.values(losses)) {
    sum += l[which] * l.rows
    rows += l.rows
  }
  return rows === 0 ? NaN : sum / rows
}

/** Mean loss and correct count of one network over all its examples, in chunks. */
async function evaluateNetwork (model: TfModel, examples: NetworkExamples, cooperate?: Cooperate): Promise<{ loss: number, correct: number }> {
  const net = model.network(examples.network)
  let lossSum = 0
  let correct = 0
  for (let from = 0; from < examples.rows; from += EVAL_CHUNK_ROWS) {
    const rows = Math.min(EVAL_CHUNK_ROWS, examples.rows - from)
    const [loss, hits] = tf.tidy(() => {
      const x = tf.tensor2d(examples.x.subarray(from * examples.width, (from + rows) * examples.width), [rows, examples.width])
      if (examples.labels === undefined) return [net.loss(x, x).dataSync()[0]!, 0]
      const labels = tf.tensor1d(examples.labels.subarray(from, from + rows), 'int32')
      const predicted = tf.argMax(net.forward(x), 1)
      const hit = tf.sum(tf.cast(tf.equal(predicted, labels), 'int32')).dataSync()[0]!
      return [net.loss(x, labels).dataSync()[0]!, hit]
    })
    lossSum += loss * rows
    correct += hits
    const turn = cooperate?.()
    if (turn !== undefined) await turn
  }
  return { loss: examples.rows === 0 ? NaN : lossSum / examples.rows, correct }
}

/** Loss (row-weighted over networks) and, for a classifier, accuracy. */
export async function evaluateModel (
  model: TfModel,
  examples: { networks: NetworkExamples[], samples: number },
  cooperate: Cooperate = () => undefined
): Promise<EvaluateResult> {
  const losses: Record<string, number> = {}
  let lossSum = 0
  let rows = 0
  let accuracy: number | undefined
  for (const e of examples.networks) {
    if (e.rows === 0) continue
    const { loss, correct } = await evaluateNetwork(model, e, cooperate)
    losses[e.network] = loss
    lossSum += loss * e.rows
    rows += e.rows
    if (e.labels !== undefined) accuracy = correct / e.rows
  }
  const result: EvaluateResult = { loss: rows === 0 ? NaN : lossSum / rows, samples: examples.samples, losses }
  if (accuracy !== undefined) result.accuracy = accuracy
  return result
}
