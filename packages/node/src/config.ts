/**
 * Node configuration: one object with defaults, overridable from URL parameters in a tab or options in Node.
 */
import { ATTACK_NAMES, type AttackName } from '@fedmesh/attacks'
import { AggregationPreconditionError, checkPreconditions, RULE_NAMES } from '@fedmesh/aggregation'
import type { RuleName } from '@fedmesh/aggregation'
import { TAKEOVER_LAST_F_WAIT_MS } from '@fedmesh/rounds'

export interface FedmeshConfig {
  /** Relay multiaddrs including /p2p/<id>; the node bootstraps and signals through them. */
  relayAddrs: string[]
  /** ICE servers for WebRTC. Empty keeps local runs on host candidates (the default adds no public STUN). */
  iceServers: Array<{ urls: string | string[], username?: string, credential?: string }>
  /** Heartbeat period in ms. */
  heartbeatMs: number
  /** Direct WebRTC peers to aim for; gossipsub needs about 6 for a connected, low-diameter mesh. */
  targetPeers: number
  /** Above this many direct peers the node prunes links (hysteresis keeps links from flapping). */
  maxPeers: number
  /**
   * Dials in flight at once. One: with 20 tabs starting in one browser a WebRTC dial takes about 13 s of queued
   * main-thread turns on both tabs whatever the concurrency; with two in flight 22-69 % of the dials failed (each
   * after most of its work), with one 0-45 % (under 20 % in 4 of 6 runs). docs/benchmarks.md, "20-tab start-up".
   */
  dialConcurrency: number
  /** Timeout of a dial to the relay, ms. */
  dialTimeoutMs: number
  /**
   * Timeout of a direct (WebRTC) link's dial through the relay, ms, and how long the answering side waits for it. On
   * saturated cores such a dial takes tens of seconds of queued main-thread turns on both tabs: at 20 training tabs on
   * 2 cores, with 20 s, 232 of 918 dials in nine runs timed out (most of them would have finished), with 40 s none of
   * 322 in four (docs/benchmarks.md, "Twenty-eighth session"). A peer that is gone fails at once (no reservation).
   */
  peerDialTimeoutMs: number
  /** Backoff for failed dials and relay reconnects: base, cap (ms). */
  backoffBaseMs: number
  backoffMaxMs: number
  /** Cap for relay reconnect backoff: a refused websocket is cheap, and a returning relay should be found fast. */
  relayBackoffMaxMs: number
  /** How often to ask the relay for more peers while below target (ms). */
  discoveryIntervalMs: number
  /** How often each neighbour is pinged for RTT and loss (ms). */
  pingIntervalMs: number
  /** What the tab learns: `link-health` (anomaly scores from its own metrics) or `mnist` (handwritten digits). */
  task: LearningTask
  /** Run the learner at all (`learn=0` turns learning off: a pure mesh node). */
  learn: boolean
  /**
   * Send update and model chunks on gossipsub's bulk lane, a stream of their own per peer (docs/protocol.md). On by
   * default; `bulkLane=0` puts everything on one stream, as unpatched gossipsub does (for comparisons).
   */
  bulkLane: boolean
  /**
   * Followers pledge their vote for the next term while the coordinator leads, so that its resign hands over at once
   * (docs/election.md, "Succession pledges"). On by default; `pledges=0` elects as before (for comparisons).
   */
  pledges: boolean
  /**
   * A node that goes away (a closing tab, `stop()`) says so, and members drop it at once instead of after 5 s or more
   * of silence (docs/protocol.md, "Leaving"). On by default; `leaves=0` sends none (for comparisons); leaves from
   * others are honoured either way.
   */
  leaves: boolean
  /**
   * The coordinator's own messages on the model topic (round announcements, model headers) and the leader's Leads go
   * to every direct neighbour subscribed to the topic (gossipsub's flood publish), not only to its mesh peers: they
   * are small, and each hop they save took 0.3-1 s on a saturated machine (docs/benchmarks.md, twenty-third
   * session). On by default; `leaderFlood=0` publishes them to the mesh as every other message (for comparisons).
   */
  leaderFlood: boolean
  /**
   * Every node keeps a direct link to the coordinator and to its successor (the member it pledged the next term to),
   * beyond targetPeers, and sends its update chunks to both besides its mesh peers; those two accept links beyond
   * maxPeers (up to HUB_MAX_PEERS). With leaderFlood, updates, announcements, models and Leads then cross one hop
   * instead of two or three. Off by default: at 20 tabs on 2 cores the coordinator's model went out sooner, but the
   * hubs became the most loaded tabs and failovers took longer (docs/benchmarks.md, thirtieth session).
   */
  leaderLinks: boolean
  /**
   * The coordinator and its successor (the member the others pledged the next term to) keep a direct link to each
   * other, beyond targetPeers; nobody else pins a link. A closing coordinator writes its resign to its direct
   * neighbours only, so a successor that is not one hears it a forwarding hop later. Off by default: at 20 tabs on 2
   * cores a linked successor still had the resign 0.0-0.9 s after the close, no sooner than the median tab, and
   * failovers were no shorter (docs/benchmarks.md, thirty-third session): the delay is the busy tabs, not the hop.
   * Implied by leaderLinks.
   */
  successorLink: boolean
  /**
   * Each node deflates its int8 update on the wire (lossless; an mnist update goes from about 1.0 to about 0.5 bytes
   * per parameter, docs/benchmarks.md). On by default; `compressUpdates=0` sends the int8 bytes as they are (for
   * comparisons). Receivers take either.
   */
  compressUpdates: boolean
  /**
   * Local training period in ms (each run trains on the samples collected so far). In a federated session it is the
   * least time between two trainings of this node, which paces the rounds.
   */
  learnEveryMs: number
  /**
   * In a federated session, the least time between coming to hold a model and training on it (0 = at once). For tabs
   * that share a machine: the model's header is still crossing the mesh when the first tabs hold it, and their
   * training then competes for the cores with the tabs that forward and verify it (20 tabs on 2 cores: election
   * messages took 0.5-0.9 s instead of 0.3-0.5 s). Rounds get longer by up to this much. docs/benchmarks.md.
   */
  trainAfterModelMs: number
  /**
   * As coordinator, how long a round taken over after a failover waits for its last f members at most, ms (0: it
   * closes once all but f reported). Other rounds wait for the last f by the spread of the arrivals, at least 1 s; the
   * round taken over is already late by the takeover (@fedmesh/rounds TAKEOVER_LAST_F_WAIT_MS, the default).
   */
  takeoverLastFWaitMs: number
  /**
   * At most this many optimiser steps per network in one local training (0 = no cap: every epoch of the task's spec).
   * Each training starts from the global model and the local data moves by a few samples a round, so the five
   * link-health epochs over up to 128 node and about 700 link windows (130-160 steps) mostly repeat the last round's
   * work: at 20 tabs on 2 cores they kept the learner workers at 0.6 of the cores. Capped at 16 (32 steps) the workers
   * took 0.25, and with rounds as frequent as before the machine left saturation and the round overhead fell from
   * about 2 s to under 1 s (docs/benchmarks.md, thirty-first session); the model converges in more rounds. An mnist
   * tab's 600 digits are 19 steps: 16 of them a round, in a new order each round.
   */
  localSteps: number
  /** Run as an attacker for tests and demos (`none` = honest). Used by the training service. */
  attack: AttackName
  /** Federated session id; empty = `<task>/1` (every tab of a task joins the same session). */
  session: string
  /** Rounds a coordinator opens before it stops (0 = unbounded). */
  rounds: number
  /** Round deadline a coordinator announces, ms. */
  roundDeadlineMs: number
  /** Updates a coordinator needs to close a round at the deadline; must satisfy `rule` with `f`. */
  minParticipants: number
  /** Aggregation rule of the session (@fedmesh/aggregation). */
  rule: RuleName
  /** Byzantine updates the rule tolerates. */
  f: number
}

