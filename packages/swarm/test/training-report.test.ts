import { describe, expect, it } from 'vitest'
import type { PollSample, TabObservation } from '../src/report.ts'
import { normalizeStatus } from '../src/status.ts'
import type { TrainingView } from '../src/status.ts'
import { analyzeTraining, findCoordinator, formatTrainingProgress, pledgesBefore, summariseLapses, trainingFailures } from '../src/training-report.ts'
import type { TrainingRecord } from '../src/training-report.ts'

const peer = (tab: number): string => `p${tab}`
const peerIds = new Map([0, 1, 2, 3].map(t => [t, peer(t)]))

interface Tr { version: number, term?: number, coordinator?: number, lastRound?: { version: number, term: number, coordinator: number, selected: number[], notSelected?: number[], excluded?: number[], total?: number }, models?: Record<string, number>, updates?: Record<string, number>, quarantined?: number[], lossBefore?: number, trainMs?: number, leader?: [number, number, number?], state?: string, message?: string, waitingFor?: number[], verified?: boolean, digest?: string, catchUps?: number, modelsLimited?: number, updateFetch?: Record<string, number>, leadsIn?: number, unproven?: number, electionRejected?: Record<string, number>, heldAt?: Record<number, number>, heldTerm?: Record<number, number>, roundTimes?: Record<number, { openedAt?: number, reopenedAt?: number, trainAt?: number, sentAt?: number, updatesIn?: Record<string, number> }>, delays?: Record<string, { n: number, p50: number, max: number }>, resign?: [number, number, number], by?: string, members?: Array<[number, 'alive' | 'suspect' | 'dead', boolean?]>, links?: number[] }

function ob (tab: number, at: number, t: Tr): TabObservation {
  const training: TrainingView = {
    state: t.state ?? 'running',
    ...(t.message === undefined ? {} : { message: t.message }),
    ...(t.waitingFor === undefined ? {} : { waitingFor: t.waitingFor.map(peer) }),
    term: t.term ?? 1,
    ...(t.coordinator === undefined ? {} : { coordinator: peer(t.coordinator) }),
    version: t.version,
    modelDigest: t.digest ?? `d${t.version}`,
    verifiedModel: t.verified ?? true,
    fetch: { catchUps: t.catchUps ?? 0, ...(t.modelsLimited === undefined ? {} : { limited: t.modelsLimited }) },
    ...(t.heldAt === undefined ? {} : { heldAt: Object.fromEntries(Object.entries(t.heldAt)) }),
    ...(t.heldTerm === undefined ? {} : { heldTerm: Object.fromEntries(Object.entries(t.heldTerm)) }),
    ...(t.roundTimes === undefined ? {} : { roundTimes: Object.fromEntries(Object.entries(t.roundTimes)) }),
    ...(t.updateFetch === undefined ? {} : { updateFetch: t.updateFetch }),
    ...(t.lastRound === undefined
      ? {}
      : {
          lastRound: {
            version: t.lastRound.version,
            round: t.lastRound.version - 1,
            term: t.lastRound.term,
            coordinator: peer(t.lastRound.coordinator),
            verified: true,
            included: [...t.lastRound.selected.map(p => ({ peer: peer(p), selected: true })), ...(t.lastRound.notSelected ?? []).map(p => ({ peer: peer(p), selected: false }))],
            excluded: (t.lastRound.excluded ?? []).map(peer),
            overheadMs: t.lastRound.total === undefined ? {} : { total: t.lastRound.total, updateToModel: t.lastRound.total - 100, modelToVerified: 100 },
            // only the round's coordinator reports how it closed the round
            ...(t.lastRound.coordinator === tab ? { closed: { expected: 4, included: 3, stragglers: 1, durationMs: 2_000, lastInputMs: 50 * t.lastRound.version, lastFWaitMs: 100 * t.lastRound.version, aggregateMs: 5 } } : {})
          }
        }),
    models: { accepted: t.version, verified: t.version, rejected: 0, rejectReasons: t.models ?? {} },
    updates: { sent: t.version, sentBytes: 500 * t.version, sentParameters: 1000 * t.version, received: 0, resent: t.version === 3 ? 1 : 0, resentOnTakeover: t.version === 3 ? 1 : 0, spared: t.version === 3 ? 2 : 0, heldBack: t.version === 3 ? 3 : 0, heldBackSent: t.version === 3 ? 1 : 0, rejected: t.updates ?? {} },
    training: { runs: t.version, ...(t.version === 3 && t.term === 2 ? { skipped: { 'no-data': 2 } } : {}), ...(t.lossBefore === undefined ? {} : { lastLossBefore: t.lossBefore }), ...(t.trainMs === undefined ? {} : { lastTrainMs: t.trainMs }), ...(t.version === 3 && t.term === 2 ? { lastError: 'own update refused: norm' } : {}) },
    quarantined: (t.quarantined ?? []).map(peer)
  }
  const counts = {
    ...(t.leadsIn === undefined ? {} : { counters: { received: { lead: t.leadsIn, vote: 3, ...(t.unproven === undefined ? {} : { 'lead-unproven': t.unproven, resign: 1 }) } } }),
    ...(t.electionRejected === undefined ? {} : { rejected: t.electionRejected }),
    ...(t.delays === undefined ? {} : { delaysMs: t.delays }),
    ...(t.resign === undefined ? {} : { lastResign: { from: peer(t.resign[0]), term: t.resign[1], at: t.resign[2] } }),
    ...(t.by === undefined ? {} : { recognisedBy: t.by })
  }
  const membership = (t.members ?? []).map(([m, state, left]) => ({ peerId: peer(m), state, phi: 0, lastHeardAt: 0, heartbeats: 1, ...(left === true ? { left } : {}) }))
  const neighbours = (t.links ?? []).map(n => ({ peerId: peer(n), transport: 'webrtc', direction: 'outbound', openedAt: 0 }))
  const raw = { peerId: peer(tab), state: 'running', training, membership, neighbours, ...(t.leader === undefined ? {} : { election: { leader: peer(t.leader[0]), leaderTerm: t.leader[1], term: t.leader[1], ...(t.leader[2] === undefined ? {} : { leaderSince: t.leader[2] }), ...counts } }) }
  return { tab, at, status: normalizeStatus(raw)! }
}

