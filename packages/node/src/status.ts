/**
 * The read-only status snapshot a node exposes (`window.fedmesh.status()` in a tab). Plain JSON, safe to copy out
 * of a page by automation. Changing a field is an API change: the README documents it.
 */
export interface FedmeshStatus {
  peerId: string
  startedAt: number
  state: 'starting' | 'running' | 'error' | 'stopped'
  error?: string
  config: { heartbeatMs: number, targetPeers: number, maxPeers: number }
  relay: { addrs: string[], connected: boolean, reserved: boolean, lastError?: string, bootstraps: number, failures: number, nextAttemptInMs?: number }
  neighbours: Array<{ peerId: string, transport: 'webrtc' | 'relayed' | 'websocket' | 'memory' | 'other', direction: 'inbound' | 'outbound', rttMs?: number, jitterMs?: number, loss?: number, openedAt: number }>
  membership: Array<{ peerId: string, state: 'alive' | 'suspect' | 'dead', phi: number, lastHeardAt: number, lastHeardMsAgo: number, heartbeats: number, hidden: boolean, directPeers?: number }>
  counters: {
    heartbeatsSent: number
    heartbeatsReceived: number
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
}
