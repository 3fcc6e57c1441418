/**
 * The read-only status snapshot a node exposes (`window.fedmesh.status()` in a tab). Plain JSON, safe to copy out
 * of a page by automation. Changing a field is an API change: the README documents it.
 */
import type { ElectionServiceStatus } from './election/election.ts'
import type { TrainingStatus } from './training/training.ts'

export interface FedmeshStatus {
  peerId: string
  startedAt: number
  state: 'starting' | 'running' | 'error' | 'stopped'
  error?: string
  config: { heartbeatMs: number, targetPeers: number, maxPeers: number }
  relay: { addrs: string[], connected: boolean, reserved: boolean, lastError?: string, bootstraps: number, failures: number, nextAttemptInMs?: number }
  neighbours: Array<{ peerId: string, transport: 'webrtc' | 'relayed' | 'websocket' | 'memory' | 'other', direction: 'inbound' | 'outbound', rttMs?: number, jitterMs?: number, loss?: number, openedAt: number }>
  membership: Array<{ peerId: string, state: 'alive' | 'suspect' | 'dead', phi: number, lastHeardAt: number, lastHeardMsAgo: number, heartbeats: number, hidden: boolean, left?: true, directPeers?: number }>
  counters: {
    heartbeatsSent: number
    heartbeatsReceived: number
    /** Leaves this node sent (FedmeshNode.leaveNow) and received (members that said they were going). */
    leavesSent: number
    leavesReceived: number
    messagesIn: number
    messagesOut: number
    bytesIn: number
    bytesOut: number
    dialsStarted: number
    dialsSucceeded: number
    dialsFailed: number
    pruned: number
    discoveries: number
  }
  rejected: Record<string, number>
  heartbeatRatePerSec: number
  /** Start-up milestones, ms after the node was created: starting, relayConnected, reserved, started, firstDirectLink, firstHeartbeat. */
  timeline: Record<string, number>
  lastDialError?: string
  metrics?: Record<string, number>
  /** The tab's learner, when one is attached (FedmeshNode.attachLearningStatus). */
  learning?: LearningStatus
  /**
   * Per subscribed gossipsub topic, the peers in this node's mesh for it (peer ids). Gossipsub forwards a message
   * eagerly along these edges only; a topic whose meshes do not connect all nodes reaches the rest by gossip (IHAVE),
   * seconds later and not for every message.
   */
  gossipMesh?: Record<string, string[]>
  /**
   * Per subscribed gossipsub topic, since start: messages received (first copies and duplicates, with their data
   * bytes), forwarded to mesh peers, and forwards an IDONTWANT saved (patched gossipsub). (first + duplicates) / first
   * is how many times each message reached this node: the cost of gossip beyond the one copy it needs.
   */
  gossipCopies?: Record<string, GossipCopies>
  /**
   * RPCs this node wrote and read on gossipsub's main stream (`control`: every topic but the bulk ones, and gossip
   * control) and on the bulk lane (update and model chunks, a stream of their own per peer; patched gossipsub).
   */
  gossipLanes?: GossipLanes
  /** Coordinator election (`fedmesh/election/1`): role, term, recognised leader, counters, rejections. */
  election?: ElectionServiceStatus
  /** Federated training (`fedmesh/updates/1`, `fedmesh/model/1`): session, round, version, coordinator, last round, verdicts. */
  training?: TrainingStatus
}

/**
 * The learner as automation and the MAPE-K loop see it (plain JSON). Scores: reconstruction error over the running
 * median error of recent windows, so about 1 is normal and 3 or more is anomalous (link-health only).
 */
export interface LearningStatus {
  task: 'link-health' | 'mnist'
  /** starting: worker and backend loading; collecting: too few samples to train yet; disabled: learn=0. */
  state: 'disabled' | 'starting' | 'collecting' | 'training' | 'idle' | 'error'
  error?: string
  /** The tfjs backend the worker runs ('wasm' or 'cpu'). */
  backend?: string
  /** Why the worker is not on its first-choice backend ('wasm: ...'), absent when it is. */
  fallbackReason?: string
  parameterCount?: number
  /** Local model version: +1 per training run (the global version once the training service runs). */
  modelVersion: number
  /** Version of the checkpoint this tab resumed from after a reload. */
  resumedFrom?: number
  /** A stored checkpoint that could not be used, and why (the tab started fresh). */
  checkpointProblem?: string
  /**
   * Version and wall time of the last checkpoint written (absent until one is), the last write error if any, and how
   * many other tabs' checkpoints older than the retention this tab deleted at start (`pruned`).
   */
  checkpoint?: { version?: number, savedAt?: number, lastError?: string, pruned?: number }
  /** Metric samples received in this page load (link-health), or the tab's local images (mnist). */
  samples: number
  /** Examples the last run trained on. */
  trainedSamples?: number
  /** Training runs completed in this page load. */
  runs: number
  lastLoss?: number
  /** Loss on the same data before the last run. */
  lastLossBefore?: number
  /** Recent losses after each run, oldest first (at most 20). */
  losses: number[]
  /** Last run: wall ms in the worker, per epoch. */
  lastTrainMs?: number
  epochMs?: number
  /** Last run: optimiser steps over all networks (FedmeshConfig.localSteps caps them per network). */
  lastSteps?: number
  /** Worst main-thread event-loop lag during any training run of this page load, ms (measured, not estimated). */
  worstLagMs?: number
  lastLagMs?: number
  /** Newest link-health prediction. */
  anomaly?: { atMs: number, node: number, links: Record<string, number>, topFeature: string, calibrated: boolean, anomalousLinks: string[] }
}

/** RPCs per gossipsub lane at one node, since start (FedmeshStatus.gossipLanes). */
export interface GossipLanes {
  controlOut: number
  bulkOut: number
  controlIn: number
  bulkIn: number
}

/** Copies of gossipsub messages on one topic at one node (FedmeshStatus.gossipCopies). */
export interface GossipCopies {
  first: number
  firstBytes: number
  duplicates: number
  duplicateBytes: number
  forwarded: number
  forwardedBytes: number
  idontwantSkipped: number
}
