/**
 * Pure analysis of a training run: from the polled status().training of every tab, the per-round figures (who
 * coordinated under which term, whose updates the rule selected, round overhead), the coordinator failover, the
 * rejected models and updates by reason, quarantines and the loss. No I/O and no clock: times come from the samples.
 *
 * Clocks: round overhead per tab comes from the tab's own timestamps (lastRound.overheadMs.total = last update
 * received there -> model verified there); cross-tab moments (every live honest tab holds version v) come from the
 * harness's poll times, so they are only as fine as --poll-ms.
 */
import type { PollSample, TabObservation } from './report.ts'
import type { FedmeshStatus, TrainingView } from './status.ts'
import type { CloseHow } from './options.ts'

export interface TrainingRecord {
  /** Harness clock when the last tab loaded: event times are relative to it in the report. */
  lastTabLoadedAt: number
  samples: PollSample[]
  /** Tabs started as attackers. */
  attackerTabs: number[]
  /** Tab index -> peer id. */
  peerIds: ReadonlyMap<number, string>
  rounds: number
  closeCoordinator?: CloseCoordinatorEvent
}

/** The harness closed the tab that was coordinator at `at` (harness clock). */
export interface CloseCoordinatorEvent {
  at: number
  tab: number
  peerId: string
  /** The term and version that tab's status showed just before it was closed (-1 if unknown). */
  term: number
  version: number
  /** How the coordinator was identified: training.coordinator agreed by the live tabs, or the election leader. */
  foundBy: 'training' | 'election'
  /**
   * Live honest tabs (those whose versions the close waits on) that had reported the versions they hold the moment
   * they held them (window.fedmesh.onModel).
   */
  pushedTabs?: number
  /**
   * The close request -> Chromium reporting the page closed (Playwright's page.close() resolved). Until then the tab
   * may still run, and lead: a busy renderer takes seconds to go.
   */
  closedAfterMs?: number
  /**
   * What the closed tab recorded as it left (`event`: the unload handler, beforeunload or pagehide, whose call of the
   * election's leaveNow() resigned, else the first that ran): how long after the close request it ran, the role it
   * left, whether its resign went out at once ('prepared', to `recipients` peers), still needed signing
   * ('signed-later') or was not due ('none'). `resign` says so if no record was found.
   */
  left?: { afterCloseMs?: number, event?: string, role?: string, resign: string, recipients?: number, leave?: string, leaveRecipients?: number }
  /** --close-how: closed (as a user closes it) or crashed (its renderer killed). */
  how?: CloseHow
  /** A crash: request -> the renderer's death, which is `at` (the tab coordinated until then). */
  crashedAfterMs?: number
}

export interface RoundFigures {
  version: number
  round: number
  term: number
  coordinator: string
  coordinatorTab?: number
  /** Tabs whose update the rule selected, tabs whose update was an input but not selected, tabs left out (excluded). */
  selectedTabs: number[]
  notSelectedTabs: number[]
  excludedTabs: number[]
  /** Peers not matching any tab (should not happen). */
  unknownPeers: string[]
  /** Tabs whose poll caught this round as their lastRound, and how many of those verified it by recomputation. */
  reportedBy: number
  verifiedBy: number
  /** Max over those tabs of (last update received -> model verified), each on its own clock, ms. */
  overheadMs?: number
  /** The same tab's two parts: last update received -> model arrived (the coordinator's wait, aggregation, publishing), model arrived -> verified. */
  overheadPartsMs?: { updateToModel?: number, modelToVerified?: number }
  /** The coordinator tab's account of closing the round: expected, included, stragglers, its wait for the last f, aggregation time. */
  closed?: NonNullable<NonNullable<TrainingView['lastRound']>['closed']>
  /**
   * The issue's round overhead, by the tabs' own records (one machine, one clock): the last included update sent (its
   * sender's roundTimes.sentAt) -> every live honest tab holds this version (heldAt), ms; with the coordinator's own
   * heldAt between (its model out: delivery of the last update, the wait for the last f, aggregation) and the median
   * tab's. Unlike overheadMs, it counts the last update's way to the tabs.
   */
  sentToHeldMs?: { total: number, toCoordinator?: number, toMedianTab: number, lastUpdateIn?: LastUpdateIn }
  /** Poll times: first tab seen holding this version -> every live honest tab seen holding it, ms. */
  spreadMs?: number
  /** Closed under a higher term than the round before it (another coordinator took over). */
  takenOver?: true
  /** Harness clock when every live honest tab held this version. */
  allHeldAt?: number
}

export interface FailoverFigures {
  closedTab: number
  closedPeer: string
  foundBy: CloseCoordinatorEvent['foundBy']
  /** CloseCoordinatorEvent.pushedTabs: the close acted on versions as they landed in that many live honest tabs, else on polls. */
  pushedTabs?: number
  /** CloseCoordinatorEvent.closedAfterMs: how long Chromium took to close the tab. */
  closedAfterMs?: number
  /** CloseCoordinatorEvent.left: what the closed tab did in its unload handlers (beforeunload, pagehide). */
  closedTabLeft?: CloseCoordinatorEvent['left']
  /** CloseCoordinatorEvent.how: closed, or crashed (--close-how crash). */
  closedHow?: CloseCoordinatorEvent['how']
  /** CloseCoordinatorEvent.crashedAfterMs: a crash's request -> the renderer's death (the failover's start). */
  crashedAfterMs?: number
  /**
   * The closed tab's role when it left, if it was not leading then (its leadership had already passed on: the polls
   * that named it coordinator were old). No failover is measured then: the failover figures are absent.
   */
  notLeading?: string
  /** Seconds after the last tab loaded. */
  atS: number
  oldTerm: number
  versionAtClose: number
  /** First version coordinated by someone else after the close. */
  nextVersion?: number
  newCoordinatorTab?: number
  newTerm?: number
  /** Tab closed -> every live honest tab seen holding nextVersion (poll times), ms. */
  failoverMs?: number
  /**
   * The same from the tabs' own records (status().training.heldAt: when each came to hold nextVersion or a later one,
   * on the machine's clock, which the harness's close time shares): not rounded up to the next poll that got through,
   * which under load can take seconds. Absent if some live honest tab has no such record.
   */
  failoverTabClocksMs?: number
  /**
   * The same, timed from the closed tab's leaving (closedTabLeft.afterCloseMs: its node resigned there)
   * instead of the close request. Chromium delivers a close to a busy renderer late (up to 14 s measured), and the tab
   * goes on coordinating meanwhile, publishing versions; from the request the failover would count those too. Absent
   * if the tab left no record (the failover then counts from the request, an upper bound).
   */
  failoverAfterLeftTabClocksMs?: number
  /** Tab closed -> every live tab's election recognises another leader with a higher term (poll times), ms. */
  newLeaderMs?: number
  /**
   * Tab closed -> no live tab counts it alive in its membership (poll times), ms; `byLeave` of those tabs had it as
   * `left` (its leave reached them), the others found it dead by silence (or had forgotten it).
   */
  dropped?: { ms: number, tabs: number, byLeave: number }
  /** The same by the tabs' own records (election status leaderSince, the machine's clock). */
  newLeaderTabClocksMs?: number
  /**
   * Median time from one version held by every live honest tab to the next (tabs' clocks), the failover's own round
   * left out: a close as a version lands is followed by a whole round of training, so failoverTabClocksMs minus this
   * is what the failover itself cost.
   */
  roundTabClocksMs?: number
  /**
   * heldEverywhereAtClose held by every live honest tab -> the close, by the tabs' own records: how far into the next round
   * the close came (the polls that show a version everywhere come late under load). A later close leaves less of the
   * round to the new coordinator, so failoverTabClocksMs + this is the time from that version everywhere to the next.
   */
  closeLagTabClocksMs?: number
  /** The version closeLagTabClocksMs counts from: the latest one every live honest tab held at the close. */
  heldEverywhereAtClose?: number
  /**
   * The taken-over round (nextVersion's) step by step, ms after the close by the tabs' own records (status().training
   * roundTimes and heldAt), median and max over the live honest tabs that recorded the step: the new coordinator's
   * re-announcement followed, training started, update sent (negative: before the close), nextVersion held.
   */
  takeover?: RoundSteps
}

