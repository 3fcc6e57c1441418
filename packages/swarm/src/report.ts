/**
 * Pure analysis of a swarm run: from the time series of status snapshots the harness polled out of every tab,
 * compute convergence times, link counts, heartbeat coverage, per-tab rates and the outcome of scheduled events.
 * No I/O and no clock: every time comes from the samples, so it is unit-tested on hand-built series.
 */
import { COUNTER_NAMES, GOSSIP_COPY_FIELDS, GOSSIP_LANE_FIELDS, numbersOf } from './status.ts'
import type { FedmeshStatus, GossipCopies, GossipLanes, StatusCounters } from './status.ts'

/** One tab's status as read in one poll. */
export interface TabObservation {
  tab: number
  /** The tab's own clock (Date.now() in the page) when the status was read: lastHeardAt values are on this clock. */
  at: number
  status: FedmeshStatus
  /** performance.memory.usedJSHeapSize where Chromium exposes it. */
  jsHeapBytes?: number
}

/** One poll of every open tab. */
export interface PollSample {
  /** Harness clock (epoch ms) when the poll started. */
  at: number
  /** Tabs that should be open at this moment: opened or still opening, not yet closed. */
  openTabs: number[]
  /** One entry per open tab that answered; a tab still loading or too busy to answer is simply absent. */
  observations: TabObservation[]
}

/** What a mesh looks like in one sample. Links count only peers that are open tabs. */
export interface MeshSummary {
  at: number
  openTabs: number
  observed: number
  tabsUp: number
  tabsInError: number
  /** Unordered tab pairs with a direct WebRTC connection seen from either side. */
  directLinks: number
  /** Unordered tab pairs with a relayed (circuit) connection seen from either side. */
  relayedLinks: number
  minDirectPerTab: number
  maxDirectPerTab: number
  meanDirectPerTab: number
  requiredDirectPeers: number
  /** Fraction of (observed tab, other open tab) pairs whose last heartbeat is within the heartbeat window. */
  heartbeatCoverage: number
  /** Observed tabs with relay.connected && relay.reserved. */
  relayReady: number
  /** Observed tabs with relay.connected === false. */
  relayDown: number
  /** The observed tabs with the fewest direct peers (minDirectPerTab), when that is below requiredDirectPeers. */
  fewestDirectTabs: number[]
  /** (Observed tab, other open tab) pairs where the tab does not hold the other as alive (unheard or suspect). */
  pairsNotAlive: number
  converged: boolean
}

export interface MeshCriteria {
  /** A heartbeat counts as recent when heard at most this long before the observation. */
  heartbeatWindowMs: number
  /** Tab index -> peer id learnt from any sample, so one unanswered poll does not hide who a tab is. */
  peerIdsByTab?: ReadonlyMap<number, string>
}

/** The issue's convergence bar: at least min(3, N-1) direct WebRTC peers per tab. */
export function requiredDirectPeers (openTabCount: number): number {
  return Math.min(3, Math.max(0, openTabCount - 1))
}

function pairKey (a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}

/** Tab index -> peer id as seen in this sample, falling back to what earlier samples told. */
function peerIdsOf (sample: PollSample, known?: ReadonlyMap<number, string>): Map<number, string> {
  const ids = new Map(known ?? [])
  for (const o of sample.observations) if (o.status.peerId !== '') ids.set(o.tab, o.status.peerId)
  return ids
}