const v1 = (total: number) => ({ version: 1, term: 1, coordinator: 0, selected: [0, 1, 2], notSelected: [3], total })
const v2 = (total: number) => ({ version: 2, term: 1, coordinator: 0, selected: [0, 1, 2], notSelected: [3], total })
const v3 = (total: number) => ({ version: 3, term: 2, coordinator: 1, selected: [1, 2], excluded: [3], total })

/** 4 tabs, tab 3 attacks; tab 0 coordinates versions 1-2 and is closed at 1600; tab 1 takes over under term 2. */
const samples: PollSample[] = [
  { at: 1000, openTabs: [0, 1, 2, 3], observations: [
    ob(0, 1000, { version: 1, coordinator: 0, lastRound: v1(300), leader: [0, 1] }),
    ob(1, 1000, { version: 1, coordinator: 0, lastRound: v1(500), lossBefore: 2, trainMs: 300, leader: [0, 1] }),
    ob(2, 1000, { version: 1, coordinator: 0, lastRound: v1(400), lossBefore: 3, trainMs: 500, leader: [0, 1] }),
    ob(3, 1000, { version: 1, coordinator: 0, lastRound: v1(900), lossBefore: 99, trainMs: 9_999, leader: [0, 1] })] },
  { at: 1500, openTabs: [0, 1, 2, 3], observations: [
    ob(0, 1500, { version: 2, coordinator: 0, lastRound: v2(200), updates: { garbage: 1 }, links: [1, 2] })] },
  { at: 2000, openTabs: [1, 2, 3], observations: [
    ob(1, 2000, { version: 2, coordinator: 0, lastRound: v2(250), roundTimes: { 2: { updatesIn: { p2: 1380, p0: 1100 } } } }),
    ob(3, 2000, { version: 2, coordinator: 0, lastRound: v2(10) })] },
  { at: 2500, openTabs: [1, 2, 3], observations: [
    ob(2, 2500, { version: 2, coordinator: 0, lastRound: v2(600) })] },
  { at: 4000, openTabs: [1, 2, 3], observations: [
    ob(1, 4000, { version: 3, term: 2, coordinator: 1, lastRound: v3(700), lossBefore: 1, trainMs: 700, leader: [1, 2, 3500], heldAt: { 1: 900, 2: 1400, 3: 3000 }, roundTimes: { 2: { openedAt: 950, trainAt: 1000, sentAt: 1200 }, 3: { openedAt: 1500, reopenedAt: 3400, trainAt: 1700, sentAt: 2600, updatesIn: { p2: 3100 } } }, models: { 'digest-mismatch': 1 }, updates: { garbage: 2 }, leadsIn: 7, unproven: 2, electionRejected: { replayed: 2, 'bad-vote-signature': 1 }, delays: { vote: { n: 5, p50: 300, max: 900 }, lead: { n: 9, p50: 40, max: 80 } }, resign: [0, 1, 1900], by: 'won' }),
    ob(2, 4000, { version: 3, term: 2, coordinator: 1, lastRound: v3(800), lossBefore: 1.5, trainMs: 1_100, leader: [1, 2, 3700], heldAt: { 1: 1000, 2: 1450, 3: 3200 }, roundTimes: { 2: { openedAt: 1050, trainAt: 1100, sentAt: 1300 }, 3: { openedAt: 1550, reopenedAt: 3600, trainAt: 1800, sentAt: 3000 } }, updates: { garbage: 3 }, quarantined: [3], updateFetch: { asked: 2, recovered: 1, failed: 1, chunks: 3 }, modelsLimited: 2, delays: { vote: { n: 3, p50: 500, max: 1200 } }, resign: [0, 1, 2300], by: 'pledges' }),
    ob(3, 4000, { version: 3, term: 2, coordinator: 1, lastRound: v3(5), leader: [1, 2, 3800], heldAt: { 3: 3900 }, quarantined: [1], delays: { vote: { n: 2, p50: 100, max: 150 }, claim: { n: 0, p50: 0, max: 0 } }, resign: [0, 1, 5000], by: 'pledges' })] }
]