/** FedmeshConfig.localSteps by default. */
export const DEFAULT_LOCAL_STEPS = 16

/** How many direct links a hub (the coordinator or its successor, NodeConfig.leaderLinks) accepts at most. */
export const HUB_MAX_PEERS = 40

export const LEARNING_TASKS = ['link-health', 'mnist'] as const
export type LearningTask = typeof LEARNING_TASKS[number]

/** The attacks of docs/protocol's design (label-flip needs the mnist task). */
export { ATTACK_NAMES, type AttackName }

export const defaultConfig: FedmeshConfig = {
  relayAddrs: [],
  iceServers: [],
  heartbeatMs: 1000,
  targetPeers: 6,
  maxPeers: 9,
  dialConcurrency: 1,
  dialTimeoutMs: 20_000,
  peerDialTimeoutMs: 40_000,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  relayBackoffMaxMs: 5_000,
  discoveryIntervalMs: 3_000,
  pingIntervalMs: 5_000,
  task: 'link-health',
  learn: true,
  bulkLane: true,
  pledges: true,
  leaves: true,
  leaderFlood: true,
  leaderLinks: false,
  successorLink: false,
  compressUpdates: true,
  learnEveryMs: 15_000,
  trainAfterModelMs: 0,
  takeoverLastFWaitMs: TAKEOVER_LAST_F_WAIT_MS,
  localSteps: DEFAULT_LOCAL_STEPS,
  attack: 'none',
  session: '',
  rounds: 0,
  roundDeadlineMs: 30_000,
  minParticipants: 3,
  rule: 'krum',
  f: 0
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const NUMERIC: Array<keyof FedmeshConfig> = ['heartbeatMs', 'targetPeers', 'maxPeers', 'dialConcurrency', 'dialTimeoutMs', 'peerDialTimeoutMs',
  'backoffBaseMs', 'backoffMaxMs', 'relayBackoffMaxMs', 'discoveryIntervalMs', 'pingIntervalMs', 'learnEveryMs', 'roundDeadlineMs', 'minParticipants']
/** Counts that may be 0. */
const COUNTS: Array<keyof FedmeshConfig> = ['rounds', 'f', 'trainAfterModelMs', 'takeoverLastFWaitMs', 'localSteps']

/** Merge partial settings over defaults and check them; errors say which setting and what is allowed. */
export function resolveConfig (partial: Partial<FedmeshConfig> = {}): FedmeshConfig {
  const config: FedmeshConfig = { ...defaultConfig, ...stripUndefined(partial) }
  for (const key of NUMERIC) {
    const value = config[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`${key} must be a positive number, got ${String(value)}`)
    }
  }
  if (config.heartbeatMs < 50) throw new ConfigError(`heartbeatMs must be at least 50, got ${config.heartbeatMs}`)
  if (partial.maxPeers == null) config.maxPeers = Math.max(config.maxPeers, Math.ceil(config.targetPeers * 1.5))
  if (config.maxPeers < config.targetPeers) {
    throw new ConfigError(`maxPeers (${config.maxPeers}) must be >= targetPeers (${config.targetPeers})`)
  }
  if (!(LEARNING_TASKS as readonly string[]).includes(config.task)) {
    throw new ConfigError(`unknown task '${String(config.task)}'; expected one of ${LEARNING_TASKS.join(', ')}`)
  }
  if (!(ATTACK_NAMES as readonly string[]).includes(config.attack)) {
    throw new ConfigError(`unknown attack '${String(config.attack)}'; expected one of ${ATTACK_NAMES.join(', ')}`)
  }
  if (config.attack === 'label-flip' && config.task !== 'mnist') {
    throw new ConfigError(`attack 'label-flip' flips digit labels: it needs task=mnist, got task=${config.task}`)
  }
  if (typeof config.learn !== 'boolean') throw new ConfigError(`learn must be true or false, got ${String(config.learn)}`)
  if (typeof config.bulkLane !== 'boolean') throw new ConfigError(`bulkLane must be true or false, got ${String(config.bulkLane)}`)
  if (typeof config.pledges !== 'boolean') throw new ConfigError(`pledges must be true or false, got ${String(config.pledges)}`)
  if (typeof config.leaves !== 'boolean') throw new ConfigError(`leaves must be true or false, got ${String(config.leaves)}`)
  if (typeof config.leaderFlood !== 'boolean') throw new ConfigError(`leaderFlood must be true or false, got ${String(config.leaderFlood)}`)
  if (typeof config.leaderLinks !== 'boolean') throw new ConfigError(`leaderLinks must be true or false, got ${String(config.leaderLinks)}`)
  if (typeof config.successorLink !== 'boolean') throw new ConfigError(`successorLink must be true or false, got ${String(config.successorLink)}`)
  if (typeof config.compressUpdates !== 'boolean') throw new ConfigError(`compressUpdates must be true or false, got ${String(config.compressUpdates)}`)
  checkSession(config)
  for (const addr of config.relayAddrs) {
    if (!/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+\/(ws|wss|tls\/ws)(\/p2p\/\w+)?$/.test(addr)) {
      throw new ConfigError(`relay address "${addr}" is not a websocket multiaddr like /ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW...`)
    }
  }
  return config
}