export function summarizeSample (sample: PollSample, criteria: MeshCriteria): MeshSummary {
  const open = new Set(sample.openTabs)
  const ids = peerIdsOf(sample, criteria.peerIdsByTab)
  const openPeers = new Set<string>()
  for (const tab of open) {
    const id = ids.get(tab)
    if (id !== undefined) openPeers.add(id)
  }
  const observations = sample.observations.filter(o => open.has(o.tab))
  const required = requiredDirectPeers(open.size)
  const directPairs = new Set<string>()
  const relayedPairs = new Set<string>()
  const directCounts: number[] = []
  let tabsUp = 0
  let tabsInError = 0
  let covered = 0
  let pairs = 0
  let relayReady = 0
  let relayDown = 0
  let allConverged = open.size > 0 && observations.length === open.size
  let pairsNotAlive = 0

  for (const o of observations) {
    const self = o.status.peerId
    if (o.status.state === 'running') tabsUp++
    if (o.status.state === 'error') tabsInError++
    if (o.status.relay.connected && o.status.relay.reserved) relayReady++
    if (!o.status.relay.connected) relayDown++

    const direct = new Set<string>()
    for (const n of o.status.neighbours) {
      if (n.peerId === self || !openPeers.has(n.peerId)) continue
      if (n.transport === 'webrtc') {
        direct.add(n.peerId)
        directPairs.add(pairKey(self, n.peerId))
      } else if (n.transport === 'relayed') {
        relayedPairs.add(pairKey(self, n.peerId))
      }
    }
    directCounts.push(direct.size)

    const membership = new Map(o.status.membership.map(m => [m.peerId, m]))
    let allAlive = true
    for (const tab of open) {
      if (tab === o.tab) continue
      pairs++
      const peer = ids.get(tab)
      const entry = peer === undefined ? undefined : membership.get(peer)
      if (entry === undefined || entry.heartbeats <= 0) {
        allAlive = false
        pairsNotAlive++
        continue
      }
      if (heardMsAgo(o, entry) <= criteria.heartbeatWindowMs) covered++
      if (entry.state !== 'alive') {
        allAlive = false
        pairsNotAlive++
      }
    }
    if (o.status.state !== 'running' || direct.size < required || !allAlive) allConverged = false
  }

  const minDirect = directCounts.length === 0 ? 0 : Math.min(...directCounts)
  return {
    at: sample.at,
    openTabs: open.size,
    observed: observations.length,
    tabsUp,
    tabsInError,
    directLinks: directPairs.size,
    relayedLinks: relayedPairs.size,
    minDirectPerTab: minDirect,
    maxDirectPerTab: directCounts.length === 0 ? 0 : Math.max(...directCounts),
    meanDirectPerTab: directCounts.length === 0 ? 0 : directCounts.reduce((a, b) => a + b, 0) / directCounts.length,
    requiredDirectPeers: required,
    // A single tab has no pairs: it trivially hears everyone.
    heartbeatCoverage: pairs === 0 ? (open.size <= 1 && observations.length === open.size ? 1 : 0) : covered / pairs,
    relayReady,
    relayDown,
    fewestDirectTabs: minDirect < required ? observations.filter((o, i) => directCounts[i] === minDirect).map(o => o.tab) : [],
    pairsNotAlive,
    converged: allConverged
  }
}

/** How long before the observation the tab last heard this member: its own figure if it gives one. */
export function heardMsAgo (o: TabObservation, entry: FedmeshStatus['membership'][number]): number {
  return typeof entry.lastHeardMsAgo === 'number' ? entry.lastHeardMsAgo : o.at - entry.lastHeardAt
}

/**
 * One progress line, e.g. `[  4.2s] tabs 8/8 up | direct links 21 (min/tab 3) | heartbeat coverage 87% | relayed 2`.
 * `unanswered`: loaded, open tabs that did not answer this poll.
 */
export function formatProgress (elapsedMs: number, s: MeshSummary, unanswered = 0): string {
  const secs = (elapsedMs / 1000).toFixed(1).padStart(5)
  const parts = [
    `tabs ${s.tabsUp}/${s.openTabs} up`,
    `direct links ${s.directLinks} (min/tab ${s.minDirectPerTab})`,
    `heartbeat coverage ${Math.floor(s.heartbeatCoverage * 100)}%`,
    `relayed ${s.relayedLinks}`
  ]
  if (s.relayReady < s.observed) parts.push(`relay ready ${s.relayReady}/${s.observed}`)
  if (s.tabsInError > 0) parts.push(`errors ${s.tabsInError}`)
  // Loaded tabs too busy to answer this poll count as not up above; say so rather than let the count look like a crash.
  if (unanswered > 0) parts.push(`no answer ${unanswered}`)
  if (s.converged) parts.push('converged')
  return `[${secs}s] ${parts.join(' | ')}`
}

// ---------------------------------------------------------------------------------------------------------------
// Whole-run analysis

export type RunEvent =
  | { kind: 'close-tabs', at: number, tabs: number[] }
  | { kind: 'stop-relay', at: number }
  /** The relay was stopped (if running) and started again with the same key and port; listeningAt when it was back. */
  | { kind: 'restart-relay', at: number, listeningAt?: number }

export interface TabTimes {
  tab: number
  openedAt: number
  loadedAt?: number
  closedAt?: number
  loadError?: string
  pageErrors?: number
}

export interface RunRecord {
  tabCount: number
  heartbeatWindowMs: number
  firstTabOpenedAt: number
  lastTabLoadedAt: number
  /** Convergence must happen within this long after the last tab loaded. */
  convergenceTimeoutMs: number
  /** The steady-state measurement window, when one was run. */
  steady?: { start: number, end: number }
  events: RunEvent[]
  tabs: TabTimes[]
  samples: PollSample[]
  /** When observation stopped; defaults to the last sample. */
  endedAt?: number
}

