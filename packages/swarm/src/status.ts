/** The counters of packages/node GossipCopies (copies of gossipsub messages on one topic at one tab). */
export const GOSSIP_COPY_FIELDS = ['first', 'firstBytes', 'duplicates', 'duplicateBytes', 'forwarded', 'forwardedBytes', 'idontwantSkipped'] as const
export type GossipCopies = Record<typeof GOSSIP_COPY_FIELDS[number], number>
/** The counters of packages/node GossipLanes (RPCs on gossipsub's main stream and on the bulk lane at one tab). */
export const GOSSIP_LANE_FIELDS = ['controlOut', 'bulkOut', 'controlIn', 'bulkIn'] as const
export type GossipLanes = Record<typeof GOSSIP_LANE_FIELDS[number], number>

/** `fields` of `raw` as finite numbers, 0 where missing or not a number (numbersOf({}, fields) is all zeros). */
export function numbersOf<K extends string> (raw: Record<string, unknown>, fields: readonly K[]): Record<K, number> {
  return Object.fromEntries(fields.map(k => [k, typeof raw[k] === 'number' && Number.isFinite(raw[k]) ? raw[k] : 0])) as Record<K, number>
}

export type NeighbourTransport = 'webrtc' | 'relayed' | 'websocket' | 'memory' | 'other'
export type MembershipState = 'alive' | 'suspect' | 'dead'

/**
 * The read-only snapshot every tab exposes as `window.fedmesh.status()`. The harness only reads it; the tab node
 * (packages/node) owns the shape and may add fields. Declared here (only the fields the harness uses) so the harness
 * type-checks without importing browser code.
 */
export interface FedmeshStatus {
  peerId: string
  startedAt: number
  state: 'starting' | 'running' | 'error' | 'stopped'
  error?: string
  relay: { addrs: string[], connected: boolean, reserved: boolean, lastError?: string, bootstraps: number }
  neighbours: Array<{ peerId: string, transport: NeighbourTransport, direction: 'inbound' | 'outbound', rttMs?: number, openedAt: number }>
  /**
   * lastHeardAt is on the tab's membership clock (the real node uses performance.now(), not epoch ms), so recency
   * is judged by lastHeardMsAgo when the tab provides it, else against the tab's Date.now() at the poll.
   */
  membership: Array<{ peerId: string, state: MembershipState, phi: number, lastHeardAt: number, lastHeardMsAgo?: number, heartbeats: number, left?: boolean }>
  counters: StatusCounters
  rejected: Record<string, number>
  heartbeatRatePerSec: number
  lastDialError?: string
  /** Start-up milestones (starting, relayConnected, reserved, firstDirectLink, ...) in ms after startedAt. */
  timeline?: Record<string, number>
  /** Per gossipsub topic, this node's mesh peers (peer ids). */
  gossipMesh?: Record<string, string[]>
  /** Per gossipsub topic, since the tab started: copies received (first, duplicates) and forwarded, with data bytes. */
  gossipCopies?: Record<string, GossipCopies>
  /** Since the tab started: gossipsub RPCs written and read on the main stream and on the bulk lane. */
  gossipLanes?: GossipLanes
  /** Coordinator election, when the node runs it (only the fields the harness reads). */
  election?: {
    role?: string, term?: number, leader?: string, leaderTerm?: number, electing?: number, excluded?: Array<{ peerId: string, reason: string }>
    /** When this tab came to recognise its current leader, epoch ms. */
    leaderSince?: number
    /** The last resign the tab accepted: whose, for which term, and when (epoch ms). */
    lastResign?: { from: string, term: number, at: number }
    /** How the tab recognised its current leader: won, votes, pledges, lead or fence. */
    recognisedBy?: string
    /** Once a leader is known, while not leading: the term after the leader's, whom the tab promised it to, and the ballots it holds there by candidate. */
    succession?: { term: number, promisedTo?: string, ballots: Record<string, number> }
    counters?: { received?: Record<string, number> }
    rejected?: Record<string, number>
    /** By message type: delay of the tab's last accepted messages (its receipt minus the sender's sentAtMs), ms. */
    delaysMs?: Record<string, { n: number, p50: number, max: number }>
    /** Leases that lapsed in the tab; of those regained (same leader and term again) and found after the tab stalled. */
    lapses?: { count: number, regained: number, afterStall: number }
    /** The tab's longest gap between election ticks, and (while leading) between two Leads of one term, ms. */
    tickGapMaxMs?: number
    leadGapMaxMs?: number
  }
  /** Federated training (packages/node TrainingStatus; only the fields the harness reads). Check before trusting. */
  training?: TrainingView
}