/** The federated-session settings: a rule that cannot run on minParticipants updates would never close a round. */
function checkSession (config: FedmeshConfig): void {
  for (const key of COUNTS) {
    const value = config[key]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new ConfigError(`${key} must be an integer >= 0, got ${String(value)}`)
  }
  if (!Number.isInteger(config.minParticipants)) throw new ConfigError(`minParticipants must be an integer >= 1, got ${config.minParticipants}`)
  if (!(RULE_NAMES as readonly string[]).includes(config.rule)) {
    throw new ConfigError(`unknown rule '${String(config.rule)}'; expected one of ${RULE_NAMES.join(', ')}`)
  }
  if (typeof config.session !== 'string' || config.session.length > 64) throw new ConfigError('session must be a string of at most 64 characters')
  try {
    checkPreconditions(config.minParticipants, { rule: config.rule, f: config.f })
  } catch (err) {
    if (!(err instanceof AggregationPreconditionError)) throw err
    throw new ConfigError(`minParticipants=${config.minParticipants} cannot satisfy rule=${config.rule} with f=${config.f}: ${err.message}`)
  }
}

/** The session a node joins: the configured one, or one per task. */
export function sessionOf (config: Pick<FedmeshConfig, 'session' | 'task'>): string {
  return config.session !== '' ? config.session : `${config.task}/1`
}

