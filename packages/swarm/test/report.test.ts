import { describe, expect, it } from 'vitest'
import {
  analyzeRun, counterRates, findFailures, formatProgress, gossipCopyFigures, gossipLaneFigures, gossipMeshFigures, requiredDirectPeers, summarizeSample, summarizeSeries,
  totalCounters, windowRates
} from '../src/report.ts'
import type { PollSample, RunRecord, TabObservation } from '../src/report.ts'
import type { FedmeshStatus, MembershipState, NeighbourTransport, StatusCounters } from '../src/status.ts'

interface StatusSpec {
  state?: FedmeshStatus['state']
  error?: string
  /** peer id -> transport(s) of the connections this tab has to it */
  links?: Record<string, NeighbourTransport | NeighbourTransport[]>
  /** peer id -> [lastHeardAt, state, heartbeats] */
  heard?: Record<string, [number, MembershipState?, number?]>
  relay?: Partial<FedmeshStatus['relay']>
  counters?: Partial<StatusCounters>
  rejected?: Record<string, number>
}

function status (peerId: string, spec: StatusSpec = {}): FedmeshStatus {
  const neighbours: FedmeshStatus['neighbours'] = []
  for (const [peer, t] of Object.entries(spec.links ?? {})) {
    for (const transport of Array.isArray(t) ? t : [t]) neighbours.push({ peerId: peer, transport, direction: 'outbound', openedAt: 0 })
  }
  const membership = Object.entries(spec.heard ?? {}).map(([peer, [lastHeardAt, state, heartbeats]]) =>
    ({ peerId: peer, state: state ?? 'alive', phi: 0, lastHeardAt, heartbeats: heartbeats ?? 1 }))
  const s: FedmeshStatus = {
    peerId,
    startedAt: 0,
    state: spec.state ?? 'running',
    relay: { addrs: [], connected: true, reserved: true, bootstraps: 1, ...spec.relay },
    neighbours,
    membership,
    counters: {
      heartbeatsSent: 0, heartbeatsReceived: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0,
      dialsStarted: 0, dialsSucceeded: 0, dialsFailed: 0, ...spec.counters
    },
    rejected: spec.rejected ?? {},
    heartbeatRatePerSec: 0
  }
  if (spec.error !== undefined) s.error = spec.error
  return s
}

const obs = (tab: number, at: number, st: FedmeshStatus): TabObservation => ({ tab, at, status: st })

/** A full mesh of `n` tabs named p0..p{n-1}, every tab directly linked to and hearing every other at `at`. */
function fullMesh (n: number, at: number, transport: NeighbourTransport = 'webrtc', extra: (i: number) => StatusSpec = () => ({})): TabObservation[] {
  const peers = Array.from({ length: n }, (_, i) => `p${i}`)
  return peers.map((self, i) => {
    const others = peers.filter(p => p !== self)
    return obs(i, at, status(self, {
      links: Object.fromEntries(others.map(p => [p, transport])),
      heard: Object.fromEntries(others.map(p => [p, [at]])),
      ...extra(i)
    }))
  })
}

const criteria = { heartbeatWindowMs: 3000 }

describe('requiredDirectPeers', () => {
  it('is min(3, N-1)', () => {
    expect([1, 2, 3, 4, 5, 20].map(requiredDirectPeers)).toEqual([0, 1, 2, 3, 3, 3])
  })
})