export interface LinkFigures {
  at: number
  directLinks: number
  relayedLinks: number
  minDirectPerTab: number
  maxDirectPerTab: number
  meanDirectPerTab: number
  heartbeatCoverage: number
}

export interface Rates {
  messagesInPerSec: number
  messagesOutPerSec: number
  bytesInPerSec: number
  bytesOutPerSec: number
  heartbeatsSentPerSec: number
  heartbeatsReceivedPerSec: number
}

export interface TabRates extends Rates { tab: number, windowMs: number }

export type EventOutcome =
  | {
    kind: 'close-tabs', at: number, tabs: number[], peerIds: string[]
    /** Until every remaining tab marks every closed peer suspect or dead (or has dropped it). */
    allSuspectMs?: number
    /** Until every remaining tab marks every closed peer dead (or has dropped it). */
    allDeadMs?: number
  }
  | {
    kind: 'stop-relay', at: number
    /** Until every open tab reports relay.connected === false. */
    allDisconnectedMs?: number
    /** Heartbeat coverage from the stop until the relay is back (or the run ends). */
    outageMs: number
    coverage: { min: number, mean: number, samples: number }
  }
  | {
    kind: 'restart-relay', at: number, listeningAt?: number
    /** From the restart command until every open tab has re-bootstrapped (relay connected and reserved again). */
    allRebootstrappedMs?: number
    /** The same, measured from the moment the new relay was listening. */
    allRebootstrappedAfterListeningMs?: number
  }

export interface TabSummary {
  tab: number
  peerId?: string
  state?: FedmeshStatus['state']
  error?: string
  openedAt: number
  loadedAt?: number
  loadError?: string
  closedAt?: number
  pageErrors: number
  /** Harness time of the first sample in which the tab reported state 'running'. */
  upAt?: number
  /** Harness time of the first sample in which the tab had a direct WebRTC neighbour. */
  firstDirectAt?: number
  lastObservedAt?: number
  direct: number
  relayed: number
  membership: { alive: number, suspect: number, dead: number }
  relay?: FedmeshStatus['relay']
  counters?: StatusCounters
  rejected: Record<string, number>
  heartbeatRatePerSec?: number
  lastDialError?: string
  jsHeapBytes?: number
  /** The tab's start-up milestones (status().timeline) as epoch ms on the tab's clock: where start-up time went. */
  milestones?: Record<string, number>
}

export interface RunAnalysis {
  convergence: {
    converged: boolean
    requiredDirectPeers: number
    at?: number
    fromFirstTabOpenedMs?: number
    fromLastTabLoadedMs?: number
    /** First direct WebRTC link between any two tabs, after the last tab loaded (negative if before). */
    firstDirectLinkMs?: number
    /** First heartbeat any tab heard from another, after the last tab loaded (negative if before). */
    firstHeartbeatMs?: number
    /** Until every tab reported state 'running', from the first tab opened. */
    allTabsUpMs?: number
    /**
     * The closest the mesh came, when it did not converge: the sample with the best heartbeat coverage, then the most
     * direct peers, among those every tab answered (any sample if none was complete), and what kept it from converging.
     */
    best?: LinkFigures & { observed: number, openTabs: number, fewestDirectTabs: number[], pairsNotAlive: number, tabsUp: number }
  }
  linksAtConvergence?: LinkFigures
  linksAtEnd?: LinkFigures
  /** Per gossipsub topic, at the last poll that saw every open tab: see gossipMeshFigures. */
  gossipMeshAtEnd?: Record<string, GossipMeshFigures>
  /** Per gossipsub topic, copies received and forwarded by the tabs of that same poll: see gossipCopyFigures. */
  gossipCopiesAtEnd?: Record<string, GossipCopyFigures>
  /** gossipsub RPCs per lane, summed over the tabs of that same poll: see gossipLaneFigures. */
  gossipLanesAtEnd?: GossipLaneFigures
  steady?: {
    start: number
    end: number
    windowMs: number
    coverage: { min: number, mean: number, samples: number }
    rates: { perTab: TabRates[], mean?: Rates }
  }
  events: EventOutcome[]
  /** Rejected messages by reason, summed over every tab's last status. */
  rejected: Record<string, number>
  tabs: TabSummary[]
  /** About one summary per second, for plotting the run. */
  timeline: MeshSummary[]
}

/** Tab -> peer id, accumulated over samples up to and including index `upTo`. */
function peerIdsUpTo (samples: PollSample[], upTo: number): Map<number, string> {
  const ids = new Map<number, string>()
  for (let i = 0; i <= upTo && i < samples.length; i++) {
    for (const o of samples[i]!.observations) if (o.status.peerId !== '') ids.set(o.tab, o.status.peerId)
  }
  return ids
}