/** The part of packages/node's status().training the harness reads. */
export interface TrainingView {
  state: string
  message?: string
  /** With `message` after an extended round: expected members whose update the coordinator does not hold. */
  waitingFor?: string[]
  attack?: string
  term: number
  coordinator?: string
  version: number
  /** Weights digest of the model held (absent in older builds). */
  modelDigest?: string
  verifiedModel: boolean
  /** fetch.catchUps: models fetched because the leader advertised a newer one (anti-entropy); fetch.limited: model
   * requests this tab refused as past the asker's serve budget. */
  fetch?: { catchUps?: number, limited?: number }
  /** Included updates a verifier lacked and asked its neighbours for (/fedmesh/updates/1.0.0). */
  updateFetch?: { asked?: number, recovered?: number, failed?: number, chunks?: number, servedChunks?: number }
  round?: number
  /** Version -> when the tab came to hold it, epoch ms on its own (the machine's) clock. */
  heldAt?: Record<string, number>
  /** Version -> the term of the coordinator that made the model the tab holds (absent in older builds). */
  heldTerm?: Record<string, number>
  /** Round -> when the tab followed its announcement (re-announcement after a takeover), trained, sent its update. */
  roundTimes?: Record<string, { openedAt?: number, reopenedAt?: number, trainAt?: number, sentAt?: number, updatesIn?: Record<string, number> }>
  lastRound?: {
    version: number
    round: number
    term: number
    coordinator: string
    verified: boolean
    included: Array<{ peer: string, selected: boolean }>
    excluded: string[]
    overheadMs: { updateToModel?: number, modelToVerified?: number, total?: number }
    /** As its coordinator (see TrainingRoundReport.closed in @fedmesh/node). */
    closed?: { expected: number, included: number, stragglers: number, durationMs: number, lastInputMs?: number, lastFWaitMs?: number, aggregateMs?: number }
  }
  models?: { accepted: number, verified: number, rejected: number, rejectReasons: Record<string, number> }
  /** Round announcements parked because the election did not name their coordinator, and followed under a lapsed lease. */
  opens?: { parked?: number, underLapsedLease?: number }
  updates?: { sent: number, sentBytes?: number, sentParameters?: number, received: number, resent?: number, resentOnTakeover?: number, spared?: number, heldBack?: number, heldBackSent?: number, rejected: Record<string, number> }
  training?: { runs: number, skipped?: Record<string, number>, lastLoss?: number, lastLossBefore?: number, lastTrainMs?: number, lastError?: string }
  quarantined?: string[]
  /** Leaders this tab gave up on for making no progress. */
  coordinatorStalls?: number
}

export interface StatusCounters {
  heartbeatsSent: number
  heartbeatsReceived: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  dialsStarted: number
  dialsSucceeded: number
  dialsFailed: number
}

export const COUNTER_NAMES: ReadonlyArray<keyof StatusCounters> = [
  'heartbeatsSent', 'heartbeatsReceived', 'messagesIn', 'messagesOut', 'bytesIn', 'bytesOut',
  'dialsStarted', 'dialsSucceeded', 'dialsFailed'
]

const STATES = new Set(['starting', 'running', 'error', 'stopped'])

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * A status as the harness can rely on it. Before its node exists a tab answers with only `{ state: 'starting' }`
 * (or `{ state: 'error', error }`); missing parts become empty, and the extra fields a node adds are kept.
 * Returns undefined for something that is not a status at all.
 */
export function normalizeStatus (raw: unknown): FedmeshStatus | undefined {
  if (!isRecord(raw) || typeof raw.state !== 'string' || !STATES.has(raw.state)) return undefined
  const relay = isRecord(raw.relay) ? raw.relay : {}
  const counters = isRecord(raw.counters) ? raw.counters : {}
  const status: FedmeshStatus = {
    ...raw,
    peerId: typeof raw.peerId === 'string' ? raw.peerId : '',
    startedAt: typeof raw.startedAt === 'number' ? raw.startedAt : 0,
    state: raw.state as FedmeshStatus['state'],
    relay: {
      ...relay,
      addrs: Array.isArray(relay.addrs) ? relay.addrs.filter((a): a is string => typeof a === 'string') : [],
      connected: relay.connected === true,
      reserved: relay.reserved === true,
      bootstraps: typeof relay.bootstraps === 'number' ? relay.bootstraps : 0
    },
    neighbours: Array.isArray(raw.neighbours) ? raw.neighbours.filter(n => isRecord(n) && typeof n.peerId === 'string') as FedmeshStatus['neighbours'] : [],
    membership: Array.isArray(raw.membership) ? raw.membership.filter(m => isRecord(m) && typeof m.peerId === 'string') as FedmeshStatus['membership'] : [],
    counters: Object.fromEntries(COUNTER_NAMES.map(k => [k, typeof counters[k] === 'number' ? counters[k] : 0])) as unknown as StatusCounters,
    rejected: isRecord(raw.rejected) ? raw.rejected as Record<string, number> : {},
    heartbeatRatePerSec: typeof raw.heartbeatRatePerSec === 'number' ? raw.heartbeatRatePerSec : 0
  }
  if (isRecord(raw.gossipMesh)) {
    status.gossipMesh = Object.fromEntries(Object.entries(raw.gossipMesh)
      .filter((e): e is [string, unknown[]] => Array.isArray(e[1]))
      .map(([topic, peers]) => [topic, peers.filter((p): p is string => typeof p === 'string')]))
  } else {
    delete status.gossipMesh
  }
  const copies = isRecord(raw.gossipCopies)
    ? Object.entries(raw.gossipCopies).filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]))
      .map(([topic, c]) => [topic, numbersOf(c, GOSSIP_COPY_FIELDS)] as [string, GossipCopies])
    : []
  if (copies.length > 0) status.gossipCopies = Object.fromEntries(copies)
  else delete status.gossipCopies
  const lanes = raw.gossipLanes
  if (isRecord(lanes)) {
    status.gossipLanes = numbersOf(lanes, GOSSIP_LANE_FIELDS)
  } else {
    delete status.gossipLanes
  }
  if (isRecord(raw.timeline)) {
    status.timeline = Object.fromEntries(Object.entries(raw.timeline).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])))
  } else {
    delete status.timeline
  }
  return status
}
