import { digestUpdate } from '../digest/digest.ts'
import { elementCount, sameShape } from '../quantize/types.ts'
import type { TensorSpec } from '../quantize/types.ts'
import { decodeModelUpdate, findNonFinite } from '../wire/codec.ts'
import type { ChunkRouting, ModelUpdate } from '../wire/types.ts'
import { deltaNorm } from './norm.ts'
import { rejection, UpdateRejectCounters } from './reasons.ts'
import type { Rejection } from './reasons.ts'

/** What this round's updates must match. Moves with every round (UpdateValidator.expect). */
export interface UpdateExpectation {
  session: string
  round: number
  /** Current coordinator term. */
  term: number
  /**
   * Accept updates whatever their term. @fedmesh/rounds sets this: an update is tagged with round and base
   * version, so it stays valid when a new coordinator re-opens the round under a higher term (docs/protocol.md).
   */
  anyTerm?: boolean
  /** Version of the global model this round trains from. */
  baseVersion: number
  /** The model's tensors, in order. */
  shapes: TensorSpec[]
}

export interface UpdateValidatorOptions {
  expect: UpdateExpectation
  /** Upper bound on the L2 norm of a dequantised delta (pass Infinity to switch the check off explicitly). */
  maxNorm: number
  /** Largest accepted sample count; default 1_000_000. */
  maxSamples?: number
  /** Cap on an encoded update; default: the float32 encoding of `shapes` plus header room (the largest honest update). */
  maxPayloadBytes?: number
  /** Counters to count rejections into (share one with the Reassembler); default: own. */
  counters?: UpdateRejectCounters
}

/** A reassembled payload and where it came from. */
export interface InboundUpdate {
  payload: Uint8Array
  /** gossipsub-verified author of the chunks. */
  from?: string
  /** SHA-256 hex of the payload when already known (the Reassembler checked it); computed otherwise. */
  digest?: string
  /** The routing fields its chunks carried, to compare with the payload's own header. */
  routing?: ChunkRouting
}

export type UpdateValidationResult =
  | { ok: true, update: ModelUpdate, digest: string }
  | Rejection

export const DEFAULT_MAX_SAMPLES = 1_000_000

/**
 * Gatekeeper for reassembled model updates. Cheap checks first (size before decoding, header before values),
 * and the one-update-per-sender-per-round check last, so an update rejected for any other reason does not
 * use up its sender's slot.
 */
export class UpdateValidator {
  readonly rejected: UpdateRejectCounters
  accepted = 0
  private current: UpdateExpectation
  private readonly maxNorm: number
  private readonly maxSamples: number
  private readonly fixedMaxPayloadBytes: number | undefined
  private maxPayloadBytes: number
  /** Senders with an accepted update for the current session and round. */
  private seen = new Set<string>()

  constructor (opts: UpdateValidatorOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('UpdateValidator needs options { expect, maxNorm }')
    if (typeof opts.maxNorm !== 'number' || !(opts.maxNorm > 0)) throw new RangeError(`maxNorm must be a positive number (Infinity to disable), got ${String(opts.maxNorm)}`)
    this.maxNorm = opts.maxNorm
    this.maxSamples = opts.maxSamples ?? DEFAULT_MAX_SAMPLES
    if (!Number.isInteger(this.maxSamples) || this.maxSamples < 1) throw new RangeError(`maxSamples must be a positive integer, got ${this.maxSamples}`)
    this.fixedMaxPayloadBytes = opts.maxPayloadBytes
    this.rejected = opts.counters ?? new UpdateRejectCounters()
    this.current = checkExpectation(opts.expect)
    this.maxPayloadBytes = this.fixedMaxPayloadBytes ?? float32PayloadBound(this.current.shapes)
  }

  get expectation (): UpdateExpectation {
    return this.current
  }

  /** Largest encoded update accepted for the current shapes. */
  get payloadLimit (): number {
    return this.maxPayloadBytes
  }

  /** Moves to a new round, term or base model. Forgets who already sent an update when the session or round changes. */
  expect (next: UpdateExpectation): void {
    const checked = checkExpectation(next)
    if (checked.session !== this.current.session || checked.round !== this.current.round) this.seen = new Set()
    this.current = checked
    this.maxPayloadBytes = this.fixedMaxPayloadBytes ?? float32PayloadBound(checked.shapes)
  }

  /** Routing check alone (kind, session, round, term), for chunks before they are buffered. Does not count. */
  checkRouting (r: ChunkRouting): Rejection | undefined {
    const e = this.current
    if (r.kind !== 'model-update') return rejection('wrong-kind', `a ${r.kind} payload where model updates are expected`)
    if (r.session !== e.session) return rejection('wrong-session', `session '${r.session}', expected '${e.session}'`)
    if (r.round < e.round) return rejection('stale-round', `round ${r.round}, current round is ${e.round}`)
    if (r.round > e.round) return rejection('future-round', `round ${r.round}, current round is ${e.round}`)
    if (e.anyTerm === true) return undefined
    if (r.term < e.term) return rejection('stale-term', `term ${r.term}, current term is ${e.term}`)
    if (r.term > e.term) return rejection('future-term', `term ${r.term}, current term is ${e.term}`)
    return undefined
  }