/** Summaries of every sample, each knowing the peer ids learnt so far. */
export function summarizeSeries (samples: PollSample[], heartbeatWindowMs: number): MeshSummary[] {
  const ids = new Map<number, string>()
  return samples.map(sample => {
    for (const o of sample.observations) if (o.status.peerId !== '') ids.set(o.tab, o.status.peerId)
    return summarizeSample(sample, { heartbeatWindowMs, peerIdsByTab: ids })
  })
}

/**
 * One gossipsub topic's meshes seen as a graph over the open tabs (an edge where either side lists the other as a
 * mesh peer). More than one component means a message published in one reaches the others only by gossip (IHAVE,
 * every gossipsub heartbeat, to a few random peers), seconds later and not for every message.
 */
export interface GossipMeshFigures {
  tabs: number
  components: number
  /** Tabs per component, largest first. */
  sizes: number[]
  minDegree: number
  maxDegree: number
  meanDegree: number
}

/** gossipMeshFigures per topic from one observation per tab (tabs without gossipMesh are left out). */
export function gossipMeshFigures (observations: readonly TabObservation[]): Record<string, GossipMeshFigures> {
  const tabOf = new Map(observations.map(o => [o.status.peerId, o.tab]))
  const topics = new Set(observations.flatMap(o => Object.keys(o.status.gossipMesh ?? {})))
  const out: Record<string, GossipMeshFigures> = {}
  for (const topic of [...topics].sort()) {
    const members = observations.filter(o => o.status.gossipMesh?.[topic] !== undefined).map(o => o.tab)
    const edges = new Map<number, Set<number>>(members.map(t => [t, new Set()]))
    for (const o of observations) {
      for (const peer of o.status.gossipMesh?.[topic] ?? []) {
        const other = tabOf.get(peer)
        if (other === undefined || other === o.tab || !edges.has(other)) continue
        edges.get(o.tab)!.add(other)
        edges.get(other)!.add(o.tab)
      }
    }
    const seen = new Set<number>()
    const sizes: number[] = []
    for (const start of members) {
      if (seen.has(start)) continue
      let size = 0
      const stack = [start]
      seen.add(start)
      while (stack.length > 0) {
        const t = stack.pop()!
        size++
        for (const n of edges.get(t)!) if (!seen.has(n)) { seen.add(n); stack.push(n) }
      }
      sizes.push(size)
    }
    const degrees = members.map(t => edges.get(t)!.size)
    out[topic] = {
      tabs: members.length,
      components: sizes.length,
      sizes: sizes.sort((a, b) => b - a),
      minDegree: degrees.length === 0 ? 0 : Math.min(...degrees),
      maxDegree: degrees.length === 0 ? 0 : Math.max(...degrees),
      meanDegree: degrees.length === 0 ? 0 : degrees.reduce((a, b) => a + b, 0) / degrees.length
    }
  }
  return out
}

export interface GossipCopyFigures extends GossipCopies {
  tabs: number
  /** (first + duplicates) / first: how many times a message reached a tab, on average (1 = no duplicates). */
  copiesPerMessage: number
}

/**
 * gossipCopies per topic summed over one observation per tab (each tab's counts since it started). Tabs that closed
 * before that poll are not in it; the ratio is what matters.
 */
export function gossipCopyFigures (observations: readonly TabObservation[]): Record<string, GossipCopyFigures> {
  const out: Record<string, GossipCopyFigures> = {}
  for (const o of observations) {
    for (const [topic, c] of Object.entries(o.status.gossipCopies ?? {})) {
      const sum = out[topic] ??= { tabs: 0, copiesPerMessage: 0, ...numbersOf({}, GOSSIP_COPY_FIELDS) }
      sum.tabs++
      for (const k of GOSSIP_COPY_FIELDS) sum[k] += c[k]
    }
  }
  for (const sum of Object.values(out)) sum.copiesPerMessage = sum.first === 0 ? 0 : (sum.first + sum.duplicates) / sum.first
  return out
}

export interface GossipLaneFigures extends GossipLanes {
  /** Tabs that reported lane counts, and the ones among them that read anything on the bulk lane. */
  tabs: number
  tabsReadingBulk: number
}

/** gossipLanes summed over one observation per tab (each tab's counts since it started). */
export function gossipLaneFigures (observations: readonly TabObservation[]): GossipLaneFigures | undefined {
  const reporting = observations.flatMap(o => o.status.gossipLanes !== undefined ? [o.status.gossipLanes] : [])
  if (reporting.length === 0) return undefined
  const sum: GossipLaneFigures = { tabs: reporting.length, tabsReadingBulk: 0, ...numbersOf({}, GOSSIP_LANE_FIELDS) }
  for (const lanes of reporting) {
    for (const k of GOSSIP_LANE_FIELDS) sum[k] += lanes[k]
    if (lanes.bulkIn > 0) sum.tabsReadingBulk++
  }
  return sum
}

