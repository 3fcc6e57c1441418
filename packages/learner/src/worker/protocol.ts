import type { LocalData } from '../data.ts'
import type { LearnerInitOptions } from '../learner/types.ts'
import type { ModelSpec } from '../spec.ts'
import type { MetricSample } from '../tasks/link-health/features.ts'
import type { ScoreOptions } from '../tasks/link-health/scorer.ts'
import type { TrainOptions } from '../trainer.ts'
import type { NamedWeights } from '../weights.ts'

/** Messages from the page to the learner worker; every one is answered by a LearnerResponse with the same id. */
export type LearnerRequest =
  | { id: number, type: 'init', spec: ModelSpec, options: LearnerInitOptions }
  | { id: number, type: 'train', weights: NamedWeights, data: LocalData, options?: TrainOptions }
  | { id: number, type: 'score', window: MetricSample[], options?: ScoreOptions }
  | { id: number, type: 'evaluate', data: LocalData, weights?: NamedWeights }
  | { id: number, type: 'getWeights' }
  | { id: number, type: 'setWeights', weights: NamedWeights }
  | { id: number, type: 'dispose' }

export type LearnerRequestType = LearnerRequest['type']

export interface SerialisedError {
  name: string
  message: string
  stack?: string
}

export type LearnerResponse =
  | { id: number, ok: true, result: unknown }
  | { id: number, ok: false, error: SerialisedError }

/** Minimal shape of both ends: a Worker, a DedicatedWorkerGlobalScope, or a MessagePort (tests). */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void
  /** MessagePort needs start() when listened to with addEventListener; workers do not have it. */
  start?(): void
}

/**
 * The distinct ArrayBuffers behind every Float32Array in a weights list (or a value holding one under `delta`),
 * for postMessage's transfer list. Distinct because transferring one buffer twice throws DataCloneError.
 */
export function weightBuffers (value: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>()
  const visit = (weights: unknown): void => {
    if (!Array.isArray(weights)) return
    for (const w of weights) {
      const data = (w as { data?: unknown } | null)?.data
      if (data instanceof Float32Array && data.buffer instanceof ArrayBuffer) buffers.add(data.buffer)
    }
  }
  visit(value)
  visit((value as { delta?: unknown } | null)?.delta)
  return [...buffers]
}

export function serialiseError (err: unknown): SerialisedError {
  if (err instanceof Error) {
    const out: SerialisedError = { name: err.name, message: err.message }
    if (err.stack !== undefined) out.stack = err.stack
    return out
  }
  return { name: 'Error', message: String(err) }
}