const record: TrainingRecord = {
  lastTabLoadedAt: 100,
  samples,
  attackerTabs: [3],
  peerIds,
  rounds: 3,
  closeCoordinator: { at: 1600, tab: 0, peerId: 'p0', term: 1, version: 2, foundBy: 'training' }
}

describe('analyzeTraining', () => {
  const s = analyzeTraining(record)

  it('gives each round its coordinator, term and the tabs the rule selected, passed over or excluded', () => {
    expect(s.rounds.map(r => [r.version, r.coordinatorTab, r.term, r.selectedTabs, r.notSelectedTabs, r.excludedTabs, r.reportedBy])).toEqual([
      [1, 0, 1, [0, 1, 2], [3], [], 4],
      [2, 0, 1, [0, 1, 2], [3], [], 4],
      [3, 1, 2, [1, 2], [], [3], 3]
    ])
  })

  it('takes round overhead as the worst honest tab\'s own figure, and the spread from poll times', () => {
    // the attacker's 900 ms is not an honest tab's figure
    expect(s.rounds.map(r => r.overheadMs)).toEqual([500, 600, 800])
    // and that tab's two parts: the wait for the model, then its verification
    expect(s.rounds.map(r => r.overheadPartsMs)).toEqual([500, 600, 800].map(t => ({ updateToModel: t - 100, modelToVerified: 100 })))
    // the coordinator tab's account of closing each round: its wait for the last f
    expect(s.rounds.map(r => r.closed?.lastFWaitMs)).toEqual([100, 200, 300])
    // round 3 was taken over (term 2): its overhead holds the failover, so the steady figure leaves it out
    expect(s.rounds.map(r => r.takenOver ?? false)).toEqual([false, false, true])
    expect(s.overhead).toMatchObject({ rounds: 3, medianMs: 600, maxMs: 800, steady: { rounds: 2, medianMs: 550, maxMs: 600 } })
    // version 2: first seen at 1500, every live honest tab (1, 2) at 2500
    expect(s.rounds.map(r => r.spreadMs)).toEqual([0, 1000, 0])
    expect(s.overhead).toEqual({ rounds: 3, medianMs: 600, maxMs: 800, spreadMedianMs: 0, spreadMaxMs: 1000, steady: { rounds: 2, medianMs: 550, maxMs: 600 }, sentToHeld: { rounds: 1, medianMs: 150, maxMs: 150, toMedianTabMedianMs: 125, lastInputToCloseMedianMs: 100, aggregateMedianMs: 5, lastUpdateInMedianMs: { medianTab: 80, lastTab: 80 } } })
  })

  it('times the issue\'s round overhead from the last included update sent to every live honest tab holding the model', () => {
    // version 2: tabs 1 and 2 sent at 1200 and 1300 (tab 0, closed, left no record); held at 1400 and 1450
    // version 3 (taken over): sent at 2600 and 3000, held at 3000 (tab 1, its coordinator) and 3200
    // version 1: no tab recorded sending, so no figure
    expect(s.rounds.map(r => r.sentToHeldMs)).toEqual([
      undefined,
      // tab 2 sent last (1300); tab 1 had it complete at 1380 by a poll that round's later polls no longer show
      { total: 150, toMedianTab: 125, lastUpdateIn: { medianTab: 80, lastTab: 80 } },
      // tab 2 sent last (3000); tab 1, the coordinator, had it at 3100
      { total: 200, toCoordinator: 0, toMedianTab: 100, lastUpdateIn: { coordinator: 100, medianTab: 100, lastTab: 100 } }
    ])
    // the summary leaves the taken-over round out, as the steady overhead does
    // with the coordinator's account of its close (version 2's: 100 ms after its last input, 5 ms aggregating)
    expect(s.overhead.sentToHeld).toEqual({ rounds: 1, medianMs: 150, maxMs: 150, toMedianTabMedianMs: 125, lastInputToCloseMedianMs: 100, aggregateMedianMs: 5, lastUpdateInMedianMs: { medianTab: 80, lastTab: 80 } })
  })

  it('logs each change of a tab\'s election view once, as tabs, relative to the last tab loaded, with the Leads accepted and messages refused so far', () => {
    expect(s.electionLog).toEqual([
      ...[0, 1, 2, 3].map(tab => ({ atS: 0.9, tab, term: 1, leaderTab: 0, leaderTerm: 1 })),
      { atS: 3.9, tab: 1, term: 2, leaderTab: 1, leaderTerm: 2, leadsIn: 7, unprovenLeadsIn: 2, unprovenCertificatesIn: 0, resignsIn: 1, rejectedIn: 3 },
      ...[2, 3].map(tab => ({ atS: 3.9, tab, term: 2, leaderTab: 1, leaderTerm: 2 }))
    ])
  })

  it('sums up the election messages\' delays over the live tabs: the median of their medians, the largest delay', () => {
    expect(s.electionDelaysMs).toEqual({ vote: { tabs: 3, p50: 300, max: 1200 }, lead: { tabs: 1, p50: 40, max: 80 } })
  })

  it('times when no live tab counted the closed tab alive any more, and how many had its leave', () => {
    const members = (closed: 'alive' | 'suspect' | 'dead', left?: boolean): Array<[number, 'alive' | 'suspect' | 'dead', boolean?]> => [[0, closed, left], [1, 'alive'], [2, 'alive'], [3, 'alive']]
    const withMembers: PollSample[] = [
      samples[0]!,
      { at: 2000, openTabs: [1, 2, 3], observations: [
        ob(1, 2000, { version: 2, coordinator: 0, members: members('dead', true) }),
        ob(2, 2000, { version: 2, coordinator: 0, members: members('alive') }),
        ob(3, 2000, { version: 2, coordinator: 0, members: members('dead', true) })] },
      { at: 2500, openTabs: [1, 2, 3], observations: [
        ob(3, 2500, { version: 2, coordinator: 0, members: members('alive') })] },
      { at: 3000, openTabs: [1, 2, 3], observations: [
        // suspect is not alive (rounds and elections count alive members only); tab 3 forgot it: not listed
        ob(2, 3000, { version: 2, coordinator: 0, members: members('suspect') }),
        ob(3, 3000, { version: 2, coordinator: 0, members: [[1, 'alive'], [2, 'alive']] })] }
    ]
    expect(analyzeTraining({ ...record, samples: withMembers }).failover?.dropped).toEqual({ ms: 1400, tabs: 3, byLeave: 1 })
    // tabs without any membership in their status (the main fixture) give no figure
    expect(s.failover).not.toHaveProperty('dropped')
  })

  it('times the failover from the close to the first model of another coordinator held by every live honest tab', () => {
    expect(s.failover).toEqual({
      closedTab: 0, closedPeer: 'p0', foundBy: 'training', atS: 1.5, oldTerm: 1, versionAtClose: 2,
      nextVersion: 3, newCoordinatorTab: 1, newTerm: 2, failoverMs: 2400, newLeaderMs: 2400,
      // by the tabs' own records: tab 2 held v3 last among the live honest tabs (the attacker's 3900 does not count)
      failoverTabClocksMs: 1600,
      // every live tab's own record of when it recognised the new leader (the attacker's election counts here too)
      newLeaderTabClocksMs: 2200,
      // v1 -> v2 held by every live honest tab (1, 2): 1000 -> 1450; v2 -> v3 is the failover's round, left out
      roundTabClocksMs: 450,
      // v2 was held by every live honest tab at 1450, the close came at 1600
      closeLagTabClocksMs: 150,
      heldEverywhereAtClose: 2,
      // round 3 on tabs 1 and 2 after the close at 1600: both trained before it, tab 2 followed the re-announcement
      // last (3600) and held v3 last (3200, 1600 after the close)
      takeover: {
        tabs: 2,
        // every live tab's leaderSince (3500, 3700, 3800; the attacker's election counts, as for newLeaderTabClocksMs)
        leader: { medianMs: 2100, maxMs: 2200 },
        // the closed tab's resign reached tabs 1 and 2 (the attacker's record does not count)
        resign: { tabs: 2, medianMs: 500, maxMs: 700 },
        // every live tab, in the poll where all recognised the new leader
        recognisedBy: { won: 1, pledges: 2 },
        opened: { medianMs: -75, maxMs: -50 },
        reopened: { medianMs: 1900, maxMs: 2000 },
        // the new coordinator (tab 1) re-opened the round at 3400 by its own record
        successorOpenedMs: 1800,
        // tab 1's own record of the resign (1900), and tab 0 listed it among its links in its last poll (1500)
        successorResignMs: 300,
        successorLinked: true,
        train: { medianMs: 150, maxMs: 200 },
        sent: { medianMs: 1200, maxMs: 1400 },
        held: { medianMs: 1500, maxMs: 1600 }
      }
    })
  })

  it('times a round\'s steps from its base model\'s publication, leaving out the first round and the taken-over one', () => {
    // only round 2 qualifies: v1 was first held at 900 (tab 1); tabs 1 and 2 followed, trained, sent and held v2 after
    expect(s.roundSteps).toEqual({
      rounds: 1,
      tabs: 2,
      opened: { medianMs: 100, maxMs: 150 },
      train: { medianMs: 150, maxMs: 200 },
      sent: { medianMs: 350, maxMs: 400 },
      held: { medianMs: 525, maxMs: 550 }
    })
  })

  it('sums rejections over every tab\'s last status, and tells honest from attacker quarantines', () => {
    expect(s.modelsRejected).toEqual({ 'digest-mismatch': 1 })
    expect(s.updatesRejected).toEqual({ garbage: 6 })
    expect(s.updateFetch).toEqual({ asked: 2, recovered: 1, failed: 1, chunks: 3 })
    expect(s.modelFetchLimited).toBe(2)
    expect(s.updatesResent).toBe(3) // tabs 1, 2 and 3 (last status at v3) resent one each
    expect(s.resentOnTakeover).toBe(3) // on a takeover, all of them
    expect(s.resendsSpared).toBe(6) // and spared two each
    expect(s.copiesHeldBack).toBe(9) // held back three each
    expect(s.heldBackSent).toBe(3) // of which one each went out after all
    // the honest tabs' own updates on the wire, by each one's last status (closed tab 0 at v2 sent 2, tabs 1 and 2 at
    // v3 sent 3 each); attacker tab 3 is left out
    expect(s.updateWire).toEqual({ updates: 8, bytes: 4000, parameters: 8000, bytesPerParameter: 0.5 })
    // the attacker's claim that tab 1 is quarantined does not count: only honest tabs' views do
    expect(s.quarantinedTabs).toEqual([3])
    expect(s.honestQuarantined).toBe(0)
    expect(s.attackers).toEqual([{ tab: 3, selected: 0, notSelected: 2, excluded: 1, quarantinedBy: 1 }])
  })

  it('reports the final versions of the open tabs, their agreement and the honest tabs\' loss', () => {
    expect(s.final.map(f => [f.tab, f.honest, f.version])).toEqual([[1, true, 3], [2, true, 3], [3, false, 3]])
    // what each tab sent itself: names members a stalled coordinator lacks without expecting them
    expect(s.final.find(f => f.tab === 1)?.sent).toEqual({ runs: 3, updates: 3, resent: 1, skipped: { 'no-data': 2 }, lastTrainMs: 700, lastError: 'own update refused: norm' })
    expect(s.honestAgreement).toEqual({ tabs: 2, versions: [3], sameVersion: true, sameModel: true, allVerified: true, verified: 2, caughtUp: 0 })
    expect(s.reachedVersion).toBe(3)
    expect(s.loss).toEqual({ first: 2.5, last: 1.25, tabs: 2 })
    // one figure per (tab, run) seen, honest tabs only: the attacker's 9999 ms is not among them
    expect(s.localTrainingMs).toEqual({ runs: 4, medianMs: 600, p90Ms: 1_100, maxMs: 1_100 })
    expect(trainingFailures(s)).toEqual([])
  })

  it('fails a run where an honest tab is quarantined, tabs disagree, or no one took over', () => {
    const last = samples.at(-1)!
    const bad = analyzeTraining({
      ...record,
      samples: [...samples.slice(0, 3), { at: 4000, openTabs: [1, 2, 3], observations: [
        ob(1, 4000, { version: 2, lastRound: v2(1), quarantined: [2] }), last.observations[1]!, last.observations[2]!] }]
    })
    expect(trainingFailures(bad)).toEqual([
      'training: 1 honest tab(s) quarantined (tabs 2,3)',
      'training: live honest tabs end on different model versions 2, 3',
      'training: no new coordinator produced a model every live honest tab holds after the coordinator tab was closed'
    ])
    const short = analyzeTraining({ ...record, rounds: 5, samples: [{ at: 1, openTabs: [1], observations: [ob(1, 1, { version: 0, state: 'waiting', message: 'krum needs n > 2f+2', waitingFor: [2, 3] })] }] })
    expect(trainingFailures(short)).toEqual([
      'training: live honest tabs reached version 0 of 5 (a tab says: krum needs n > 2f+2)',
      'training: no new coordinator produced a model every live honest tab holds after the coordinator tab was closed'
    ])
    // the coordinator's missing updates, by tab
    expect(short.final.find(f => f.tab === 1)?.waitingFor).toEqual(['tab 2', 'tab 3'])
  })

  it('tells a tab that caught up on the leader\'s digest from one that verified, and fails tabs with different weights', () => {
    const last = samples.at(-1)!
    const caught = analyzeTraining({
      ...record,
      samples: [...samples.slice(0, 3), { at: 4000, openTabs: [1, 2, 3], observations: [
        ob(1, 4000, { version: 3, term: 2, coordinator: 1, lastRound: v3(700), lossBefore: 1, leader: [1, 2], verified: false, catchUps: 1 }), last.observations[1]!, last.observations[2]!] }]
    })
    expect(caught.honestAgreement).toEqual({ tabs: 2, versions: [3], sameVersion: true, sameModel: true, allVerified: false, verified: 1, caughtUp: 1 })
    // agreement holds, and the caught-up tab holds the model (adopted on f + 1 vouchers): the failover is timed
    expect(trainingFailures(caught)).toEqual([])
    expect(caught.failover?.failoverMs).toBe(2400)
    // a tab still one version behind holds no model of the new coordinator yet
    const behind = analyzeTraining({
      ...record,
      samples: [...samples.slice(0, 3), { at: 4000, openTabs: [1, 2, 3], observations: [
        ob(1, 4000, { version: 2, coordinator: 0, lastRound: v2(1), verified: false, catchUps: 1 }), last.observations[1]!, last.observations[2]!] }]
    })
    expect(behind.failover?.failoverMs).toBeUndefined()
    const forked = analyzeTraining({
      ...record,
      samples: [...samples.slice(0, 3), { at: 4000, openTabs: [1, 2, 3], observations: [
        ob(1, 4000, { version: 3, term: 2, coordinator: 1, lastRound: v3(700), lossBefore: 1, leader: [1, 2], digest: 'other' }), last.observations[1]!, last.observations[2]!] }]
    })
    expect(forked.honestAgreement.sameModel).toBe(false)
    expect(trainingFailures(forked)).toEqual(['training: live honest tabs hold version 3 with different weights'])
  })

  it('finds the takeover\'s first model by the tabs\' own records when the polls saw only the one after it', () => {
    // the new coordinator's v3 was replaced by its v4 within one poll: no poll showed v3 as a tab's last round
    const v4 = { version: 4, term: 2, coordinator: 1, selected: [1, 2], total: 500 }
    const missed = analyzeTraining({
      ...record,
      samples: [...samples.slice(0, 4), { at: 4000, openTabs: [1, 2, 3], observations: [
        ob(1, 4000, { version: 4, term: 2, coordinator: 1, lastRound: v4, leader: [1, 2, 3500], heldAt: { 1: 900, 2: 1400, 3: 3000, 4: 3800 }, heldTerm: { 1: 1, 2: 1, 3: 2, 4: 2 } }),
        ob(2, 4000, { version: 4, term: 2, coordinator: 1, lastRound: v4, leader: [1, 2, 3700], heldAt: { 1: 1000, 2: 1450, 3: 3200, 4: 3900 }, heldTerm: { 1: 1, 2: 1, 3: 2, 4: 2 } }),
        ob(3, 4000, { version: 4, term: 2, coordinator: 1, lastRound: v4, leader: [1, 2, 3800] })] }]
    })
    expect(missed.rounds.map(r => r.version)).toEqual([1, 2, 4])
    expect(missed.failover).toMatchObject({ nextVersion: 3, newTerm: 2, failoverMs: 2400, failoverTabClocksMs: 1600 })
    // no poll saw round 3, but v4 came from the same term, so from the same coordinator
    expect(missed.failover?.newCoordinatorTab).toBe(1)
    // without the records the failover would be timed to v4, a round later
    const unrecorded = analyzeTraining({
      ...record,
      samples: [...samples.slice(0, 4), { at: 4000, openTabs: [1, 2, 3], observations: [
        ob(1, 4000, { version: 4, term: 2, coordinator: 1, lastRound: v4, leader: [1, 2, 3500], heldAt: { 3: 3000, 4: 3800 } }),
        ob(2, 4000, { version: 4, term: 2, coordinator: 1, lastRound: v4, leader: [1, 2, 3700], heldAt: { 3: 3200, 4: 3900 } })] }]
    })
    expect(unrecorded.failover).toMatchObject({ nextVersion: 4, newCoordinatorTab: 1, failoverTabClocksMs: 2300 })
  })

  it('carries what the closed tab recorded on its way out, and how long its close took, into the failover figures', () => {
    const left = { afterCloseMs: 120, role: 'leader', resign: 'prepared', recipients: 6 }
    const s = analyzeTraining({ ...record, closeCoordinator: { ...record.closeCoordinator!, left, closedAfterMs: 2300 } })
    expect(s.failover?.closedTabLeft).toEqual(left)
    // and how long Chromium took to close it
    expect(s.failover?.closedAfterMs).toBe(2300)
    // the failover also from its pagehide: tab 2 held v3 at 3200, the tab left at 1600 + 120
    expect(s.failover).toMatchObject({ failoverTabClocksMs: 1600, failoverAfterLeftTabClocksMs: 1480 })
    // a tab that lingered past the next model: nothing is left of the failover, not a negative time
    const late = analyzeTraining({ ...record, closeCoordinator: { ...record.closeCoordinator!, left: { ...left, afterCloseMs: 1700 } } })
    expect(late.failover?.failoverAfterLeftTabClocksMs).toBe(0)
    expect(analyzeTraining(record).failover?.closedTabLeft).toBeUndefined()
    expect(analyzeTraining(record).failover).not.toHaveProperty('failoverAfterLeftTabClocksMs')
    expect(analyzeTraining(record).failover).not.toHaveProperty('closedAfterMs')
  })

  it('counts whom the tabs had promised the successor term to, by their last polls before the close', () => {
    const withSuccession = (tab: number, at: number, term: number, promisedTo?: string): TabObservation => ({
      tab, at, status: normalizeStatus({ state: 'running', election: { role: 'follower', term, succession: { term, ...(promisedTo === undefined ? {} : { promisedTo }), ballots: {} } } })!
    })
    const peerIds = new Map([[0, 'p0'], [1, 'p1'], [2, 'p2'], [3, 'p3']])
    const samples = [
      { at: 1000, openTabs: [1, 2, 3], observations: [withSuccession(1, 1000, 3, 'p2'), withSuccession(2, 1000, 3), withSuccession(3, 1000, 3, 'p9')] },
      // tab 3's later poll names another term's pledge; tab 1's came after the close
      { at: 2000, openTabs: [1, 2, 3], observations: [withSuccession(1, 2600, 3, 'p3'), withSuccession(3, 1900, 4, 'p2')] }
    ]
    expect(pledgesBefore(samples, 2500, 3, new Set([1, 2, 3]), peerIds, 2)).toEqual({ tabs: 2, promisedTo: { 'tab 2': 1, none: 1 }, successorPromisedTo: 'none' })
    expect(pledgesBefore(samples, 1500, 3, new Set([1, 2, 3]), peerIds, 3)).toEqual({ tabs: 3, promisedTo: { 'tab 2': 1, none: 1, p9: 1 }, successorPromisedTo: 'p9' })
    expect(pledgesBefore(samples, 500, 3, new Set([1, 2, 3]), peerIds)).toBeUndefined()
  })

  it('measures no failover when the closed tab was not leading as it left (the polls that named it were old)', () => {
    const left = { afterCloseMs: 120, role: 'follower', resign: 'none', recipients: 0 }
    const s = analyzeTraining({ ...record, closeCoordinator: { ...record.closeCoordinator!, left } })
    expect(s.failover).toMatchObject({ notLeading: 'follower', nextVersion: 3 })
    for (const k of ['failoverMs', 'failoverTabClocksMs', 'failoverAfterLeftTabClocksMs']) expect(s.failover).not.toHaveProperty(k)
    expect(analyzeTraining(record).failover).not.toHaveProperty('notLeading')
  })

  it('ignores tabs that have no training status', () => {
    const none = analyzeTraining({ ...record, closeCoordinator: undefined as never, samples: [{ at: 1, openTabs: [0], observations: [{ tab: 0, at: 1, status: normalizeStatus({ state: 'running', training: { version: 'x' } })! }] }] })
    expect(none.rounds).toEqual([])
    expect(none.final).toEqual([])
    expect(none.honestAgreement.sameVersion).toBe(false)
  })
})