/** Median and max over tabs of each step's time from a reference moment, ms; a step no tab recorded is absent. */
export interface RoundSteps {
  tabs: number
  /** A takeover's only: every live tab's recognition of the new leader (election leaderSince). */
  leader?: { medianMs: number, maxMs: number }
  /** A takeover's only: the closed coordinator's resign reaching the live tabs that got it (election lastResign). */
  resign?: { tabs: number, medianMs: number, maxMs: number }
  /**
   * A takeover's only: how the live tabs recognised the new leader, counted in the first poll where all had (won,
   * votes, pledges held when the resign came, its lead, a fence proof).
   */
  recognisedBy?: Record<string, number>
  reopened?: { medianMs: number, maxMs: number }
  /**
   * A takeover's only: when the new coordinator itself opened the round, by its own record (its roundTimes). Against
   * the others' recognition of the leader it tells a successor that learned of its win late from an announcement
   * that travelled slowly (`reopened`).
   */
  successorOpenedMs?: number
  /**
   * A takeover's only: when the new coordinator received the closed coordinator's resign, by its own record. The
   * closing tab writes it to its direct neighbours only, so a successor that was not one heard it a hop or two later.
   */
  successorResignMs?: number
  /** A takeover's only: whether the closed tab listed the new coordinator among its direct links in its last poll. */
  successorLinked?: boolean
  /**
   * A takeover's only: the succession pledges for the term after the closed coordinator's, as the other tabs' last
   * polls before the close showed them: how many tabs had promised it to each member (`tab N`, or the peer id of a
   * member that is no tab), and to nobody (`none`, the successor itself among them when it agrees). Split pledges (views
   * that differed when the tabs pledged) elect nobody at the resign: the term's election then runs on votes.
   */
  pledgesAtClose?: { tabs: number, promisedTo: Record<string, number>, successorPromisedTo?: string }
  opened?: { medianMs: number, maxMs: number }
  train?: { medianMs: number, maxMs: number }
  sent?: { medianMs: number, maxMs: number }
  held?: { medianMs: number, maxMs: number }
}

/**
 * The round's last included update, from its sender's sentAt to its arrival (complete) at the coordinator and at the
 * median and the last of the live honest tabs other than the sender, by their roundTimes.updatesIn, ms.
 */
export interface LastUpdateIn { coordinator?: number, medianTab: number, lastTab: number }

/**
 * RoundFigures.sentToHeldMs over the rounds no takeover ended (a taken-over round's last update went out before the
 * close, so its figure holds the failover): median and max of the total, and the medians of its parts.
 */
export interface SentToHeldSummary {
  rounds: number
  medianMs: number
  maxMs: number
  toCoordinatorMedianMs?: number
  toMedianTabMedianMs: number
  /** Of toCoordinator, by the coordinator's account (RoundFigures.closed): last input received -> close, and aggregation; the rest is the last update's delivery. */
  lastInputToCloseMedianMs?: number
  aggregateMedianMs?: number
  /** Medians of LastUpdateIn over the rounds that have it: the last update's delivery. */
  lastUpdateInMedianMs?: LastUpdateIn
}