describe('summarizeSample', () => {
  it('counts each direct pair once and declares a full mesh converged', () => {
    const s = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: fullMesh(3, 10) }, criteria)
    expect(s).toMatchObject({
      openTabs: 3, observed: 3, tabsUp: 3, directLinks: 3, relayedLinks: 0, minDirectPerTab: 2, maxDirectPerTab: 2,
      requiredDirectPeers: 2, heartbeatCoverage: 1, relayReady: 3, relayDown: 0, converged: true
    })
  })

  it('counts relayed links apart from direct ones and needs direct links to converge', () => {
    const s = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: fullMesh(3, 10, 'relayed') }, criteria)
    expect(s.directLinks).toBe(0)
    expect(s.relayedLinks).toBe(3)
    expect(s.heartbeatCoverage).toBe(1)
    expect(s.converged).toBe(false)
  })

  it('needs min(3, N-1) direct peers on every tab, not just on average', () => {
    // 5 tabs: a ring gives everyone 2 direct peers, one short of 3.
    const peers = ['p0', 'p1', 'p2', 'p3', 'p4']
    const observations = peers.map((self, i) => obs(i, 10, status(self, {
      links: { [peers[(i + 1) % 5]!]: 'webrtc', [peers[(i + 4) % 5]!]: 'webrtc' },
      heard: Object.fromEntries(peers.filter(p => p !== self).map(p => [p, [10]]))
    })))
    const ring = summarizeSample({ at: 10, openTabs: [0, 1, 2, 3, 4], observations }, criteria)
    expect(ring.directLinks).toBe(5)
    expect(ring.minDirectPerTab).toBe(2)
    expect(ring.heartbeatCoverage).toBe(1)
    expect(ring.converged).toBe(false)
    // Chords p0-p2, p1-p3, p2-p4, p3-p0, p4-p1 give everyone 4: converged.
    for (const [a, b] of [[0, 2], [1, 3], [2, 4], [3, 0], [4, 1]] as const) {
      observations[a]!.status.neighbours.push({ peerId: peers[b]!, transport: 'webrtc', direction: 'outbound', openedAt: 0 })
      observations[b]!.status.neighbours.push({ peerId: peers[a]!, transport: 'webrtc', direction: 'inbound', openedAt: 0 })
    }
    const meshed = summarizeSample({ at: 10, openTabs: [0, 1, 2, 3, 4], observations }, criteria)
    expect(meshed.directLinks).toBe(10)
    expect(meshed.minDirectPerTab).toBe(4)
    expect(meshed.converged).toBe(true)
  })

  it('needs every other tab alive with heartbeats received', () => {
    const suspect = fullMesh(3, 10)
    suspect[1]!.status.membership[0]!.state = 'suspect'
    expect(summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: suspect }, criteria).converged).toBe(false)

    const noBeats = fullMesh(3, 10)
    noBeats[2]!.status.membership[1]!.heartbeats = 0
    const s = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: noBeats }, criteria)
    expect(s.converged).toBe(false)
    expect(s.heartbeatCoverage).toBeCloseTo(5 / 6)
  })

  it('counts a heartbeat as recent only within the window, on the observing tab clock', () => {
    const observations = [
      obs(0, 10_000, status('p0', { links: { p1: 'webrtc' }, heard: { p1: [7_000] } })), // 3000 ms ago: recent
      obs(1, 10_000, status('p1', { links: { p0: 'webrtc' }, heard: { p0: [6_999] } })) // 3001 ms ago: stale
    ]
    const s = summarizeSample({ at: 99_999, openTabs: [0, 1], observations }, criteria)
    expect(s.heartbeatCoverage).toBe(0.5)
    // Staleness alone does not break convergence: the tab's own membership verdict (alive) decides.
    expect(s.converged).toBe(true)
  })

  it('prefers the tab\'s own lastHeardMsAgo when it gives one (lastHeardAt may be on a monotonic clock)', () => {
    const observations = [
      obs(0, 1_800_000_000_000, status('p0', { links: { p1: 'webrtc' }, heard: { p1: [12_345] } })),
      obs(1, 1_800_000_000_000, status('p1', { links: { p0: 'webrtc' }, heard: { p0: [12_000] } }))
    ]
    observations[0]!.status.membership[0]!.lastHeardMsAgo = 400
    observations[1]!.status.membership[0]!.lastHeardMsAgo = 3001
    const s = summarizeSample({ at: 0, openTabs: [0, 1], observations }, criteria)
    expect(s.heartbeatCoverage).toBe(0.5)
  })

  it('is not converged while a tab is missing, starting or in error', () => {
    const mesh = fullMesh(3, 10)
    expect(summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: mesh.slice(0, 2) }, criteria).converged).toBe(false)
    const starting = fullMesh(3, 10, 'webrtc', i => i === 2 ? { state: 'starting' } : {})
    const s1 = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: starting }, criteria)
    expect(s1.tabsUp).toBe(2)
    expect(s1.converged).toBe(false)
    const failed = fullMesh(3, 10, 'webrtc', i => i === 0 ? { state: 'error', error: 'boom' } : {})
    const s2 = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: failed }, criteria)
    expect(s2.tabsInError).toBe(1)
    expect(s2.converged).toBe(false)
  })

  it('uses peer ids learnt earlier for tabs that did not answer this poll', () => {
    const mesh = fullMesh(3, 10)
    const partial: PollSample = { at: 10, openTabs: [0, 1, 2], observations: mesh.slice(0, 2) }
    // Without knowing tab 2 is p2, links to p2 are not links to an open tab, and p2's heartbeats do not count.
    const blind = summarizeSample(partial, criteria)
    expect(blind.directLinks).toBe(1)
    expect(blind.heartbeatCoverage).toBeCloseTo(2 / 4)
    const informed = summarizeSample(partial, { ...criteria, peerIdsByTab: new Map([[2, 'p2']]) })
    expect(informed.directLinks).toBe(3)
    expect(informed.heartbeatCoverage).toBe(1)
  })

  it('ignores links to and heartbeats from tabs that are no longer open', () => {
    const mesh = fullMesh(3, 10) // tab 2 (p2) closed: still listed by the others
    const s = summarizeSample({ at: 10, openTabs: [0, 1], observations: mesh }, criteria)
    expect(s).toMatchObject({ openTabs: 2, observed: 2, directLinks: 1, minDirectPerTab: 1, heartbeatCoverage: 1, converged: true })
  })

  it('counts relay state', () => {
    const mesh = fullMesh(3, 10, 'webrtc', i => ({ relay: i === 0 ? { connected: false, reserved: false } : i === 1 ? { reserved: false } : {} }))
    const s = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: mesh }, criteria)
    expect(s.relayReady).toBe(1)
    expect(s.relayDown).toBe(1)
  })

  it('treats a lone tab as converged and fully covered', () => {
    const s = summarizeSample({ at: 1, openTabs: [0], observations: [obs(0, 1, status('p0'))] }, criteria)
    expect(s.converged).toBe(true)
    expect(s.heartbeatCoverage).toBe(1)
    expect(summarizeSample({ at: 1, openTabs: [0], observations: [] }, criteria).converged).toBe(false)
  })
})

