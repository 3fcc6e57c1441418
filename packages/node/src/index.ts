export { FedmeshNode, type CreateNodeOptions } from './node.ts'
export type { FedmeshStatus, LearningStatus } from './status.ts'
export {
  resolveConfig, configFromSearchParams, defaultConfig, ConfigError, LEARNING_TASKS, ATTACK_NAMES,
  type FedmeshConfig, type LearningTask, type AttackName
} from './config.ts'
export { createTicker, type Ticker } from './timers/ticker.ts'
export { relayLink, RelayLink, type RelayLinkInit, type RelayLinkStatus } from './relay-link/relay-link.ts'
export { peering, Peering, type PeeringInit } from './peering/peering.ts'
export { heartbeat, Heartbeat, type HeartbeatInit, type SelfMetrics } from './heartbeat/heartbeat.ts'
export { transportOf, isDirect, type LinkTransport } from './libp2p/connections.ts'
export { Backoff } from './metrics/backoff.ts'
export { LinkStats } from './metrics/link-stats.ts'
export { linkProbe, LinkProbe, PROBE_PROTOCOL, type LinkProbeInit } from './link-probe/link-probe.ts'
export * from './rendezvous/codec.ts'