/** Read overrides from URL search parameters (`?relay=...&heartbeatMs=500&targetPeers=4`). */
export function configFromSearchParams (params: URLSearchParams): Partial<FedmeshConfig> {
  const out: Partial<FedmeshConfig> = {}
  const relays = params.getAll('relay').filter(r => r !== '')
  if (relays.length > 0) out.relayAddrs = relays
  for (const key of NUMERIC) {
    const raw = params.get(key)
    if (raw != null) (out as Record<string, number>)[key] = Number(raw)
  }
  const ice = params.get('ice')
  if (ice != null) out.iceServers = ice.split(',').filter(Boolean).map(urls => ({ urls }))
  // names are checked by resolveConfig, which says which values are valid
  const task = params.get('task')
  if (task != null) out.task = task as LearningTask
  const attack = params.get('attack')
  if (attack != null) out.attack = attack as AttackName
  const learn = params.get('learn')
  if (learn != null) out.learn = parseSwitch('learn', learn)
  const bulkLane = params.get('bulkLane')
  if (bulkLane != null) out.bulkLane = parseSwitch('bulkLane', bulkLane)
  const pledges = params.get('pledges')
  if (pledges != null) out.pledges = parseSwitch('pledges', pledges)
  const leaves = params.get('leaves')
  if (leaves != null) out.leaves = parseSwitch('leaves', leaves)
  const leaderFlood = params.get('leaderFlood')
  if (leaderFlood != null) out.leaderFlood = parseSwitch('leaderFlood', leaderFlood)
  const leaderLinks = params.get('leaderLinks')
  if (leaderLinks != null) out.leaderLinks = parseSwitch('leaderLinks', leaderLinks)
  const successorLink = params.get('successorLink')
  if (successorLink != null) out.successorLink = parseSwitch('successorLink', successorLink)
  const compressUpdates = params.get('compressUpdates')
  if (compressUpdates != null) out.compressUpdates = parseSwitch('compressUpdates', compressUpdates)
  for (const key of COUNTS) {
    const raw = params.get(key)
    if (raw != null) (out as Record<string, number>)[key] = Number(raw)
  }
  const session = params.get('session')
  if (session != null) out.session = session
  const rule = params.get('rule')
  if (rule != null) out.rule = rule as RuleName
  return out
}

function parseSwitch (key: string, raw: string): boolean {
  if (['1', 'true', 'on', 'yes', ''].includes(raw.toLowerCase())) return true
  if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false
  throw new ConfigError(`${key} must be 0 or 1 (or true/false), got '${raw}'`)
}

function stripUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