describe('formatProgress', () => {
  it('prints the figures the issue asks for', () => {
    const s = summarizeSample({ at: 10, openTabs: [0, 1, 2], observations: fullMesh(3, 10) }, criteria)
    expect(formatProgress(4210, s)).toBe('[  4.2s] tabs 3/3 up | direct links 3 (min/tab 2) | heartbeat coverage 100% | relayed 0 | converged')
    const partial = summarizeSample({ at: 10, openTabs: [0, 1, 2, 3], observations: fullMesh(3, 10, 'webrtc', i => i === 0 ? { relay: { reserved: false } } : {}) }, criteria)
    expect(formatProgress(12_000, partial)).toMatch(/^\[ 12\.0s\] tabs 3\/4 up \| .* \| relay ready 2\/3$/)
    expect(formatProgress(12_000, partial, 1)).toMatch(/\| relay ready 2\/3 \| no answer 1$/)
  })
})

/** A 3-tab run: tabs open at 1000/1100/1200, load at +500; mesh forms gradually; polls every 500 ms. */
function growingRun (): RunRecord {
  const samples: PollSample[] = []
  const openTabs = [0, 1, 2]
  // t=1500: p0 alone running; 2000: p0-p1 relayed, heartbeats between them; 2500: p0-p1 direct, p2 up;
  // 3000: all hear all, p2 only relayed; 3500: full direct mesh (converged); 4000+: stays converged
  samples.push({ at: 1500, openTabs, observations: [obs(0, 1500, status('p0'))] })
  samples.push({
    at: 2000, openTabs, observations: [
      obs(0, 2000, status('p0', { links: { p1: 'relayed' }, heard: { p1: [1900] } })),
      obs(1, 2000, status('p1', { links: { p0: 'relayed' }, heard: { p0: [1950] } }))
    ]
  })
  samples.push({
    at: 2500, openTabs, observations: [
      obs(0, 2500, status('p0', { links: { p1: ['webrtc', 'relayed'] }, heard: { p1: [2400] } })),
      obs(1, 2500, status('p1', { links: { p0: 'webrtc' }, heard: { p0: [2450] } })),
      obs(2, 2500, status('p2', { state: 'starting' }))
    ]
  })
  samples.push({
    at: 3000, openTabs, observations: [
      obs(0, 3000, status('p0', { links: { p1: 'webrtc', p2: 'relayed' }, heard: { p1: [2900], p2: [2900] } })),
      obs(1, 3000, status('p1', { links: { p0: 'webrtc', p2: 'relayed' }, heard: { p0: [2900], p2: [2900] } })),
      obs(2, 3000, status('p2', { links: { p0: 'relayed', p1: 'relayed' }, heard: { p0: [2900], p1: [2900] } }))
    ]
  })
  for (let at = 3500; at <= 6000; at += 500) {
    samples.push({ at, openTabs, observations: fullMesh(3, at, 'webrtc', i => ({ counters: { messagesIn: at * (i + 1), bytesIn: at * 100 } })) })
  }
  return {
    tabCount: 3,
    heartbeatWindowMs: 3000,
    firstTabOpenedAt: 1000,
    lastTabLoadedAt: 1700,
    convergenceTimeoutMs: 10_000,
    steady: { start: 3500, end: 5500 },
    events: [],
    tabs: [{ tab: 0, openedAt: 1000, loadedAt: 1500 }, { tab: 1, openedAt: 1100, loadedAt: 1600 }, { tab: 2, openedAt: 1200, loadedAt: 1700 }],
    samples
  }
}