function linkFigures (s: MeshSummary): LinkFigures {
  return {
    at: s.at,
    directLinks: s.directLinks,
    relayedLinks: s.relayedLinks,
    minDirectPerTab: s.minDirectPerTab,
    maxDirectPerTab: s.maxDirectPerTab,
    meanDirectPerTab: s.meanDirectPerTab,
    heartbeatCoverage: s.heartbeatCoverage
  }
}

function minMean (values: number[]): { min: number, mean: number, samples: number } {
  if (values.length === 0) return { min: 0, mean: 0, samples: 0 }
  return { min: Math.min(...values), mean: values.reduce((a, b) => a + b, 0) / values.length, samples: values.length }
}

/** Counter deltas per second between two observations of the same tab, on the tab's own clock. */
export function counterRates (start: TabObservation, end: TabObservation): TabRates {
  const windowMs = end.at - start.at
  const per = (k: keyof StatusCounters): number => windowMs <= 0 ? 0 : (end.status.counters[k] - start.status.counters[k]) / (windowMs / 1000)
  return {
    tab: end.tab,
    windowMs,
    messagesInPerSec: per('messagesIn'),
    messagesOutPerSec: per('messagesOut'),
    bytesInPerSec: per('bytesIn'),
    bytesOutPerSec: per('bytesOut'),
    heartbeatsSentPerSec: per('heartbeatsSent'),
    heartbeatsReceivedPerSec: per('heartbeatsReceived')
  }
}

function meanRates (rates: Rates[]): Rates | undefined {
  if (rates.length === 0) return undefined
  const mean = (k: keyof Rates): number => rates.reduce((a, r) => a + r[k], 0) / rates.length
  return {
    messagesInPerSec: mean('messagesInPerSec'),
    messagesOutPerSec: mean('messagesOutPerSec'),
    bytesInPerSec: mean('bytesInPerSec'),
    bytesOutPerSec: mean('bytesOutPerSec'),
    heartbeatsSentPerSec: mean('heartbeatsSentPerSec'),
    heartbeatsReceivedPerSec: mean('heartbeatsReceivedPerSec')
  }
}

/** Per-tab rates over [start, end]: first observation at or after start, last at or before end, per tab. */
export function windowRates (samples: PollSample[], start: number, end: number): { perTab: TabRates[], mean?: Rates } {
  const first = new Map<number, TabObservation>()
  const last = new Map<number, TabObservation>()
  for (const s of samples) {
    if (s.at < start || s.at > end) continue
    for (const o of s.observations) {
      if (!first.has(o.tab)) first.set(o.tab, o)
      last.set(o.tab, o)
    }
  }
  const perTab: TabRates[] = []
  for (const [tab, a] of first) {
    const b = last.get(tab)
    // A tab that restarted its node (new peer id) has counters that do not continue: skip rather than go negative.
    if (b === undefined || b === a || b.status.peerId !== a.status.peerId) continue
    perTab.push(counterRates(a, b))
  }
  perTab.sort((x, y) => x.tab - y.tab)
  const mean = meanRates(perTab)
  return mean === undefined ? { perTab } : { perTab, mean }
}

/** Has this observer stopped counting `peer` as live? A dropped entry counts as dead. */
function marks (o: TabObservation, peer: string, states: ReadonlyArray<string>): boolean {
  const entry = o.status.membership.find(m => m.peerId === peer)
  return entry === undefined || states.includes(entry.state)
}

/** First sample at or after `from` in which every open tab is observed and satisfies `ok`; undefined if none. */
function firstWhereAllOpen (samples: PollSample[], from: number, ok: (o: TabObservation) => boolean): PollSample | undefined {
  for (const s of samples) {
    if (s.at < from) continue
    const open = new Set(s.openTabs)
    const observed = s.observations.filter(o => open.has(o.tab))
    if (observed.length === open.size && observed.every(ok)) return s
  }
  return undefined
}

function closeOutcome (record: RunRecord, event: Extract<RunEvent, { kind: 'close-tabs' }>): EventOutcome {
  const before = record.samples.findIndex(s => s.at >= event.at)
  const ids = peerIdsUpTo(record.samples, before === -1 ? record.samples.length - 1 : before)
  const peerIds = event.tabs.map(t => ids.get(t)).filter((id): id is string => id !== undefined)
  const outcome: EventOutcome = { kind: 'close-tabs', at: event.at, tabs: event.tabs, peerIds }
  if (peerIds.length === 0) return outcome
  const later = record.samples.filter(s => s.at >= event.at)
  const suspect = firstWhereAllOpen(later, event.at, o => peerIds.every(p => marks(o, p, ['suspect', 'dead'])))
  const dead = firstWhereAllOpen(later, event.at, o => peerIds.every(p => marks(o, p, ['dead'])))
  if (suspect !== undefined) outcome.allSuspectMs = suspect.at - event.at
  if (dead !== undefined) outcome.allDeadMs = dead.at - event.at
  return outcome
}

