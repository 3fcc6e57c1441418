/**
 * Federated training end to end over libp2p's memory transport: real FedmeshNodes (gossipsub, heartbeats,
 * membership, election, training service), real tfjs learners on the link-health task, Krum, verification of every
 * global model by every node, attackers, a lying coordinator, a crashed coordinator and a late joiner.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { until } from '@fedmesh/sim'
import { UPDATES_TOPIC } from '@fedmesh/node'
import type { FedmeshNode } from '@fedmesh/node'
import { initialWeights } from '@fedmesh/learner'
import { decodeChunk } from '@fedmesh/updates'
import type { Connection } from '@libp2p/interface'
import { requestUpdates } from '../../packages/node/src/training/update-fetch.ts'
import { requestModel } from '../../packages/node/src/training/model-fetch.ts'
import { digestWeights, LINK_HEALTH_SPEC, trainingSim } from './support/training-sim.ts'
import type { TrainingSim } from './support/training-sim.ts'

let current: TrainingSim | undefined

afterEach(async () => {
  await current?.stop()
  current = undefined
})

/**
 * A coordinator attacker that leads round 1: it starts with three nodes that are hidden (they vote, but cannot be
 * elected), then four more honest nodes join. Krum f=1, min 5, 3 rounds.
 */
async function liarLeadsFirst (attack: 'lying-coordinator' | 'hidden-input-coordinator' | 'stalling-coordinator', o: { together?: boolean } = {}): Promise<{ t: TrainingSim, liar: FedmeshNode, honest: FedmeshNode[] }> {
  let firstPhase = true
  const t = current = await trainingSim({
    learner: 'synthetic',
    attacks: { 0: attack },
    hidden: (index) => firstPhase && index > 0,
    config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 3, roundDeadlineMs: 5_000, learnEveryMs: 300 }
  })
  // together: all 8 nodes start before the liar leads, so every honest one is there to receive its first model;
  // else 4 more join once it leads, and the last of them may join after that model went out
  const [liar, ...early] = await t.add(o.together === true ? 8 : 4)
  if (liar === undefined) throw new Error('no node started')
  const led = await until(() => liar.election.role() === 'leader', 60_000, 100)
  if (led === undefined) throw new Error(`the liar never led: ${JSON.stringify(liar.election.status())}`)
  firstPhase = false
  return { t, liar, honest: o.together === true ? early : [...early, ...await t.add(4)] }
}

/**
 * A lossy path: every update chunk authored by `author` is lost on its way into `victim` (dropped by the victim's own
 * gossipsub, so never delivered nor forwarded there). Everything else flows. Returns how many were lost so far.
 */
function losePath (author: FedmeshNode, victim: FedmeshNode): () => number {
  const pubsub = victim.libp2p.services.pubsub
  const validate = pubsub.topicValidators.get(UPDATES_TOPIC)
  if (validate === undefined) throw new Error('the training service registers a validator for the updates topic')
  let lost = 0
  pubsub.topicValidators.set(UPDATES_TOPIC, async (peer, msg) => {
    if (msg.type === 'signed' && msg.from.toString() === author.peerId) { lost++; return TopicValidatorResult.Ignore }
    return await validate(peer, msg)
  })
  return () => lost
}

