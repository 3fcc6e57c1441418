/**
 * The tab's local learning loop: collects the node's own metric samples, trains the learner on a schedule (the
 * learner is a worker, so the page only waits on messages), scores every new sample for the predictions API,
 * checkpoints the model after each run and resumes from the checkpoint after a reload.
 *
 * No DOM, no tfjs, no libp2p: the learner, the timer, the clock and the store are injected, so Node tests drive it
 * with an InProcessLearner and a memory store. The training service (federated rounds) will take the same Learner
 * from the app; until then every run continues from this tab's own previous model.
 */
import { resume } from '@fedmesh/checkpoint'
import type { CheckpointStore } from '@fedmesh/checkpoint'
import { mixSeed } from '@fedmesh/learner'
import type { InitResult, Learner, LearnerInitOptions, LocalData, MetricSample, ModelSpec, NamedWeights, TrainReport } from '@fedmesh/learner'
import { initialWeights } from '@fedmesh/learner'
import type { LearningStatus } from '@fedmesh/node'
import { Predictions } from './predictions.ts'

export interface LocalLearningOptions {
  learner: Learner
  spec: ModelSpec
  initOptions?: LearnerInitOptions
  /** Checkpoint key: one checkpoint per key. */
  checkpointKey: string
  /** Where checkpoints go; none = no persistence. */
  store?: CheckpointStore
  /** Training period, ms. */
  learnEveryMs: number
  /** Periodic timer, e.g. the node's Ticker.every (keeps pace in hidden tabs). Returns a stop function. */
  every: (ms: number, fn: () => void) => () => void
  /** Wall clock for checkpoint times. */
  wallNow?: () => number
  /**
   * Checkpoints of other keys (other tabs, other sessions) not saved for this long are deleted at start; default 7
   * days. Every tab keys its checkpoint by its own id, so without this a browser keeps one per tab it ever opened.
   */
  checkpointRetentionMs?: number
  /** mnist: this tab's local data (link-health trains on the collected samples instead). */
  mnistData?: LocalData
  /** Metric samples kept for training (newest; default 240, four minutes at 1 s heartbeats). */
  maxSamples?: number
  predictions?: Predictions
}