describe('analyzeRun: convergence', () => {
  it('times convergence from the first tab opened and the last tab loaded', () => {
    const a = analyzeRun(growingRun())
    expect(a.convergence).toMatchObject({
      converged: true, requiredDirectPeers: 2, at: 3500, fromFirstTabOpenedMs: 2500, fromLastTabLoadedMs: 1800,
      firstDirectLinkMs: 800, firstHeartbeatMs: 300, allTabsUpMs: 2000
    })
    expect(a.linksAtConvergence).toMatchObject({ directLinks: 3, relayedLinks: 0, minDirectPerTab: 2 })
    expect(findFailures(growingRun(), a)).toEqual([])
  })

  it('fails when convergence comes only after the timeout, and reports the best state seen', () => {
    const run = { ...growingRun(), convergenceTimeoutMs: 1500 } // deadline 3200: last sample before is 3000
    const a = analyzeRun(run)
    expect(a.convergence.converged).toBe(false)
    expect(a.convergence.at).toBeUndefined()
    expect(a.convergence.best).toMatchObject({ at: 3000, heartbeatCoverage: 1, minDirectPerTab: 0, relayedLinks: 2, fewestDirectTabs: [2], pairsNotAlive: 0 })
    const failures = findFailures(run, a)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatch(/did not converge within 2 s .*best seen: 3 of 3 tabs answered, 3 running, min 0 direct peers per tab \(need 2; fewest: tab 2\), heartbeat coverage 100%, 0 of the pairs not held alive/)
  })

  it('takes the links at the end from the last poll that saw the tabs, not a late poll nobody answered', () => {
    const run = growingRun()
    run.samples.push({ at: 6500, openTabs: [0, 1, 2], observations: [] })
    const a = analyzeRun(run)
    expect(a.linksAtEnd).toMatchObject({ at: 6000, directLinks: 3, minDirectPerTab: 2, heartbeatCoverage: 1 })
    run.samples.push({ at: 7000, openTabs: [0, 1, 2], observations: fullMesh(3, 7000).slice(0, 2) })
    expect(analyzeRun(run).linksAtEnd).toMatchObject({ at: 6000 })
  })

  it('does not claim a timeout when the run ended before the deadline', () => {
    const run = growingRun()
    run.samples = run.samples.slice(0, 3) // ends at 2500, deadline 11_700
    const failures = findFailures(run, analyzeRun(run))
    // the best is taken among the samples every tab answered: the one at 2000 s (2 of 3 answered) had 50 % coverage
    expect(failures).toEqual(['had not converged when the run ended, 0.8 s after the last tab loaded (best seen: 3 of 3 tabs answered, 2 running, ' +
      'min 0 direct peers per tab (need 2; fewest: tab 2), heartbeat coverage 33%, 4 of the pairs not held alive)'])
    // Observation went on until the deadline, past the last sample: that is a timeout.
    run.endedAt = 11_700
    expect(findFailures(run, analyzeRun(run))[0]).toMatch(/^did not converge within 10 s of the last tab loading/)
  })

  it('does not count a mesh that converged only after tabs were closed', () => {
    const run = growingRun()
    run.events = [{ kind: 'close-tabs', at: 3200, tabs: [2] }]
    expect(analyzeRun(run).convergence.converged).toBe(false)
  })
})