describe('training service over the memory transport', () => {
  it('10 nodes train link-health with Krum: every node holds the same verified model version', async () => {
    const t = current = await trainingSim({ config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 3, roundDeadlineMs: 20_000, learnEveryMs: 500 } })
    const nodes = await t.add(10)
    await t.allAt(3, nodes, 90_000)
    const statuses = t.statuses(nodes)
    for (const [i, s] of statuses.entries()) {
      expect(s.version).toBe(3)
      expect(s.models.rejected).toBe(0)
      expect(s.quarantined).toEqual([])
      expect(s.training.runs).toBeGreaterThan(0)
      // the last model was recomputed by every node but its coordinator
      expect(s.lastRound?.version).toBe(3)
      if (s.lastRound?.coordinator !== nodes[i]!.peerId) expect(s.lastRound?.verified).toBe(true)
      expect(s.lastRound?.rule).toBe('krum')
      expect(s.lastRound?.included.length).toBeGreaterThanOrEqual(5)
      expect(s.lastRound?.included.filter(i => i.selected).length).toBe(1)
      // when it came to hold each version, on the wall clock, in order
      const held = [1, 2, 3].map(v => s.heldAt[v])
      expect(held.every(at => typeof at === 'number' && at > Date.now() - 120_000 && at <= Date.now())).toBe(true)
      expect([...held].sort((a, b) => a! - b!)).toEqual(held)
      // each under the term of the coordinator that made it (one coordinator throughout here)
      expect([1, 2, 3].map(v => s.heldTerm[v])).toEqual([1, 2, 3].map(() => s.lastRound?.term))
      // its own steps in round 3, each recorded once and in order: held v2 (the round's base), followed the
      // announcement, trained, sent, held v3 (a node that fetched v2 follows without the event, so openedAt may lack)
      const r3 = s.roundTimes[3]
      if (r3 !== undefined) {
        expect(r3.reopenedAt).toBeUndefined()
        const steps = [s.heldAt[2], r3.openedAt, r3.trainAt, r3.sentAt, s.heldAt[3]].filter((x): x is number => x !== undefined)
        expect([...steps].sort((a, b) => a - b)).toEqual(steps)
      }
      // status is plain JSON
      expect(JSON.parse(JSON.stringify(s))).toEqual(s)
    }
    expect(statuses.filter(s => s.models.verified >= 1).length).toBeGreaterThanOrEqual(9)
    // most nodes recorded the whole of round 3 (minParticipants 5 of 10: a slow one may be left out)
    expect(statuses.filter(s => s.roundTimes[3]?.trainAt !== undefined && s.roundTimes[3]?.sentAt !== undefined).length).toBeGreaterThanOrEqual(5)
    // when each member's update was complete at each node, keyed by its sender: never before that sender sent it,
    // and never the node's own
    const statusOf = new Map(nodes.map((n, i) => [n.peerId, statuses[i]]))
    let receipts = 0
    for (const [i, s] of statuses.entries()) {
      for (const [round, times] of Object.entries(s.roundTimes)) {
        for (const [from, at] of Object.entries(times.updatesIn ?? {})) {
          expect(from).not.toBe(nodes[i]!.peerId)
          const sent = statusOf.get(from)?.roundTimes[round]?.sentAt
          expect(sent).toBeDefined()
          expect(at).toBeGreaterThanOrEqual(sent!)
          receipts++
        }
      }
    }
    expect(receipts).toBeGreaterThanOrEqual(5 * 4)
    // verifiers computed aggregates while the headers were on their way (the service settles after each message)
    expect(statuses.reduce((n, s) => n + s.models.verifiedAhead, 0)).toBeGreaterThanOrEqual(1)
    // the learners trained real weights: the model moved away from version 0
    expect(t.digests(nodes)[0]).not.toBe(digestWeights(initialWeights(LINK_HEALTH_SPEC)))
    const coordinator = statuses[0]?.lastRound?.coordinator
    expect(nodes.some(n => n.peerId === coordinator)).toBe(true)
    // figures for docs/benchmarks.md (never asserted): the verification overhead of the last round on each node
    const totals = statuses.map(s => s.lastRound?.overheadMs.total).filter((x): x is number => x !== undefined).sort((a, b) => a - b)
    const toVerified = statuses.map(s => s.lastRound?.overheadMs.modelToVerified).filter((x): x is number => x !== undefined).sort((a, b) => a - b)
    console.log(`10 nodes, link-health, round 3: last update -> verified p50 ${totals[totals.length >> 1]} ms, max ${totals.at(-1)} ms; model seen -> verified p50 ${toVerified[toVerified.length >> 1]} ms; updates sent per node ${statuses.map(s => s.updates.sent).join(',')}; bytes out per node ${statuses.map(s => s.traffic.bytesOut).join(',')}`)
    // checkpoints hold the accepted model
    const cp = await t.store.load(`link-health/1#${nodes[0]!.peerId}`)
    expect(cp?.version).toBe(3)
  })

  it('two attackers (sign-flip, garbage) never make it into the model; honest nodes are never quarantined', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      attacks: { 3: 'sign-flip', 7: 'garbage' },
      config: { rule: 'krum', f: 2, minParticipants: 7, rounds: 3, roundDeadlineMs: 6_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(10)
    const attackers = new Set([nodes[3]!.peerId, nodes[7]!.peerId])
    const honest = nodes.filter(n => !attackers.has(n.peerId))
    await t.allAt(3, honest, 120_000)
    for (const s of t.statuses(honest)) {
      expect(s.version).toBe(3)
      expect(s.models.rejected).toBe(0)
      expect(s.quarantined.filter(p => !attackers.has(p))).toEqual([])
      const chosen = s.lastRound?.included.filter(i => i.selected).map(i => i.peer) ?? []
      expect(chosen).toHaveLength(1)
      expect(attackers.has(chosen[0]!)).toBe(false)
      // the garbage never decodes, so it is never aggregated
      expect(s.lastRound?.included.map(i => i.peer)).not.toContain(nodes[7]!.peerId)
    }
    // the garbage reached the attacker's neighbours, which dropped it as malformed and quarantined its author
    const dropped = t.statuses(honest).filter(s => (s.updates.rejected.malformed ?? 0) > 0)
    expect(dropped.length).toBeGreaterThan(0)
    expect(t.statuses(honest).some(s => s.quarantined.includes(nodes[7]!.peerId))).toBe(true)
    // quarantine is about its updates: a node that quarantined it would still follow it as coordinator (only the
    // nodes its garbage reached quarantine it; excluding it on that would split the session when it leads)
    for (const n of honest) expect(n.election.status().excluded.map(x => x.peerId)).not.toContain(nodes[7]!.peerId)
    expect(nodes[3]!.training.status().attackCounts?.poisonedDeltas).toBeGreaterThan(0)
    expect(nodes[7]!.training.status().attackCounts?.wirePayloads).toBeGreaterThan(0)
  }, 180_000)

  it('a deflate bomb is dropped as malformed where it arrives, and training goes on without its sender', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      dimension: 4_000,
      attacks: { 2: 'deflate-bomb' },
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 2, roundDeadlineMs: 6_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(8)
    const bomber = nodes[2]!
    const honest = nodes.filter(n => n !== bomber)
    await t.allAt(2, honest, 120_000)
    const statuses = t.statuses(honest)
    for (const s of statuses) {
      expect(s.models.rejected).toBe(0)
      expect(s.lastRound?.included.map(i => i.peer)).not.toContain(bomber.peerId)
      expect(s.quarantined.filter(p => p !== bomber.peerId)).toEqual([])
    }
    expect(statuses.reduce((n, s) => n + (s.updates.rejected.malformed ?? 0), 0)).toBeGreaterThan(0)
    expect(bomber.training.status().attackCounts?.wirePayloads).toBeGreaterThan(0)
  }, 180_000)

  it('nodes that deflate their updates and nodes that do not train one model together', async () => {
    // even nodes deflate (NodeConfig.compressUpdates), odd ones send their int8 bytes as they are
    const t = current = await trainingSim({
      learner: 'synthetic',
      dimension: 4_000,
      compress: (index) => index % 2 === 0,
      config: { rule: 'krum', f: 1, minParticipants: 6, rounds: 2, roundDeadlineMs: 6_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(8)
    await t.allAt(2, nodes, 120_000)
    const statuses = t.statuses(nodes)
    for (const s of statuses) {
      expect(s.models.rejected).toBe(0)
      expect(s.updates.rejected.malformed ?? 0).toBe(0)
    }
    // what each node's own updates cost on the wire: int8 is at least a byte per parameter; deflated, less
    const perParameter = statuses.map(s => s.updates.sentBytes / s.updates.sentParameters)
    for (const [i, ratio] of perParameter.entries()) {
      if (statuses[i]!.updates.sentParameters === 0) continue
      if (i % 2 === 0) expect(ratio).toBeLessThan(1)
      else expect(ratio).toBeGreaterThanOrEqual(1)
    }
    expect(statuses.filter((s, i) => i % 2 === 0 && s.updates.sentParameters > 0).length).toBeGreaterThanOrEqual(2)
    expect(statuses.filter((s, i) => i % 2 === 1 && s.updates.sentParameters > 0).length).toBeGreaterThanOrEqual(2)
    // and both kinds made it into the models everyone verified
    const included = new Set(statuses.flatMap(s => s.lastRound?.included.map(x => x.peer) ?? []))
    expect(nodes.filter((n, i) => i % 2 === 0 && included.has(n.peerId)).length).toBeGreaterThan(0)
    expect(nodes.filter((n, i) => i % 2 === 1 && included.has(n.peerId)).length).toBeGreaterThan(0)
  }, 180_000)

  it('a node that gossip never brings one member\'s updates fetches them from a neighbour and verifies every model', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      hidden: (index) => index === 5, // the victim never coordinates: it must verify every model
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 3, roundDeadlineMs: 6_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(6)
    const [author, victim] = [nodes[1]!, nodes[5]!]
    const lost = losePath(author, victim)
    await t.allAt(3, nodes, 120_000)
    const s = victim.training.status()
    const detail = JSON.stringify({ updateFetch: s.updateFetch, models: s.models, lost: lost() }) + t.describe()
    expect(lost(), detail).toBeGreaterThan(0)
    // without the fetch every model that includes the author's update is refused here (missing-update)
    expect(s.models.rejected, detail).toBe(0)
    expect(s.models.verified, detail).toBe(3)
    expect(s.models.fetched, detail).toBe(0)
    expect(s.updateFetch.recovered, detail).toBeGreaterThanOrEqual(1)
    expect(s.updateFetch.failed, detail).toBe(0)
    expect(s.updateFetch.chunks, detail).toBeGreaterThanOrEqual(s.updateFetch.recovered)
    expect(s.updateFetch.rejected, detail).toEqual({})
    // the author's updates were aggregated: the victim recomputed models that include them
    expect(s.lastRound?.included.map(i => i.peer), detail).toContain(author.peerId)
    // somebody served them
    expect(t.statuses(nodes).reduce((n, x) => n + x.updateFetch.servedChunks, 0), detail).toBeGreaterThanOrEqual(s.updateFetch.chunks)
  }, 180_000)

  it('a coordinator that gossip never brings one member\'s updates sweeps its neighbours for them at the deadline, and every round closes', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      hidden: (index) => index !== 0, // node 0 alone stands: it coordinates every round
      // every member is needed, so a round cannot close without the update the coordinator never gets by gossip
      config: { rule: 'krum', f: 1, minParticipants: 6, rounds: 3, roundDeadlineMs: 4_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(6)
    const [coordinator, author] = [nodes[0]!, nodes[1]!]
    // every chunk authored by `author` (its update and every periodic copy of it) is lost on the way into the
    // coordinator. The neighbours that hold the update drop the copies as duplicates, so only asking them can bring it.
    const lost = losePath(author, coordinator)
    await t.allAt(3, nodes, 120_000)
    const s = coordinator.training.status()
    const detail = JSON.stringify({ updateFetch: s.updateFetch, lost: lost(), lastRound: s.lastRound }) + t.describe()
    expect(lost(), detail).toBeGreaterThan(0)
    expect(s.lastRound?.coordinator, detail).toBe(coordinator.peerId)
    // without the sweep the first round stays extended for good (5 of the 6 updates needed)
    expect(s.lastRound?.included.map(i => i.peer), detail).toContain(author.peerId)
    expect(s.updateFetch.sweepsFruitful, detail).toBeGreaterThanOrEqual(3)
    expect(s.updateFetch.sweeps, detail).toBeGreaterThanOrEqual(s.updateFetch.sweepsFruitful)
    expect(s.updateFetch.chunks, detail).toBeGreaterThanOrEqual(3)
    // the others verified every model: what the coordinator swept in is the author's update as it signed it
    for (const x of t.statuses(nodes.slice(1))) expect(x.models.rejected, detail).toBe(0)
  }, 180_000)

  it('a neighbour that asks for updates and models without end is refused past its serve budget, counted, and another is still served', async () => {
    const budget = { requests: { burst: 5, perSecond: 1 }, bytes: { burst: 1 << 20, perSecond: 64 * 1024 }, maxPeers: 64 }
    const t = current = await trainingSim({
      learner: 'synthetic',
      serveBudget: budget,
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 2, roundDeadlineMs: 6_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(6)
    await t.allAt(2, nodes, 120_000)
    const server = nodes[0]!
    const directTo = (n: FedmeshNode): Connection | undefined =>
      n.libp2p.getConnections(server.libp2p.peerId).find(c => c.status === 'open' && c.limits === undefined)
    const [flooder, other] = nodes.filter(n => n !== server && directTo(n) !== undefined)
    if (flooder === undefined || other === undefined) throw new Error(`the server needs two direct neighbours: ${t.describe()}`)
    const session = server.training.head()!.session
    const ask = async (n: FedmeshNode): Promise<number> =>
      (await requestUpdates(directTo(n)!, { session, round: 2, except: [] }, { maxFrameBytes: 1 << 20, maxFrames: 1_000 }, 5_000)).length
    const before = server.training.status()

    // the flooder asks for every update of the round, one request after another, as fast as it gets answers
    const started = performance.now()
    const outcomes: Array<number | 'refused'> = []
    for (let i = 0; i < 30; i++) outcomes.push(await ask(flooder).catch(() => 'refused' as const))
    const seconds = (performance.now() - started) / 1000
    const served = outcomes.filter(o => o !== 'refused')
    const refused = outcomes.length - served.length
    const s = server.training.status()
    const detail = JSON.stringify({ outcomes, seconds, updateFetch: s.updateFetch, fetch: s.fetch })
    // the first requests are served in full (the round's updates, 5 or more), the rest only as the budget refills
    expect(served[0], detail).toBeGreaterThanOrEqual(5)
    expect(served.length, detail).toBeLessThanOrEqual(budget.requests.burst + Math.ceil(seconds * budget.requests.perSecond) + 1)
    expect(refused, detail).toBeGreaterThan(0)
    expect(s.updateFetch.limited - before.updateFetch.limited, detail).toBe(refused)

    // the model protocol draws on the same budget, which the flood has spent: only what refilled since is served
    const models: string[] = []
    for (let i = 0; i < 10; i++) models.push(await requestModel(directTo(flooder)!, { session, version: 2 }, 1 << 20, 5_000).then(() => 'served', () => 'refused'))
    const allSeconds = (performance.now() - started) / 1000
    const modelDetail = JSON.stringify({ models, allSeconds, fetch: server.training.status().fetch }) + detail
    expect(served.length + models.filter(m => m === 'served').length, modelDetail).toBeLessThanOrEqual(budget.requests.burst + Math.ceil(allSeconds * budget.requests.perSecond) + 1)
    expect(server.training.status().fetch.limited - before.fetch.limited, modelDetail).toBe(models.filter(m => m === 'refused').length)
    expect(models, modelDetail).toContain('refused')

    // another neighbour has its own budget, and the node still serves it
    expect(await ask(other), detail).toBeGreaterThanOrEqual(5)
    expect(await requestModel(directTo(other)!, { session, version: 2 }, 1 << 20, 5_000), detail).toBeDefined()
  }, 180_000)

  it('a lying coordinator: every honest node rejects its model, it is replaced, and training continues', async () => {
    // every honest node is there when the liar publishes (a node that joins after its model went out never sees it:
    // once in about 60 runs under CI's load, one had no verification failure to count)
    const { t, liar, honest } = await liarLeadsFirst('lying-coordinator', { together: true })
    await t.allAt(3, honest, 150_000)
    for (const [i, s] of t.statuses(honest).entries()) {
      const detail = `honest node ${i}: ${JSON.stringify({ models: s.models, excluded: s.excludedCoordinators, heldTerm: s.heldTerm, lastRound: s.lastRound?.coordinator })}` + t.describe()
      expect(s.models.rejectReasons['verification:digest-mismatch'] ?? 0, detail).toBeGreaterThanOrEqual(1)
      expect(s.excludedCoordinators).toContain(liar.peerId)
      expect(s.lastRound?.coordinator).not.toBe(liar.peerId)
      expect(s.quarantined.filter(p => p !== liar.peerId)).toEqual([])
    }
    expect(liar.training.status().attackCounts?.liedModels).toBeGreaterThanOrEqual(1)
    expect(honest.every(n => n.election.leader() !== liar.peerId)).toBe(true)
  }, 240_000)

  it('a coordinator that includes an input nobody holds: no honest node adopts its model, it is replaced, and training continues', async () => {
    const { t, liar, honest } = await liarLeadsFirst('hidden-input-coordinator')
    // every model an honest node takes: verified ones (recomputed) and the rest (fetched, unverified)
    const verified = new Set<string>()
    const unverified: Array<{ node: string, key: string }> = []
    for (const n of honest) {
      n.training.addEventListener('model', (evt) => {
        const key = `${evt.detail.version}/${digestWeights(evt.detail.tensors)}`
        if (evt.detail.source === 'verified') verified.add(key)
        else if (evt.detail.source === 'fetched') unverified.push({ node: n.peerId, key })
      })
    }
    // The exclusion of the liar lapses after 10 round deadlines (50 s here) on nodes that did not also quarantine it,
    // so it is read at the first model after the liar's, not after three rounds (which can take longer than that).
    await t.allAt(1, honest, 150_000)
    const excludedBy = (n: FedmeshNode): boolean => n.election.status().excluded.some(x => x.peerId === liar.peerId)
    const lapsing = honest.filter(n => n.training.status().excludedCoordinators.includes(liar.peerId) && !n.training.status().quarantined.includes(liar.peerId))
    expect(lapsing.length).toBeGreaterThan(0)
    expect(lapsing.every(excludedBy)).toBe(true)
    expect(t.statuses(honest).some(s => s.fetch.unvouched >= 1 && s.excludedCoordinators.includes(liar.peerId))).toBe(true)
    await t.allAt(3, honest, 150_000)
    expect(liar.training.status().attackCounts?.liedModels).toBeGreaterThanOrEqual(1)
    // nobody could check the liar's model (an input is missing), so nobody vouched for it and nobody took it: every
    // model taken unverified is one an honest node recomputed
    expect(unverified.filter(u => !verified.has(u.key))).toEqual([])
    const statuses = t.statuses(honest)
    expect(statuses.some(s => (s.models.rejectReasons['verification:missing-update'] ?? 0) >= 1)).toBe(true)
    for (const s of statuses) {
      expect(s.verifiedModel || s.lastRound?.coordinator !== liar.peerId).toBe(true)
      expect(s.lastRound?.coordinator).not.toBe(liar.peerId)
      expect(s.quarantined.filter(p => p !== liar.peerId)).toEqual([])
    }
    expect(honest.every(n => n.election.leader() !== liar.peerId)).toBe(true)
    // not proof: the exclusion lapses
    expect(await until(() => lapsing.every(n => !excludedBy(n)), 70_000, 500)).toBeDefined()
  }, 240_000)

  it('a coordinator that never opens a round: its followers give up on it after the stall timeout, and training continues under another', async () => {
    const { t, liar, honest } = await liarLeadsFirst('stalling-coordinator')
    await t.allAt(3, honest, 150_000)
    expect(liar.training.status().attackCounts?.stalledMessages).toBeGreaterThan(0)
    const statuses = t.statuses(honest)
    // a quorum had to give up on it for another node to be elected (the rest may have followed the new leader first)
    expect(statuses.filter(s => s.coordinatorStalls >= 1).length).toBeGreaterThanOrEqual(4)
    for (const s of statuses) {
      expect(s.lastRound?.coordinator).not.toBe(liar.peerId)
      expect(s.models.rejected).toBe(0)
      expect(s.quarantined).toEqual([])
    }
    expect(new Set(t.digests(honest)).size).toBe(1)
  }, 240_000)

  it('the coordinator crashes mid-round: a new one finishes the round', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 4, roundDeadlineMs: 8_000, learnEveryMs: 2_000 }
    })
    const nodes = await t.add(8)
    const models = new Map<string, Array<{ version: number, coordinator?: string, term: number }>>()
    for (const n of nodes) {
      models.set(n.peerId, [])
      n.training.addEventListener('model', (evt) => { models.get(n.peerId)!.push({ version: evt.detail.version, term: evt.detail.term, ...(evt.detail.coordinator !== undefined ? { coordinator: evt.detail.coordinator } : {}) }) })
    }
    // round 2 is open and its participants wait out the 2 s training pace: the coordinator dies now
    const open = await until(() => nodes.some(n => n.training.status().role === 'coordinator' && n.training.status().round === 2 && n.training.status().version === 1), 90_000, 20)
    expect(open).toBeDefined()
    const leader = nodes.find(n => n.training.status().role === 'coordinator')!
    const oldTerm = leader.training.status().term
    await t.sim.kill(leader, 'crash')
    const rest = nodes.filter(n => n !== leader)
    await t.allAt(4, rest, 150_000)
    for (const n of rest) {
      const v2 = models.get(n.peerId)!.filter(m => m.version === 2).at(-1)
      expect(v2?.coordinator).not.toBe(leader.peerId)
      expect(v2?.term).toBeGreaterThan(oldTerm)
      expect(n.training.status().quarantined).toEqual([])
    }
  }, 300_000)

  /** 8 nodes, 2 rounds paced at `pace`: once round 2 is open, while its participants wait out the pace from round 1. */
  async function roundTwoOpen (pace: number): Promise<{ t: TrainingSim, nodes: FedmeshNode[], open: FedmeshNode, oldTerm: number }> {
    const t = current = await trainingSim({
      learner: 'synthetic',
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 2, roundDeadlineMs: 30_000, learnEveryMs: pace }
    })
    const nodes = await t.add(8)
    const opened = await until(() => nodes.some(n => n.training.status().role === 'coordinator' && n.training.status().round === 2 && n.training.status().version === 1), 90_000, 20)
    const open = nodes.find(n => n.training.status().role === 'coordinator')
    if (opened === undefined || open === undefined) throw new Error('round 2 never opened')
    return { t, nodes, open, oldTerm: open.training.status().term }
  }

  it('a coordinator that resigns while its round waits out the training pace: its successor\'s round is trained after half the pace', async () => {
    const PACE = 8_000
    // round 2 is open and its participants wait out the pace from their round-1 training: the coordinator leaves now
    const { t, nodes, open, oldTerm } = await roundTwoOpen(PACE)
    await t.sim.kill(open, 'graceful')
    const rest = nodes.filter(n => n !== open)
    await t.allAt(2, rest, 120_000)
    for (const n of rest) {
      const s = n.training.status()
      const [r1, r2] = [s.roundTimes['1']?.trainAt, s.roundTimes['2']?.trainAt]
      const detail = JSON.stringify({ r1, r2, term: s.term, oldTerm, reopened: s.roundTimes['2']?.reopenedAt })
      expect(s.term, detail).toBeGreaterThan(oldTerm)
      if (r1 === undefined || r2 === undefined) continue // joined round 1 too late to train in it
      // half the pace after its round-1 training (4 s), not the whole (8 s) it was waiting out under the old coordinator
      expect(r2 - r1, detail).toBeLessThan(PACE * 0.75)
    }
    expect(rest.filter(n => n.training.status().roundTimes['1']?.trainAt !== undefined).length).toBeGreaterThanOrEqual(4)
  }, 300_000)

  it('a member that never gets the successor\'s re-announcement still trains after half the pace, from the new leader', async () => {
    const PACE = 8_000
    const { t, nodes, open, oldTerm } = await roundTwoOpen(PACE)
    // a member that trained in round 1 and will not be the successor drops every announcement of a later term
    const successor = nodes.find(n => n !== open)!.election.successor()
    const victim = nodes.find(n => n !== open && n.peerId !== successor && n.training.status().roundTimes['1']?.trainAt !== undefined)
    if (victim === undefined) throw new Error('no member trained in round 1')
    const pubsub = victim.libp2p.services.pubsub
    const validate = pubsub.topicValidators.get('fedmesh/model/1')!
    pubsub.topicValidators.set('fedmesh/model/1', async (peer, msg) => {
      const c = decodeChunk(msg.data)
      if (c.ok && c.value.kind === 'round-open' && c.value.term > oldTerm) return 'ignore' as never
      return await validate(peer, msg)
    })
    // it waits to train in the old coordinator's round 2 (8 s after its round-1 training) when that coordinator leaves
    const followed = await until(() => victim.training.status().roundTimes['2']?.openedAt !== undefined, 30_000, 20)
    expect(followed).toBeDefined()
    expect(victim.training.status().roundTimes['2']?.trainAt).toBeUndefined()
    await t.sim.kill(open, 'graceful')
    const trained = await until(() => victim.training.status().roundTimes['2']?.trainAt !== undefined, 60_000, 20)
    const s = victim.training.status()
    const [r1, r2] = [s.roundTimes['1']?.trainAt, s.roundTimes['2']?.trainAt]
    const detail = JSON.stringify({ r1, r2, term: s.term, oldTerm, leaderTerm: victim.election.leaderTerm(), reopened: s.roundTimes['2']?.reopenedAt })
    expect(trained, detail).toBeDefined()
    expect(s.roundTimes['2']?.reopenedAt, detail).toBeUndefined()
    expect(victim.election.leaderTerm(), detail).toBeGreaterThan(oldTerm)
    // half the pace after its round-1 training (4 s), not the whole (8 s) it was waiting out under the old coordinator
    expect(r2! - r1!, detail).toBeLessThan(PACE * 0.75)
  }, 300_000)

  it('a late joiner fetches the current model and is admitted at a later round', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 0, roundDeadlineMs: 6_000, learnEveryMs: 1_000 }
    })
    const nodes = await t.add(6)
    await t.allAt(2, nodes, 90_000)
    const [joiner] = await t.add(1)
    const j = joiner!
    const admitted = await until(() => nodes.some(n => n.training.status().lastRound?.included.some(i => i.peer === j.peerId) === true), 120_000, 100)
    if (admitted === undefined) throw new Error(`the joiner was never aggregated: ${t.describe()}`)
    const s = j.training.status()
    // It fetched the current model, or, joining within gossipsub's message history of the first rounds, received
    // their updates and models through IHAVE/IWANT and verified its way up from version 0 (once in CI: fetched 0).
    expect(s.models.fetched + s.models.verified, JSON.stringify({ models: s.models, fetch: s.fetch, version: s.version, role: s.role }) + t.describe()).toBeGreaterThanOrEqual(1)
    expect(s.training.runs).toBeGreaterThanOrEqual(1)
    // it verifies like everyone else from then on
    await until(() => j.training.status().models.verified >= 1, 60_000, 100)
    expect(j.training.status().models.verified).toBeGreaterThanOrEqual(1)
    expect(j.training.status().models.rejected).toBe(0)
  }, 300_000)

  it('anti-entropy: a node that lost the last model catches up from the leader\'s advertised head', async () => {
    const t = current = await trainingSim({
      learner: 'synthetic',
      config: { rule: 'krum', f: 1, minParticipants: 5, rounds: 2, roundDeadlineMs: 6_000, learnEveryMs: 300 }
    })
    const nodes = await t.add(6)
    const led = await until(() => nodes.some(n => n.election.role() === 'leader'), 60_000, 50)
    const leader = nodes.find(n => n.election.role() === 'leader')
    if (led === undefined || leader === undefined) throw new Error(`no leader: ${t.describe()}`)
    const victim = nodes.find(n => n !== leader)!
    // gossip loss: every copy of global model v2 (the session's last) is dropped on its way into the victim
    const pubsub = victim.libp2p.services.pubsub
    const validate = pubsub.topicValidators.get('fedmesh/model/1')!
    pubsub.topicValidators.set('fedmesh/model/1', async (peer, msg) => {
      const c = decodeChunk(msg.data)
      if (c.ok && c.value.kind === 'global-model' && c.value.round === 2) return 'ignore' as never
      return await validate(peer, msg)
    })
    const others = nodes.filter(n => n !== victim)
    await t.allAt(2, others, 90_000)
    expect(victim.training.status().version).toBeLessThan(2)
    await t.allAt(2, nodes, 60_000)
    const s = victim.training.status()
    expect(s.fetch.catchUps).toBeGreaterThanOrEqual(1)
    expect(s.models.fetched).toBeGreaterThanOrEqual(1)
    expect(s.verifiedModel).toBe(false) // adopted on the leader's digest, not recomputed: reported as such
    expect(others.every(n => n.training.status().fetch.catchUps === 0)).toBe(true)
  }, 240_000)
})

export async function waitForRound (nodes: FedmeshNode[], round: number, timeoutMs: number): Promise<void> {
  const ok = await until(() => nodes.some(n => (n.training.status().round ?? 0) >= round), timeoutMs, 100)
  if (ok === undefined) throw new Error(`round ${round} never opened`)
}