function stopOutcome (record: RunRecord, event: Extract<RunEvent, { kind: 'stop-relay' }>, summaries: MeshSummary[], endAt: number): EventOutcome {
  const back = record.events.find(e => e.kind === 'restart-relay' && e.at >= event.at)
  const until = back?.at ?? endAt
  const during = summaries.filter(s => s.at >= event.at && s.at <= until)
  const down = during.find(s => s.observed === s.openTabs && s.relayDown === s.openTabs)
  const outcome: EventOutcome = {
    kind: 'stop-relay',
    at: event.at,
    outageMs: until - event.at,
    coverage: minMean(during.map(s => s.heartbeatCoverage))
  }
  if (down !== undefined) outcome.allDisconnectedMs = down.at - event.at
  return outcome
}

function restartOutcome (record: RunRecord, event: Extract<RunEvent, { kind: 'restart-relay' }>): EventOutcome {
  // The outage began at the latest stop before this restart, or at the restart itself (which stops first).
  const stop = record.events.filter(e => e.kind === 'stop-relay' && e.at <= event.at).at(-1)
  const outageStart = stop?.at ?? event.at
  const bootstrapsBefore = new Map<number, number>()
  for (const s of record.samples) {
    if (s.at >= outageStart) break
    for (const o of s.observations) bootstrapsBefore.set(o.tab, o.status.relay.bootstraps)
  }
  // A tab has re-bootstrapped once it is connected and reserved again after having noticed the outage
  // (seen disconnected) or after counting a new bootstrap: a stale "connected" from before the stop does not count.
  const sawDown = new Set<number>()
  let done: PollSample | undefined
  for (const s of record.samples) {
    if (s.at < outageStart) continue
    for (const o of s.observations) if (!o.status.relay.connected) sawDown.add(o.tab)
    if (s.at < event.at) continue
    const open = new Set(s.openTabs)
    const observed = s.observations.filter(o => open.has(o.tab))
    const ok = observed.length === open.size && observed.every(o =>
      o.status.relay.connected && o.status.relay.reserved &&
      (sawDown.has(o.tab) || o.status.relay.bootstraps > (bootstrapsBefore.get(o.tab) ?? 0)))
    if (ok) { done = s; break }
  }
  const outcome: EventOutcome = { kind: 'restart-relay', at: event.at }
  if (event.listeningAt !== undefined) outcome.listeningAt = event.listeningAt
  if (done !== undefined) {
    outcome.allRebootstrappedMs = done.at - event.at
    if (event.listeningAt !== undefined) outcome.allRebootstrappedAfterListeningMs = done.at - event.listeningAt
  }
  return outcome
}

/** What one event led to, judged on the record's samples (summaries are computed if not given). */
export function eventOutcome (record: RunRecord, event: RunEvent, summaries?: MeshSummary[], endAt?: number): EventOutcome {
  if (event.kind === 'close-tabs') return closeOutcome(record, event)
  if (event.kind === 'restart-relay') return restartOutcome(record, event)
  return stopOutcome(record, event, summaries ?? summarizeSeries(record.samples, record.heartbeatWindowMs),
    endAt ?? record.samples.at(-1)?.at ?? event.at)
}