describe('analyzeRun: steady window, tabs, timeline', () => {
  it('computes per-tab rates over the steady window on the tab clocks', () => {
    const a = analyzeRun(growingRun())
    expect(a.steady).toMatchObject({ start: 3500, end: 5500, windowMs: 2000, coverage: { min: 1, mean: 1, samples: 5 } })
    const perTab = a.steady!.rates.perTab
    expect(perTab.map(r => r.tab)).toEqual([0, 1, 2])
    // messagesIn = at * (tab + 1): per second of page clock that is 1000 * (tab + 1)
    expect(perTab.map(r => r.messagesInPerSec)).toEqual([1000, 2000, 3000])
    expect(perTab.every(r => r.bytesInPerSec === 100_000 && r.windowMs === 2000)).toBe(true)
    expect(a.steady!.rates.mean?.messagesInPerSec).toBe(2000)
  })

  it('summarizes each tab from its last status', () => {
    const run = growingRun()
    run.samples.at(-1)!.observations[1]!.status.rejected = { 'bad-signature': 2 }
    run.samples.at(-1)!.observations[2]!.status.rejected = { 'bad-signature': 1, 'too-large': 4 }
    const a = analyzeRun(run)
    expect(a.rejected).toEqual({ 'bad-signature': 3, 'too-large': 4 })
    expect(a.tabs[2]).toMatchObject({
      tab: 2, peerId: 'p2', state: 'running', openedAt: 1200, loadedAt: 1700, upAt: 3000, firstDirectAt: 3500,
      lastObservedAt: 6000, direct: 2, relayed: 0, membership: { alive: 2, suspect: 0, dead: 0 }
    })
    expect(a.tabs[0]).toMatchObject({ upAt: 1500, firstDirectAt: 2500 })
    expect(a.tabs[0]!.milestones).toBeUndefined()
    expect(totalCounters(a.tabs).messagesIn).toBe(6000 * 6)
  })

  it('reports each tab\'s start-up milestones on the epoch clock', () => {
    const run = growingRun()
    const last = run.samples.at(-1)!.observations[1]!.status
    last.startedAt = 10_000
    last.timeline = { starting: 5, relayConnected: 300, reserved: 420 }
    expect(analyzeRun(run).tabs[1]!.milestones).toEqual({ starting: 10_005, relayConnected: 10_300, reserved: 10_420 })
  })

  it('keeps about one timeline entry per second', () => {
    const a = analyzeRun(growingRun())
    expect(a.timeline.map(s => s.at)).toEqual([1500, 2500, 3500, 4500, 5500])
  })

  it('skips rates for a tab whose node restarted under a new peer id', () => {
    const samples: PollSample[] = [
      { at: 0, openTabs: [0], observations: [obs(0, 0, status('a', { counters: { messagesIn: 500 } }))] },
      { at: 1000, openTabs: [0], observations: [obs(0, 1000, status('b', { counters: { messagesIn: 3 } }))] }
    ]
    expect(windowRates(samples, 0, 1000).perTab).toEqual([])
    expect(counterRates(samples[0]!.observations[0]!, samples[0]!.observations[0]!).messagesInPerSec).toBe(0)
  })
})