  /** Never throws, whatever the input. */
  validate (input: InboundUpdate): UpdateValidationResult {
    let result: UpdateValidationResult
    try {
      result = this.check(input)
    } catch (err) {
      result = rejection('malformed', `unexpected error: ${err instanceof Error ? err.message : String(err)}`)
    }
    if (result.ok) this.accepted++
    else this.rejected.count(result.reason)
    return result
  }

  private check (input: InboundUpdate): UpdateValidationResult {
    const payload = input?.payload
    if (!(payload instanceof Uint8Array)) return rejection('malformed', 'payload is not a Uint8Array')
    if (payload.length > this.maxPayloadBytes) return rejection('oversized', `${payload.length} bytes, cap is ${this.maxPayloadBytes}`)
    const from = input.from
    if (typeof from !== 'string' || from === '') return rejection('unsigned', 'update has no verified author')

    const decoded = decodeModelUpdate(payload)
    if (!decoded.ok) return rejection(decoded.reason, decoded.detail)
    const update = decoded.value
    const e = this.current

    const r = input.routing
    if (r !== undefined && (r.kind !== 'model-update' || r.session !== update.session || r.round !== update.round || r.term !== update.term)) {
      return rejection('inconsistent-chunk', `chunks said ${r.kind} ${r.session}/${r.round}/${r.term}, payload says model-update ${update.session}/${update.round}/${update.term}`)
    }
    if (update.sender !== from) return rejection('sender-mismatch', `update says sender '${update.sender}' but was signed by '${from}'`)
    const routing = this.checkRouting({ kind: 'model-update', session: update.session, round: update.round, term: update.term })
    if (routing !== undefined) return routing
    if (update.baseVersion !== e.baseVersion) return rejection('wrong-base', `trained from model version ${update.baseVersion}, expected ${e.baseVersion}`)
    if (!(update.samples >= 1 && update.samples <= this.maxSamples)) return rejection('bad-samples', `samples ${update.samples}, must be in 1..${this.maxSamples}`)

    const shapeProblem = shapeMismatch(update, e.shapes)
    if (shapeProblem !== undefined) return rejection('shape-mismatch', shapeProblem)
    const nonFinite = findNonFinite(update.tensors)
    if (nonFinite !== undefined) return rejection('non-finite', nonFinite)
    const norm = deltaNorm(update.tensors)
    if (!(norm <= this.maxNorm)) return rejection('norm-bound', `L2 norm ${norm}, bound ${this.maxNorm}`)

    if (this.seen.has(update.sender)) return rejection('duplicate', `${update.sender} already has an accepted update for round ${update.round}`)
    this.seen.add(update.sender)
    return { ok: true, update, digest: input.digest ?? digestUpdate(payload) }
  }
}

function shapeMismatch (update: ModelUpdate, expected: readonly TensorSpec[]): string | undefined {
  if (update.tensors.length !== expected.length) return `${update.tensors.length} tensors, the model has ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    const t = update.tensors[i]
    const s = expected[i] as TensorSpec
    if (t === undefined || t.name !== s.name || !sameShape(t.shape, s.shape)) {
      return `tensor ${i} is '${t?.name}' [${t?.shape.join(', ')}], expected '${s.name}' [${s.shape.join(', ')}]`
    }
  }
  return undefined
}

function checkExpectation (e: UpdateExpectation): UpdateExpectation {
  if (e === null || typeof e !== 'object') throw new TypeError('expect must be { session, round, term, baseVersion, shapes }')
  if (typeof e.session !== 'string' || e.session === '') throw new TypeError('expect.session must be a non-empty string')
  for (const field of ['round', 'term', 'baseVersion'] as const) {
    if (!Number.isInteger(e[field]) || e[field] < 0) throw new RangeError(`expect.${field} must be a non-negative integer, got ${e[field]}`)
  }
  if (!Array.isArray(e.shapes) || e.shapes.length === 0) throw new TypeError('expect.shapes must list the model tensors ({ name, shape })')
  for (const s of e.shapes) {
    if (typeof s?.name !== 'string' || !Array.isArray(s.shape) || !s.shape.every(d => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(`expect.shapes entry '${String(s?.name)}' needs a name and an array of non-negative integer dimensions`)
    }
  }
  return { session: e.session, round: e.round, term: e.term, anyTerm: e.anyTerm === true, baseVersion: e.baseVersion, shapes: e.shapes.map(s => ({ name: s.name, shape: [...s.shape] })) }
}

/**
 * Size of the largest honest encoding of a delta with these shapes: float32 values (4 bytes each; int8 is
 * 1 byte, top-k at most ~2) plus, per tensor, its name and generous room for tags, lengths, shape and scale.
 */
export function float32PayloadBound (shapes: readonly TensorSpec[]): number {
  let bytes = 1024 // header: version, session, round, term, base, samples, sender
  for (const s of shapes) bytes += 4 * elementCount(s.shape) + 4 * s.name.length + 64 + 6 * s.shape.length
  return bytes
}
