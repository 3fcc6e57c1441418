import { describe, expect, it } from 'vitest'
import { decodeChunk, decodeGlobalModel, digestWeights, encodeGlobalModel, encodeGlobalModelChunks, globalModelHeader } from '@fedmesh/updates'
import { honest, Sim } from './helpers.ts'
import { RoundSession, TAKEOVER_LAST_F_WAIT_MS } from '../src/index.ts'

const D = 16
const mean = Float32Array.from({ length: D }, (_, i) => 0.01 * ((i % 5) - 2))
const KRUM_F1 = { aggregator: { rule: 'krum' as const, f: 1 }, minParticipants: 5 }

describe('RoundSession on an in-memory network', () => {
  it('runs rounds: open, train, close as soon as all reported, every node verifies the same model', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 1, behaviours: () => honest(mean, 0.005, 0.002, 1), config: { ...KRUM_F1, maxRounds: 4 } })
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions.map(s => s.model.version)).toEqual([4, 4, 4, 4, 4, 4])
    expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
    expect(sim.eventsOf('model-rejected')).toHaveLength(0)
    // no deadline was needed: the clock never moved
    expect(sim.eventsOf('round-closed', 0).every(e => e.durationMs === 0 && e.included === 6 && e.stragglers.length === 0 && (e.lastFWaitMs ?? 0) === 0)).toBe(true)
    const accepted = sim.eventsOf('model-accepted', 3)
    expect(accepted).toHaveLength(4)
    expect(accepted.every(e => e.verified && e.included.length === 6 && e.selected.length === 1 && e.excluded.length === 5)).toBe(true)
    expect(sim.eventsOf('model-accepted', 0).every(e => !e.verified)).toBe(true) // the coordinator computed it
    const status = sim.sessions[2]?.status()
    expect(status).toMatchObject({ role: 'participant', version: 4, term: 1, leader: sim.ids[0], lastModel: { version: 4, verified: true }, pendingVerifications: 0 })
    expect(sim.sessions[0]?.status().role).toBe('coordinator')
  })

  it('the model is gossiped as a header: verifiers recompute its weights, hold them and serve them', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 1, behaviours: () => honest(mean, 0.005, 0.002, 1), config: { ...KRUM_F1, maxRounds: 2 } })
    const gossiped: Array<{ count: number, tensors: number, digest: string }> = []
    sim.tamper = (node, topic, data) => {
      const c = topic === 'model' ? decodeChunk(data) : undefined
      if (c?.ok === true && c.value.kind === 'global-model') {
        const m = decodeGlobalModel(c.value.data)
        gossiped.push({ count: c.value.count, tensors: m.ok ? m.value.tensors.length : -1, digest: m.ok ? m.value.weightsDigest : '' })
      }
      return data
    }
    sim.membership()
    sim.elect(1, 0)
    expect(gossiped).toHaveLength(2)
    expect(gossiped.every(g => g.count === 1 && g.tensors === 0)).toBe(true)
    const coordinator = sim.sessions[0]!.model
    for (let i = 1; i < 6; i++) {
      const s = sim.sessions[i]!
      expect(s.model).toMatchObject({ version: 2, verified: true, digest: gossiped[1]?.digest })
      // what a node serves over /fedmesh/model/1.0.0 carries the weights it recomputed, which a fetcher checks
      const served = s.modelPayload(2)!
      expect(digestWeights(served.tensors)).toBe(gossiped[1]?.digest)
      expect(served.tensors.map(t => [...t.data])).toEqual(coordinator.tensors.map(t => [...t.data]))
      expect(() => encodeGlobalModel(served)).not.toThrow()
    }
    // a gossiped model that carries weights is dropped: the topic carries headers only
    const full = sim.sessions[0]!.modelPayload(2)!
    const late = sim.sessions[3]!.onModelMessage(encodeGlobalModelChunks({ ...full, version: 3, round: 3 }).chunks[0] as Uint8Array, sim.ids[0]!)
    expect(late).toMatchObject({ verdict: 'reject', reason: 'shape-mismatch' })
  })

  it('verifiers compute the round\'s aggregate while the header is on its way, and verify the header with it', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 1, behaviours: () => honest(mean, 0.005, 0.002, 1), config: { ...KRUM_F1, maxRounds: 3 } })
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions.map(s => s.model.version)).toEqual([3, 3, 3, 3, 3, 3])
    expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
    // every participant held all six updates before the header came: one aggregation per round, done ahead
    for (let i = 1; i < 6; i++) expect(sim.sessions[i]!.counters).toMatchObject({ aggregatesAhead: 3, verifiedAhead: 3, modelsVerified: 3 })
    // the coordinator aggregates when it closes
    expect(sim.sessions[0]!.counters).toMatchObject({ aggregatesAhead: 0, verifiedAhead: 0 })
  })

  it('an aggregate computed ahead does not vouch for a header that differs from it: a lie is still rejected', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 3, behaviours: () => honest(mean, 0.005, 0.002, 3), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.tamper = (node, topic, data) => {
      const chunk = topic === 'model' && node === 0 ? decodeChunk(data) : undefined
      if (chunk?.ok !== true || chunk.value.kind !== 'global-model') return data
      const model = decodeGlobalModel(chunk.value.data)
      if (!model.ok) throw new Error('the test assumes single-chunk models')
      return encodeGlobalModelChunks(globalModelHeader({ ...model.value, weightsDigest: 'f'.repeat(64) })).chunks[0] as Uint8Array
    }
    sim.membership()
    sim.elect(1, 0)
    expect(sim.eventsOf('model-rejected').map(e => e.reason)).toEqual(Array(5).fill('digest-mismatch'))
    for (let i = 1; i < 6; i++) expect(sim.sessions[i]!.counters).toMatchObject({ verifiedAhead: 1, modelsAccepted: 0 })
  })

  it('a header naming other inputs than the aggregate computed ahead is verified from its own inputs', () => {
    // node 5 reports only after the others (f = 1: not waited for past the short wait, so the round closes without it)
    const sim = new Sim({ nodes: 6, d: D, seed: 4, behaviours: () => honest(mean, 0.005, 0.002, 4), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 10_000, graceMs: 2_000 } })
    sim.slow.add(5)
    sim.membership()
    sim.elect(1, 0)
    // nobody computes ahead: node 5 is expected and has not missed earlier rounds, so it is waited for
    expect(sim.sessions.map(s => s.counters.aggregatesAhead)).toEqual([0, 0, 0, 0, 0, 0])
    sim.tick(1_000) // the short wait ends: the coordinator closes with five
    expect(sim.sessions.map(s => s.model.version)).toEqual([1, 1, 1, 1, 1, 1]) // node 5 verifies too: it only trains slowly
    expect(sim.sessions.slice(1).every(s => s.counters.modelsVerified === 1 && s.counters.verifiedAhead === 0)).toBe(true)
  })

  it('with settleLater, a message is only taken in: verification and the coordinator\'s close wait for settle()', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 1, behaviours: () => honest(mean, 0.005, 0.002, 1), config: { ...KRUM_F1, maxRounds: 1, settleLater: true } })
    sim.membership()
    sim.elect(1, 0)
    // every update arrived (the clock never moved, so no tick did the work either)
    expect(sim.sessions.map(s => s.model.version)).toEqual([0, 0, 0, 0, 0, 0])
    expect(sim.sessions.every(s => s.unsettledWork)).toBe(true)
    // the participants' work: the aggregate ahead (nothing to verify yet)
    for (let i = 1; i < 6; i++) expect(sim.sessions[i]!.settle()).toEqual({ publish: [], events: [] })
    expect(sim.sessions.map(s => s.counters.aggregatesAhead)).toEqual([0, 1, 1, 1, 1, 1])
    sim.handle(0, sim.sessions[0]!.settle())
    expect(sim.sessions[0]!.model.version).toBe(1)
    expect(sim.sessions[0]!.unsettledWork).toBe(false)
    sim.run() // the header reaches the others, who park it
    expect(sim.sessions.slice(1).map(s => s.model.version)).toEqual([0, 0, 0, 0, 0])
    for (let i = 1; i < 6; i++) sim.handle(i, sim.sessions[i]!.settle())
    expect(sim.sessions.map(s => s.model.version)).toEqual([1, 1, 1, 1, 1, 1])
    expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
    expect(sim.sessions.slice(1).every(s => s.counters.verifiedAhead === 1)).toBe(true)
    // nothing left: a second settle() does nothing
    expect(sim.sessions[1]!.settle()).toEqual({ publish: [], events: [] })
  })

  it('a lying coordinator\'s model is rejected by every honest verifier, which distrusts it', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 2, behaviours: () => honest(mean, 0.005, 0.002, 2), config: { ...KRUM_F1, maxRounds: 1 } })
    // node 0 publishes weights shifted by 0.5 with a digest that matches them (a consistent lie)
    sim.tamper = (node, topic, data) => {
      if (node !== 0 || topic !== 'model') return data
      const chunk = decodeChunk(data)
      if (!chunk.ok || chunk.value.kind !== 'global-model') return data
      const model = decodeGlobalModel(chunk.value.data)
      if (!model.ok) throw new Error('the test assumes single-chunk models')
      // the gossiped model is a header; the coordinator already holds the weights it stands for
      const tensors = sim.sessions[0]!.model.tensors.map(t => ({ ...t, data: t.data.map(x => x + 0.5) }))
      return encodeGlobalModelChunks(globalModelHeader({ ...model.value, weightsDigest: digestWeights(tensors) })).chunks[0] as Uint8Array
    }
    sim.membership()
    sim.elect(1, 0)
    const rejected = sim.eventsOf('model-rejected')
    expect(rejected.map(e => e.reason)).toEqual(Array(6).fill('digest-mismatch'))
    expect(new Set(sim.events.filter(e => e.event.type === 'model-rejected').map(e => e.node))).toEqual(new Set([1, 2, 3, 4, 5, 6]))
    for (let i = 1; i < 7; i++) {
      expect(sim.sessions[i]?.model.version).toBe(0)
      expect(sim.sessions[i]?.suspicion.isQuarantined(sim.ids[0] as string)).toBe(true)
    }
    expect(sim.eventsOf('quarantined').every(e => e.peer === sim.ids[0])).toBe(true)
    // the service stops following it on the 'model-rejected' event (Election.distrust); here each node counted it once
    const s1 = sim.sessions[1]
    expect(s1?.status().rejects.model['verification:digest-mismatch']).toBe(1)
    expect(s1?.status().counters).toMatchObject({ modelsRejected: 1, modelsUnverifiable: 0 })
  })

  it('stragglers are left out at the deadline, not suspected', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 3, behaviours: () => honest(mean, 0.005, 0.002, 3), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 5_000 } })
    sim.slow.add(5)
    sim.slow.add(6)
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions[0]?.model.version).toBe(0) // waiting for 5 and 6
    expect(sim.sessions[0]?.status().open).toMatchObject({ round: 1, expected: sim.ids.slice().sort(), reported: sim.ids.slice(0, 5).sort() })
    sim.tick(4_999)
    expect(sim.sessions[0]?.model.version).toBe(0)
    sim.tick(1)
    expect(sim.eventsOf('round-closed', 0)).toEqual([expect.objectContaining({ round: 1, included: 5, stragglers: [sim.ids[5], sim.ids[6]].sort(), durationMs: 5_000 })])
    expect(sim.sessions.every(s => s.model.version === 1)).toBe(true)
    for (const s of sim.sessions) {
      expect(s.suspicion.score(sim.ids[5] as string)).toBe(0)
      expect(s.suspicion.score(sim.ids[6] as string)).toBe(0)
    }
    // their late updates are dropped as stale, without evidence against them
    sim.trainDeferred()
    expect(sim.sessions[0]?.status().rejects.model['own-update-too-late']).toBeUndefined()
    expect(sim.sessions[5]?.status().rejects.model['own-update-too-late']).toBe(1)
  })

  it('below minParticipants at the deadline the round is extended with a counted reason', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 4, behaviours: () => honest(mean, 0.005, 0.002, 4), config: { aggregator: { rule: 'krum', f: 2 }, minParticipants: 7, maxRounds: 1, deadlineMs: 1_000 } })
    sim.slow.add(3)
    sim.slow.add(4)
    sim.membership()
    sim.elect(1, 0)
    sim.tick(1_000)
    expect(sim.eventsOf('round-extended', 0)).toEqual([expect.objectContaining({
      round: 1, reason: 'aggregation-precondition', have: 5, need: 7, detail: expect.stringMatching(/krum needs n > 2f\+2: got n=5, f=2/),
      // whom it is waiting for: the two slow members, by peer id
      waitingFor: [sim.ids[3], sim.ids[4]].sort()
    })])
    expect(sim.sessions[0]?.status().counters.extensions).toBe(1)
    expect(sim.sessions[0]?.status().rejects.model['extended:aggregation-precondition']).toBe(1)
    sim.trainDeferred()
    expect(sim.sessions.every(s => s.model.version === 1)).toBe(true)
  })

  it('failover mid-round: the new coordinator re-opens the round under its term and completes it with the updates already sent', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 5, behaviours: () => honest(mean, 0.005, 0.002, 5), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.slow.add(5)
    sim.slow.add(6)
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions[1]?.status().open).toMatchObject({ round: 1, term: 1, reported: sim.ids.slice(0, 5).sort() })
    // the coordinator's tab closes; the election (not simulated here) makes node 1 leader of term 2
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    const reopened = sim.eventsOf('round-opened', 3)
    expect(reopened.at(-1)).toMatchObject({ round: 1, term: 2, coordinator: sim.ids[1], failover: true })
    // nobody retrains: the updates of round 1 stay valid under the new term
    expect(sim.eventsOf('train').length).toBe(7 - 1 + 1) // 6 followers + node 0 itself in term 1, none in term 2
    // its re-announcement lists the updates it holds (every one sent before the close), so none is sent again
    expect(sim.sessions[3]?.status().open).toMatchObject({ round: 1, term: 2 })
    expect(sim.sessions.map(s => s.status().counters.updatesResent)).toEqual([0, 0, 0, 0, 0, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.resendsSpared)).toEqual([0, 0, 1, 1, 1, 0, 0])
    sim.trainDeferred()
    const accepted = sim.eventsOf('model-accepted', 4)
    expect(accepted).toEqual([expect.objectContaining({ version: 1, round: 1, term: 2, coordinator: sim.ids[1], verified: true })])
    // node 0's update, sent before it went down, is in the aggregate
    expect(accepted[0]?.included).toContain(sim.ids[0])
    expect(accepted[0]?.included).toHaveLength(7)
    for (let i = 1; i < 7; i++) expect(sim.sessions[i]?.model).toMatchObject({ version: 1, term: 2 })
    expect(sim.eventsOf('model-rejected')).toHaveLength(0)
  })

  it('failover keeps what is left of the round\'s deadline: a member that never reports is not waited for a whole new one', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 20, behaviours: () => honest(mean, 0.005, 0.002, 20), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 10_000, graceMs: 2_000 } })
    // alive and expected, never report: more than f = 1, so the round runs to its deadline
    sim.slow.add(5)
    sim.slow.add(6)
    sim.membership()
    sim.elect(1, 0)
    sim.tick(6_000)
    expect(sim.sessions[1]?.model.version).toBe(0) // node 0 waits for nodes 5 and 6 until its deadline, 4 s away
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    expect(sim.eventsOf('round-opened', 3).at(-1)).toMatchObject({ round: 1, term: 2, failover: true })
    sim.tick(3_900)
    expect(sim.sessions[3]?.model.version).toBe(0)
    sim.tick(100)
    // node 1 closes at the round's deadline (opened + 10 s), not a whole deadline after taking over (opened + 16 s)
    expect(sim.sessions.slice(1, 5).map(s => s.model.version)).toEqual([1, 1, 1, 1])
    expect(sim.eventsOf('round-closed', 1)).toEqual([expect.objectContaining({ round: 1, included: 5, stragglers: [sim.ids[5], sim.ids[6]].sort() })])
  })

  it('failover does not wait for the coordinator it took over from, though the failure detector still lists it alive', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 23, behaviours: () => honest(mean, 0.005, 0.002, 23), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 10_000, graceMs: 2_000 } })
    sim.slow.add(0) // the coordinator has not trained yet when its tab closes
    sim.slow.add(6) // and one member never reports: two missing, more than f = 1, so the round waits
    sim.membership()
    sim.elect(1, 0)
    sim.tick(3_000)
    expect(sim.sessions[1]?.model.version).toBe(0)
    sim.down.add(0) // gone, but nobody's membership view has noticed yet
    sim.elect(2, 1)
    expect(sim.eventsOf('round-opened', 3).at(-1)).toMatchObject({ round: 1, term: 2, failover: true })
    sim.tick(100) // node 1's first look at the round it took over: all but f are in
    sim.tick(200)
    expect(sim.sessions[3]?.model.version).toBe(0)
    sim.tick(100)
    // only node 6 is missing among those expected: the short wait of a round taken over (TAKEOVER_LAST_F_WAIT_MS, 250
    // ms: closed at the first tick after it), not the deadline 7 s away, as if node 0 were still waited for
    expect(sim.eventsOf('round-closed', 1)).toEqual([expect.objectContaining({ round: 1, included: 5, expected: 6, stragglers: [sim.ids[6]], durationMs: 400, lastFWaitMs: 300 })])
    expect(sim.sessions.slice(1, 6).map(s => s.model.version)).toEqual([1, 1, 1, 1, 1])
  })

  it('a round taken over waits for its last f at most takeoverLastFWaitMs (default 250 ms); other rounds as before', () => {
    const run = (takeoverLastFWaitMs?: number): { first?: number, takenOver?: number } => {
      const sim = new Sim({ nodes: 7, d: D, seed: 25, behaviours: () => honest(mean, 0.005, 0.002, 25), config: { ...KRUM_F1, maxRounds: 2, deadlineMs: 30_000, graceMs: 3_000, notWaitedAfterMissedRounds: 0, ...(takeoverLastFWaitMs === undefined ? {} : { takeoverLastFWaitMs }) } })
      sim.slow.add(6) // one member (f = 1) never reports
      sim.slow.add(0) // the coordinator reports in round 1 only
      sim.membership()
      sim.elect(1, 0)
      sim.trainDeferred(node => node === 0)
      for (let t = 0; t < 5_000 && sim.sessions[1]!.model.version < 1; t += 100) sim.tick(100)
      // round 2: nodes 0 and 6 missing, more than f: node 0 waits for its deadline, and closes its tab before it trains
      sim.tick(1_000)
      expect(sim.sessions[1]!.model.version).toBe(1)
      sim.down.add(0)
      sim.membership()
      sim.elect(2, 1)
      for (let t = 0; t < 10_000 && sim.sessions[1]!.model.version < 2; t += 50) sim.tick(50)
      return { first: sim.eventsOf('round-closed', 0)[0]?.lastFWaitMs, takenOver: sim.eventsOf('round-closed', 1)[0]?.lastFWaitMs }
    }
    // round 1 (no failover) waits the 1 s floor for node 6 either way; round 2, taken over by node 1, a quarter of it
    expect(run()).toEqual({ first: 1_000, takenOver: TAKEOVER_LAST_F_WAIT_MS })
    expect(TAKEOVER_LAST_F_WAIT_MS).toBe(250)
    expect(run(0)).toEqual({ first: 1_000, takenOver: 0 })
    expect(run(500)).toEqual({ first: 1_000, takenOver: 500 })
    expect(run(6_000)).toEqual({ first: 1_000, takenOver: 1_000 })
  })

  it('after a failover the wait for the last f counts arrivals from the re-opening, not from the first coordinator\'s', () => {
    // a takeover that may wait for the last f as long as other rounds (takeoverLastFWaitMs; by default 250 ms at most)
    const sim = new Sim({ nodes: 7, d: D, seed: 24, behaviours: () => honest(mean, 0.005, 0.002, 24), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 30_000, graceMs: 3_000, takeoverLastFWaitMs: 6_000 } })
    sim.slow.add(5) // reports only once node 1 has taken over
    sim.slow.add(6) // never reports
    sim.membership()
    sim.elect(1, 0) // nodes 0-4 report at t = 0
    sim.tick(4_000)
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    expect(sim.eventsOf('round-opened', 3).at(-1)).toMatchObject({ round: 1, term: 2, failover: true })
    sim.trainDeferred(node => node === 5) // all but f = 1 now: nodes 0-4 from 4 s ago, node 5 just now
    for (let t = 0; t < 10_000 && sim.sessions[1]?.model.version === 0; t += 100) sim.tick(100)
    // counted from the first coordinator's t = 0 the spread is 4 s and the wait 2 s; from the re-opening, the 1 s floor
    expect(sim.eventsOf('round-closed', 1)).toEqual([expect.objectContaining({ round: 1, included: 6, stragglers: [sim.ids[6]], durationMs: 1_000 })])
  })

  it('the last f expected members are waited for only briefly: a withholder cannot hold every round to its deadline', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 21, behaviours: () => honest(mean, 0.005, 0.002, 21), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 10_000, graceMs: 2_000 } })
    sim.slow.add(6) // one member (f = 1) never reports
    sim.membership()
    sim.elect(1, 0)
    // the others all reported at once (no spread): the 1 s floor, for chunks still in flight
    sim.tick(900)
    expect(sim.sessions[0]?.model.version).toBe(0)
    sim.tick(100)
    expect(sim.eventsOf('round-closed', 0)).toEqual([expect.objectContaining({ round: 1, included: 6, stragglers: [sim.ids[6]], durationMs: 1_000, lastInputMs: 1_000, lastFWaitMs: 1_000, aggregateMs: 0 })])
    expect(sim.sessions.slice(1, 6).map(s => s.model.version)).toEqual([1, 1, 1, 1, 1])
    // a straggler, not a suspect
    expect(sim.sessions[1]?.suspicion.snapshot().find(p => p.peer === sim.ids[6])).toBeUndefined()
  })

  it('a member that missed the last two rounds is not waited for at the end of the next', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 21, behaviours: () => honest(mean, 0.005, 0.002, 21), config: { ...KRUM_F1, maxRounds: 3, deadlineMs: 10_000, graceMs: 2_000 } })
    sim.slow.add(6) // one member (f = 1) never reports on its own
    sim.membership()
    sim.elect(1, 0)
    for (let t = 0; t < 5_000 && sim.sessions[0]!.model.version < 3; t += 100) sim.tick(100)
    // rounds 1 and 2 wait the 1 s floor for it; round 3 closes as soon as the others reported
    expect(sim.eventsOf('round-closed', 0).map(e => [e.round, e.durationMs, e.stragglers])).toEqual([[1, 1_000, [sim.ids[6]]], [2, 1_000, [sim.ids[6]]], [3, 0, [sim.ids[6]]]])
    expect(sim.sessions.map(s => s.model.version)).toEqual([3, 3, 3, 3, 3, 3, 3]) // it verifies, it just does not train
    // every node counts it from the models it verified (a coordinator after failover would know too)
    expect(sim.sessions.slice(1, 6).every(s => s.late.isLate(sim.ids[6]!))).toBe(true)
    expect(sim.sessions[1]!.late.snapshot()).toEqual({ [sim.ids[6]!]: 3 })
    // not suspected for it
    expect(sim.sessions[1]?.suspicion.snapshot().find(p => p.peer === sim.ids[6])).toBeUndefined()
  })

  it('with notWaitedAfterMissedRounds 0 the last f are always waited for', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 21, behaviours: () => honest(mean, 0.005, 0.002, 21), config: { ...KRUM_F1, maxRounds: 3, deadlineMs: 10_000, graceMs: 2_000, notWaitedAfterMissedRounds: 0 } })
    sim.slow.add(6)
    sim.membership()
    sim.elect(1, 0)
    for (let t = 0; t < 5_000 && sim.sessions[0]!.model.version < 3; t += 100) sim.tick(100)
    expect(sim.eventsOf('round-closed', 0).map(e => e.durationMs)).toEqual([1_000, 1_000, 1_000])
  })

  it('the wait for the last f is half the spread of the others\' arrivals, at most twice the grace', () => {
    const run = (releaseAt: number): { closedAt: number | undefined, waited: number | undefined, stragglers: string[] | undefined } => {
      const sim = new Sim({ nodes: 7, d: D, seed: 22, behaviours: () => honest(mean, 0.005, 0.002, 22), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 60_000, graceMs: 3_000 } })
      sim.slow.add(5)
      sim.slow.add(6) // never reports
      sim.membership()
      sim.elect(1, 0) // nodes 0-4 report at t = 0: 5 of 7, two short of all but f
      sim.tick(releaseAt)
      sim.trainDeferred(node => node === 5) // node 5 reports at releaseAt: all but f = 1
      for (let t = 0; t < 20_000 && sim.sessions[0]?.model.version === 0; t += 100) sim.tick(100)
      const closed = sim.eventsOf('round-closed', 0)[0]
      return { closedAt: closed?.durationMs, waited: closed?.lastFWaitMs, stragglers: closed?.stragglers }
    }
    // arrivals spread over 4 s: node 6 is waited for 2 s more
    expect(run(4_000)).toEqual({ closedAt: 6_000, waited: 2_000, stragglers: [expect.any(String)] })
    // spread over 1 s: the 1 s floor
    expect(run(1_000)).toEqual({ closedAt: 2_000, waited: 1_000, stragglers: [expect.any(String)] })
    // spread over 16 s: capped at twice the grace
    expect(run(16_000)).toEqual({ closedAt: 22_000, waited: 6_000, stragglers: [expect.any(String)] })
  })

  it('with many arrivals the wait for the last f is three mean gaps between them when that is less than half the spread', () => {
    const sim = new Sim({ nodes: 12, d: D, seed: 26, behaviours: () => honest(mean, 0.005, 0.002, 26), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 60_000, graceMs: 3_000 } })
    sim.slow.add(10)
    sim.slow.add(11) // never reports
    sim.membership()
    sim.elect(1, 0) // nodes 0-9 report at t = 0
    sim.tick(4_000)
    sim.trainDeferred(node => node === 10) // 11 of 12 (all but f = 1) at t = 4 s: 11 arrivals, 10 gaps over 4 s
    for (let t = 0; t < 20_000 && sim.sessions[0]?.model.version === 0; t += 100) sim.tick(100)
    // half the spread would be 2 s; three mean gaps are 3 * 0.4 s = 1.2 s
    expect(sim.eventsOf('round-closed', 0)).toEqual([expect.objectContaining({ included: 11, stragglers: [sim.ids[11]], durationMs: 5_200 })])
  })

  it('a stale coordinator (lower term) is ignored after the new term is known', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 6, behaviours: () => honest(mean, 0.005, 0.002, 6), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.membership()
    sim.sessions.forEach((s, i) => { if (i !== 0) sim.handle(i, s.onLeader(3, sim.ids[2])) })
    // node 0 still believes it leads term 1 and opens a round
    sim.handle(0, sim.sessions[0]!.onLeader(1, sim.ids[0]))
    sim.run()
    // node 0 opened round 1 and even closed it (with the updates the others trained for node 2's round 1, which are
    // just as valid): both its messages are dropped as stale, and everyone follows node 2
    for (let i = 1; i < 6; i++) {
      expect(sim.sessions[i]?.status().rejects.model['stale-term']).toBe(2)
      expect(sim.sessions[i]?.model).toMatchObject({ version: 1, term: 3 })
      expect(sim.events.filter(e => e.node === i && e.event.type === 'train').map(e => (e.event as { term: number }).term)).toEqual([3])
    }
  })

  it('a late joiner fetches the current model, trains in the round it is the base of, and is waited for from the next', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 7, behaviours: () => honest(mean, 0.005, 0.002, 7), config: { aggregator: { rule: 'krum', f: 0 }, minParticipants: 3, maxRounds: 3 } })
    sim.down.add(5)
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions[0]?.model.version).toBe(3)
    expect(sim.sessions[5]?.model.version).toBe(0)
    sim.down.delete(5)
    sim.handle(5, sim.sessions[5]!.onLeader(1, sim.ids[0]))
    sim.membership()
    sim.sessions[0]!.config.maxRounds = 5
    sim.tick(10)
    const late = sim.events.filter(e => e.node === 5).map(e => e.event)
    expect(late.find(e => e.type === 'fetch-model')).toMatchObject({ version: 3, from: sim.ids[0] })
    expect(late.find(e => e.type === 'model-fetched')).toMatchObject({ version: 3 })
    // it held round 4's base while round 4 was open, so it trained in it too
    expect(late.filter(e => e.type === 'train').map(e => (e as { round: number }).round)).toEqual([4, 5])
    expect(late.filter(e => e.type === 'model-accepted').map(e => [(e as { version: number }).version, (e as { verified: boolean }).verified])).toEqual([[4, true], [5, true]])
    // the coordinator did not wait for it in round 4 (first seen while round 4 was open); it did in round 5
    const closed = sim.eventsOf('round-closed', 0)
    expect(closed.map(e => e.expected)).toEqual([5, 5, 5, 5, 6])
    expect(sim.eventsOf('model-accepted', 0).at(-1)?.included).toContain(sim.ids[5])
    expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
  })

  describe('the announcement of round r + 2 overtakes global model r + 1 on its way to a node', () => {
    // node 5 does not receive model v1 when it is published: the coordinator's round-2 announcement reaches it first
    /** `withholder`: a node whose round-2 update is lost, so the round waits for more than node 5. */
    function overtaken (seed: number, withholder?: number): { sim: Sim, held: Array<{ data: Uint8Array, from: string }> } {
      const sim = new Sim({ nodes: 6, d: D, seed, behaviours: () => honest(mean, 0.005, 0.002, seed), config: { ...KRUM_F1, maxRounds: 2 } })
      const held: Array<{ data: Uint8Array, from: string }> = []
      sim.filter = (m) => {
        if (withholder !== undefined && m.topic === 'updates' && m.from === sim.ids[withholder]) {
          const c = decodeChunk(m.data)
          return c.ok && c.value.round === 2
        }
        if (m.to !== 5 || m.topic !== 'model') return false
        const c = decodeChunk(m.data)
        if (!c.ok || c.value.kind !== 'global-model' || c.value.round !== 1) return false
        held.push({ data: m.data, from: m.from })
        return true
      }
      sim.membership()
      sim.elect(1, 0)
      return { sim, held }
    }

    it('the node parks the announcement, verifies the model when it arrives and trains in round r + 2', () => {
      const { sim, held } = overtaken(11)
      expect(held.length).toBeGreaterThan(0)
      expect(sim.sessions[5]?.model.version).toBe(0)
      // round 2 waits for node 5, which the coordinator expects
      expect(sim.sessions[0]?.status().open).toMatchObject({ round: 2 })
      sim.tick(500)
      sim.filter = undefined
      for (const h of held) sim.handle(5, sim.sessions[5]!.onModelMessage(h.data, h.from))
      sim.run()
      const own = sim.events.filter(e => e.node === 5).map(e => e.event)
      expect(own.some(e => e.type === 'fetch-model')).toBe(false)
      expect(own.filter(e => e.type === 'model-accepted').map(e => [(e as { version: number }).version, (e as { verified: boolean }).verified])).toEqual([[1, true], [2, true]])
      expect(own.filter(e => e.type === 'train').map(e => (e as { round: number }).round)).toEqual([1, 2])
      expect(sim.eventsOf('model-accepted', 0).at(-1)?.included).toContain(sim.ids[5])
      expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
    })

    it('if the model never comes, the node fetches it after the grace period and still trains in round r + 2', () => {
      // with node 4's update lost too, round 2 waits for two (more than f) and node 5 can still make it; were node 5
      // the only one missing, the round would close after the last-f wait (1 s here) and leave it out as a straggler
      const { sim } = overtaken(12, 4)
      sim.tick(1_000)
      expect(sim.events.filter(e => e.node === 5 && e.event.type === 'fetch-model')).toHaveLength(0)
      sim.tick(1_500) // past the 2 s grace period
      const own = sim.events.filter(e => e.node === 5).map(e => e.event)
      expect(own.find(e => e.type === 'fetch-model')).toMatchObject({ version: 1, from: sim.ids[0] })
      expect(own.filter(e => e.type === 'train').map(e => (e as { round: number }).round)).toEqual([1, 2])
      sim.tick(1_500) // the last-f wait for node 4: half the 2.5 s spread of the arrivals
      // round 2 closed with node 5's update (it was expected) long before its 10 s deadline
      const closed = sim.eventsOf('round-closed', 0).at(-1)
      expect(closed).toMatchObject({ round: 2, included: 5, expected: 6, stragglers: [sim.ids[4]] })
      expect(closed?.durationMs).toBeLessThan(10_000)
      expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
      expect(sim.sessions[5]?.status().modelVerified).toBe(true)
    })
  })

  it('anti-entropy: a node that missed the session\'s last model fetches it once the leader advertises it', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 13, behaviours: () => honest(mean, 0.005, 0.002, 13), config: { ...KRUM_F1, maxRounds: 2 } })
    // every copy of model v2 (the last) is lost on its way to node 5
    sim.filter = (m) => {
      if (m.to !== 5 || m.topic !== 'model') return false
      const c = decodeChunk(m.data)
      return c.ok && c.value.kind === 'global-model' && c.value.round === 2
    }
    sim.membership()
    sim.elect(1, 0)
    sim.tick(5_000)
    expect(sim.sessions.slice(0, 5).map(s => s.model.version)).toEqual([2, 2, 2, 2, 2])
    expect(sim.sessions[5]?.model.version).toBe(1)
    const leaderHead = sim.sessions[0]!.model
    // not the leader: ignored; the leader's own head, not ahead: nothing to do
    sim.handle(5, sim.sessions[5]!.onLeaderHead(2, leaderHead.digest, sim.ids[1]!))
    expect(sim.events.filter(e => e.node === 5 && e.event.type === 'fetch-model')).toHaveLength(0)
    sim.handle(3, sim.sessions[3]!.onLeaderHead(2, leaderHead.digest, sim.ids[0]!))
    expect(sim.events.filter(e => e.node === 3 && e.event.type === 'fetch-model')).toHaveLength(0)
    // the leader's head is ahead: fetch it, checked against the advertised digest
    sim.handle(5, sim.sessions[5]!.onLeaderHead(2, leaderHead.digest, sim.ids[0]!))
    sim.run()
    expect(sim.events.filter(e => e.node === 5 && e.event.type === 'fetch-model').map(e => e.event)).toEqual([expect.objectContaining({ version: 2, from: sim.ids[0] })])
    expect(sim.sessions[5]?.model).toMatchObject({ version: 2, digest: leaderHead.digest, verified: false })
    // a head whose digest the served model does not match is not adopted
    const other = new Sim({ nodes: 6, d: D, seed: 13, behaviours: () => honest(mean, 0.005, 0.002, 13), config: { ...KRUM_F1, maxRounds: 2 } })
    other.filter = sim.filter
    other.membership()
    other.elect(1, 0)
    other.handle(5, other.sessions[5]!.onLeaderHead(2, 'f'.repeat(64), other.ids[0]!))
    other.run()
    expect(other.sessions[5]?.model.version).toBe(1)
  })

  it('a model this node could not check (an update never reached it) is adopted on the leader\'s head', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 14, behaviours: () => honest(mean, 0.005, 0.002, 14), config: { ...KRUM_F1, maxRounds: 1 } })
    // node 1's update never reaches node 5, so node 5 cannot recompute model v1
    sim.filter = (m) => m.to === 5 && m.topic === 'updates' && m.from === sim.ids[1]
    sim.membership()
    sim.elect(1, 0)
    // while the model waits here for that update it is being verified: the leader's head does not make node 5 fetch it
    expect(sim.sessions[5]!.status().pendingVerifications).toBe(1)
    const early = sim.sessions[5]!.onLeaderHead(1, sim.sessions[0]!.model.digest, sim.ids[0]!)
    expect(early.events.filter(e => e.type === 'fetch-model')).toHaveLength(0)
    expect(sim.sessions[5]!.status().fetching).toBeUndefined()
    sim.tick(3_000) // past the 2 s grace
    expect(sim.sessions[5]?.model.version).toBe(0)
    expect(sim.sessions[5]?.status().rejects.model['verification:missing-update']).toBe(1)
    // could not check it: counted apart from the models that failed verification
    expect(sim.sessions[5]?.status().counters).toMatchObject({ modelsUnverifiable: 1, modelsRejected: 0 })
    const digest = sim.sessions[0]!.model.digest
    // unverifiable is not proof: no vouching needed (gossip loss must not strand the node)
    sim.handle(5, sim.sessions[5]!.onLeaderHead(1, digest, sim.ids[0]!))
    sim.run()
    expect(sim.sessions[5]?.model).toMatchObject({ version: 1, digest, verified: false })
  })

  it('failover: a member whose update the new coordinator does not hold publishes it again, at once if it went out a while ago', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 5, behaviours: () => honest(mean, 0.005, 0.002, 5), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.slow.add(5)
    sim.slow.add(6)
    // node 3's update never reaches node 1, the coordinator to be
    let lossy = true
    sim.filter = (m) => lossy && m.topic === 'updates' && m.from === sim.ids[3] && m.to === 1
    sim.membership()
    sim.elect(1, 0)
    lossy = false
    sim.tick(2_000) // the updates went out a grace period (2 s here) before the takeover: not in flight any more
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    expect(sim.sessions.map(s => s.status().counters.updatesResent)).toEqual([0, 0, 0, 1, 0, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.resentOnTakeover)).toEqual([0, 0, 0, 1, 0, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.resendsSpared)).toEqual([0, 0, 1, 0, 1, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.copiesHeldBack)).toEqual([0, 0, 0, 0, 0, 0, 0])
    sim.trainDeferred()
    const accepted = sim.eventsOf('model-accepted', 4)
    expect(accepted).toEqual([expect.objectContaining({ version: 1, term: 2, coordinator: sim.ids[1], verified: true })])
    expect(accepted[0]?.included).toContain(sim.ids[3])
    expect(accepted[0]?.included).toHaveLength(7)
  })

  it('failover: the copy of an update published moments before the takeover waits, and goes if the round is still open', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 5, behaviours: () => honest(mean, 0.005, 0.002, 5), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.slow.add(5)
    sim.slow.add(6)
    // node 3's update never reaches node 1, the coordinator to be
    sim.filter = (m) => m.topic === 'updates' && m.from === sim.ids[3] && m.to === 1
    sim.membership()
    sim.elect(1, 0)
    sim.tick(1_500)
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    // published 1.5 s before the takeover, within the 2 s grace: probably still in flight, so no copy yet
    expect(sim.sessions.map(s => s.status().counters.copiesHeldBack)).toEqual([0, 0, 0, 1, 0, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.updatesResent)).toEqual([0, 0, 0, 0, 0, 0, 0])
    sim.filter = undefined
    sim.tick(400)
    expect(sim.sessions[3]?.status().counters.updatesResent).toBe(0)
    sim.tick(100) // 2 s after it first went out, the round still open: the copy goes
    expect(sim.sessions.map(s => s.status().counters.heldBackSent)).toEqual([0, 0, 0, 1, 0, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.resentOnTakeover)).toEqual([0, 0, 0, 1, 0, 0, 0])
    sim.tick(2_000) // once only
    expect(sim.sessions[3]?.status().counters.updatesResent).toBe(1)
    sim.trainDeferred()
    const accepted = sim.eventsOf('model-accepted', 4)
    expect(accepted).toEqual([expect.objectContaining({ version: 1, term: 2, coordinator: sim.ids[1], verified: true })])
    expect(accepted[0]?.included).toContain(sim.ids[3])
  })

  it('failover: a copy held back is dropped when the update arrives and the round closes first', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 5, behaviours: () => honest(mean, 0.005, 0.002, 5), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.slow.add(5)
    sim.slow.add(6)
    // node 3's update is still on its way to node 1 when node 1 takes the round over
    const inFlight: Array<{ data: Uint8Array, from: string }> = []
    sim.filter = (m) => {
      const late = m.topic === 'updates' && m.from === sim.ids[3] && m.to === 1
      if (late) inFlight.push({ data: m.data, from: m.from })
      return late
    }
    sim.membership()
    sim.elect(1, 0)
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    expect(sim.eventsOf('round-opened', 3).at(-1)).toMatchObject({ round: 1, term: 2, failover: true })
    expect(sim.sessions[3]?.status().counters.copiesHeldBack).toBe(1)
    sim.filter = undefined
    expect(inFlight.length).toBeGreaterThan(0)
    for (const m of inFlight) sim.handle(1, sim.sessions[1]!.onUpdateMessage(m.data, m.from))
    sim.run()
    sim.trainDeferred()
    expect(sim.sessions.filter((_, i) => i !== 0).map(s => s.model.version)).toEqual([1, 1, 1, 1, 1, 1])
    expect(sim.eventsOf('model-accepted', 4)[0]?.included).toContain(sim.ids[3])
    sim.tick(5_000)
    expect(sim.sessions.map(s => s.status().counters.updatesResent)).toEqual([0, 0, 0, 0, 0, 0, 0])
    expect(sim.sessions[3]?.status().counters.heldBackSent).toBe(0)
  })

  it('failover: a successor that missed its predecessor\'s announcement still lists the updates it holds', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 5, behaviours: () => honest(mean, 0.005, 0.002, 5), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.slow.add(5)
    sim.slow.add(6)
    // node 1 never hears node 0's round announcement, but takes in the updates sent in that round
    sim.filter = (m) => m.topic === 'model' && m.to === 1
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions[1]?.status().open).toBeUndefined()
    sim.filter = undefined
    sim.down.add(0)
    sim.membership()
    sim.elect(2, 1)
    // node 1 opens round 1 afresh; to nodes 2-4 it is a takeover of the round they sent their updates in
    expect(sim.eventsOf('round-opened', 1).at(-1)).toMatchObject({ round: 1, term: 2, failover: false })
    expect(sim.eventsOf('round-opened', 3).at(-1)).toMatchObject({ round: 1, term: 2, failover: true })
    expect(sim.sessions.map(s => s.status().counters.resendsSpared)).toEqual([0, 0, 1, 1, 1, 0, 0])
    expect(sim.sessions.map(s => s.status().counters.updatesResent)).toEqual([0, 0, 0, 0, 0, 0, 0])
    sim.trainDeferred()
    expect(sim.eventsOf('model-accepted', 4)).toEqual([expect.objectContaining({ version: 1, term: 2, coordinator: sim.ids[1], verified: true })])
  })

  it('an update that reached nobody is published again while its round stays open, and the round closes', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 21, behaviours: () => honest(mean, 0.005, 0.002, 21), config: { aggregator: { rule: 'krum', f: 1 }, minParticipants: 6, maxRounds: 1, deadlineMs: 10_000 } })
    // node 1's first publication is lost on every link (published before the mesh formed): 5 of the 6 needed
    let lossy = true
    sim.filter = (m) => lossy && m.topic === 'updates' && m.from === sim.ids[1]
    sim.membership()
    sim.elect(1, 0)
    lossy = false
    expect(sim.sessions.map(s => s.model.version)).toEqual([0, 0, 0, 0, 0, 0])
    sim.tick(9_000)
    expect(sim.sessions[1]?.status().counters.updatesResent).toBe(0)
    expect(sim.sessions.map(s => s.model.version)).toEqual([0, 0, 0, 0, 0, 0])
    sim.tick(1_000) // a deadline without the round closing: every member publishes its update again
    expect(sim.sessions[1]?.status().counters.updatesResent).toBe(1)
    expect(sim.sessions[1]?.status().counters.resentOnTakeover).toBe(0)
    expect(sim.sessions.map(s => s.model.version)).toEqual([1, 1, 1, 1, 1, 1])
    expect(sim.eventsOf('model-accepted', 3)[0]?.included).toContain(sim.ids[1])
    // a copy is a duplicate, never a second update
    for (const s of sim.sessions) expect(s.status().suspicion.filter(p => p.reasons.equivocation !== undefined)).toEqual([])
    expect(sim.sessions[3]?.status().rejects.updates.duplicate).toBeGreaterThan(0)
    // the closed round's update is forgotten: no more resends
    const resent = sim.sessions.map(s => s.status().counters.updatesResent)
    sim.tick(20_000)
    expect(sim.sessions.map(s => s.status().counters.updatesResent)).toEqual(resent)
  })

  it('a model whose round announcement this node missed is rejected without suspecting the coordinator', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 16, behaviours: () => honest(mean, 0.005, 0.002, 16), config: { ...KRUM_F1, maxRounds: 4 } })
    // node 5 never hears the announcements of rounds 1 and 3 (gossip loss, or a tab too busy to take them in time)
    sim.filter = (m) => {
      if (m.to !== 5 || m.topic !== 'model') return false
      const c = decodeChunk(m.data)
      return c.ok && c.value.kind === 'round-open' && (c.value.round === 1 || c.value.round === 3)
    }
    // every node trains when the test says: a round's model then waits out node 5's grace before the next one comes
    for (let i = 0; i < 6; i++) sim.slow.add(i)
    sim.membership()
    sim.elect(1, 0)
    for (let i = 0; i < 12 && sim.sessions.some(s => s.model.version < 4); i++) {
      sim.trainDeferred()
      sim.tick(1_500) // the coordinator's wait for the last f (node 5, which did not train)
      sim.tick(2_500) // past node 5's grace for a model it cannot verify
    }
    expect(sim.sessions.map(s => s.model.version)).toEqual([4, 4, 4, 4, 4, 4])
    // two honest models it could not check: before, each was 0.5 of evidence, and two quarantined the coordinator
    expect(sim.sessions[5]!.status().rejects.model['verification:unknown-round']).toBe(2)
    expect(sim.sessions[5]!.status().counters).toMatchObject({ modelsUnverifiable: 2, modelsRejected: 0 })
    expect(sim.sessions[5]!.suspicion.isQuarantined(sim.ids[0]!)).toBe(false)
    expect(sim.sessions[5]!.suspicion.snapshot().find(p => p.peer === sim.ids[0])?.reasons['unverifiable-model']).toBeUndefined()
    expect(sim.eventsOf('quarantined')).toHaveLength(0)
  })

  it('a model whose announcement waits for this node\'s election is verified once the election names the coordinator', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 17, behaviours: () => honest(mean, 0.005, 0.002, 17), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.membership()
    // node 5's election lags: the others follow node 0 in term 1, node 5 parks its announcement (unconfirmed leader)
    for (let i = 0; i < 5; i++) sim.handle(i, sim.sessions[i]!.onLeader(1, sim.ids[0]))
    sim.run()
    sim.tick(1_500) // the coordinator's short wait for node 5, which did not train: the round closes without it
    expect(sim.sessions[0]!.model.version).toBe(1)
    expect(sim.sessions[5]!.model.version).toBe(0)
    sim.tick(2_500) // past the 2 s grace: before, node 5 rejected the model as unknown-round here and had to fetch it
    expect(sim.sessions[5]!.status().rejects.model['verification:unknown-round']).toBeUndefined()
    // the election reaches node 5: the parked announcement is followed and the model it held verifies
    sim.handle(5, sim.sessions[5]!.onLeader(1, sim.ids[0]))
    sim.run()
    expect(sim.sessions[5]!.model).toMatchObject({ version: 1, digest: sim.sessions[0]!.model.digest, verified: true })
    expect(sim.eventsOf('fetch-model', 5)).toHaveLength(0)
  })

  it('a node whose lease on the coordinator lapsed follows its announcement while the election still takes it as leader; without that it parks it', () => {
    const run = (withStillLeads: boolean): Sim => {
      const sim: Sim = new Sim({
        nodes: 6, d: D, seed: 19, behaviours: () => honest(mean, 0.005, 0.002, 19),
        config: { ...KRUM_F1, maxRounds: 1, ...(withStillLeads ? { stillLeads: (term: number, peer: string) => term === 1 && peer === sim.ids[0] } : {}) }
      })
      sim.membership()
      for (let i = 0; i < 6; i++) sim.handle(i, sim.sessions[i]!.onLeader(1, sim.ids[0]))
      // node 5's lease on node 0 lapses before the announcement reaches it (its Leads came late)
      sim.handle(5, sim.sessions[5]!.onLeader(1, undefined))
      sim.run()
      sim.tick(1_500)
      return sim
    }
    const parked = run(false)
    expect(parked.eventsOf('train', 5)).toHaveLength(0)
    expect(parked.sessions[5]!.counters).toMatchObject({ opensParked: 1, opensUnderLapsedLease: 0 })
    const followed = run(true)
    expect(followed.eventsOf('train', 5)).toHaveLength(1)
    expect(followed.sessions[5]!.counters).toMatchObject({ opensParked: 0, opensUnderLapsedLease: 1 })
    // its update made the round, and it verified the model without the election's word
    expect(followed.sessions[0]!.status().lastModel?.included).toContain(followed.ids[5])
    expect(followed.sessions[5]!.model).toMatchObject({ version: 1, digest: followed.sessions[0]!.model.digest, verified: true })
    // the nodes that never lapsed count nothing
    for (let i = 1; i < 5; i++) expect(followed.sessions[i]!.counters).toMatchObject({ opensParked: 0, opensUnderLapsedLease: 0 })
  })

  it('a model whose parked announcement is never confirmed is still rejected, after three grace periods', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 18, behaviours: () => honest(mean, 0.005, 0.002, 18), config: { ...KRUM_F1, maxRounds: 1 } })
    sim.membership()
    for (let i = 0; i < 5; i++) sim.handle(i, sim.sessions[i]!.onLeader(1, sim.ids[0]))
    sim.run()
    sim.tick(1_500)
    sim.tick(3_000)
    expect(sim.sessions[5]!.status().rejects.model['verification:unknown-round']).toBeUndefined()
    sim.tick(3_100) // 6.1 s after the model came: past 3 x 2 s
    expect(sim.sessions[5]!.status().rejects.model['verification:unknown-round']).toBe(1)
    expect(sim.sessions[5]!.model.version).toBe(0)
  })

  it('a model missing an update asks for it (fetch-updates), again while it is missing (three times at most), and verifies when it is handed over', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 14, behaviours: () => honest(mean, 0.005, 0.002, 14), config: { ...KRUM_F1, maxRounds: 1, graceMs: 3_000 } })
    // node 1's update never reaches node 5 by gossip; keep what was lost, as a neighbour would hold it
    const lost: Array<{ data: Uint8Array, from: string }> = []
    sim.filter = (m) => {
      const drop = m.to === 5 && m.topic === 'updates' && m.from === sim.ids[1]
      if (drop) lost.push({ data: m.data, from: m.from })
      return drop
    }
    sim.membership()
    sim.elect(1, 0)
    expect(lost.length).toBeGreaterThan(0)
    expect(sim.eventsOf('fetch-updates', 5)).toHaveLength(0) // the model just arrived: gossip gets a chance first
    sim.tick(600)
    expect(sim.eventsOf('fetch-updates', 5)).toHaveLength(0)
    sim.tick(500) // past updateFetchAfterMs (a third of the 3 s grace)
    const asked = sim.eventsOf('fetch-updates', 5)
    expect(asked).toHaveLength(1)
    const digest = decodeChunk(lost[0]!.data)
    if (!digest.ok) throw new Error('expected an update chunk')
    expect(asked[0]).toEqual({ type: 'fetch-updates', round: 1, version: 1, digests: [digest.value.digest], from: sim.ids[0] })
    sim.tick(500)
    expect(sim.eventsOf('fetch-updates', 5)).toHaveLength(1) // the next ask only updateFetchAfterMs after this one
    sim.tick(500)
    sim.tick(1_000)
    sim.tick(1_000)
    // the neighbours asked may have received it since: asked again, for what is still missing, then no more
    expect(sim.eventsOf('fetch-updates', 5)).toEqual([asked[0], asked[0], asked[0]])
    expect(sim.sessions[5]?.model.version).toBe(0)
    // handed over (as /fedmesh/updates/1.0.0 would): the parked model verifies at once
    for (const m of lost) sim.handle(5, sim.sessions[5]!.onUpdateMessage(m.data, m.from))
    expect(sim.sessions[5]?.model).toMatchObject({ version: 1, digest: sim.sessions[0]!.model.digest, verified: true })
    expect(sim.sessions[5]?.status().rejects.model['verification:missing-update']).toBeUndefined()
    expect(sim.sessions[5]?.status().counters.updateFetches).toBe(3)
  })

  it('a model that comes while the one before it still waits for a lost update is verified after it, not fetched', () => {
    const run = (handOver: boolean): Sim => {
      const sim = new Sim({ nodes: 6, d: D, seed: 14, behaviours: () => honest(mean, 0.005, 0.002, 14), config: { ...KRUM_F1, maxRounds: 2, graceMs: 3_000 } })
      // node 1's round-1 update never reaches node 5 by gossip; keep what was lost, as a neighbour would hold it
      const lost: Array<{ data: Uint8Array, from: string }> = []
      sim.filter = (m) => {
        const c = m.to === 5 && m.topic === 'updates' && m.from === sim.ids[1] ? decodeChunk(m.data) : undefined
        const drop = c?.ok === true && c.value.kind === 'model-update' && c.value.round === 1
        if (drop) lost.push({ data: m.data, from: m.from })
        return drop
      }
      sim.membership()
      sim.elect(1, 0)
      expect(lost.length).toBeGreaterThan(0)
      // round 2 opens while node 5 still waits for the lost update: it waits too, and round 2 closes without it
      for (let i = 0; i < 12 && sim.sessions[0]!.model.version < 2; i++) sim.tick(500)
      expect(sim.sessions[0]!.model.version).toBe(2)
      expect(sim.sessions[5]!.model.version).toBe(0)
      expect(sim.eventsOf('fetch-updates', 5)).toHaveLength(1)
      if (handOver) for (const m of lost) sim.handle(5, sim.sessions[5]!.onUpdateMessage(m.data, m.from))
      sim.tick(3_000)
      sim.tick(3_000)
      return sim
    }
    const sim = run(true)
    // both models recomputed here: the second was held until the first was verified, not fetched on others' word
    expect(sim.sessions[5]!.model).toMatchObject({ version: 2, digest: sim.sessions[0]!.model.digest, verified: true })
    expect(sim.eventsOf('fetch-model', 5)).toHaveLength(0)
    expect(sim.sessions[5]!.status().counters).toMatchObject({ modelsVerified: 2, modelsFetched: 0, modelsRejected: 0 })
    // the lost update never handed over: the first model is rejected and the second, unverifiable here, is fetched
    const stuck = run(false)
    expect(stuck.sessions[5]!.status().rejects.model['verification:missing-update']).toBe(1)
    expect(stuck.eventsOf('fetch-model', 5)).toEqual([expect.objectContaining({ version: 2 })])
    expect(stuck.sessions[5]!.model).toMatchObject({ version: 2, digest: stuck.sessions[0]!.model.digest, verified: false })
  })

  it('a model this node disproved is not fetched on a new leader\'s word: only f + 1 vouchers lift that', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 15, behaviours: () => honest(mean, 0.005, 0.002, 15), config: { ...KRUM_F1, maxRounds: 1 } })
    // the coordinator lies to node 5 alone: node 5 gets a shifted model whose digest matches its weights
    sim.filter = (m) => {
      if (m.to !== 5 || m.topic !== 'model') return false
      const c = decodeChunk(m.data)
      return c.ok && c.value.kind === 'global-model'
    }
    let published: Uint8Array | undefined
    sim.tamper = (node, topic, data) => {
      const c = node === 0 && topic === 'model' ? decodeChunk(data) : undefined
      if (c?.ok === true && c.value.kind === 'global-model') published = data
      return data
    }
    sim.membership()
    sim.elect(1, 0)
    const chunk = decodeChunk(published!)
    if (!chunk.ok || chunk.value.kind !== 'global-model') throw new Error('expected the coordinator\'s model chunk')
    const decoded = decodeGlobalModel(chunk.value.data)
    if (!decoded.ok) throw new Error('the test assumes single-chunk models')
    const truth = decoded.value
    const tensors = sim.sessions[0]!.model.tensors.map(t => ({ ...t, data: t.data.map(x => x + 0.5) }))
    const lie = { ...truth, tensors, weightsDigest: digestWeights(tensors) }
    sim.handle(5, sim.sessions[5]!.onModelMessage(encodeGlobalModelChunks(globalModelHeader(lie)).chunks[0] as Uint8Array, sim.ids[0]!))
    sim.run()
    expect(sim.sessions[5]?.status().rejects.model['verification:digest-mismatch']).toBe(1)
    expect(sim.sessions[5]?.model.version).toBe(0)
    // a new leader advertises the very model node 5 disproved, which no other node holds: not fetched
    sim.elect(2, 1)
    const fetches = (): unknown[] => sim.events.filter(e => e.node === 5 && e.event.type === 'fetch-model').map(e => e.event)
    sim.handle(5, sim.sessions[5]!.onLeaderHead(1, lie.weightsDigest, sim.ids[1]!))
    expect(fetches()).toHaveLength(0)
    expect(sim.sessions[5]?.status().fetching).toMatchObject({ version: 1, digest: lie.weightsDigest })
    // f + 1 peers advertising it as verified by themselves (at least one honest recomputation) lift that
    sim.vouch = (node, version, digest) => node === 5 && version === 1 && digest === lie.weightsDigest ? true : undefined
    sim.tick(100)
    expect(fetches()).toEqual([expect.objectContaining({ version: 1, digest: lie.weightsDigest, from: sim.ids[1] })])
    // what node 1 serves is the true model, not the advertised digest: not adopted
    expect(sim.sessions[5]?.model.version).toBe(0)
  })

  it('a checkpoint is held as not verified (it is not vouched for) until a model is verified again', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 17, behaviours: () => honest(mean, 0.005, 0.002, 17), config: { ...KRUM_F1, maxRounds: 1 } })
    const tensors = sim.sessions[0]!.model.tensors
    const resumed = new RoundSession({ self: sim.ids[0]!, session: 'sim', clock: { now: () => 0 }, model: { version: 3, term: 2, tensors, verified: false }, maxNorm: 10 })
    expect(resumed.model).toMatchObject({ version: 3, verified: false })
    expect(resumed.status().modelVerified).toBe(false)
    expect(new RoundSession({ self: sim.ids[0]!, session: 'sim', clock: { now: () => 0 }, model: { version: 0, tensors }, maxNorm: 10 }).model.verified).toBe(true)
    // a model verified since flips it back (here: every node after round 1)
    sim.membership()
    sim.elect(1, 0)
    expect(sim.sessions.slice(1).every(s => s.model.verified)).toBe(true)
  })

  it('a model nobody can verify (its coordinator included an update nobody holds) is never adopted, and its coordinator is given up on', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 16, behaviours: () => honest(mean, 0.005, 0.002, 16), config: { ...KRUM_F1, maxRounds: 1, deadlineMs: 10_000 } })
    // the coordinator's own update reaches nobody, yet it includes it: every verifier misses an input
    sim.filter = (m) => m.topic === 'updates' && m.from === sim.ids[0]
    sim.membership()
    sim.elect(1, 0)
    sim.tick(3_000) // past the grace period: unverifiable everywhere
    const head = sim.sessions[0]!.model
    expect(head.version).toBe(1)
    for (let i = 1; i < 6; i++) {
      expect(sim.sessions[i]?.status().rejects.model['verification:missing-update']).toBe(1)
      // the leader's head (anti-entropy) names the model: wanted, but nobody vouches for it
      sim.handle(i, sim.sessions[i]!.onLeaderHead(1, head.digest, sim.ids[0]!))
    }
    sim.run()
    expect(sim.events.filter(e => e.node !== 0 && e.event.type === 'fetch-model')).toHaveLength(0)
    sim.tick(9_000)
    expect(sim.eventsOf('model-unvouched')).toHaveLength(0)
    sim.tick(1_000) // the vouching timeout (the round deadline) has passed
    expect(sim.eventsOf('model-unvouched').map(e => e.from)).toEqual(Array(5).fill(sim.ids[0]))
    expect(sim.sessions.slice(1).map(s => s.model.version)).toEqual([0, 0, 0, 0, 0])
    expect(sim.sessions[3]?.status().fetching).toBeUndefined()
  })

  it('a leader this node quarantined (for its updates) is still followed: its rounds are joined and its models verified', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 17, behaviours: () => honest(mean, 0.005, 0.002, 17), config: { ...KRUM_F1, maxRounds: 2 } })
    // nodes 2..4 hold proof against node 1 (as if its bad updates had reached only them); nodes 5 and 6 do not
    for (const i of [2, 3, 4]) sim.sessions[i]!.suspicion.evidence(sim.ids[1]!, 'equivocation', 'two updates for one round')
    expect(sim.sessions[2]!.suspicion.isQuarantined(sim.ids[1]!)).toBe(true)
    sim.membership()
    sim.elect(1, 1)
    // refusing its rounds would leave it 4 of the 5 participants Krum f=1 needs, and the refusers with no coordinator
    expect(sim.sessions.map(s => s.model.version)).toEqual([2, 2, 2, 2, 2, 2, 2])
    expect(new Set(sim.sessions.map(s => s.model.digest)).size).toBe(1)
    expect(sim.eventsOf('model-accepted', 3).every(e => e.verified && e.coordinator === sim.ids[1])).toBe(true)
    expect(sim.sessions[3]!.status().rejects.model.quarantined).toBeUndefined()
    // still quarantined: its own update stays out of what these nodes would aggregate as coordinators
    expect(sim.sessions[3]!.suspicion.isQuarantined(sim.ids[1]!)).toBe(true)
  })

  it('a leader that makes no progress is reported once per stall by every follower, and never once the session is done', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 18, behaviours: () => honest(mean, 0.005, 0.002, 18), config: { ...KRUM_F1, maxRounds: 2, deadlineMs: 1_000, stallTimeoutMs: 4_000 } })
    // the leader keeps its lease (the election is not simulated) but nothing it publishes on the model topic arrives
    sim.filter = (m) => m.topic === 'model' && m.from === sim.ids[0]
    sim.membership()
    sim.elect(1, 0)
    sim.tick(3_900)
    expect(sim.eventsOf('coordinator-stalled')).toHaveLength(0)
    sim.tick(100)
    const stalled = sim.events.filter(e => e.event.type === 'coordinator-stalled')
    expect(stalled.map(e => e.node).sort()).toEqual([1, 2, 3, 4, 5])
    expect(stalled.every(e => e.event.type === 'coordinator-stalled' && e.event.coordinator === sim.ids[0] && e.event.term === 1 && e.event.version === 0 && e.event.sinceMs === 4_000)).toBe(true)
    sim.tick(10_000)
    expect(sim.eventsOf('coordinator-stalled')).toHaveLength(5) // once per stall, not every tick

    // the next leader makes progress: each round opened and each model restarts the clock, so nobody reports it
    sim.filter = undefined
    sim.elect(2, 1)
    expect(sim.sessions.map(s => s.model.version)).toEqual([2, 2, 2, 2, 2, 2])
    // and after maxRounds there is nothing left to progress: a quiet leader is no stall
    sim.tick(60_000)
    expect(sim.eventsOf('coordinator-stalled')).toHaveLength(5)
  })

  it('an honest leader short of participants is reported too: its round is extended at every deadline, never closed', () => {
    const sim = new Sim({ nodes: 7, d: D, seed: 19, behaviours: () => honest(mean, 0.005, 0.002, 19), config: { aggregator: { rule: 'krum', f: 2 }, minParticipants: 7, deadlineMs: 1_000, stallTimeoutMs: 4_000 } })
    sim.slow.add(6)
    sim.membership()
    sim.elect(1, 0)
    for (let t = 0; t < 3; t++) sim.tick(1_000)
    expect(sim.eventsOf('round-extended', 0).length).toBeGreaterThanOrEqual(3)
    expect(sim.eventsOf('coordinator-stalled')).toHaveLength(0)
    sim.tick(1_000)
    expect(sim.eventsOf('coordinator-stalled').map(e => e.coordinator)).toEqual(Array(6).fill(sim.ids[0]))
  })
})