/** Tabs 0..3 fully meshed and converged, then `mutate(at)` changes what each tab sees from 5000 on. */
function eventRun (events: RunRecord['events'], mutate: (at: number, tabs: TabObservation[]) => { openTabs?: number[] } | undefined): RunRecord {
  const samples: PollSample[] = []
  for (let at = 1000; at <= 12_000; at += 500) {
    const observations = fullMesh(4, at)
    const change = at >= 5000 ? mutate(at, observations) : undefined
    const openTabs = change?.openTabs ?? [0, 1, 2, 3]
    samples.push({ at, openTabs, observations: observations.filter(o => openTabs.includes(o.tab)) })
  }
  return {
    tabCount: 4,
    heartbeatWindowMs: 3000,
    firstTabOpenedAt: 0,
    lastTabLoadedAt: 500,
    convergenceTimeoutMs: 30_000,
    events,
    tabs: [0, 1, 2, 3].map(tab => ({ tab, openedAt: 0, loadedAt: 500 })),
    samples
  }
}

describe('analyzeRun: events', () => {
  it('times how long the remaining tabs take to mark closed tabs suspect, then dead', () => {
    // Tab 3 (p3) closes at 5000; others mark it suspect at 6500, tab 1 drops it at 7000, all dead at 8000.
    const run = eventRun([{ kind: 'close-tabs', at: 5000, tabs: [3] }], (at, tabs) => {
      for (const o of tabs.slice(0, 3)) {
        const m = o.status.membership.find(e => e.peerId === 'p3')!
        m.lastHeardAt = 4900
        if (at >= 6500) m.state = 'suspect'
        if (at >= 7000 && o.tab === 1) o.status.membership = o.status.membership.filter(e => e.peerId !== 'p3')
        if (at >= 8000) m.state = 'dead'
      }
      return { openTabs: [0, 1, 2] }
    })
    run.tabs[3]!.closedAt = 5000
    const a = analyzeRun(run)
    expect(a.events).toEqual([{ kind: 'close-tabs', at: 5000, tabs: [3], peerIds: ['p3'], allSuspectMs: 1500, allDeadMs: 3000 }])
    expect(findFailures(run, a)).toEqual([])
  })

  it('fails when closed tabs are never marked dead', () => {
    const run = eventRun([{ kind: 'close-tabs', at: 5000, tabs: [2, 3] }], () => ({ openTabs: [0, 1] }))
    const a = analyzeRun(run)
    expect(a.events[0]).toMatchObject({ peerIds: ['p2', 'p3'] })
    expect(a.events[0]).not.toHaveProperty('allDeadMs')
    expect(findFailures(run, a)).toEqual(['closed tabs 2,3 were not marked dead by every remaining tab before the run ended'])
  })

  it('measures heartbeat coverage and relay state during a relay outage, then re-bootstrap after restart', () => {
    // Relay stops at 5000; tabs notice at 6000; tab 0 stops hearing tab 1 from 5000 on (stale at 8000+);
    // restart at 9000, listening at 9400; tabs reconnect at 10000 (tab 2 only at 10500).
    const run = eventRun([{ kind: 'stop-relay', at: 5000 }, { kind: 'restart-relay', at: 9000, listeningAt: 9400 }], (at, tabs) => {
      for (const o of tabs) {
        if (at >= 6000 && at < 10_000) o.status.relay = { ...o.status.relay, connected: false, reserved: false }
        if (at >= 10_000 && o.tab === 2 && at < 10_500) o.status.relay = { ...o.status.relay, connected: false, reserved: false }
        if (at >= 10_000) o.status.relay.bootstraps = 2
      }
      tabs[0]!.status.membership.find(m => m.peerId === 'p1')!.lastHeardAt = Math.min(at, 4999)
      return undefined
    })
    const a = analyzeRun(run)
    const [stop, restart] = a.events
    expect(stop).toMatchObject({ kind: 'stop-relay', at: 5000, allDisconnectedMs: 1000, outageMs: 4000 })
    if (stop?.kind !== 'stop-relay') throw new Error('expected a stop-relay outcome')
    // 12 ordered pairs; one stale pair from 8000 (4999 + 3000 < 8000): 11/12
    expect(stop.coverage.min).toBeCloseTo(11 / 12)
    expect(stop.coverage.samples).toBe(9) // 5000..9000 every 500
    expect(restart).toEqual({ kind: 'restart-relay', at: 9000, listeningAt: 9400, allRebootstrappedMs: 1500, allRebootstrappedAfterListeningMs: 1100 })
    expect(findFailures(run, a)).toEqual([])
  })

  it('does not take a stale "connected" from before the restart as a re-bootstrap', () => {
    // A restart with no stop before it; the tabs never notice and never count a new bootstrap.
    const stale = eventRun([{ kind: 'restart-relay', at: 6000, listeningAt: 6300 }], () => undefined)
    const a = analyzeRun(stale)
    expect(a.events[0]).not.toHaveProperty('allRebootstrappedMs')
    expect(findFailures(stale, a)).toEqual(['after the relay restart not every tab re-bootstrapped (relay connected and reserved) before the run ended'])
    // The same, but the tabs count a new bootstrap at 7000 without ever being seen disconnected.
    const counted = eventRun([{ kind: 'restart-relay', at: 6000 }], (at, tabs) => {
      if (at >= 7000) for (const o of tabs) o.status.relay.bootstraps = 2
      return undefined
    })
    expect(analyzeRun(counted).events[0]).toEqual({ kind: 'restart-relay', at: 6000, allRebootstrappedMs: 1000 })
  })
})