function tabSummaries (record: RunRecord): TabSummary[] {
  const lastObs = new Map<number, TabObservation>()
  const upAt = new Map<number, number>()
  const firstDirectAt = new Map<number, number>()
  const lastAt = new Map<number, number>()
  for (const s of record.samples) {
    for (const o of s.observations) {
      lastObs.set(o.tab, o)
      lastAt.set(o.tab, s.at)
      if (o.status.state === 'running' && !upAt.has(o.tab)) upAt.set(o.tab, s.at)
      if (!firstDirectAt.has(o.tab) && o.status.neighbours.some(n => n.transport === 'webrtc')) firstDirectAt.set(o.tab, s.at)
    }
  }
  return record.tabs.map(t => {
    const o = lastObs.get(t.tab)
    const summary: TabSummary = {
      tab: t.tab,
      openedAt: t.openedAt,
      pageErrors: t.pageErrors ?? 0,
      direct: 0,
      relayed: 0,
      membership: { alive: 0, suspect: 0, dead: 0 },
      rejected: {}
    }
    if (t.loadedAt !== undefined) summary.loadedAt = t.loadedAt
    if (t.loadError !== undefined) summary.loadError = t.loadError
    if (t.closedAt !== undefined) summary.closedAt = t.closedAt
    const up = upAt.get(t.tab)
    if (up !== undefined) summary.upAt = up
    const fd = firstDirectAt.get(t.tab)
    if (fd !== undefined) summary.firstDirectAt = fd
    if (o === undefined) return summary
    const st = o.status
    summary.peerId = st.peerId
    summary.state = st.state
    if (st.error !== undefined) summary.error = st.error
    summary.lastObservedAt = lastAt.get(t.tab)!
    summary.direct = new Set(st.neighbours.filter(n => n.transport === 'webrtc').map(n => n.peerId)).size
    summary.relayed = new Set(st.neighbours.filter(n => n.transport === 'relayed').map(n => n.peerId)).size
    for (const m of st.membership) summary.membership[m.state]++
    summary.relay = st.relay
    summary.counters = { ...st.counters }
    summary.rejected = { ...st.rejected }
    summary.heartbeatRatePerSec = st.heartbeatRatePerSec
    if (st.lastDialError !== undefined) summary.lastDialError = st.lastDialError
    if (o.jsHeapBytes !== undefined) summary.jsHeapBytes = o.jsHeapBytes
    if (st.timeline !== undefined && st.startedAt > 0) {
      summary.milestones = Object.fromEntries(Object.entries(st.timeline).map(([k, ms]) => [k, st.startedAt + ms]))
    }
    return summary
  })
}

/** Sum of counters over the given tab summaries (tabs never observed contribute nothing). */
export function totalCounters (tabs: TabSummary[]): StatusCounters {
  const total = Object.fromEntries(COUNTER_NAMES.map(k => [k, 0])) as unknown as StatusCounters
  for (const t of tabs) {
    if (t.counters === undefined) continue
    for (const k of COUNTER_NAMES) total[k] += t.counters[k]
  }
  return total
}

/** Every figure the report needs, computed from what the harness recorded. */
export function analyzeRun (record: RunRecord): RunAnalysis {
  const { samples } = record
  const summaries = summarizeSeries(samples, record.heartbeatWindowMs)
  const endAt = samples.at(-1)?.at ?? record.lastTabLoadedAt
  const deadline = record.lastTabLoadedAt + record.convergenceTimeoutMs
  // Convergence is judged on the full swarm: only once every tab has been opened and before any tab is closed.
  const firstClose = record.events.find(e => e.kind === 'close-tabs')?.at ?? Infinity
  const candidates = summaries.filter(s => s.at <= deadline && s.at < firstClose)
  const conv = candidates.find(s => s.converged && s.openTabs === record.tabCount)

  const convergence: RunAnalysis['convergence'] = {
    converged: conv !== undefined,
    requiredDirectPeers: requiredDirectPeers(record.tabCount)
  }
  if (conv !== undefined) {
    convergence.at = conv.at
    convergence.fromFirstTabOpenedMs = conv.at - record.firstTabOpenedAt
    convergence.fromLastTabLoadedMs = conv.at - record.lastTabLoadedAt
  } else if (candidates.length > 0) {
    // a sample few tabs answered says little: coverage and links among 2 tabs of 20 looked converged
    const complete = candidates.filter(s => s.openTabs === record.tabCount && s.observed === s.openTabs)
    const best = (complete.length > 0 ? complete : candidates).reduce((a, b) => (b.heartbeatCoverage > a.heartbeatCoverage ||
      (b.heartbeatCoverage === a.heartbeatCoverage && b.minDirectPerTab >= a.minDirectPerTab)) ? b : a)
    const { observed, openTabs, fewestDirectTabs, pairsNotAlive, tabsUp } = best
    convergence.best = { ...linkFigures(best), observed, openTabs, fewestDirectTabs, pairsNotAlive, tabsUp }
  }
  const firstDirect = summaries.find(s => s.directLinks > 0)
  if (firstDirect !== undefined) convergence.firstDirectLinkMs = firstDirect.at - record.lastTabLoadedAt
  const firstHeard = samples.find(s => s.observations.some(o => o.status.membership.some(m => m.heartbeats > 0)))
  if (firstHeard !== undefined) convergence.firstHeartbeatMs = firstHeard.at - record.lastTabLoadedAt
  const allUp = summaries.find(s => s.openTabs === record.tabCount && s.tabsUp === record.tabCount)
  if (allUp !== undefined) convergence.allTabsUpMs = allUp.at - record.firstTabOpenedAt

  const analysis: RunAnalysis = {
    convergence,
    events: [],
    rejected: {},
    tabs: tabSummaries(record),
    timeline: []
  }
  if (conv !== undefined) analysis.linksAtConvergence = linkFigures(conv)
  // A poll in which a busy tab did not answer in time says nothing about its links: take the last one that saw every
  // open tab (else the last that saw any), not a late poll of nobody reported as "0 links, 0 % coverage".
  // The gossip meshes at the end come from that same poll (summaries are the samples, one to one).
  const endIndex = summaries.findLastIndex(s => s.openTabs > 0 && s.observed === s.openTabs)
  const last = summaries[endIndex] ?? summaries.findLast(s => s.observed > 0)
  if (last !== undefined) analysis.linksAtEnd = linkFigures(last)
  const full = samples[endIndex]
  if (full !== undefined) {
    const open = new Set(full.openTabs)
    const openObservations = full.observations.filter(o => open.has(o.tab))
    const mesh = gossipMeshFigures(openObservations)
    if (Object.keys(mesh).length > 0) analysis.gossipMeshAtEnd = mesh
    const copies = gossipCopyFigures(openObservations)
    if (Object.keys(copies).length > 0) analysis.gossipCopiesAtEnd = copies
    const lanes = gossipLaneFigures(openObservations)
    if (lanes !== undefined) analysis.gossipLanesAtEnd = lanes
  }

  if (record.steady !== undefined) {
    const { start, end } = record.steady
    analysis.steady = {
      start,
      end,
      windowMs: end - start,
      coverage: minMean(summaries.filter(s => s.at >= start && s.at <= end).map(s => s.heartbeatCoverage)),
      rates: windowRates(samples, start, end)
    }
  }

  for (const e of record.events) analysis.events.push(eventOutcome(record, e, summaries, endAt))

  for (const t of analysis.tabs) {
    for (const [reason, n] of Object.entries(t.rejected)) analysis.rejected[reason] = (analysis.rejected[reason] ?? 0) + n
  }

  let nextTick = -Infinity
  for (const s of summaries) {
    if (s.at < nextTick) continue
    analysis.timeline.push(s)
    nextTick = s.at + 1000
  }
  return analysis
}