describe('summariseLapses', () => {
  it('sums the tabs\' lapsed leases and takes the median and largest of their longest tick gaps', () => {
    const lapses = (count: number, regained: number, afterStall: number) => ({ count, regained, afterStall })
    expect(summariseLapses([
      { lapses: lapses(2, 1, 1), tickGapMaxMs: 300, leadGapMaxMs: 0 },
      undefined,
      { role: 'follower' },
      { lapses: lapses(0, 0, 0), tickGapMaxMs: 2_500, leadGapMaxMs: 1_900 },
      { lapses: lapses(3, 3, 0), tickGapMaxMs: 900 }
    ])).toEqual({ tabs: 3, count: 5, regained: 4, afterStall: 1, tickGapMaxMs: { p50: 900, max: 2_500 }, leadGapMaxMs: 1_900 })
  })

  it('is absent when no tab reports lapses (older builds), and counts a malformed figure as nothing', () => {
    expect(summariseLapses([undefined, { role: 'leader' }])).toBeUndefined()
    expect(summariseLapses([{ lapses: { count: Number.NaN, regained: 1, afterStall: 0 }, tickGapMaxMs: Number.POSITIVE_INFINITY }]))
      .toEqual({ tabs: 1, count: 0, regained: 1, afterStall: 0, tickGapMaxMs: { p50: 0, max: 0 }, leadGapMaxMs: 0 })
  })
})

