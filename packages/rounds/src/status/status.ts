import type { UpdateRejectReason } from '@fedmesh/updates'
import type { PeerSuspicion } from '../suspicion/suspicion.ts'

/** Plain-JSON snapshot of a node's rounds for the status API. */
export interface RoundsStatus {
  session: string
  self: string
  role: 'coordinator' | 'participant'
  term: number
  leader: string | undefined
  /** Version of the global model this node holds (= the last round it completed). */
  version: number
  modelDigest: string
  /** false for a model adopted from a fetch (late joiner) rather than recomputed. */
  modelVerified: boolean
  /** The round being played. `expected`, `extensions`, `failover` only on the coordinator. */
  open?: {
    round: number
    term: number
    coordinator: string
    baseVersion: number
    deadlineInMs: number
    /** Peers whose update for this round this node holds. */
    reported: string[]
    expected?: string[]
    extensions?: number
    failover?: boolean
  }
  /** The last model accepted: who was aggregated, kept by the rule, left out. */
  lastModel?: { version: number, round: number, term: number, coordinator: string, included: string[], selected: string[], excluded: string[], verified: boolean }
  /** A model this node means to adopt without verifying it; `asked`: f + 1 peers vouched for it and it is being fetched. */
  fetching?: { version: number, digest: string, from: string, since: number, asked: boolean }
  pendingVerifications: number
  counters: Record<string, number>
  rejects: { updates: Record<UpdateRejectReason, number>, model: Record<string, number> }
  suspicion: PeerSuspicion[]
}
