import { sameShape } from '../quantize/types.ts'
import type { TensorSpec } from '../quantize/types.ts'
import type { GlobalModel } from '../wire/types.ts'
import { rejection } from './reasons.ts'
import type { Rejection } from './reasons.ts'

export interface GlobalModelExpectation {
  session: string
  /** Oldest acceptable round (models of earlier rounds are 'stale-round'). */
  minRound?: number
  /** Current coordinator term (models from an older term are 'stale-term'). */
  term?: number
  /** The model's tensors, in order. */
  shapes?: TensorSpec[]
  /** The coordinator this node recognises for `term`; another author is 'sender-mismatch'. */
  coordinator?: string
  /**
   * true: a header as gossiped (globalModelHeader), which must carry no weights; else the weights must match `shapes`.
   */
  header?: boolean
}

/**
 * Checks a decoded global model against what this node expects. A newer term or round than ours is fine here:
 * the global model is how a lagging node learns it is behind. `from` is the gossipsub-verified author, which must
 * be the coordinator named in the model. Never throws.
 */
export function checkGlobalModel (model: GlobalModel, expect: GlobalModelExpectation, from?: string): Rejection | undefined {
  try {
    if (from !== undefined && from !== model.coordinator) return rejection('sender-mismatch', `model says coordinator '${model.coordinator}' but was signed by '${from}'`)
    if (model.session !== expect.session) return rejection('wrong-session', `session '${model.session}', expected '${expect.session}'`)
    if (expect.term !== undefined && model.term < expect.term) return rejection('stale-term', `term ${model.term}, current term is ${expect.term}`)
    if (expect.minRound !== undefined && model.round < expect.minRound) return rejection('stale-round', `round ${model.round}, expected at least ${expect.minRound}`)
    if (expect.coordinator !== undefined && expect.term === model.term && model.coordinator !== expect.coordinator) {
      return rejection('sender-mismatch', `coordinator '${model.coordinator}', term ${model.term} belongs to '${expect.coordinator}'`)
    }
    if (expect.header === true) {
      if (model.tensors.length > 0) return rejection('shape-mismatch', `${model.tensors.length} tensors in a gossiped model, which carries its weights' digest only`)
      return undefined
    }
    if (expect.shapes !== undefined) {
      if (model.tensors.length !== expect.shapes.length) return rejection('shape-mismatch', `${model.tensors.length} tensors, the model has ${expect.shapes.length}`)
      for (let i = 0; i < expect.shapes.length; i++) {
        const t = model.tensors[i]
        const s = expect.shapes[i] as TensorSpec
        if (t === undefined || t.name !== s.name || !sameShape(t.shape, s.shape)) return rejection('shape-mismatch', `tensor ${i} is '${t?.name}', expected '${s.name}' [${s.shape.join(', ')}]`)
      }
    }
    for (const t of model.tensors) {
      for (let i = 0; i < t.data.length; i++) {
        if (!Number.isFinite(t.data[i])) return rejection('non-finite', `tensor '${t.name}': value ${t.data[i]} at index ${i}`)
      }
    }
    return undefined
  } catch (err) {
    return rejection('malformed', `unexpected error: ${err instanceof Error ? err.message : String(err)}`)
  }
}