const LOSS_HISTORY = 20
const CHECKPOINT_RETENTION_MS = 7 * 24 * 3600_000

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export class LocalLearning {
  readonly predictions: Predictions
  private readonly o: LocalLearningOptions
  private readonly wallNow: () => number
  private readonly maxSamples: number
  private readonly samples: MetricSample[] = []
  private weights: NamedWeights | undefined
  private info: InitResult | undefined
  private stopTimer: (() => void) | undefined
  private training = false
  private scoring = false
  private rescore = false
  private stopped = false
  private readonly s: LearningStatus
  /** Session round and coordinator term of the model held (0 until the training service hands one over). */
  private position = { round: 0, term: 0 }

  constructor (options: LocalLearningOptions) {
    this.o = options
    this.wallNow = options.wallNow ?? Date.now
    this.maxSamples = options.maxSamples ?? 240
    this.predictions = options.predictions ?? new Predictions()
    this.s = { task: options.spec.task.name, state: 'starting', modelVersion: 0, samples: 0, runs: 0, losses: [] }
    if (options.mnistData !== undefined) this.s.samples = sampleCount(options.mnistData)
  }

  /** Start the learner (backend choice), resume from the checkpoint if there is a usable one, start the schedule. */
  async start (): Promise<void> {
    try {
      this.info = await this.o.learner.init(this.o.spec, this.o.initOptions)
      this.s.backend = this.info.backend.active
      this.s.parameterCount = this.info.parameterCount
      if (this.info.backend.fallbacks.length > 0) {
        this.s.fallbackReason = this.info.backend.fallbacks.map(f => `${f.backend}: ${f.reason}`).join('; ')
      }
      let weights = initialWeights(this.o.spec)
      if (this.o.store !== undefined) {
        const { checkpoint, problem } = await resume(this.o.store, this.o.checkpointKey, this.info.layout)
        if (problem !== undefined) this.s.checkpointProblem = problem
        if (checkpoint !== undefined) {
          weights = checkpoint.weights
          this.s.modelVersion = checkpoint.version
          this.s.resumedFrom = checkpoint.version
          this.position = { round: checkpoint.round, term: checkpoint.term }
          await this.o.learner.setWeights(weights)
        }
        await this.pruneCheckpoints(this.o.store)
      }
      this.weights = weights
      if (this.stopped) return
      this.s.state = this.enoughData() ? 'idle' : 'collecting'
      this.stopTimer = this.o.every(this.o.learnEveryMs, () => { void this.trainOnce() })
    } catch (err) {
      this.s.state = 'error'
      this.s.error = messageOf(err)
      throw err
    }
  }

  /**
   * Run the local-only schedule or not. The app turns it off while a federated session runs (the training service
   * then trains this tab's learner once per round) and back on when the session goes quiet.
   */
  setScheduled (on: boolean): void {
    if (this.stopped || this.weights === undefined) return
    if (!on) {
      this.stopTimer?.()
      this.stopTimer = undefined
    } else {
      this.stopTimer ??= this.o.every(this.o.learnEveryMs, () => { void this.trainOnce() })
    }
  }

  /** What a training run would train on now, or undefined while there is too little (the training service's data). */
  localData (): LocalData | undefined {
    if (this.stopped || !this.enoughData()) return undefined
    return this.o.mnistData ?? { task: 'link-health', samples: [...this.samples] }
  }

  /** The model held after start(): resumed or version 0, with its session round and term (undefined before start). */
  held (): { weights: NamedWeights, version: number, round: number, term: number } | undefined {
    if (this.weights === undefined) return undefined
    return { weights: this.weights, version: this.s.modelVersion, ...this.position }
  }

  /** A new metric sample of this tab (link-health): kept for training and scored at once. */
  addSample (sample: MetricSample): void {
    if (this.o.spec.task.name !== 'link-health' || this.stopped) return
    this.samples.push(sample)
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples)
    this.s.samples++
    if (this.s.state === 'collecting' && this.enoughData()) this.s.state = 'idle'
    void this.score()
  }

  private async pruneCheckpoints (store: CheckpointStore): Promise<void> {
    if (store.prune === undefined) return
    const wallNow = this.o.wallNow ?? Date.now
    try {
      const pruned = await store.prune(wallNow() - (this.o.checkpointRetentionMs ?? CHECKPOINT_RETENTION_MS), [this.o.checkpointKey])
      this.s.checkpoint = { ...this.s.checkpoint, pruned }
    } catch (err) {
      // cleanup is best effort: the tab learns all the same
      this.s.checkpoint = { ...this.s.checkpoint, lastError: messageOf(err) }
    }
  }

  /** One training run now, unless one is running or there is too little data. Resolves to its report, if it ran. */
  async trainOnce (): Promise<TrainReport | undefined> {
    if (this.training || this.stopped || this.weights === undefined || !this.enoughData()) return undefined
    this.training = true
    this.s.state = 'training'
    try {
      const data: LocalData = this.o.mnistData ?? { task: 'link-health', samples: [...this.samples] }
      const report = await this.o.learner.train(this.weights, data, { seed: mixSeed(this.o.spec.seed, this.s.modelVersion + 1) })
      // the worker serves exactly the trained weights: keep those bits rather than base + delta (float rounding)
      this.weights = await this.o.learner.getWeights()
      this.s.modelVersion++
      this.s.runs++
      this.s.trainedSamples = report.samples
      this.s.lastLoss = report.loss
      this.s.lastLossBefore = report.lossBefore
      this.s.losses = [...this.s.losses, report.loss].slice(-LOSS_HISTORY)
      this.s.lastTrainMs = report.ms
      this.s.lastSteps = report.steps
      this.s.epochMs = report.epochs > 0 ? report.ms / report.epochs : report.ms
      if (Number.isFinite(report.callerMaxLagMs)) {
        this.s.lastLagMs = report.callerMaxLagMs
        this.s.worstLagMs = Math.max(this.s.worstLagMs ?? 0, report.callerMaxLagMs)
      }
      delete this.s.error
      await this.checkpoint()
      return report
    } catch (err) {
      if (!this.stopped) this.s.error = `training failed: ${messageOf(err)}`
      return undefined
    } finally {
      this.training = false
      if (this.s.state === 'training') this.s.state = 'idle'
    }
  }

  /**
   * Serve `weights` as this tab's model from now on (e.g. a verified global model from the training service):
   * the learner serves and recalibrates on them, later runs continue from them, and they are checkpointed with the
   * session's round and term.
   */
  async adopt (weights: NamedWeights, version: number, position: { round: number, term: number } = { round: 0, term: 0 }): Promise<void> {
    if (this.info === undefined) throw new Error('LocalLearning.adopt before start() finished')
    await this.o.learner.setWeights(weights)
    this.weights = weights.map(w => ({ name: w.name, shape: [...w.shape], data: w.data.slice() }))
    this.s.modelVersion = version
    this.position = position
    await this.checkpoint()
  }

  status (): LearningStatus {
    const s = { ...this.s, losses: [...this.s.losses] }
    const p = this.predictions.latest()
    if (p !== undefined) {
      s.anomaly = { atMs: p.atMs, node: p.node, links: { ...p.links }, topFeature: p.topFeature, calibrated: p.calibrated, anomalousLinks: [...p.anomalousLinks] }
    }
    if (this.s.checkpoint !== undefined) s.checkpoint = { ...this.s.checkpoint }
    return s
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.stopTimer?.()
    this.s.state = 'disabled'
    await this.o.learner.dispose().catch(() => {})
  }

  private enoughData (): boolean {
    if (this.o.mnistData !== undefined) return true
    const spec = this.o.spec
    // two windows' worth: one window is a single training example
    return spec.task.name === 'link-health' && this.samples.length >= 2 * spec.task.windowSize
  }

  private async score (): Promise<void> {
    if (this.weights === undefined) return
    if (this.scoring) {
      this.rescore = true
      return
    }
    this.scoring = true
    try {
      do {
        this.rescore = false
        const windowSize = this.o.spec.task.name === 'link-health' ? this.o.spec.task.windowSize : 1
        const score = await this.o.learner.score(this.samples.slice(-windowSize))
        if (this.stopped) return
        this.predictions.publish(score, this.s.modelVersion)
      } while (this.rescore)
    } catch (err) {
      if (!this.stopped) this.s.error = `scoring failed: ${messageOf(err)}`
    } finally {
      this.scoring = false
    }
  }

  private async checkpoint (): Promise<void> {
    if (this.o.store === undefined || this.weights === undefined) return
    const savedAt = this.wallNow()
    const version = this.s.modelVersion
    try {
      await this.o.store.save({ session: this.o.checkpointKey, version, ...this.position, weights: this.weights, savedAt })
      this.s.checkpoint = { version, savedAt }
    } catch (err) {
      this.s.checkpoint = { ...this.s.checkpoint, lastError: messageOf(err) }
    }
  }
}

function sampleCount (data: LocalData): number {
  return data.task === 'mnist' ? data.indices.length : data.samples.length
}
