import type { NamedWeights, WeightSlot } from '@fedmesh/learner'

/**
 * What a tab keeps across reloads: the model it holds and where it was in the session. `version` is the model's
 * version (the global model version once the training service runs; the count of local rounds before that),
 * `round` and `term` the session's round and the coordinator term it was in.
 */
export interface Checkpoint {
  session: string
  version: number
  round: number
  term: number
  /** In the learner's weight layout (`weightLayout(spec)` order). */
  weights: NamedWeights
  /** Wall-clock ms when it was written. */
  savedAt: number
}

/** Where checkpoints live: IndexedDB in a tab, a directory or memory in Node. One checkpoint per session. */
export interface CheckpointStore {
  /**
   * The session's checkpoint, or undefined if there is none. Throws CheckpointCorruptError if what is stored
   * cannot be read back as a checkpoint (use `resume` to turn that into "start fresh").
   */
  load(session: string): Promise<Checkpoint | undefined>
  /** Replace the session's checkpoint (atomically: a crash leaves the old one or the new one). */
  save(checkpoint: Checkpoint): Promise<void>
  /** Delete the session's checkpoint, or every checkpoint when no session is given. */
  clear(session?: string): Promise<void>
  /**
   * Delete the checkpoints last saved before `olderThan` (epoch ms), except the sessions in `keep`; returns how many.
   * Each tab keys its checkpoint by its own id, so a browser that opened many tabs over time keeps one per tab until
   * something removes them. Unreadable records are left alone (load reports them).
   */
  prune?(olderThan: number, keep?: readonly string[]): Promise<number>
  close?(): Promise<void>
}

/** Stored data that is not a readable checkpoint: truncated, wrong format, failed checksum, bad fields. */
export class CheckpointCorruptError extends Error {
  override name = 'CheckpointCorruptError'
}

/** The store itself cannot work (IndexedDB missing or refused, file system error). */
export class CheckpointStoreError extends Error {
  override name = 'CheckpointStoreError'
}

function isCount (x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

/**
 * Checks a value claiming to be a checkpoint; throws CheckpointCorruptError saying which field is wrong.
 * Weight values must be finite: a NaN in a saved model would poison every later round.
 */
export function validateCheckpoint (value: unknown, what = 'checkpoint'): Checkpoint {
  const bad = (detail: string): never => { throw new CheckpointCorruptError(`${what}: ${detail}`) }
  if (value === null || typeof value !== 'object') bad(`expected an object, got ${value === null ? 'null' : typeof value}`)
  const cp = value as Record<string, unknown>
  if (typeof cp.session !== 'string' || cp.session === '') bad('session must be a non-empty string')
  for (const key of ['version', 'round', 'term'] as const) {
    if (!isCount(cp[key])) bad(`${key} must be an integer >= 0, got ${String(cp[key])}`)
  }
  if (typeof cp.savedAt !== 'number' || !Number.isFinite(cp.savedAt)) bad(`savedAt must be a finite number, got ${String(cp.savedAt)}`)
  if (!Array.isArray(cp.weights)) bad('weights must be an array')
  const names = new Set<string>()
  ;(cp.weights as unknown[]).forEach((w, i) => {
    const t = w as { name?: unknown, shape?: unknown, data?: unknown } | null
    if (t === null || typeof t !== 'object') bad(`weights[${i}] is not an object`)
    if (typeof t!.name !== 'string' || t!.name === '') bad(`weights[${i}].name must be a non-empty string`)
    if (names.has(t!.name as string)) bad(`weights[${i}]: duplicate tensor name '${String(t!.name)}'`)
    names.add(t!.name as string)
    if (!Array.isArray(t!.shape) || !(t!.shape as unknown[]).every(isCount)) bad(`weights[${i}] '${String(t!.name)}': shape must be a list of integers >= 0`)
    if (!(t!.data instanceof Float32Array)) bad(`weights[${i}] '${String(t!.name)}': data must be a Float32Array`)
    const size = (t!.shape as number[]).reduce((a, b) => a * b, 1)
    const data = t!.data as Float32Array
    if (data.length !== size) bad(`weights[${i}] '${String(t!.name)}': shape [${(t!.shape as number[]).join(', ')}] needs ${size} values, got ${data.length}`)
    for (let k = 0; k < data.length; k++) {
      if (!Number.isFinite(data[k]!)) bad(`weights[${i}] '${String(t!.name)}': value ${k} is ${data[k]}`)
    }
  })
  return cp as unknown as Checkpoint
}

/** Why a checkpoint does not fit the model this tab runs (another spec, task or version of the code), or undefined. */
export function layoutMismatch (checkpoint: Checkpoint, layout: readonly WeightSlot[]): string | undefined {
  if (checkpoint.weights.length !== layout.length) {
    return `it has ${checkpoint.weights.length} tensors, the model has ${layout.length}`
  }
  for (let i = 0; i < layout.length; i++) {
    const w = checkpoint.weights[i]!
    const slot = layout[i]!
    if (w.name !== slot.name) return `tensor ${i} is '${w.name}', the model expects '${slot.name}'`
    if (w.shape.length !== slot.shape.length || w.shape.some((d, k) => d !== slot.shape[k])) {
      return `tensor '${slot.name}' has shape [${w.shape.join(', ')}], the model expects [${slot.shape.join(', ')}]`
    }
  }
  return undefined
}

/** Deep copy with fresh buffers, so a store never shares arrays with its caller. */
export function cloneCheckpoint (cp: Checkpoint): Checkpoint {
  return { ...cp, weights: cp.weights.map(w => ({ name: w.name, shape: [...w.shape], data: w.data.slice() })) }
}