describe('findFailures: tabs', () => {
  it('names tabs that failed to load, errored or never answered', () => {
    const run = growingRun()
    run.tabCount = 5
    run.convergenceTimeoutMs = 3000 // deadline 4700, before the last sample
    run.tabs.push({ tab: 3, openedAt: 1300, loadError: 'net::ERR_CONNECTION_REFUSED' }, { tab: 4, openedAt: 1400, loadedAt: 1800 })
    run.samples.at(-1)!.observations[1]!.status = status('p1', { state: 'error', error: 'relay unreachable' })
    const failures = findFailures(run, analyzeRun(run))
    expect(failures).toContain('tab 3 failed to load: net::ERR_CONNECTION_REFUSED')
    expect(failures).toContain('tab 1 reported state error: relay unreachable')
    expect(failures).toContain('tab 4 never answered window.fedmesh.status()')
    expect(failures.some(f => f.startsWith('did not converge'))).toBe(true)
  })
})

describe('summarizeSeries', () => {
  it('remembers peer ids across samples', () => {
    const mesh = fullMesh(2, 10)
    const series = summarizeSeries([
      { at: 10, openTabs: [0, 1], observations: mesh },
      { at: 20, openTabs: [0, 1], observations: [mesh[0]!] }
    ], 3000)
    expect(series[1]!.directLinks).toBe(1)
    expect(series[1]!.heartbeatCoverage).toBe(1)
  })
})

describe('gossipMeshFigures', () => {
  const withMesh = (tab: number, mesh: Record<string, string[]>): TabObservation => obs(tab, 0, { ...status(`p${tab}`), gossipMesh: mesh })

  it('finds the components of each topic\'s mesh graph, an edge where either side lists the other', () => {
    const g = gossipMeshFigures([
      // topic a: 0-1 (listed by 0 only), 1-2, and 3-4 apart; topic b: a ring 0-1-2-3-4
      withMesh(0, { a: ['p1'], b: ['p1', 'p4'] }),
      withMesh(1, { a: ['p2'], b: ['p0', 'p2'] }),
      withMesh(2, { a: [], b: ['p1', 'p3'] }),
      withMesh(3, { a: ['p4', 'stranger'], b: ['p2', 'p4'] }),
      withMesh(4, { a: ['p3'], b: ['p3', 'p0'] })
    ])
    expect(g.a).toEqual({ tabs: 5, components: 2, sizes: [3, 2], minDegree: 1, maxDegree: 2, meanDegree: 6 / 5 })
    expect(g.b).toMatchObject({ tabs: 5, components: 1, sizes: [5], minDegree: 2, maxDegree: 2 })
  })

  it('reports, at the end of a run, the last poll that saw every open tab', () => {
    const run = growingRun()
    const mesh = (at: number, connected: boolean): PollSample => ({
      at, openTabs: [0, 1, 2], observations: [0, 1, 2].map(i => withMesh(i, { t: connected ? [`p${(i + 1) % 3}`] : (i === 2 ? [] : [`p${1 - i}`]) }))
    })
    run.samples.push(mesh(6500, false), mesh(7000, true), { at: 7500, openTabs: [0, 1, 2], observations: [withMesh(0, { t: [] })] })
    expect(analyzeRun(run).gossipMeshAtEnd).toEqual({ t: { tabs: 3, components: 1, sizes: [3], minDegree: 2, maxDegree: 2, meanDegree: 2 } })
    run.samples.push(mesh(8000, false))
    expect(analyzeRun(run).gossipMeshAtEnd?.t).toMatchObject({ components: 2, sizes: [2, 1] })
  })
})

