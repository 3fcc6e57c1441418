import type { LocalData } from '../data.ts'
import type { InitResult, Learner, LearnerInitOptions, TrainReport } from '../learner/types.ts'
import { EventLoopLagMonitor } from '../learner/lag-monitor.ts'
import type { ModelSpec } from '../spec.ts'
import type { MetricSample } from '../tasks/link-health/features.ts'
import type { LinkHealthScore, ScoreOptions } from '../tasks/link-health/scorer.ts'
import type { EvaluateResult, TrainOptions, TrainResult } from '../trainer.ts'
import { cloneWeights } from '../weights.ts'
import type { NamedWeights } from '../weights.ts'
import { weightBuffers } from './protocol.ts'
import type { LearnerRequest, LearnerResponse, MessageEndpoint, SerialisedError } from './protocol.ts'

/** A worker (or a MessagePort in tests): a message endpoint that may also report load errors and be terminated. */
export interface WorkerLike extends MessageEndpoint {
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  addEventListener(type: 'error', listener: (event: ErrorEvent | Event) => void): void
  terminate?(): void
}

/** An error thrown inside the worker, rebuilt on this side with its original name. */
export class LearnerWorkerError extends Error {
  readonly remoteStack: string | undefined
  constructor (error: SerialisedError) {
    super(error.message)
    this.name = error.name
    this.remoteStack = error.stack
  }
}

type RequestBody = LearnerRequest extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never

interface Pending {
  resolve: (value: unknown) => void
  reject: (reason: unknown) => void
}

/**
 * The Learner interface on the page's main thread, backed by a module worker running LearnerCore. Calls are
 * promises; weights sent to the worker are copied (the caller keeps its arrays), weights coming back are transferred.
 * `train` also reports the main thread's worst event-loop lag during the call (training must not block the page).
 */
export class LearnerClient implements Learner {
  private readonly worker: WorkerLike
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private failure: Error | undefined

  constructor (worker: WorkerLike) {
    this.worker = worker
    worker.addEventListener('message', (event: MessageEvent) => this.onMessage(event.data as LearnerResponse))
    worker.addEventListener('error', (event: ErrorEvent | Event) => {
      const detail = 'message' in event && typeof event.message === 'string' && event.message !== '' ? `: ${event.message}` : ''
      this.fail(new Error(`the learner worker failed${detail} (did the module worker load? is it started with { type: 'module' }?)`))
    })
    worker.start?.()
  }

  init (spec: ModelSpec, options: LearnerInitOptions = {}): Promise<InitResult> {
    return this.request<InitResult>({ type: 'init', spec, options })
  }

  async train (globalWeights: NamedWeights, data: LocalData, options?: TrainOptions): Promise<TrainReport> {
    const monitor = new EventLoopLagMonitor()
    monitor.start()
    try {
      const weights = cloneWeights(globalWeights)
      const body: RequestBody = options === undefined ? { type: 'train', weights, data } : { type: 'train', weights, data, options }
      const result = await this.request<TrainResult>(body, weightBuffers(weights))
      return { ...result, callerMaxLagMs: Math.max(0, monitor.stop()) }
    } finally {
      monitor.stop()
    }
  }

  score (window: MetricSample[], options?: ScoreOptions): Promise<LinkHealthScore> {
    return this.request<LinkHealthScore>(options === undefined ? { type: 'score', window } : { type: 'score', window, options })
  }

  evaluate (data: LocalData, weights?: NamedWeights): Promise<EvaluateResult> {
    if (weights === undefined) return this.request<EvaluateResult>({ type: 'evaluate', data })
    const copy = cloneWeights(weights)
    return this.request<EvaluateResult>({ type: 'evaluate', data, weights: copy }, weightBuffers(copy))
  }

  getWeights (): Promise<NamedWeights> {
    return this.request<NamedWeights>({ type: 'getWeights' })
  }

  async setWeights (weights: NamedWeights): Promise<void> {
    const copy = cloneWeights(weights)
    await this.request({ type: 'setWeights', weights: copy }, weightBuffers(copy))
  }

  /** Dispose the worker's tensors, then terminate the worker. */
  async dispose (): Promise<void> {
    try {
      if (this.failure === undefined) await this.request({ type: 'dispose' })
    } finally {
      this.worker.terminate?.()
      this.fail(new Error('the learner was disposed'))
    }
  }

  private request<T> (body: RequestBody, transfer: Transferable[] = []): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      try {
        this.worker.postMessage({ ...body, id }, transfer)
      } catch (err) {
        this.pending.delete(id)
        reject(err)
      }
    })
  }

  private onMessage (response: LearnerResponse): void {
    const pending = this.pending.get(response?.id)
    if (pending === undefined) return
    this.pending.delete(response.id)
    if (response.ok) pending.resolve(response.result)
    else pending.reject(new LearnerWorkerError(response.error))
  }

  /** Reject everything in flight and every later call. */
  private fail (error: Error): void {
    this.failure ??= error
    for (const p of this.pending.values()) p.reject(error)
    this.pending.clear()
  }
}
