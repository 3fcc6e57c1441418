import { digestWeights } from '@fedmesh/updates'
import type { GlobalModel, Tensor } from '@fedmesh/updates'

/** A global model this node holds. Version v is the output of round v (version 0: the initial model). */
export interface HeldModel {
  version: number
  /** Term of the coordinator that produced it (0 for the initial model). */
  term: number
  tensors: Tensor[]
  /** digestWeights(tensors). */
  digest: string
  /** The announcement it came with, to serve late joiners (absent for an initial model without one). */
  global?: GlobalModel
  /** true when this node recomputed it (or computed it as coordinator); false when adopted from a fetch. */
  verified: boolean
}

export function heldModel (tensors: Tensor[], version: number, term: number, verified: boolean, global?: GlobalModel): HeldModel {
  return { version, term, tensors, digest: global?.weightsDigest ?? digestWeights(tensors), verified, ...(global !== undefined ? { global } : {}) }
}

/**
 * The current model and the one before it. The previous one is kept for one case: the old coordinator's model
 * for round r reached this node, but a new coordinator (higher term) that never saw it re-opens round r on the
 * previous base. Higher term wins, so this node rolls back and follows (design: failover).
 */
export class ModelState {
  current: HeldModel
  previous: HeldModel | undefined

  constructor (initial: HeldModel) {
    this.current = initial
  }

  get version (): number {
    return this.current.version
  }

  advance (next: HeldModel): void {
    this.previous = next.version === this.current.version + 1 ? this.current : undefined
    this.current = next
  }

  /** Replaces the current model by one of the same version from a higher term (verified against `previous`). */
  replace (next: HeldModel): void {
    this.current = next
  }

  /** Back to the previous model if it has `version` and `digest`; true when rolled back. */
  rollBackTo (version: number, digest: string): boolean {
    const p = this.previous
    if (p === undefined || p.version !== version || p.digest !== digest) return false
    this.current = p
    this.previous = undefined
    return true
  }

  /** A model obtained out of band (late joiner): no previous. */
  adopt (next: HeldModel): void {
    this.current = next
    this.previous = undefined
  }
}
