export { FedmeshNode, type CreateNodeOptions, type NodeLeave } from './node.ts'
export type { FedmeshStatus, GossipCopies, GossipLanes, LearningStatus } from './status.ts'
export { BULK_LANE_PROTOCOL } from './libp2p/create.ts'
export {
  resolveConfig, configFromSearchParams, defaultConfig, ConfigError, LEARNING_TASKS, ATTACK_NAMES, sessionOf, DEFAULT_LOCAL_STEPS,
  type FedmeshConfig, type LearningTask, type AttackName
} from './config.ts'
export { createTicker, type Ticker } from './timers/ticker.ts'
export { relayLink, RelayLink, type RelayLinkInit, type RelayLinkStatus } from './relay-link/relay-link.ts'
export { peering, Peering, type PeeringInit } from './peering/peering.ts'
export { heartbeat, Heartbeat, type HeartbeatInit, type HeartbeatLeave, type SelfMetrics } from './heartbeat/heartbeat.ts'
export { transportOf, isDirect, type LinkTransport } from './libp2p/connections.ts'
export { Backoff } from './metrics/backoff.ts'
export { PeerBudget, DEFAULT_SERVE_BUDGET, type PeerBudgetSpec, type BucketSpec } from './rate-limit/peer-budget.ts'
export { LinkStats } from './metrics/link-stats.ts'
export {
  election, ElectionService, toElectionMessage, toBody,
  type ElectionInit, type ElectionTimings, type ElectionServiceStatus, type ElectionServiceEvents, type LeaderChange, type LeaveOutcome, type ElectionRejectReason
} from './election/election.ts'
export { MemoryNetwork, type MemoryNetworkOptions } from './memory/memory-network.ts'
export { memoryDirectory, MemoryDirectory } from './memory/memory-directory.ts'
export type { PeerDirectory } from './peering/peering.ts'
export {
  training, TrainingService, UPDATES_TOPIC, MODEL_TOPIC,
  type TrainingInit, type TrainingTuning, type TrainingSession, type TrainingStatus, type TrainingEvents, type TrainedModel, type TrainingRoundReport, type TrainingElection
} from './training/training.ts'
export { learnerTrainer, type TrainingLearner, type TrainedWeights, type TrainContext, type LearnerTrainerOptions } from './training/learner.ts'
export { MODEL_FETCH_PROTOCOL } from './training/model-fetch.ts'
export { UPDATE_FETCH_PROTOCOL } from './training/update-fetch.ts'
export type { UpdateFetchStatus } from './training/update-fetcher.ts'
export { Attacker } from './training/attacker.ts'
export { linkProbe, LinkProbe, PROBE_PROTOCOL, type LinkProbeInit } from './link-probe/link-probe.ts'
export * from './rendezvous/codec.ts'
