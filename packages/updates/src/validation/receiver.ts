import { Reassembler } from '../chunking/reassembler.ts'
import type { ChunkAdmission, InboundChunk, ReassemblerOptions } from '../chunking/reassembler.ts'
import { decodeGlobalModel } from '../wire/codec.ts'
import type { GlobalModel, ModelUpdate } from '../wire/types.ts'
import { checkGlobalModel } from './global-model.ts'
import type { GlobalModelExpectation } from './global-model.ts'
import { rejection, UpdateRejectCounters } from './reasons.ts'
import type { Rejection } from './reasons.ts'
import { UpdateValidator } from './update-validator.ts'
import type { UpdateExpectation, UpdateValidatorOptions } from './update-validator.ts'

export type ChunkProgress = { ok: true, complete: false, digest: string, received: number, count: number, duplicate: boolean }

export type UpdateReceiveResult =
  | ChunkProgress
  | { ok: true, complete: true, update: ModelUpdate, digest: string, from: string }
  | Rejection

export interface UpdateReceiverOptions extends Omit<ReassemblerOptions, 'admit' | 'counters' | 'maxPayloadBytes'>, Omit<UpdateValidatorOptions, 'counters'> {}

/**
 * Everything a node does with model-update chunks from gossipsub: routing checks before buffering,
 * reassembly, digest check, then the UpdateValidator. One set of counters for all of it.
 */
export class UpdateReceiver {
  readonly rejected = new UpdateRejectCounters()
  readonly validator: UpdateValidator
  readonly reassembler: Reassembler

  constructor (opts: UpdateReceiverOptions) {
    this.validator = new UpdateValidator({
      expect: opts.expect, maxNorm: opts.maxNorm, maxSamples: opts.maxSamples, maxPayloadBytes: opts.maxPayloadBytes, counters: this.rejected
    })
    this.reassembler = new Reassembler({ ...opts, maxPayloadBytes: undefined, counters: this.rejected, admit: c => this.admit(c) })
  }

  /** Moves to a new round (or term / base model) and drops partial payloads of earlier rounds. */
  expect (next: UpdateExpectation): void {
    this.validator.expect(next)
    this.reassembler.dropOlderThan(next.session, next.round)
  }

  /** Never throws. */
  accept (chunk: InboundChunk): UpdateReceiveResult {
    const r = this.reassembler.accept(chunk)
    if (!r.ok || !r.complete) return r
    const p = r.payload
    const v = this.validator.validate({ payload: p.payload, from: p.from, digest: p.digest, routing: p })
    if (!v.ok) return v
    return { ok: true, complete: true, update: v.update, digest: v.digest, from: p.from }
  }

  private admit (c: ChunkAdmission): Rejection | undefined {
    const limit = this.validator.payloadLimit
    if (c.totalBytes > limit) return rejection('oversized', `payload of ${c.totalBytes} bytes announced, cap for this model is ${limit}`)
    return this.validator.checkRouting(c)
  }
}

export type GlobalModelReceiveResult =
  | ChunkProgress
  | { ok: true, complete: true, model: GlobalModel, digest: string, from: string }
  | Rejection

export interface GlobalModelReceiverOptions extends Omit<ReassemblerOptions, 'admit' | 'counters'> {
  expect: GlobalModelExpectation
}

/** The same pipeline for the coordinator's global-model chunks. */
export class GlobalModelReceiver {
  readonly rejected = new UpdateRejectCounters()
  accepted = 0
  readonly reassembler: Reassembler
  private current: GlobalModelExpectation

  constructor (opts: GlobalModelReceiverOptions) {
    this.current = opts.expect
    this.reassembler = new Reassembler({ ...opts, counters: this.rejected, admit: c => this.admit(c) })
  }

  expect (next: GlobalModelExpectation): void {
    this.current = next
  }

  /** Never throws. */
  accept (chunk: InboundChunk): GlobalModelReceiveResult {
    const r = this.reassembler.accept(chunk)
    if (!r.ok || !r.complete) return r
    const p = r.payload
    const result = this.check(p.payload, p.from, p)
    if (!result.ok) this.rejected.count(result.reason)
    else this.accepted++
    return result.ok ? { ok: true, complete: true, model: result.model, digest: p.digest, from: p.from } : result
  }

  private check (payload: Uint8Array, from: string, routing: { session: string, round: number, term: number }): { ok: true, model: GlobalModel } | Rejection {
    const decoded = decodeGlobalModel(payload)
    if (!decoded.ok) return rejection(decoded.reason, decoded.detail)
    const model = decoded.value
    if (model.session !== routing.session || model.round !== routing.round || model.term !== routing.term) {
      return rejection('inconsistent-chunk', `chunks said ${routing.session}/${routing.round}/${routing.term}, payload says ${model.session}/${model.round}/${model.term}`)
    }
    const problem = checkGlobalModel(model, this.current, from)
    return problem ?? { ok: true, model }
  }

  private admit (c: ChunkAdmission): Rejection | undefined {
    const e = this.current
    if (c.kind !== 'global-model') return rejection('wrong-kind', `a ${c.kind} payload where global models are expected`)
    if (c.session !== e.session) return rejection('wrong-session', `session '${c.session}', expected '${e.session}'`)
    if (e.term !== undefined && c.term < e.term) return rejection('stale-term', `term ${c.term}, current term is ${e.term}`)
    if (e.minRound !== undefined && c.round < e.minRound) return rejection('stale-round', `round ${c.round}, expected at least ${e.minRound}`)
    // only the known coordinator of the current term may send its model; checked again on the payload
    if (e.coordinator !== undefined && c.term === e.term && c.from !== e.coordinator) {
      return rejection('sender-mismatch', `global-model chunk from '${c.from}', term ${c.term} belongs to '${e.coordinator}'`)
    }
    return undefined
  }
}