export interface TrainingSummary {
  rounds: RoundFigures[]
  /**
   * Over rounds with a figure: median and max of overheadMs / spreadMs. `steady`: the same over rounds closed by the
   * coordinator of the round before (no takeover), whose overhead is not also the failover's: a taken-over round's last
   * update reached the tabs before the old coordinator went, so its overhead holds the election (see `failover`).
   */
  overhead: { rounds: number, medianMs?: number, maxMs?: number, spreadMedianMs?: number, spreadMaxMs?: number, steady?: { rounds: number, medianMs: number, maxMs: number }, sentToHeld?: SentToHeldSummary }
  failover?: FailoverFigures
  /** Summed over tabs (each tab's last status): global models rejected by reason, updates dropped by reason. */
  modelsRejected: Record<string, number>
  updatesRejected: Record<string, number>
  /**
   * Summed over tabs: models that lacked included updates after a third of the grace (asked), how many got them all
   * from a neighbour (recovered) or not (failed), and the chunks fetched.
   */
  updateFetch: Record<string, number>
  /** Summed over tabs: model requests refused as past the asker's serve budget (update requests: updateFetch.limited). */
  modelFetchLimited: number
  /**
   * Summed over tabs: updates published again (their round stayed open a deadline after they were sent, or a takeover
   * did not list them as held: resentOnTakeover), copies a takeover's list of held updates spared, and takeover copies
   * held back because their update had just gone out (copiesHeldBack; of them sent after all: heldBackSent).
   */
  updatesResent: number
  resentOnTakeover: number
  resendsSpared: number
  copiesHeldBack: number
  heldBackSent: number
  /**
   * Summed over the honest tabs (absent from builds without the counts): the updates they published, their chunk
   * messages' bytes (headers included) and parameters; bytesPerParameter is what an update cost on the wire.
   */
  updateWire?: { updates: number, bytes: number, parameters: number, bytesPerParameter: number }
  /**
   * Summed over tabs (absent from builds without the counts): round announcements parked on arrival because the tab's
   * election did not name their coordinator, and those followed while the tab's lease on their coordinator had lapsed.
   */
  opensParked?: number
  opensUnderLapsedLease?: number
  /** Per attacker tab: rounds its update was selected / not selected / excluded, and the tabs that quarantined it. */
  attackers: Array<{ tab: number, attack?: string, selected: number, notSelected: number, excluded: number, quarantinedBy: number }>
  /** Peers quarantined by any honest tab (at its last status), as tabs; honestQuarantined counts the honest ones. */
  quarantinedTabs: number[]
  honestQuarantined: number
  /** Final state of every tab that is still open at the end. */
  final: Array<{
    tab: number, honest: boolean, version: number, digest?: string, verifiedModel: boolean, catchUps: number, state: string, message?: string, coordinator?: string, term: number
    /** With an extended round's message: the tabs (or peer-id tails) whose update its coordinator does not hold. */
    waitingFor?: string[]
    /** The election: role, highest term, term being elected while leaderless, peers this tab refuses to follow (as tabs where known) and why. */
    election?: { role?: string, term?: number, electing?: number, excluded: Array<{ tab?: number, peerId: string, reason: string }> }
    coordinatorStalls: number
    /**
     * What the tab itself sent: learner runs, updates sent and resent, why a training was skipped (by reason), and
     * the error its last training or submission failed with, if it did. Names the members whose update a stalled
     * coordinator lacks when its `waitingFor` cannot (it does not expect them).
     */
    sent: { runs: number, updates: number, resent: number, skipped: Record<string, number>, lastTrainMs?: number, lastError?: string }
  }>
  /**
   * Live honest tabs: do they all hold the same version and weights, and did each verify it (recompute it) itself.
   * caughtUp: tabs holding a model they did not verify but fetched on the leader's advertised digest (anti-entropy).
   */
  honestAgreement: { tabs: number, versions: number[], sameVersion: boolean, sameModel: boolean, allVerified: boolean, verified: number, caughtUp: number }
  /** Mean over honest tabs of the loss of the global model on local data before training (first and last seen). */
  loss?: { first: number, last: number, tabs: number }
  /**
   * Wall time of honest tabs' local training runs (the worker's train call as the page saw it), one per run the polls
   * saw: on cores shared by every tab it shows the contention (a 600-image mnist epoch is ~50 ms of wasm CPU alone).
   */
  localTrainingMs?: { runs: number, medianMs: number, p90Ms: number, maxMs: number }
  /**
   * Where a round's time goes, by the tabs' own records: for each round after the first that no takeover ended, each
   * step's time after the round's base model was first held anywhere (its coordinator publishing it), median and max
   * over the honest tabs; then the median over those rounds of each figure. `held.maxMs` is the round's length.
   */
  roundSteps?: RoundSteps & { rounds: number }
  /**
   * Every change of a tab's election view seen by the polls (role, recognised leader and its term, term being elected
   * while leaderless), seconds after the last tab loaded: how an election after a close went, tab by tab. `leadsIn`
   * and `rejectedIn`: the tab's running counts of Leads accepted and of election messages refused, at that poll (so a
   * tab still electing while Leads reach it shows apart from one the Leads do not reach); `unprovenLeadsIn` (of them
   * `unprovenCertificatesIn` with a certificate): Leads of a term above the tab's leader that left it unconvinced;
   * `resignsIn`: resigns received so far (did a closed leader's resign reach the tab?).
   */
  electionLog: Array<{ atS: number, tab: number, role?: string, term?: number, leaderTab?: number, leaderTerm?: number, electing?: number, leadsIn?: number, unprovenLeadsIn?: number, unprovenCertificatesIn?: number, resignsIn?: number, rejectedIn?: number }>
  /**
   * Election messages' delay at the end, by type, over the live tabs' last status (each keeps its last 64 of a type):
   * the median of the tabs' medians and the largest delay. Votes and claims come only in elections, so theirs are the
   * last election's (the failover's, unless another followed); Leads cover the last ~20 s. By the machine's clock.
   */
  electionDelaysMs?: Record<string, { tabs: number, p50: number, max: number }>
  /**
   * Leases that lapsed, summed over every tab's last status (closed tabs' included): `regained` the same leader in the
   * same term again (its Leads were late, not gone), `afterStall` found on a tick more than 1 s after the one before
   * (the tab itself had stalled). With the tabs' longest tick gap (median / max over the tabs) and the longest gap
   * between two Leads any leader sent in one term.
   */
  electionLapses?: { tabs: number, count: number, regained: number, afterStall: number, tickGapMaxMs: { p50: number, max: number }, leadGapMaxMs: number }
  /** Version every live honest tab held at the end (0 if they disagree or none is known), and the target. */
  reachedVersion: number
  targetRounds: number
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** status().training if it looks like one (version and term numbers), else undefined: a tab without the service. */
export function trainingOf (o: TabObservation): TrainingView | undefined {
  const t = (o.status as { training?: unknown }).training
  if (!isRecord(t) || typeof t.version !== 'number' || typeof t.term !== 'number') return undefined
  return t as unknown as TrainingView
}

/** A tab's own record of its steps in each round (status().training.roundTimes), if it has one. */
function roundTimesRecord (o: TabObservation | undefined): Record<string, unknown> | undefined {
  const t = o === undefined ? undefined : trainingOf(o)?.roundTimes
  return isRecord(t) ? t : undefined
}

const STEP_FIELDS = { reopened: 'reopenedAt', opened: 'openedAt', train: 'trainAt', sent: 'sentAt' } as const

/**
 * Round `round`'s steps on each of `tabs` (their roundTimes, and heldAt of version `round`, which that round makes), ms after `from`:
 * median and max over the tabs that recorded each step.
 */
function roundSteps (tabs: ReadonlyArray<TabObservation | undefined>, round: number, from: number): RoundSteps {
  const out: RoundSteps = { tabs: tabs.length }
  const stat = (xs: number[]): { medianMs: number, maxMs: number } | undefined => xs.length === 0 ? undefined : { medianMs: Math.round(median(xs)!), maxMs: Math.round(Math.max(...xs)) }
  for (const [step, field] of Object.entries(STEP_FIELDS) as Array<[keyof typeof STEP_FIELDS, string]>) {
    const xs: number[] = []
    for (const o of tabs) {
      const r = roundTimesRecord(o)?.[String(round)]
      const at = isRecord(r) ? r[field] : undefined
      if (typeof at === 'number' && Number.isFinite(at)) xs.push(at - from)
    }
    const s = stat(xs)
    if (s !== undefined) out[step] = s
  }
  const held: number[] = []
  for (const o of tabs) {
    const at = heldAtRecord(o)?.[String(round)]
    if (typeof at === 'number' && Number.isFinite(at)) held.push(at - from)
  }
  const h = stat(held)
  if (h !== undefined) out.held = h
  return out
}

/** The summary's resend counts, each summed over the tabs from this field of their `updates` status. */
const RESEND_FIELDS = { updatesResent: 'resent', resentOnTakeover: 'resentOnTakeover', resendsSpared: 'spared', copiesHeldBack: 'heldBack', heldBackSent: 'heldBackSent' } as const

function median (xs: number[]): number | undefined {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function addCounts (into: Record<string, number>, from: unknown): void {
  if (!isRecord(from)) return
  for (const [k, v] of Object.entries(from)) if (typeof v === 'number') into[k] = (into[k] ?? 0) + v
}

/**
 * Which tab is coordinator now: the coordinator live tabs name in status().training under the newest term,
 * else the election leader most of them recognise. Undefined if no open tab names one known as a tab.
 */
/** peer id -> tab, from tab -> peer id. */
function tabsByPeer (peerIds: ReadonlyMap<number, string>): Map<string, number> {
  return new Map([...peerIds].map(([tab, id]) => [id, tab]))
}

/**
 * Whom each tab of `tabs` had promised `term` to (its election's succession), by its last poll at or before `at`.
 * Undefined if no such poll named that term.
 */
export function pledgesBefore (samples: readonly PollSample[], at: number, term: number, tabs: ReadonlySet<number>, peerIds: ReadonlyMap<number, string>, successorTab?: number): RoundSteps['pledgesAtClose'] {
  const lastBefore = new Map<number, TabObservation>()
  for (const sample of samples) {
    for (const o of sample.observations) if (tabs.has(o.tab) && o.at <= at) lastBefore.set(o.tab, o)
  }
  const tabOf = tabsByPeer(peerIds)
  const name = (peer: string | undefined): string => {
    if (peer === undefined) return 'none'
    const tab = tabOf.get(peer)
    return tab === undefined ? peer : `tab ${tab}`
  }
  const promisedTo: Record<string, number> = {}
  let counted = 0
  let successorPromisedTo: string | undefined
  for (const [tab, o] of lastBefore) {
    const s = o.status.election?.succession
    if (s === undefined || s.term !== term) continue
    counted++
    const to = name(s.promisedTo)
    promisedTo[to] = (promisedTo[to] ?? 0) + 1
    if (tab === successorTab) successorPromisedTo = to
  }
  if (counted === 0) return undefined
  return { tabs: counted, promisedTo, ...(successorPromisedTo !== undefined ? { successorPromisedTo } : {}) }
}

export function findCoordinator (latest: ReadonlyMap<number, TabObservation>, open: ReadonlySet<number>, peerIds: ReadonlyMap<number, string>):
{ tab: number, peerId: string, term: number, version: number, foundBy: CloseCoordinatorEvent['foundBy'] } | undefined {
  const tabOf = tabsByPeer(peerIds)
  // The newest term wins (a tab that has not heard of the new coordinator yet names the old one); within it, most votes.
  const pick = (named: Array<{ peer: string, term: number }>): { peer: string, term: number } | undefined => {
    const live = named.filter(n => tabOf.has(n.peer) && open.has(tabOf.get(n.peer)!))
    if (live.length === 0) return undefined
    const term = Math.max(...live.map(n => n.term))
    const votes = new Map<string, number>()
    for (const n of live) if (n.term === term) votes.set(n.peer, (votes.get(n.peer) ?? 0) + 1)
    const best = [...votes].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]!
    return { peer: best[0], term }
  }
  const obs = [...latest.values()].filter(o => open.has(o.tab))
  const versionOf = (tab: number): number => { const o = latest.get(tab); const t = o === undefined ? undefined : trainingOf(o); return t?.version ?? -1 }
  const byTraining = pick(obs.flatMap(o => {
    const t = trainingOf(o)
    return t?.coordinator === undefined ? [] : [{ peer: t.coordinator, term: t.term }]
  }))
  if (byTraining !== undefined) {
    const tab = tabOf.get(byTraining.peer)!
    return { tab, peerId: byTraining.peer, term: byTraining.term, version: versionOf(tab), foundBy: 'training' }
  }
  const byElection = pick(obs.flatMap(o => {
    const e = o.status.election
    return e?.leader === undefined ? [] : [{ peer: e.leader, term: e.leaderTerm ?? e.term ?? -1 }]
  }))
  if (byElection === undefined) return undefined
  const tab = tabOf.get(byElection.peer)!
  return { tab, peerId: byElection.peer, term: byElection.term, version: versionOf(tab), foundBy: 'election' }
}

export function analyzeTraining (record: TrainingRecord): TrainingSummary {
  const attackers = new Set(record.attackerTabs)
  const tabOf = tabsByPeer(record.peerIds)
  const latest = new Map<number, TabObservation>()
  const rounds = new Map<number, RoundFigures & { overheads: Array<{ total: number, updateToModel?: number, modelToVerified?: number }>, seen: Set<number> }>()
  const firstHeldAt = new Map<number, number>()
  const allHeldAt = new Map<number, number>()
  const firstLoss = new Map<number, number>()
  const trainMs = new Map<string, number>()
  const lastLoss = new Map<number, number>()
  let leaderChangedAt: number | undefined
  let dropped: FailoverFigures['dropped']
  /** The same moment by the tabs' own records: the latest leaderSince among them then (undefined if one has none). */
  let leaderChangedAtTabClocks: number | undefined
  /** How each live tab recognised the new leader, in that poll. */
  const recognisedBy: Record<string, number> = {}
  /** Each live tab's leaderSince in that poll. */
  let leaderSinceTabClocks: number[] = []
  const close = record.closeCoordinator
  const electionLog: TrainingSummary['electionLog'] = []
  const electionSeen = new Map<number, string>()

  for (const sample of record.samples) {
    const open = new Set(sample.openTabs)
    for (const o of sample.observations) {
      if (!open.has(o.tab)) continue
      latest.set(o.tab, o)
      const e = o.status.election
      if (e !== undefined) {
        const leaderTab = e.leader === undefined ? undefined : tabOf.get(e.leader)
        const entry = {
          ...(e.role === undefined ? {} : { role: e.role }),
          ...(e.term === undefined ? {} : { term: e.term }),
          ...(leaderTab === undefined ? {} : { leaderTab }),
          ...(e.leaderTerm === undefined ? {} : { leaderTerm: e.leaderTerm }),
          ...(e.electing === undefined ? {} : { electing: e.electing })
        }
        const key = JSON.stringify(entry)
        if (electionSeen.get(o.tab) !== key) {
          electionSeen.set(o.tab, key)
          const received = e.counters?.received
          const leadsIn = received?.lead
          const unproven = (received?.['lead-unproven'] ?? 0) + (received?.['lead-unproven+certificate'] ?? 0)
          const rejected = Object.values(e.rejected ?? {}).reduce((sum, n) => sum + n, 0)
          electionLog.push({
            atS: (o.at - record.lastTabLoadedAt) / 1000,
            tab: o.tab,
            ...entry,
            ...(typeof leadsIn === 'number' ? { leadsIn } : {}),
            ...(unproven > 0 ? { unprovenLeadsIn: unproven, unprovenCertificatesIn: received?.['lead-unproven+certificate'] ?? 0 } : {}),
            ...(typeof received?.resign === 'number' ? { resignsIn: received.resign } : {}),
            ...(e.rejected === undefined ? {} : { rejectedIn: rejected })
          })
        }
      }
      const t = trainingOf(o)
      if (t === undefined) continue
      if (!attackers.has(o.tab)) {
        const before = t.training?.lastLossBefore
        if (typeof before === 'number' && Number.isFinite(before)) {
          if (!firstLoss.has(o.tab)) firstLoss.set(o.tab, before)
          lastLoss.set(o.tab, before)
        }
        const ms = t.training?.lastTrainMs
        if (typeof ms === 'number' && Number.isFinite(ms)) trainMs.set(`${o.tab}:${t.training?.runs ?? 0}`, ms)
      }
      const lr = t.lastRound
      if (lr !== undefined && typeof lr.version === 'number') {
        let r = rounds.get(lr.version)
        if (r === undefined) {
          const peers = (list: string[]): { tabs: number[], unknown: string[] } => {
            const tabs: number[] = []
            const unknown: string[] = []
            for (const p of list) { const tab = tabOf.get(p); if (tab === undefined) unknown.push(p); else tabs.push(tab) }
            return { tabs: tabs.sort((a, b) => a - b), unknown }
          }
          const included = Array.isArray(lr.included) ? lr.included : []
          const sel = peers(included.filter(i => i.selected).map(i => i.peer))
          const notSel = peers(included.filter(i => !i.selected).map(i => i.peer))
          const exc = peers(Array.isArray(lr.excluded) ? lr.excluded : [])
          const coordinatorTab = tabOf.get(lr.coordinator)
          r = {
            version: lr.version,
            round: lr.round,
            term: lr.term,
            coordinator: lr.coordinator,
            ...(coordinatorTab === undefined ? {} : { coordinatorTab }),
            selectedTabs: sel.tabs,
            notSelectedTabs: notSel.tabs,
            excludedTabs: exc.tabs,
            unknownPeers: [...sel.unknown, ...notSel.unknown, ...exc.unknown],
            reportedBy: 0,
            verifiedBy: 0,
            overheads: [],
            seen: new Set()
          }
          rounds.set(lr.version, r)
        }
        // One count per tab per version: the first poll that shows it.
        if (r.closed === undefined && lr.closed !== undefined && lr.coordinator === record.peerIds.get(o.tab)) r.closed = { ...lr.closed }
        if (!r.seen.has(o.tab)) {
          r.seen.add(o.tab)
          r.reportedBy++
          if (lr.verified) r.verifiedBy++
          const total = lr.overheadMs?.total
          if (!attackers.has(o.tab) && typeof total === 'number') {
            const { updateToModel, modelToVerified } = lr.overheadMs ?? {}
            r.overheads.push({ total, ...(typeof updateToModel === 'number' ? { updateToModel } : {}), ...(typeof modelToVerified === 'number' ? { modelToVerified } : {}) })
          }
        }
      }
      if (t.version > 0 && !firstHeldAt.has(t.version)) firstHeldAt.set(t.version, sample.at)
    }
    // Every live honest tab (open, with a known status) holds version >= v: once per version, the first such poll.
    // Held means recomputed, or (a tab that missed it) adopted unverified, which a node does only once f + 1 peers
    // advertise the model as verified, so at least one honest tab recomputed it (docs/protocol.md).
    const honestLive = [...open].filter(tab => !attackers.has(tab) && latest.has(tab))
    if (honestLive.length > 0) {
      const held = Math.min(...honestLive.map(tab => trainingOf(latest.get(tab)!)?.version ?? 0))
      for (let v = 1; v <= held; v++) if (!allHeldAt.has(v)) allHeldAt.set(v, sample.at)
    }
    const live = close !== undefined && sample.at >= close.at ? [...open].map(tab => latest.get(tab)).filter((o): o is TabObservation => o !== undefined) : []
    if (close !== undefined && dropped === undefined && sample.at >= close.at) {
      const entries = live.map(o => o.status.membership.find(m => m.peerId === close.peerId))
      // a tab that lists no member at all says nothing (a status without membership); one that no longer lists the
      // closed tab had it dead long enough to forget it
      if (live.length > 0 && live.every(o => o.status.membership.length > 0) && entries.every(m => m?.state !== 'alive')) {
        dropped = { ms: sample.at - close.at, tabs: live.length, byLeave: entries.filter(m => m?.left === true).length }
      }
    }
    if (close !== undefined && leaderChangedAt === undefined && sample.at >= close.at) {
      if (live.length > 0 && live.every(o => {
        const e = o.status.election
        return e?.leader !== undefined && e.leader !== close.peerId && (e.leaderTerm ?? e.term ?? -1) > close.term
      })) {
        leaderChangedAt = sample.at
        const since = live.map(o => o.status.election?.leaderSince)
        leaderSinceTabClocks = since.filter((t): t is number => typeof t === 'number' && Number.isFinite(t))
        if (leaderSinceTabClocks.length === since.length) leaderChangedAtTabClocks = Math.max(...leaderSinceTabClocks)
        for (const o of live) {
          const by = o.status.election?.recognisedBy ?? 'unknown'
          recognisedBy[by] = (recognisedBy[by] ?? 0) + 1
        }
      }
    }
  }

  const roundList: RoundFigures[] = [...rounds.values()].sort((a, b) => a.version - b.version).map(r => {
    const { overheads, seen: _seen, ...rest } = r
    const out: RoundFigures = { ...rest }
    if (overheads.length > 0) {
      const worst = overheads.reduce((a, b) => b.total > a.total ? b : a)
      out.overheadMs = worst.total
      const { total: _total, ...parts } = worst
      if (Object.keys(parts).length > 0) out.overheadPartsMs = parts
    }
    const first = firstHeldAt.get(r.version)
    const all = allHeldAt.get(r.version)
    if (all !== undefined) out.allHeldAt = all
    if (first !== undefined && all !== undefined) out.spreadMs = Math.max(0, all - first)
    return out
  })
  for (let i = 1; i < roundList.length; i++) if ((roundList[i] as RoundFigures).term > (roundList[i - 1] as RoundFigures).term) (roundList[i] as RoundFigures).takenOver = true
  const overheads = roundList.flatMap(r => r.overheadMs === undefined ? [] : [r.overheadMs])
  const steady = roundList.flatMap(r => r.overheadMs === undefined || r.takenOver === true ? [] : [r.overheadMs])
  const spreads = roundList.flatMap(r => r.spreadMs === undefined ? [] : [r.spreadMs])
  const overhead: TrainingSummary['overhead'] = { rounds: overheads.length }
  if (overheads.length > 0) { overhead.medianMs = median(overheads)!; overhead.maxMs = Math.max(...overheads) }
  if (steady.length > 0) overhead.steady = { rounds: steady.length, medianMs: median(steady)!, maxMs: Math.max(...steady) }
  if (spreads.length > 0) { overhead.spreadMedianMs = median(spreads)!; overhead.spreadMaxMs = Math.max(...spreads) }

  const lastOpen = new Set(record.samples.at(-1)?.openTabs ?? [])
  const modelsRejected: Record<string, number> = {}
  const updatesRejected: Record<string, number> = {}
  const updateFetch: Record<string, number> = {}
  let modelFetchLimited = 0
  const resends: Pick<TrainingSummary, keyof typeof RESEND_FIELDS> = { updatesResent: 0, resentOnTakeover: 0, resendsSpared: 0, copiesHeldBack: 0, heldBackSent: 0 }
  const opens: Record<string, number> = {}
  const wire = { updates: 0, bytes: 0, parameters: 0 }
  const quarantinedBy = new Map<number, number>()
  const final: TrainingSummary['final'] = []
  for (const [tab, o] of [...latest].sort((a, b) => a[0] - b[0])) {
    const t = trainingOf(o)
    if (t === undefined) continue
    addCounts(modelsRejected, t.models?.rejectReasons)
    addCounts(updatesRejected, t.updates?.rejected)
    addCounts(updateFetch, t.updateFetch)
    modelFetchLimited += t.fetch?.limited ?? 0
    addCounts(opens, t.opens)
    for (const sum of Object.keys(RESEND_FIELDS) as Array<keyof typeof RESEND_FIELDS>) {
      const n = t.updates?.[RESEND_FIELDS[sum]]
      if (typeof n === 'number') resends[sum] += n
    }
    const u = t.updates
    if (!attackers.has(tab) && typeof u?.sentBytes === 'number' && typeof u.sentParameters === 'number' && u.sentParameters > 0) {
      wire.updates += u.sent
      wire.bytes += u.sentBytes
      wire.parameters += u.sentParameters
    }
    if (!attackers.has(tab)) {
      for (const p of Array.isArray(t.quarantined) ? t.quarantined : []) {
        const q = tabOf.get(p)
        if (q !== undefined) quarantinedBy.set(q, (quarantinedBy.get(q) ?? 0) + 1)
      }
    }
    if (lastOpen.has(tab)) {
      const e = o.status.election
      final.push({
        tab, honest: !attackers.has(tab), version: t.version, verifiedModel: t.verifiedModel, catchUps: t.fetch?.catchUps ?? 0, state: t.state, term: t.term,
        coordinatorStalls: t.coordinatorStalls ?? 0,
        sent: { runs: t.training?.runs ?? 0, updates: t.updates?.sent ?? 0, resent: t.updates?.resent ?? 0, skipped: { ...(t.training?.skipped ?? {}) }, ...(t.training?.lastTrainMs === undefined ? {} : { lastTrainMs: t.training.lastTrainMs }), ...(t.training?.lastError === undefined ? {} : { lastError: t.training.lastError }) },
        ...(e === undefined
          ? {}
          : {
              election: {
                ...(e.role === undefined ? {} : { role: e.role }),
                ...(e.term === undefined ? {} : { term: e.term }),
                ...(e.electing === undefined ? {} : { electing: e.electing }),
                excluded: (e.excluded ?? []).map(x => ({ ...(tabOf.has(x.peerId) ? { tab: tabOf.get(x.peerId)! } : {}), peerId: x.peerId, reason: x.reason }))
              }
            }),
        ...(t.modelDigest === undefined ? {} : { digest: t.modelDigest }),
        ...(t.message === undefined ? {} : { message: t.message }),
        ...(Array.isArray(t.waitingFor) ? { waitingFor: t.waitingFor.map(p => tabOf.has(p) ? `tab ${tabOf.get(p)!}` : p.slice(-6)) } : {}),
        ...(t.coordinator === undefined ? {} : { coordinator: t.coordinator })
      })
    }
  }
  const quarantinedTabs = [...quarantinedBy.keys()].sort((a, b) => a - b)
  const electionDelaysMs = summariseDelays([...latest].filter(([tab]) => lastOpen.has(tab)).map(([, o]) => o.status.election?.delaysMs))
  const electionLapses = summariseLapses([...latest.values()].map(o => o.status.election))
  const honestFinal = final.filter(f => f.honest)
  const versions = [...new Set(honestFinal.map(f => f.version))].sort((a, b) => a - b)
  const sameVersion = honestFinal.length > 0 && versions.length === 1
  const digests = new Set(honestFinal.map(f => f.digest))
  const sameModel = sameVersion && digests.size === 1 && !digests.has(undefined)
  const verified = honestFinal.filter(f => f.verifiedModel).length
  const caughtUp = honestFinal.filter(f => !f.verifiedModel && f.catchUps > 0).length

  const summary: TrainingSummary = {
    rounds: roundList,
    overhead,
    modelsRejected,
    updatesRejected,
    updateFetch,
    modelFetchLimited,
    ...resends,
    ...(wire.parameters > 0 ? { updateWire: { ...wire, bytesPerParameter: wire.bytes / wire.parameters } } : {}),
    ...(opens.parked === undefined ? {} : { opensParked: opens.parked }),
    ...(opens.underLapsedLease === undefined ? {} : { opensUnderLapsedLease: opens.underLapsedLease }),
    attackers: record.attackerTabs.map(tab => {
      const o = latest.get(tab)
      const attack = o === undefined ? undefined : trainingOf(o)?.attack
      return {
        tab,
        ...(attack === undefined ? {} : { attack }),
        selected: roundList.filter(r => r.selectedTabs.includes(tab)).length,
        notSelected: roundList.filter(r => r.notSelectedTabs.includes(tab)).length,
        excluded: roundList.filter(r => r.excludedTabs.includes(tab)).length,
        quarantinedBy: quarantinedBy.get(tab) ?? 0
      }
    }),
    quarantinedTabs,
    honestQuarantined: quarantinedTabs.filter(t => !attackers.has(t)).length,
    final,
    honestAgreement: { tabs: honestFinal.length, versions, sameVersion, sameModel, allVerified: honestFinal.length > 0 && verified === honestFinal.length, verified, caughtUp },
    electionLog,
    ...(Object.keys(electionDelaysMs).length > 0 ? { electionDelaysMs } : {}),
    ...(electionLapses === undefined ? {} : { electionLapses }),
    reachedVersion: sameVersion ? versions[0]! : 0,
    targetRounds: record.rounds
  }
  const lossTabs = [...lastLoss.keys()].filter(t => firstLoss.has(t))
  if (lossTabs.length > 0) {
    const mean = (m: Map<number, number>): number => lossTabs.reduce((s, t) => s + m.get(t)!, 0) / lossTabs.length
    summary.loss = { first: mean(firstLoss), last: mean(lastLoss), tabs: lossTabs.length }
  }
  if (trainMs.size > 0) {
    const ms = [...trainMs.values()].sort((a, b) => a - b)
    summary.localTrainingMs = { runs: ms.length, medianMs: median(ms)!, p90Ms: ms[Math.min(ms.length - 1, Math.floor(0.9 * ms.length))]!, maxMs: ms[ms.length - 1]! }
  }
  // the honest tabs still open at the end, whose own records (heldAt, roundTimes, heldTerm) time rounds and the failover
  const honestOpen = (record.samples.at(-1)?.openTabs ?? []).filter(tab => !attackers.has(tab))
  {
    const updatesIn = collectUpdatesIn(record.samples)
    for (const r of roundList) {
      const figure = sentToHeld(r, latest, honestOpen, updatesIn, record.peerIds)
      if (figure !== undefined) r.sentToHeldMs = figure
    }
    const sentToHeldSummary = summariseSentToHeld(roundList)
    if (sentToHeldSummary !== undefined) overhead.sentToHeld = sentToHeldSummary
  }
  {
    const honest = honestOpen.map(tab => latest.get(tab))
    const perRound: RoundSteps[] = []
    for (const r of roundList) {
      if (r.version < 2 || r.takenOver === true) continue
      const base = honest.map(o => heldAtRecord(o)?.[String(r.version - 1)]).filter((t): t is number => typeof t === 'number' && Number.isFinite(t))
      if (base.length === 0) continue
      perRound.push(roundSteps(honest, r.version, Math.min(...base)))
    }
    if (perRound.length > 0) {
      const steps: RoundSteps & { rounds: number } = { rounds: perRound.length, tabs: honest.length }
      for (const step of ['opened', 'train', 'sent', 'held'] as const) {
        const have = perRound.map(p => p[step]).filter((x): x is { medianMs: number, maxMs: number } => x !== undefined)
        if (have.length > 0) steps[step] = { medianMs: Math.round(median(have.map(x => x.medianMs))!), maxMs: Math.round(median(have.map(x => x.maxMs))!) }
      }
      summary.roundSteps = steps
    }
  }

  if (close !== undefined) {
    const next = nextCoordinatedVersion(roundList, honestOpen.map(tab => latest.get(tab)), close)
    const f: FailoverFigures = {
      closedTab: close.tab,
      closedPeer: close.peerId,
      foundBy: close.foundBy,
      atS: (close.at - record.lastTabLoadedAt) / 1000,
      oldTerm: close.term,
      versionAtClose: close.version,
      ...(close.pushedTabs === undefined ? {} : { pushedTabs: close.pushedTabs }),
      ...(close.closedAfterMs === undefined ? {} : { closedAfterMs: close.closedAfterMs }),
      ...(close.left === undefined ? {} : { closedTabLeft: { ...close.left } }),
      ...(close.how === undefined ? {} : { closedHow: close.how }),
      ...(close.crashedAfterMs === undefined ? {} : { crashedAfterMs: close.crashedAfterMs })
    }
    const role = close.left?.role
    if (role !== undefined && role !== 'leader') f.notLeading = role
    if (next !== undefined) {
      f.nextVersion = next.version
      if (next.coordinatorTab !== undefined) f.newCoordinatorTab = next.coordinatorTab
      f.newTerm = next.term
      const allPolled = allHeldAt.get(next.version)
      if (allPolled !== undefined && f.notLeading === undefined) f.failoverMs = Math.max(0, allPolled - close.at)
      const held = honestOpen.map(tab => firstHeldAtOrAfter(latest.get(tab), next.version))
      if (f.notLeading === undefined && held.length > 0 && held.every((t): t is number => t !== undefined)) {
        const lastHeld = Math.max(...held)
        f.failoverTabClocksMs = Math.max(0, lastHeld - close.at)
        const leftAfter = close.left?.afterCloseMs
        if (leftAfter !== undefined) f.failoverAfterLeftTabClocksMs = Math.max(0, lastHeld - close.at - leftAfter)
      }
      const allHeld = (v: number): number | undefined => {
        const at = honestOpen.map(tab => heldAtRecord(latest.get(tab))?.[String(v)])
        return at.length > 0 && at.every((t): t is number => typeof t === 'number' && Number.isFinite(t)) ? Math.max(...at) : undefined
      }
      const gaps: number[] = []
      let previous = allHeld(1)
      for (let v = 2, last = Math.max(0, ...summary.honestAgreement.versions); v <= last; v++) {
        const current = allHeld(v)
        if (v !== next.version && previous !== undefined && current !== undefined) gaps.push(current - previous)
        previous = current
      }
      const m = median(gaps)
      if (m !== undefined) f.roundTabClocksMs = Math.round(m)
      f.takeover = roundSteps(honestOpen.map(tab => latest.get(tab)), next.version, close.at)
      const own = next.coordinatorTab === undefined ? undefined : roundTimesRecord(latest.get(next.coordinatorTab))?.[String(next.version)]
      const ownOpen = isRecord(own) ? own.reopenedAt ?? own.openedAt : undefined
      if (typeof ownOpen === 'number' && Number.isFinite(ownOpen)) f.takeover.successorOpenedMs = Math.round(ownOpen - close.at)
      if (next.coordinatorTab !== undefined) {
        const r = latest.get(next.coordinatorTab)?.status.election?.lastResign
        if (r !== undefined && r.from === close.peerId && r.term >= close.term && Number.isFinite(r.at)) f.takeover.successorResignMs = Math.round(r.at - close.at)
        const successor = record.peerIds.get(next.coordinatorTab)
        const closedLinks = latest.get(close.tab)?.status.neighbours
        if (successor !== undefined && closedLinks !== undefined) f.takeover.successorLinked = closedLinks.some(n => n.peerId === successor && n.transport !== 'relayed')
      }
      if (leaderSinceTabClocks.length > 0) {
        const after = leaderSinceTabClocks.map(t => t - close.at)
        f.takeover.leader = { medianMs: Math.round(median(after)!), maxMs: Math.round(Math.max(...after)) }
      }
      const resigned = honestOpen.flatMap(tab => {
        const r = latest.get(tab)?.status.election?.lastResign
        return r !== undefined && r.from === close.peerId && r.term >= close.term && Number.isFinite(r.at) ? [r.at - close.at] : []
      })
      if (resigned.length > 0) f.takeover.resign = { tabs: resigned.length, medianMs: Math.round(median(resigned)!), maxMs: Math.round(Math.max(...resigned)) }
      if (Object.keys(recognisedBy).length > 0) f.takeover.recognisedBy = { ...recognisedBy }
      const pledges = pledgesBefore(record.samples, close.at, close.term + 1, new Set([...record.peerIds.keys()].filter(t => t !== close.tab)), record.peerIds, next.coordinatorTab)
      if (pledges !== undefined) f.takeover.pledgesAtClose = pledges
      // the latest version every live honest tab held when the close came
      for (let v = next.version - 1; v >= 1; v--) {
        const at = allHeld(v)
        if (at === undefined || at > close.at) continue
        f.closeLagTabClocksMs = close.at - at
        f.heldEverywhereAtClose = v
        break
      }
    }
    if (leaderChangedAt !== undefined) f.newLeaderMs = leaderChangedAt - close.at
    if (dropped !== undefined) f.dropped = dropped
    if (leaderChangedAtTabClocks !== undefined) f.newLeaderTabClocksMs = Math.max(0, leaderChangedAtTabClocks - close.at)
    summary.failover = f
  }
  return summary
}

/**
 * The first version after the close made by another coordinator: the first polled round whose coordinator is not the
 * closed tab, or an earlier version the tabs' own records (heldTerm) show under a higher term than the closed
 * coordinator's, which the polls missed because the next one replaced it within a poll (seen at 20 tabs).
 */
function nextCoordinatedVersion (rounds: readonly RoundFigures[], tabs: ReadonlyArray<TabObservation | undefined>, close: CloseCoordinatorEvent):
{ version: number, term: number, coordinatorTab?: number } | undefined {
  const polled = rounds.find(r => r.version > close.version && r.coordinator !== close.peerId)
  let recorded: { version: number, term: number } | undefined
  for (const o of tabs) {
    const terms = o === undefined ? undefined : trainingOf(o)?.heldTerm
    if (!isRecord(terms)) continue
    for (const [key, term] of Object.entries(terms)) {
      const version = Number(key)
      if (typeof term !== 'number' || version <= close.version || term <= close.term) continue
      if (recorded === undefined || version < recorded.version) recorded = { version, term }
    }
  }
  if (recorded !== undefined && (polled === undefined || recorded.version < polled.version)) {
    // one coordinator per term: a later polled round of the same term names it
    const tab = rounds.find(r => r.version >= recorded.version && r.term === recorded.term)?.coordinatorTab
    return { ...recorded, ...(tab === undefined ? {} : { coordinatorTab: tab }) }
  }
  return polled === undefined ? undefined : { version: polled.version, term: polled.term, ...(polled.coordinatorTab === undefined ? {} : { coordinatorTab: polled.coordinatorTab }) }
}

/** A tab's own record of when it came to hold each version (status().training.heldAt), if it has one. */
function heldAtRecord (o: TabObservation | undefined): Record<string, unknown> | undefined {
  const heldAt = o === undefined ? undefined : trainingOf(o)?.heldAt
  return isRecord(heldAt) ? heldAt : undefined
}

/**
 * RoundFigures.sentToHeldMs of round `r`: from the latest sentAt of the tabs whose update it included (any tab seen,
 * closed ones too) to the last of `honestOpen` to hold its version or a later one. Undefined unless a sender's record
 * and every one of those tabs' records are there.
 */
function sentToHeld (r: RoundFigures, latest: ReadonlyMap<number, TabObservation>, honestOpen: readonly number[], updatesIn: UpdatesIn, peerIds: ReadonlyMap<number, string>): RoundFigures['sentToHeldMs'] {
  let lastSent: number | undefined
  let lastSender: number | undefined
  for (const tab of [...r.selectedTabs, ...r.notSelectedTabs]) {
    const times = roundTimesRecord(latest.get(tab))?.[String(r.version)]
    const at = isRecord(times) ? times.sentAt : undefined
    if (typeof at === 'number' && Number.isFinite(at) && (lastSent === undefined || at > lastSent)) { lastSent = at; lastSender = tab }
  }
  if (lastSent === undefined || lastSender === undefined || honestOpen.length === 0) return undefined
  const held: number[] = []
  for (const tab of honestOpen) {
    const at = firstHeldAtOrAfter(latest.get(tab), r.version)
    if (at === undefined) return undefined
    held.push(at)
  }
  const coordinator = r.coordinatorTab === undefined ? undefined : heldAtRecord(latest.get(r.coordinatorTab))?.[String(r.version)]
  // the last update's arrival at the other tabs
  const sender = peerIds.get(lastSender)
  const arrivalAt = (tab: number): number | undefined => sender === undefined ? undefined : updatesIn.get(tab)?.get(r.version)?.[sender]
  const arrivals = honestOpen.filter(tab => tab !== lastSender).flatMap(tab => { const at = arrivalAt(tab); return at === undefined ? [] : [at - lastSent!] })
  const atCoordinator = r.coordinatorTab === undefined || r.coordinatorTab === lastSender ? undefined : arrivalAt(r.coordinatorTab)
  return {
    total: Math.max(...held) - lastSent,
    ...(typeof coordinator === 'number' && Number.isFinite(coordinator) ? { toCoordinator: coordinator - lastSent } : {}),
    toMedianTab: median(held)! - lastSent,
    ...(arrivals.length > 0
      ? { lastUpdateIn: { ...(atCoordinator === undefined ? {} : { coordinator: atCoordinator - lastSent }), medianTab: median(arrivals)!, lastTab: Math.max(...arrivals) } }
      : {})
  }
}

/** SentToHeldSummary of `rounds` (their sentToHeldMs and the coordinator's `closed` account), or undefined if none has the figure. */
function summariseSentToHeld (rounds: readonly RoundFigures[]): SentToHeldSummary | undefined {
  const steady = rounds.filter(r => r.sentToHeldMs !== undefined && r.takenOver !== true)
  if (steady.length === 0) return undefined
  const figures = steady.map(r => r.sentToHeldMs!)
  /** `{ [key]: median }` of the values that are there; nothing if none is. */
  const medianAs = <K extends string>(key: K, values: Array<number | undefined>): { [k in K]?: number } => {
    const xs = values.filter((x): x is number => x !== undefined)
    return xs.length > 0 ? { [key]: median(xs)! } as { [k in K]?: number } : {}
  }
  const totals = figures.map(f => f.total)
  const out: SentToHeldSummary = {
    rounds: steady.length,
    medianMs: median(totals)!,
    maxMs: Math.max(...totals),
    ...medianAs('toCoordinatorMedianMs', figures.map(f => f.toCoordinator)),
    toMedianTabMedianMs: median(figures.map(f => f.toMedianTab))!,
    ...medianAs('lastInputToCloseMedianMs', steady.map(r => r.closed?.lastInputMs)),
    ...medianAs('aggregateMedianMs', steady.map(r => r.closed?.aggregateMs))
  }
  const ins = figures.flatMap(f => f.lastUpdateIn === undefined ? [] : [f.lastUpdateIn])
  if (ins.length > 0) {
    out.lastUpdateInMedianMs = {
      ...medianAs('coordinator', ins.map(x => x.coordinator)),
      medianTab: median(ins.map(x => x.medianTab))!,
      lastTab: median(ins.map(x => x.lastTab))!
    }
  }
  return out
}

/** Tab -> round -> sender peer -> when that sender's update was complete at the tab (roundTimes.updatesIn), from every poll. */
type UpdatesIn = Map<number, Map<number, Record<string, number>>>

/** Each tab keeps updatesIn for its last few rounds only: gathered from every poll, the first record of each wins. */
function collectUpdatesIn (samples: readonly PollSample[]): UpdatesIn {
  const out: UpdatesIn = new Map()
  for (const sample of samples) {
    for (const o of sample.observations) {
      const times = roundTimesRecord(o)
      if (times === undefined) continue
      for (const [round, t] of Object.entries(times)) {
        const ins = isRecord(t) ? t.updatesIn : undefined
        if (!isRecord(ins)) continue
        let byRound = out.get(o.tab)
        if (byRound === undefined) { byRound = new Map(); out.set(o.tab, byRound) }
        const into = byRound.get(Number(round)) ?? {}
        byRound.set(Number(round), into)
        for (const [from, at] of Object.entries(ins)) if (typeof at === 'number' && Number.isFinite(at)) into[from] ??= at
      }
    }
  }
  return out
}

/** When a tab first held version `v` or a later one, by its own record. */
function firstHeldAtOrAfter (o: TabObservation | undefined, v: number): number | undefined {
  const heldAt = heldAtRecord(o)
  if (heldAt === undefined) return undefined
  let first: number | undefined
  for (const [version, at] of Object.entries(heldAt)) {
    if (Number(version) >= v && typeof at === 'number' && Number.isFinite(at) && (first === undefined || at < first)) first = at
  }
  return first
}

/** Problems a training run shows, as failure messages (empty: fine). */
export function trainingFailures (s: TrainingSummary): string[] {
  const out: string[] = []
  if (s.honestQuarantined > 0) out.push(`training: ${s.honestQuarantined} honest tab(s) quarantined (tabs ${s.quarantinedTabs.join(',')})`)
  if (!s.honestAgreement.sameVersion) out.push(`training: live honest tabs end on different model versions ${s.honestAgreement.versions.join(', ')}`)
  else if (!s.honestAgreement.sameModel) out.push(`training: live honest tabs hold version ${s.honestAgreement.versions[0]} with different weights`)
  else if (s.reachedVersion < s.targetRounds) {
    const why = s.final.find(f => f.message !== undefined)?.message
    out.push(`training: live honest tabs reached version ${s.reachedVersion} of ${s.targetRounds}${why === undefined ? '' : ` (a tab says: ${why})`}`)
  }
  if (s.failover !== undefined && s.failover.failoverMs === undefined) out.push('training: no new coordinator produced a model every live honest tab holds after the coordinator tab was closed')
  return out
}

/** One progress line for a training run. */
export function formatTrainingProgress (latest: ReadonlyMap<number, TabObservation>, open: ReadonlySet<number>, peerIds: ReadonlyMap<number, string>): string | undefined {
  const ts = [...latest.values()].filter(o => open.has(o.tab)).map(o => trainingOf(o)).filter((t): t is TrainingView => t !== undefined)
  if (ts.length === 0) return undefined
  const versions = ts.map(t => t.version)
  const c = findCoordinator(latest, open, peerIds)
  const round = Math.max(...ts.map(t => t.round ?? -1))
  const parts = [
    `training: round ${round < 0 ? '-' : round}`,
    `version ${Math.min(...versions)}..${Math.max(...versions)}`,
    `coordinator ${c === undefined ? 'none' : `tab ${c.tab} (${c.foundBy})`} term ${Math.max(...ts.map(t => t.term))}`
  ]
  const states = new Map<string, number>()
  for (const t of ts) states.set(t.state, (states.get(t.state) ?? 0) + 1)
  parts.push([...states].map(([k, v]) => `${k} ${v}`).join(' '))
  const msg = ts.find(t => t.message !== undefined)?.message
  if (msg !== undefined) parts.push(`"${msg}"`)
  return parts.join(' | ')
}

/** Per message type across tabs: how many tabs reported it, the median of their medians, and the largest delay. */
type ElectionLapses = NonNullable<NonNullable<FedmeshStatus['election']>['lapses']>

/** TrainingSummary.electionLapses from each tab's last election status (undefined where no tab reports lapses). */
export function summariseLapses (perTab: ReadonlyArray<FedmeshStatus['election'] | undefined>): TrainingSummary['electionLapses'] {
  const reporting = perTab.filter(e => e?.lapses !== undefined) as Array<NonNullable<FedmeshStatus['election']> & { lapses: ElectionLapses }>
  if (reporting.length === 0) return undefined
  const num = (x: unknown): number => typeof x === 'number' && Number.isFinite(x) ? x : 0
  const sum = (k: keyof ElectionLapses): number => reporting.reduce((a, e) => a + num(e.lapses[k]), 0)
  const gaps = reporting.map(e => num(e.tickGapMaxMs)).sort((a, b) => a - b)
  return {
    tabs: reporting.length,
    count: sum('count'),
    regained: sum('regained'),
    afterStall: sum('afterStall'),
    tickGapMaxMs: { p50: gaps[gaps.length >> 1]!, max: gaps.at(-1)! },
    leadGapMaxMs: Math.max(0, ...reporting.map(e => num(e.leadGapMaxMs)))
  }
}

function summariseDelays (perTab: ReadonlyArray<Record<string, { n: number, p50: number, max: number }> | undefined>): Record<string, { tabs: number, p50: number, max: number }> {
  const byKind = new Map<string, Array<{ p50: number, max: number }>>()
  for (const delays of perTab) {
    for (const [kind, d] of Object.entries(delays ?? {})) {
      if (!(d.n > 0) || !Number.isFinite(d.p50) || !Number.isFinite(d.max)) continue
      let list = byKind.get(kind)
      if (list === undefined) byKind.set(kind, list = [])
      list.push(d)
    }
  }
  const out: Record<string, { tabs: number, p50: number, max: number }> = {}
  for (const [kind, list] of byKind) {
    const medians = list.map(d => d.p50).sort((a, b) => a - b)
    out[kind] = { tabs: list.length, p50: medians[medians.length >> 1] as number, max: Math.max(...list.map(d => d.max)) }
  }
  return out
}