describe('findCoordinator', () => {
  const latest = (obs: TabObservation[]): Map<number, TabObservation> => new Map(obs.map(o => [o.tab, o]))

  it('takes the coordinator most open tabs name, ignoring closed tabs', () => {
    const obs = latest([ob(0, 1, { version: 4, term: 3, coordinator: 0 }), ob(1, 1, { version: 4, term: 3, coordinator: 2 }),
      ob(2, 1, { version: 5, term: 3, coordinator: 2 }), ob(3, 1, { version: 4, term: 2, coordinator: 0 })])
    expect(findCoordinator(obs, new Set([0, 1, 2, 3]), peerIds)).toEqual({ tab: 2, peerId: 'p2', term: 3, version: 5, foundBy: 'training' })
    expect(findCoordinator(obs, new Set([1, 3]), peerIds)).toBeUndefined()
  })

  it('falls back to the election leader before training names one', () => {
    const obs = latest([ob(0, 1, { version: 0, leader: [1, 4] }), ob(1, 1, { version: 0, leader: [1, 4] }), ob(2, 1, { version: 0 })])
    expect(findCoordinator(obs, new Set([0, 1, 2]), peerIds)).toEqual({ tab: 1, peerId: 'p1', term: 4, version: 0, foundBy: 'election' })
    const line = formatTrainingProgress(obs, new Set([0, 1, 2]), peerIds)
    expect(line).toBe('training: round - | version 0..0 | coordinator tab 1 (election) term 1 | running 3')
  })
})