describe('gossipLaneFigures', () => {
  const withLanes = (tab: number, l: FedmeshStatus['gossipLanes']): TabObservation => obs(tab, 0, { ...status(`p${tab}`), ...(l !== undefined ? { gossipLanes: l } : {}) })

  it('sums the lanes over the tabs that report them and counts the tabs reading the bulk lane', () => {
    expect(gossipLaneFigures([
      withLanes(0, { controlOut: 10, bulkOut: 4, controlIn: 12, bulkIn: 3 }),
      withLanes(1, { controlOut: 5, bulkOut: 0, controlIn: 6, bulkIn: 0 }),
      withLanes(2, undefined)
    ])).toEqual({ tabs: 2, tabsReadingBulk: 1, controlOut: 15, bulkOut: 4, controlIn: 18, bulkIn: 3 })
    expect(gossipLaneFigures([withLanes(0, undefined)])).toBeUndefined()
  })

  it('is reported at the end of a run from the last poll that saw every open tab', () => {
    const run = growingRun()
    run.samples.push({ at: 7000, openTabs: [0, 1], observations: [0, 1].map(i => withLanes(i, { controlOut: 1, bulkOut: 1, controlIn: 2, bulkIn: i })) })
    expect(analyzeRun(run).gossipLanesAtEnd).toEqual({ tabs: 2, tabsReadingBulk: 1, controlOut: 2, bulkOut: 2, controlIn: 4, bulkIn: 1 })
  })
})

describe('gossipCopyFigures', () => {
  const copies = (first: number, duplicates: number, bytes = 100) => ({ first, firstBytes: first * bytes, duplicates, duplicateBytes: duplicates * bytes, forwarded: first, forwardedBytes: first * bytes, idontwantSkipped: 1 })
  const withCopies = (tab: number, c: FedmeshStatus['gossipCopies']): TabObservation => obs(tab, 0, { ...status(`p${tab}`), ...(c !== undefined ? { gossipCopies: c } : {}) })

  it('sums each topic over the tabs and gives the copies per message received', () => {
    const g = gossipCopyFigures([withCopies(0, { u: copies(10, 10), h: copies(5, 0) }), withCopies(1, { u: copies(30, 10) }), withCopies(2, undefined)])
    expect(g.u).toEqual({ tabs: 2, first: 40, firstBytes: 4000, duplicates: 20, duplicateBytes: 2000, forwarded: 40, forwardedBytes: 4000, idontwantSkipped: 2, copiesPerMessage: 1.5 })
    expect(g.h).toMatchObject({ tabs: 1, copiesPerMessage: 1 })
    expect(gossipCopyFigures([withCopies(0, { z: copies(0, 0) })]).z?.copiesPerMessage).toBe(0)
  })

  it('is reported at the end of a run from the last poll that saw every open tab', () => {
    const run = growingRun()
    run.samples.push({ at: 7000, openTabs: [0, 1, 2], observations: [0, 1, 2].map(i => withCopies(i, { t: copies(10, 5) })) })
    expect(analyzeRun(run).gossipCopiesAtEnd?.t).toMatchObject({ tabs: 3, first: 30, duplicates: 15, copiesPerMessage: 1.5 })
  })
})