/** Why the run is not ok; empty when it is. */
export function findFailures (record: RunRecord, analysis: RunAnalysis): string[] {
  const failures: string[] = []
  const c = analysis.convergence
  if (!c.converged) {
    const best = c.best
    const detail = best === undefined
      ? 'no tab answered a status poll'
      : `best seen: ${best.observed} of ${best.openTabs} tabs answered, ${best.tabsUp} running, ` +
        `min ${best.minDirectPerTab} direct peers per tab (need ${c.requiredDirectPeers}` +
        `${best.fewestDirectTabs.length > 0 ? `; fewest: tab ${best.fewestDirectTabs.join(', ')}` : ''}), ` +
        `heartbeat coverage ${Math.floor(best.heartbeatCoverage * 100)}%, ${best.pairsNotAlive} of the pairs not held alive`
    const endedAt = record.endedAt ?? record.samples.at(-1)?.at ?? record.lastTabLoadedAt
    if (endedAt >= record.lastTabLoadedAt + record.convergenceTimeoutMs) {
      failures.push(`did not converge within ${(record.convergenceTimeoutMs / 1000).toFixed(0)} s of the last tab loading (${detail})`)
    } else {
      // The run was cut short (interrupted, or a fatal error): the deadline never came.
      failures.push(`had not converged when the run ended, ${((endedAt - record.lastTabLoadedAt) / 1000).toFixed(1)} s after the last tab loaded (${detail})`)
    }
  }
  for (const t of analysis.tabs) {
    if (t.loadError !== undefined) failures.push(`tab ${t.tab} failed to load: ${t.loadError}`)
    else if (t.state === 'error') failures.push(`tab ${t.tab} reported state error: ${t.error ?? '(no message)'}`)
    else if (t.state === undefined && t.closedAt === undefined) failures.push(`tab ${t.tab} never answered window.fedmesh.status()`)
  }
  for (const e of analysis.events) {
    if (e.kind === 'close-tabs') {
      if (e.peerIds.length < e.tabs.length) failures.push(`closed tabs ${e.tabs.join(',')}: peer id of some never seen, cannot check they were marked dead`)
      else if (e.allDeadMs === undefined) failures.push(`closed tabs ${e.tabs.join(',')} were not marked dead by every remaining tab before the run ended`)
    } else if (e.kind === 'restart-relay' && e.allRebootstrappedMs === undefined) {
      failures.push('after the relay restart not every tab re-bootstrapped (relay connected and reserved) before the run ended')
    }
  }
  return failures
}
