import { describe, expect, it } from 'vitest'
import { Election, MAX_TERM, preferred, quorum, rank } from '../src/index.ts'
import type { ElectionConfig, ElectionMessage, LeadMessage, Output, PeerId, VoteMessage } from '../src/index.ts'
import { seededRandom } from '../src/sim/index.ts'
import { Bus } from './helpers/bus.ts'
import { Cluster } from './sim/cluster.ts'

const ids = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e']

/** `names` sorted by preference in `term` (most preferred first). */
function byRank (term: number, names: string[]): string[] {
  return [...names].sort((x, y) => rank(term, x) - rank(term, y))
}

/** A single state machine driven by hand. */
function single (self: PeerId, config: Partial<ElectionConfig> = {}): { e: Election, clock: { t: number, now(): number } } {
  const clock = { t: 0, now () { return this.t } }
  const e = new Election({ self, clock, random: seededRandom(7), warmupMs: 0, ...config })
  return { e, clock }
}

function votesIn (out: Output): VoteMessage[] {
  return out.send.filter((m): m is VoteMessage => m.type === 'vote')
}

function vote (from: PeerId, candidate: PeerId, term: number, electorate: number): VoteMessage {
  return { type: 'vote', term, from, candidate, electorate }
}

/** A Lead for `leader` in `term` with a certificate signed by `voters`. */
function leadWithCertificate (leader: PeerId, term: number, voters: PeerId[], electorate: number): LeadMessage {
  return { type: 'lead', term, from: leader, electorate, certificate: voters.map(v => vote(v, leader, term, electorate)) }
}

describe('Election: electing', () => {
  it('stays quiet during warm-up, then elects the term-1 preferred member, which everyone recognises', () => {
    const bus = new Bus(ids)
    bus.run(1_900)
    expect(bus.log.filter(e => e.msg.type === 'claim')).toEqual([])
    bus.run(600)
    const winner = preferred(1, ids) as string
    expect(bus.agreed()).toBe(winner)
    expect(bus.leaders()).toEqual([winner])
    for (const id of ids) {
      expect(bus.node(id).leaderTerm).toBe(1)
      expect(bus.node(id).accepts(1, winner)).toBe(true)
      expect(bus.node(id).accepts(1, ids.find(x => x !== winner) as string)).toBe(false)
      expect(bus.events.get(id)).toContainEqual({ type: 'leader-changed', term: 1, leader: winner })
    }
    const lead = bus.sent(winner, 'lead')[0] as LeadMessage
    expect(lead.certificate?.length).toBeGreaterThanOrEqual(quorum(5) - 1)
  })

  it('renews the lease and sends the certificate in the first leads, then only every certificateEveryMs', () => {
    const bus = new Bus(ids, { certificateBurst: 3, certificateEveryMs: 2_000 })
    bus.run(2_500)
    const winner = bus.agreed() as string
    const before = bus.sent(winner, 'lead').length
    bus.run(6_000)
    const leads = bus.sent(winner, 'lead') as LeadMessage[]
    expect(leads.length - before).toBeGreaterThanOrEqual(18) // every 300 ms
    const withCertificate = leads.filter(l => l.certificate !== undefined).length
    expect(withCertificate).toBeGreaterThanOrEqual(3 + 2)
    expect(withCertificate).toBeLessThanOrEqual(3 + 5)
    expect(bus.agreed()).toBe(winner)
  })

  it('by default the certificate rides on the first 3 s of Leads, then on one a second', () => {
    const bus = new Bus(ids)
    bus.run(2_500)
    const winner = bus.agreed() as string
    bus.run(6_000)
    const leads = bus.sent(winner, 'lead') as LeadMessage[]
    expect(leads.slice(0, 10).every(l => l.certificate !== undefined)).toBe(true)
    const later = leads.slice(10)
    const withCertificate = later.filter(l => l.certificate !== undefined).length
    // Leads every 300 ms: about one in three or four after the burst carries it
    expect(withCertificate).toBeGreaterThanOrEqual(Math.floor(later.length / 4))
    expect(withCertificate).toBeLessThanOrEqual(Math.ceil(later.length / 3))
  })

  it('recognises the winner from the votes it saw even if every Lead is lost', () => {
    const bus = new Bus(ids)
    bus.deliver = (_from, _to, msg) => msg.type !== 'lead'
    bus.run(2_400)
    const winner = preferred(1, ids) as string
    expect(bus.node(winner).role).toBe('leader')
    for (const id of ids) expect(bus.node(id).accepts(1, winner)).toBe(true)
  })

  it('wins a term it claimed earlier when its votes arrive after it moved on', () => {
    const [c, x, y] = byRank(1, ['n1', 'n2', 'n3'])
    const { e, clock } = single(c as string, { preVote: false }) // claims at once: the claim is what is tested
    const claim = e.onMembership([c, x, y] as string[]).send.find(m => m.type === 'claim')
    expect(claim).toMatchObject({ type: 'claim', term: 1, from: c })
    // The election timeout passes with no votes: it moves on to term 2 (someone else is preferred there or not).
    clock.t += 2_000
    e.tick()
    const out = e.onMessage(vote(x as string, c as string, 1, 3))
    expect(e.role).toBe('leader')
    expect(e.leaderTerm).toBe(1)
    expect(out.send.find(m => m.type === 'lead')).toMatchObject({ type: 'lead', term: 1, from: c })
  })
})

describe('Election: asking before claiming (pre-vote)', () => {
  it('claims only once enough members said they would vote for it, and asks again until they do', () => {
    const [c, x, y, u, v] = byRank(1, ['q1', 'q2', 'q3', 'q4', 'q5']) as [string, string, string, string, string]
    const { e, clock } = single(c)
    const first = e.onMembership([c, x, y, u, v])
    expect(first.send).toEqual([{ type: 'pre-claim', term: 1, from: c, electorate: 5 }])
    expect(e.role).toBe('candidate')
    expect(e.term).toBe(0) // nothing promised yet
    // quorum(5) = 3: two yeses besides its own; a yes from a stranger does not count
    expect(e.onMessage({ type: 'pre-vote', term: 1, from: x, candidate: c, electorate: 5 }).send).toEqual([])
    expect(e.onMessage({ type: 'pre-vote', term: 1, from: 'stranger', candidate: c, electorate: 5 }).send).toEqual([])
    clock.t += 250
    expect(e.tick().send).toEqual([{ type: 'pre-claim', term: 1, from: c, electorate: 5 }])
    const claimed = e.onMessage({ type: 'pre-vote', term: 1, from: y, candidate: c, electorate: 5 })
    expect(claimed.send).toEqual([{ type: 'claim', term: 1, from: c, electorate: 5 }])
    expect(e.term).toBe(1)
  })

  it('claims at once, without asking, when the leader below resigned; a lapsed lease still asks first', () => {
    const members = ['r1', 'r2', 'r3', 'r4', 'r5']
    const leader = preferred(1, members) as string
    const next = preferred(2, members.filter(m => m !== leader)) as string
    const voters = members.filter(m => m !== leader).slice(0, 2)
    for (const ending of ['resign', 'lapse'] as const) {
      const { e, clock } = single(next)
      e.onMembership(members)
      e.onMessage(leadWithCertificate(leader, 1, voters, 5))
      expect(e.leader).toBe(leader)
      let out: Output
      if (ending === 'resign') {
        out = e.onMessage({ type: 'resign', term: 1, from: leader })
      } else {
        clock.t += 1_600 // past the 1.5 s lease with no Lead
        out = e.tick()
      }
      const kinds = out.send.map(m => `${m.type} ${m.term}`)
      expect(kinds, ending).toEqual([ending === 'resign' ? 'claim 2' : 'pre-claim 2'])
    }
  })

  it('answers a pre-claim as it would the claim, and a yes promises nothing', () => {
    const [c, other, voter] = byRank(1, ['r1', 'r2', 'r3', 'r4'])
    const { e } = single(voter as string)
    e.onMembership([c, other, voter] as string[])
    // not the candidate its view prefers in term 1: silence
    expect(e.onMessage({ type: 'pre-claim', term: 1, from: other as string, electorate: 3 }).send).toEqual([])
    // an understated electorate: silence
    expect(e.onMessage({ type: 'pre-claim', term: 1, from: c as string, electorate: 2 }).send).toEqual([])
    expect(e.onMessage({ type: 'pre-claim', term: 1, from: c as string, electorate: 3 }).send)
      .toEqual([{ type: 'pre-vote', term: 1, from: voter, candidate: c, electorate: 3 }])
    expect(e.term).toBe(0)
  })

  it('leaves no promises behind when a few lose sight of a leader the others still follow', () => {
    // Two members are cut off from everyone for 2.5 s: their leases lapse (1.5 s) while their failure detectors
    // (3 s) still count a quorum alive, so they go electing. Without pre-votes they claim and vote between themselves,
    // and keep those promises above the leader's term after they rejoin; with them nobody says yes to enough.
    const ahead = (preVote: boolean): number => {
      let most = 0
      for (let seed = 1; seed <= 8; seed++) {
        // without succession pledges, which promise the next term by design (tested under "succession pledges")
        const c = new Cluster({ size: 7, seed, election: { preVote, pledge: false } })
        const { leader, term } = c.settle()
        const cut = c.upIds().filter(id => id !== leader).slice(0, 2)
        c.partition([c.upIds().filter(id => !cut.includes(id)), cut])
        c.runFor(2_500)
        c.heal()
        c.runFor(3_000)
        expect(c.agreement()).toEqual({ leader, term })
        for (const id of cut) most = Math.max(most, c.election(id).term - term)
      }
      return most
    }
    expect(ahead(false)).toBeGreaterThan(0)
    expect(ahead(true)).toBe(0)
  })
})

describe('Election: voting', () => {
  it('votes for at most one candidate per term', () => {
    // In a view without `later`, `first` is preferred in term 1; once `later` is alive, `later` is.
    const names = byRank(1, ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'])
    const later = names[0] as string
    const first = names[1] as string
    const voter = names[5] as string
    const { e } = single(voter)
    e.onMembership([voter, first])
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: first, electorate: 2 }))).toHaveLength(1)
    e.onMembership([voter, first, later])
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: later, electorate: 3 }))).toHaveLength(0)
    // The same candidate asking again (its electorate grew) gets the vote again.
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: first, electorate: 3 }))).toEqual([vote(voter, first, 1, 3)])
  })

  it('only votes for the candidate its view prefers', () => {
    const names = byRank(1, ['q1', 'q2', 'q3'])
    const voter = names[2] as string
    const { e } = single(voter)
    e.onMembership(names)
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: names[1] as string, electorate: 3 }))).toHaveLength(0)
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: names[0] as string, electorate: 3 }))).toHaveLength(1)
  })

  it('refuses a claim that counts its quorum out of fewer members than the voter knows', () => {
    const names = byRank(1, ['r1', 'r2', 'r3', 'r4'])
    const voter = names[3] as string
    const { e } = single(voter)
    e.onMembership(names)
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: names[0] as string, electorate: 3 }))).toHaveLength(0)
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: names[0] as string, electorate: 4 }))).toHaveLength(1)
  })

  it('does not vote during warm-up', () => {
    const names = byRank(1, ['s1', 's2'])
    const { e, clock } = single(names[1] as string, { warmupMs: 1_000 })
    e.onMembership(names)
    const claim: ElectionMessage = { type: 'claim', term: 1, from: names[0] as string, electorate: 2 }
    expect(votesIn(e.onMessage(claim))).toHaveLength(0)
    clock.t = 1_000
    expect(votesIn(e.onMessage(claim))).toHaveLength(1)
  })

  it('keeps a healthy leader: no votes for anyone else while the lease holds', () => {
    const members = ['t1', 't2', 't3', 't4']
    const leader = byRank(3, members)[3] as string
    const voter = members.find(m => m !== leader && preferred(4, members) !== m) as string
    const challenger = preferred(4, members) as string
    const { e, clock } = single(voter)
    e.onMembership(members)
    e.onMessage(leadWithCertificate(leader, 3, members.filter(m => m !== leader).slice(0, 2), 4))
    expect(e.leader).toBe(leader)
    const claim: ElectionMessage = { type: 'claim', term: 4, from: challenger, electorate: 4 }
    expect(votesIn(e.onMessage(claim))).toHaveLength(0)
    clock.t += 1_000
    e.onMessage({ type: 'lead', term: 3, from: leader, electorate: 4 })
    clock.t += 1_000
    expect(votesIn(e.onMessage(claim))).toHaveLength(0)
    clock.t += 600 // 1.6 s without a Lead: the lease (1.5 s) lapsed
    expect(e.leader).toBeUndefined()
    expect(votesIn(e.onMessage(claim)).length).toBe(challenger === leader ? 0 : 1)
  })

  it('rejects claims for a decided term and answers a stale leader or claimant with proof of the newer leadership', () => {
    const members = ['u1', 'u2', 'u3']
    const [leader, voter, other] = members as [string, string, string]
    const { e } = single(voter)
    e.onMembership(members)
    e.onMessage(leadWithCertificate(leader, 5, [other], 3))
    expect(e.accepts(5, leader)).toBe(true)
    const stale = e.onMessage(leadWithCertificate(other, 4, [voter], 3))
    expect(e.accepts(4, other)).toBe(false)
    expect(e.accepts(5, leader)).toBe(true)
    expect(stale.send).toContainEqual(expect.objectContaining({ type: 'fence', term: 5, leader, from: voter }))
    for (const term of [3, 5]) {
      const out = e.onMessage({ type: 'claim', term, from: other, electorate: 3 })
      expect(votesIn(out)).toHaveLength(0)
    }
  })

  it('votes at most one term beyond the one it is electing, so nobody can skip to a term that favours it', () => {
    const members = ['w1', 'w2', 'w3', 'w4', 'w5']
    const { e, clock } = single('w1')
    e.onMembership(members)
    e.onMessage(leadWithCertificate('w2', 3, ['w3', 'w4'], 5))
    clock.t += 2_000 // lease lapsed: electing term 4
    e.tick()
    expect(e.status().electing).toBe(4)
    const grants = (term: number): number => {
      const candidate = preferred(term, members.filter(m => term !== 4 || m !== 'w2')) as string
      if (candidate === 'w1') return -1
      return votesIn(e.onMessage({ type: 'claim', term, from: candidate, electorate: 5 })).length
    }
    for (const term of [6, 7, 20, 1_000]) expect(grants(term)).toBeLessThanOrEqual(0)
    expect([1, -1]).toContain(grants(5))
  })

  it('ignores malformed messages and terms beyond MAX_TERM', () => {
    const { e } = single('x1')
    e.onMembership(['x1', 'x2'])
    const bad = [
      { type: 'claim', term: -1, from: 'x2', electorate: 2 },
      { type: 'claim', term: 1.5, from: 'x2', electorate: 2 },
      { type: 'claim', term: MAX_TERM + 1, from: 'x2', electorate: 2 },
      { type: 'claim', term: 1, from: '', electorate: 2 },
      { type: 'claim', term: 1, from: 'x1', electorate: 2 },
      { type: 'claim', term: 1, from: 'x2', electorate: Number.NaN },
      { type: 'lead', term: 1, from: 'x2', electorate: 2, certificate: 'nope' },
      { type: 'unknown', term: 1, from: 'x2' },
      null
    ]
    for (const msg of bad) expect(e.onMessage(msg as unknown as ElectionMessage).send).toEqual([])
    expect(e.term).toBe(0)
    expect(e.leader).toBeUndefined()
  })

  it('after a restart with the same peer id, never votes or claims at or below the persisted term', () => {
    const names = byRank(4, ['y1', 'y2', 'y3'])
    const { e } = single(names[2] as string, { persistedTerm: 4 })
    e.onMembership(names)
    expect(votesIn(e.onMessage({ type: 'claim', term: 4, from: names[0] as string, electorate: 3 }))).toHaveLength(0)
    expect(e.term).toBe(4)
  })
})

describe('Election: following and fencing', () => {
  const members = ['f1', 'f2', 'f3', 'f4', 'f5']

  it('follows a Lead only with a certificate that proves a quorum', () => {
    const signed = new Set(['f3', 'f4'])
    const { e } = single('f1', { verifyVote: v => signed.has(v.from) })
    e.onMembership(members)
    e.onMessage({ type: 'lead', term: 2, from: 'f2', electorate: 5 })
    expect(e.leader).toBeUndefined()
    e.onMessage(leadWithCertificate('f2', 2, ['f3'], 5))
    expect(e.leader).toBeUndefined()
    e.onMessage(leadWithCertificate('f2', 2, ['f3', 'f5'], 5)) // f5's vote is forged
    expect(e.leader).toBeUndefined()
    e.onMessage(leadWithCertificate('f2', 2, ['f3', 'f4'], 5))
    expect(e.leader).toBe('f2')
    expect(e.leaderTerm).toBe(2)
  })

  it('a higher term fences the older leader for good', () => {
    const { e } = single('f1')
    e.onMembership(members)
    e.onMessage(leadWithCertificate('f2', 2, ['f3', 'f4'], 5))
    e.onMessage(leadWithCertificate('f5', 3, ['f3', 'f4'], 5))
    expect(e.leader).toBe('f5')
    e.onMessage(leadWithCertificate('f2', 2, ['f3', 'f4'], 5))
    e.onMessage({ type: 'lead', term: 2, from: 'f2', electorate: 5 })
    expect(e.leader).toBe('f5')
    expect(e.accepts(2, 'f2')).toBe(false)
    expect(e.accepts(3, 'f5')).toBe(true)
  })

  it('within one term (possible only across diverged views) the better-ranked leader wins', () => {
    const [better, worse] = byRank(7, ['f2', 'f5']) as [string, string]
    const { e } = single('f1')
    e.onMembership(members)
    e.onMessage(leadWithCertificate(worse, 7, ['f3', 'f4'], 5))
    e.onMessage(leadWithCertificate(better, 7, ['f1', 'f3'], 5))
    expect(e.leader).toBe(better)
    e.onMessage(leadWithCertificate(worse, 7, ['f3', 'f4'], 5))
    expect(e.leader).toBe(better)
  })

  it('a leader steps down when shown proof of a newer leadership', () => {
    const bus = new Bus(ids)
    bus.run(2_500)
    const old = bus.agreed() as string
    const [next, ...voters] = ids.filter(id => id !== old) as [string, ...string[]]
    // Votes for `next` in term 2 reach nobody but `next`; then someone shows the old leader the proof.
    bus.deliver = (_from, to) => to === next
    for (const voter of voters) bus.inject(voter, vote(voter, next, 2, 5))
    expect(bus.node(old).role).toBe('leader')
    // Only the old leader hears the proof (so nobody races on to elect term 3 within this synchronous step).
    bus.deliver = (_from, to) => to === old
    const certificate = voters.map(v => vote(v, next, 2, 5))
    bus.inject(voters[0] as string, { type: 'fence', term: 2, from: voters[0] as string, leader: next, electorate: 5, certificate })
    expect(bus.node(old).role).toBe('follower')
    expect(bus.events.get(old)).toContainEqual({ type: 'stepped-down', term: 1, reason: 'superseded' })
    expect(bus.node(old).accepts(1, old)).toBe(false)
    expect(bus.node(old).accepts(2, next)).toBe(true)
  })
})

describe('Election: losing the leader', () => {
  it('after the leader resigns, a new one is recognised well before a lease would have lapsed', () => {
    const bus = new Bus(ids)
    bus.run(2_500)
    const old = bus.agreed() as string
    const t0 = bus.now
    bus.apply(old, bus.node(old).resign())
    bus.flush()
    bus.down.add(old)
    for (const id of ids) if (id !== old) expect(bus.node(id).accepts(1, old)).toBe(false)
    while (bus.agreed() === undefined && bus.now - t0 < 5_000) bus.run(50)
    const next = bus.agreed() as string
    expect(next).not.toBe(old)
    expect(bus.node(next).leaderTerm).toBe(2)
    expect(bus.now - t0).toBeLessThan(1_500)
  })

  it('on a resign, the others vote for the next term\'s preferred member at once, without waiting for its claim', () => {
    const members = ['s1', 's2', 's3', 's4', 's5']
    const leader = preferred(1, members) as string
    const next = preferred(2, members.filter(m => m !== leader)) as string
    // whom term 2 prefers when `next` is out of view
    const other = preferred(2, members.filter(m => m !== leader && m !== next)) as string
    const voter = members.find(m => m !== leader && m !== next && m !== other) as string
    const signers = members.filter(m => m !== leader).slice(0, 2)
    for (const ending of ['resign', 'lapse', 'promised'] as const) {
      const { e, clock } = single(voter)
      e.onMembership(members)
      e.onMessage(leadWithCertificate(leader, 1, signers, 5))
      let out: Output
      if (ending === 'lapse') {
        // a lapsed lease is this node's own view: its vote waits for a claim (which asks first)
        clock.t += 1_600
        out = e.tick()
      } else {
        if (ending === 'promised') {
          // term 2 already promised to `other` (voted while `next` was out of its view): no second vote
          e.onMembership(members.filter(m => m !== next))
          clock.t += 1_600
          e.tick()
          expect(votesIn(e.onMessage({ type: 'claim', term: 2, from: other, electorate: 5 }))).toEqual([vote(voter, other, 2, 5)])
          e.onMembership(members)
        }
        out = e.onMessage({ type: 'resign', term: 1, from: leader })
      }
      expect(votesIn(out), ending).toEqual(ending === 'resign' ? [vote(voter, next, 2, 5)] : [])
    }
  })

  it('the resign failover takes one message delay with succession pledges (the resign), two without (resign, votes), not three (resign, claim, votes)', () => {
    const delay = 500
    for (const pledge of [true, false]) {
      const delays = pledge ? 1 : 2
      for (let seed = 1; seed <= 10; seed++) {
        const c = new Cluster({ size: 9, seed, link: { loss: 0, delayMs: [delay, delay], duplicate: 0 }, election: { pledge } })
        c.settle()
        c.runFor(2_000)
        const before = c.settle()
        c.close(before.leader)
        const took = c.runUntilAgreement(10_000, a => a.term > before.term) as number
        // the delays plus tick granularity (100 ms)
        expect(took, `pledge ${pledge}, seed ${seed}`).toBeGreaterThanOrEqual(delays * delay)
        expect(took, `pledge ${pledge}, seed ${seed}`).toBeLessThan(delays * delay + 250)
      }
    }
  })

  it('each term that passes without a leader gets a longer timeout (doubling, at most 4x), reset once a leader is known', () => {
    const members = ['t1', 't2', 't3', 't4', 't5']
    const { e, clock } = single('t1')
    e.onMembership(members)
    // nobody answers: the terms pass one timeout each
    const moves: number[] = []
    let term = e.status().electing as number
    let since = clock.t
    while (moves.length < 5) {
      clock.t += 10
      e.tick()
      const now = e.status().electing as number
      if (now !== term) {
        moves.push(clock.t - since)
        term = now
        since = clock.t
      }
    }
    const within = (ms: number, [lo, hi]: [number, number]): boolean => ms >= lo && ms <= hi + 10
    expect(moves.map((ms, i) => within(ms, ([[1_000, 1_500], [2_000, 3_000]] as Array<[number, number]>)[i] ?? [4_000, 6_000]))).toEqual([true, true, true, true, true])
    // a leader is recognised, then lost: the next election starts from the shortest timeout again
    const leader = 't2'
    e.onMessage(leadWithCertificate(leader, term + 1, ['t3', 't4'], 5))
    expect(e.leader).toBe(leader)
    e.onMessage({ type: 'resign', term: term + 1, from: leader })
    const restart = clock.t
    const first = e.status().electing
    while (e.status().electing === first) {
      clock.t += 10
      e.tick()
    }
    expect(within(clock.t - restart, [1_000, 1_500])).toBe(true)
  })

  it('after the leader goes silent, the lease lapses and the next term elects someone else', () => {
    const bus = new Bus(ids)
    bus.run(2_500)
    const old = bus.agreed() as string
    bus.down.add(old)
    const t0 = bus.now
    while ((bus.agreed() === undefined || bus.agreed() === old) && bus.now - t0 < 10_000) bus.run(50)
    expect(bus.agreed()).not.toBe(old)
    expect(bus.node(bus.agreed() as string).leaderTerm).toBe(2)
    // Nobody moves before the lease (1.5 s from the last Lead, sent at most 300 ms before the crash) lapses.
    expect(bus.now - t0).toBeGreaterThanOrEqual(1_500 - 300)
    expect(bus.now - t0).toBeLessThan(2_500)
  })

  it('a leader that loses sight of a quorum steps down', () => {
    const bus = new Bus(ids)
    bus.run(2_500)
    const leader = bus.agreed() as string
    const other = ids.find(id => id !== leader) as string
    bus.membership(leader, [leader, other])
    expect(bus.node(leader).role).toBe('follower')
    expect(bus.events.get(leader)).toContainEqual({ type: 'stepped-down', term: 1, reason: 'lost-quorum' })
  })

  it('a leader distrusted by a quorum is replaced, and the new term fences it', () => {
    const bus = new Bus(ids)
    bus.run(2_500)
    const old = bus.agreed() as string
    for (const id of ids) if (id !== old) bus.apply(id, bus.node(id).distrust(old))
    bus.flush()
    bus.run(2_000)
    const next = bus.agreed() as string
    expect(next).toBeDefined()
    expect(next).not.toBe(old)
    expect(bus.node(old).role).toBe('follower')
    expect(bus.node(old).accepts(bus.node(next).leaderTerm as number, next)).toBe(true)
    for (const id of ids) expect(bus.node(id).accepts(1, old)).toBe(false)
  })
})

describe('Election: succession pledges', () => {
  const members = ['u1', 'u2', 'u3', 'u4', 'u5']
  const leader = preferred(1, members) as string
  const next = preferred(2, members.filter(m => m !== leader)) as string
  const others = members.filter(m => m !== leader && m !== next)
  const [self, second] = others as [string, string]
  const signers = others.slice(1, 3)
  const pledge = (from: PeerId, electorate = 5): VoteMessage => ({ ...vote(from, next, 2, electorate), pledge: true })
  /** Both pledges a win at n = 5 needs besides the candidate's own (quorum 3). */
  const pledges = (): VoteMessage[] => [pledge(self), pledge(second)]

  /**
   * `id` follows `leader` (term 1), whose Lead nominates `nominee` (the member term 2 prefers unless told; null: none), its view
   * settled (pledgeAfterStableMs), and has ticked once.
   */
  function following (id: PeerId, config: Partial<ElectionConfig> = {}, nominee: PeerId | null = next): { e: Election, clock: { t: number }, out: Output } {
    const { e, clock } = single(id, config)
    e.onMembership(members)
    clock.t += 3_000
    e.onMessage({ ...leadWithCertificate(leader, 1, signers, 5), ...(nominee !== null ? { successor: nominee } : {}) })
    return { e, clock, out: e.tick() }
  }

  it('a follower pledges the next term to the member that term prefers among the others, and only re-casts it for a new electorate, at most once per lease', () => {
    const { e, clock, out } = following(self)
    expect(votesIn(out)).toEqual([pledge(self)])
    expect(votesIn(e.tick())).toEqual([])
    const lead: LeadMessage = { type: 'lead', term: 1, from: leader, electorate: 5, successor: next }
    e.onMembership([...members, 'u6'])
    // not until the view has settled for 3 s
    for (let i = 0; i < 2; i++) {
      clock.t += 1_400
      e.onMessage(lead)
      expect(votesIn(e.tick())).toEqual([])
    }
    clock.t += 300
    e.onMessage(lead)
    // the same candidate (the term is promised to it), counted out of 6
    expect(votesIn(e.tick())).toEqual([pledge(self, 6)])
    // a fresh follower in an unsettled view waits too
    const { e: early } = single(self)
    early.onMembership(members)
    early.onMessage({ ...leadWithCertificate(leader, 1, signers, 5), successor: next })
    expect(votesIn(early.tick())).toEqual([])
    expect(e.status().term).toBe(2) // a pledge is a promise: persist it like any vote
    expect(votesIn(following(self, { pledge: false }).out)).toEqual([])
    expect(votesIn(following(next).out)).toEqual([]) // the successor does not pledge to itself
  })

  it('status shows, while following, whom this node promised the next term to and the ballots it holds there', () => {
    const { e } = following(self)
    expect(e.status().succession).toEqual({ term: 2, promisedTo: next, ballots: { [next]: 1 } })
    e.onMessage(pledge(second))
    expect(e.status().succession).toEqual({ term: 2, promisedTo: next, ballots: { [next]: 2 } })
    // the successor promises nobody, and counts the pledges for it
    const { e: successor } = following(next)
    successor.onMessage(pledge(second))
    expect(successor.status().succession).toEqual({ term: 2, ballots: { [next]: 1 } })
    // nothing of the kind before a leader is known
    expect(single(self).e.status().succession).toBeUndefined()
  })

  it('successor names the member the next term goes to: the one pledged, the same on the successor itself, none without a leader', () => {
    const { e } = following(self)
    expect(e.successor).toBe(next)
    // the successor pledges to nobody, and still names itself
    expect(following(next).e.successor).toBe(next)
    const { e: fresh } = single(self)
    fresh.onMembership(members)
    expect(fresh.successor).toBeUndefined()
    // a leader that resigned leaves no successor to name until the next one leads (one pledge is no quorum)
    e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(e.leader).toBeUndefined()
    expect(e.successor).toBeUndefined()
  })

  it('pledges make nobody leader while the leader leads; on its resign the successor is recognised at once, with no message after the resign', () => {
    const { e } = following(self)
    e.onMessage(pledge(second))
    expect(e.leader).toBe(leader)
    // the successor leading on its pledges (it could not, honestly, before the resign) is refused while the lease holds
    e.onMessage({ type: 'lead', term: 2, from: next, electorate: 5, certificate: pledges() })
    expect(e.leader).toBe(leader)
    expect(e.accepts(1, leader)).toBe(true)
    const out = e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(e.leader).toBe(next)
    expect(e.accepts(2, next)).toBe(true)
    expect(e.status().recognisedBy).toBe('pledges')
    // and re-casts its pledge as a plain vote, for members that never got it
    expect(votesIn(out)).toEqual([vote(self, next, 2, 5)])
    // a claim of term 2 by anyone else gets nothing: the pledge was the promise
    expect(votesIn(e.onMessage({ type: 'claim', term: 2, from: second, electorate: 5 }))).toEqual([])
  })

  it('gives a successor recognised from pledges two leases for its first Lead (the resign must reach it first)', () => {
    const { e, clock } = following(self)
    e.onMessage(pledge(second))
    e.onMessage({ type: 'resign', term: 1, from: leader })
    clock.t += 2_900
    e.tick()
    expect(e.leader).toBe(next)
    clock.t += 200
    e.tick()
    expect(e.leader).toBeUndefined()
    expect(e.accepts(2, next)).toBe(true) // still the fence: its round messages are taken
  })

  it('a lapsed lease is not a resign: pledges alone make nobody leader, the successor\'s Lead is followed', () => {
    const { e, clock } = following(self)
    e.onMessage(pledge(second))
    clock.t += 1_600
    e.tick()
    expect(e.leader).toBeUndefined()
    e.onMessage({ type: 'lead', term: 2, from: next, electorate: 5, certificate: pledges() })
    expect(e.leader).toBe(next)
    expect(e.status().recognisedBy).toBe('lead')
  })

  it('the successor wins on the resign with the pledges it holds (not on a lapse), and proves it with plain votes once they come', () => {
    for (const ending of ['lapse', 'resign'] as const) {
      const { e, clock } = following(next)
      for (const p of pledges()) e.onMessage(p)
      expect(e.role).toBe('follower')
      clock.t += 1_600
      const out = ending === 'resign' ? e.onMessage({ type: 'resign', term: 1, from: leader }) : e.tick()
      if (ending === 'lapse') {
        // its own view only: it asks first, and needs plain votes as ever
        expect(e.role).toBe('candidate')
        expect(out.send.map(m => m.type)).toEqual(['pre-claim'])
        continue
      }
      expect(e.role).toBe('leader')
      expect(e.leaderTerm).toBe(2)
      expect((out.send.find(m => m.type === 'lead') as LeadMessage).certificate).toEqual(pledges())
      e.onMessage(vote(self, next, 2, 5))
      e.onMessage(vote(second, next, 2, 5))
      clock.t += 300
      expect((e.tick().send.find(m => m.type === 'lead') as LeadMessage).certificate).toEqual([vote(self, next, 2, 5), vote(second, next, 2, 5)])
    }
  })

  it('on the resign the successor leads on the pledges it holds also where they name another electorate than its own view, as the members recognising it do', () => {
    // the successor counts a sixth member the pledgers do not know of: its own claim is for 6, the pledges for 5
    const { e } = following(next)
    e.onMembership([...members, 'u6'])
    for (const p of pledges()) e.onMessage(p)
    const out = e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(e.role).toBe('leader')
    expect(e.leaderTerm).toBe(2)
    const lead = out.send.find(m => m.type === 'lead') as LeadMessage
    // the very leadership a member holding these pledges adopts on the resign (followPledges)
    expect(lead).toMatchObject({ term: 2, electorate: 5, certificate: pledges() })
    const member = following(self)
    member.e.onMessage(pledge(second))
    member.e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(member.e.leader).toBe(next)
    expect(member.e.onMessage(lead).send.filter(m => m.type === 'fence')).toEqual([])
    expect(member.e.leader).toBe(next)
    // too few pledges for any electorate: it claims and waits for votes, as before
    const short = following(next)
    short.e.onMembership([...members, 'u6'])
    short.e.onMessage(pledge(self))
    short.e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(short.e.role).toBe('candidate')
    // and a lapsed lease still needs plain votes at its own count
    const lapsed = following(next)
    lapsed.e.onMembership([...members, 'u6'])
    for (const p of pledges()) lapsed.e.onMessage(p)
    lapsed.clock.t += 1_600
    lapsed.e.tick()
    expect(lapsed.e.role).toBe('candidate')
  })

  it('a successor that missed the resign wins on the plain votes of those that got it, unless it promised the term to another', () => {
    for (const promisedElsewhere of [false, true]) {
      const { e } = following(next)
      if (promisedElsewhere) (e as unknown as { votes: Map<number, string> }).votes.set(2, self)
      e.onMessage(vote(self, next, 2, 5))
      expect(e.role).toBe('follower') // one vote besides its own is not a quorum of 5
      e.onMessage(vote(second, next, 2, 5))
      expect(e.role, `promised elsewhere: ${promisedElsewhere}`).toBe(promisedElsewhere ? 'follower' : 'leader')
    }
    // pledges alone do not tell it the leader is gone
    const { e } = following(next)
    for (const p of pledges()) e.onMessage(p)
    expect(e.role).toBe('follower')
  })

  it('a leader that asks for the term it already won (it missed the news) is sent the proof', () => {
    const { e } = following(self)
    e.onMessage(pledge(second))
    e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(e.leader).toBe(next)
    let proofs: ElectionMessage[] = []
    // answered with probability ~3/n, at most once per lease: ask until it is
    for (let i = 0; i < 50 && proofs.length === 0; i++) proofs = e.onMessage({ type: 'pre-claim', term: 2, from: next, electorate: 5 }).send.filter(m => m.type === 'fence')
    // (its own pledge became a plain vote on the resign)
    expect(proofs).toEqual([{ type: 'fence', term: 2, from: self, leader: next, electorate: 5, certificate: [vote(self, next, 2, 5), pledge(second)] }])
    // and the successor, its own lease lapsed, leads on that proof
    const { e: successor, clock } = following(next)
    clock.t += 1_600
    successor.tick()
    successor.onMessage(proofs[0]!)
    expect(successor.role).toBe('leader')
    expect(successor.leaderTerm).toBe(2)
  })

  const preVotesIn = (out: Output): ElectionMessage[] => out.send.filter(m => m.type === 'pre-vote')

  it('on a lapsed lease a follower offers the successor it pledged its pre-vote unasked, once; not while the lease holds, not on a resign', () => {
    const { e, clock, out } = following(self)
    expect(preVotesIn(out)).toEqual([])
    clock.t += 1_600
    expect(preVotesIn(e.tick())).toEqual([{ type: 'pre-vote', term: 2, from: self, candidate: next, electorate: 5 }])
    clock.t += 100
    expect(preVotesIn(e.tick())).toEqual([])
    // a resign: the follower votes at once instead (voteForSuccessor)
    const resigned = following(self)
    const onResign = resigned.e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(preVotesIn(onResign)).toEqual([])
    expect(votesIn(onResign)).toEqual([vote(self, next, 2, 5)])
    // nothing pledged, nothing offered: the successor's pre-claim asks as before
    const unpledged = following(self, { pledge: false })
    unpledged.clock.t += 1_600
    expect(preVotesIn(unpledged.e.tick())).toEqual([])
  })

  it('the successor counts pre-votes offered before it asked, if recent, and then claims without a pre-claim', () => {
    for (const ageMs of [600, 1_600]) {
      const { e, clock } = following(next)
      clock.t += 1_600 - ageMs
      for (const from of [self, second]) e.onMessage({ type: 'pre-vote', term: 2, from, candidate: next, electorate: 5 })
      // offered pre-votes from a stranger, or for another term, count for nothing
      e.onMessage({ type: 'pre-vote', term: 2, from: 'stranger', candidate: next, electorate: 5 })
      expect(e.role).toBe('follower')
      clock.t += ageMs
      const sent = e.tick().send.map(m => m.type)
      expect(e.role).toBe('candidate')
      // yeses a lease old may predate the leader's last Lead: asked again
      expect(sent, `offered ${ageMs} ms before it asked`).toEqual(ageMs < 1_500 ? ['claim'] : ['pre-claim'])
    }
  })

  it('after a lapse the pledged successor keeps at its term twice as long; the others move on after the usual timeout', () => {
    const { e, clock } = following(next)
    for (const p of pledges()) e.onMessage(p)
    clock.t += 1_600
    e.tick()
    expect(e.status().electing).toBe(2)
    clock.t += 1_600 // past any plain timeout (1-1.5 s)
    e.tick()
    expect(e.status().electing).toBe(2)
    clock.t += 1_500 // past twice the longest
    e.tick()
    expect(e.status().electing).toBe(3)
    // a follower that pledged it walks on as before, and still answers the successor's ask for the term below
    const f = following(self)
    f.clock.t += 1_600
    f.e.tick()
    f.clock.t += 1_600
    f.e.tick()
    expect(f.e.status().electing).toBe(3)
    expect(preVotesIn(f.e.onMessage({ type: 'pre-claim', term: 2, from: next, electorate: 5 }))).toEqual([{ type: 'pre-vote', term: 2, from: self, candidate: next, electorate: 5 }])
    expect(votesIn(f.e.onMessage({ type: 'claim', term: 2, from: next, electorate: 5 }))).toEqual([vote(self, next, 2, 5)])
  })

  it('a node that never knew the leader the pledges were cast under counts none of them, only plain votes', () => {
    const { e } = single(self)
    e.onMembership(members)
    e.onMessage({ type: 'lead', term: 2, from: next, electorate: 5, certificate: pledges() })
    expect(e.leader).toBeUndefined()
    e.onMessage({ type: 'lead', term: 2, from: next, electorate: 5, certificate: [vote(self, next, 2, 5), vote(second, next, 2, 5)] })
    expect(e.leader).toBe(next)
  })

  it('a term pledged to a member that has left is skipped', () => {
    for (const pledge of [true, false]) {
      const { e } = following(self, { pledge })
      e.onMembership(members.filter(m => m !== next))
      e.onMessage({ type: 'resign', term: 1, from: leader })
      expect(e.status().electing).toBe(pledge ? 3 : 2)
    }
  })

  it('a successor that leads on its pledges while the leader lives (a Byzantine one) is followed by nobody', () => {
    const bus = new Bus(ids)
    bus.run(4_000) // elected, and the view settled for 3 s: pledges out
    const old = bus.agreed() as string
    const term = bus.node(old).leaderTerm as number
    const successor = preferred(term + 1, ids.filter(id => id !== old)) as string
    const pledged = bus.log.map(e => e.msg).filter((m): m is VoteMessage => m.type === 'vote' && m.pledge === true && m.term === term + 1)
    expect(new Set(pledged.map(v => v.candidate))).toEqual(new Set([successor]))
    expect(new Set(pledged.map(v => v.from)).size).toBe(ids.length - 2)
    bus.inject(successor, { type: 'lead', term: term + 1, from: successor, electorate: ids.length, certificate: pledged })
    bus.run(1_000)
    expect(bus.agreed()).toBe(old)
    expect(bus.leaders()).toEqual([old])
  })

  // --- the leader's nomination ---------------------------------------------------------------------------------
  /** Term 2's preference order among the members other than the leader: [next, a, b, c]. */
  const order = byRank(2, members.filter(m => m !== leader))
  const [, a, b, c] = order as [string, string, string, string]
  const pledgeFor = (from: PeerId, candidate: PeerId, electorate = 5): VoteMessage => ({ ...vote(from, candidate, 2, electorate), pledge: true })

  it('a follower pledges only once its leader has nominated a successor (a leader that nominates nobody gets no pledges)', () => {
    const { e, clock, out } = following(self, {}, null)
    expect(votesIn(out)).toEqual([])
    clock.t += 300
    expect(votesIn(e.tick())).toEqual([])
    e.onMessage({ type: 'lead', term: 1, from: leader, electorate: 5, successor: next })
    expect(votesIn(e.tick())).toEqual([pledge(self)])
  })

  it('a follower pledges to the nominee where at most one member it sees ranks ahead of it; further down, or below the follower itself, it keeps to its own order', () => {
    // second in the order: what a leader that does not see the first would name
    expect(votesIn(following(c, {}, a).out)).toEqual([pledgeFor(c, a)])
    // third: the leader would be choosing; the follower pledges the member the term prefers
    expect(votesIn(following(c, {}, b).out)).toEqual([pledgeFor(c, next)])
    // the follower ranks ahead of the nominee itself: it does not pledge its own chance away
    expect(votesIn(following(next, {}, a).out)).toEqual([])
    expect(votesIn(following(a, {}, b).out)).toEqual([pledgeFor(a, next)])
    // never to the leader itself, nor to a member this node distrusts
    expect(votesIn(following(c, {}, leader).out)).toEqual([pledgeFor(c, next)])
    const wary = single(c)
    wary.e.onMembership(members)
    wary.e.distrust(a)
    wary.clock.t += 3_000
    wary.e.onMessage({ ...leadWithCertificate(leader, 1, signers, 5), successor: a })
    expect(votesIn(wary.e.tick())).toEqual([pledgeFor(c, next)])
    // a leader this node distrusts does not choose for it: it votes for its own first choice in the next term
    const doubting = following(c, { pledge: false }, a)
    doubting.e.distrust(leader)
    expect(votesIn(doubting.e.onMessage({ type: 'claim', term: 2, from: a, electorate: 5 }))).toEqual([])
    expect(votesIn(doubting.e.onMessage({ type: 'claim', term: 2, from: next, electorate: 5 }))).toEqual([vote(c, next, 2, 5)])
  })

  it('a nominee this node does not see is followed once f + 1 members pledged to it, and its term is not skipped on the resign', () => {
    const unseen = (nominee: PeerId): { e: Election, clock: { t: number } } => {
      const { e, clock } = single(self, { faultTolerance: 1 })
      e.onMembership(members.filter(m => m !== nominee))
      clock.t += 3_000
      e.onMessage({ ...leadWithCertificate(leader, 1, signers, 4), successor: nominee })
      return { e, clock }
    }
    const { e, clock } = unseen(next)
    expect(votesIn(e.tick())).toEqual([])
    e.onMessage(pledge(second))
    clock.t += 100
    expect(votesIn(e.tick())).toEqual([]) // one pledge may be a liar's, with f = 1
    e.onMessage(pledgeFor(c, next))
    clock.t += 100
    expect(votesIn(e.tick())).toEqual([pledgeFor(self, next, 4)])
    // on the resign it stays in term 2 and votes for the nominee (a member it saw leave would have been skipped)
    const out = e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(e.status().electing).toBe(2)
    expect(votesIn(out)).toEqual([vote(self, next, 2, 4)])
    // a name nobody vouches for (a Byzantine leader's invention, ranked first) gets no pledge at all
    const ghost = unseen('u0-ghost')
    ghost.clock.t += 5_000
    ghost.e.onMessage({ type: 'lead', term: 1, from: leader, electorate: 4, successor: 'u0-ghost' })
    expect(votesIn(ghost.e.tick())).toEqual([])
  })

  it('after the resign a member that pledged nothing votes for the nominee it follows, and for no other claimant', () => {
    const { e } = following(c, { pledge: false }, a)
    expect(votesIn(e.onMessage({ type: 'resign', term: 1, from: leader }))).toEqual([vote(c, a, 2, 5)])
    expect(votesIn(e.onMessage({ type: 'claim', term: 2, from: next, electorate: 5 }))).toEqual([])
    expect(votesIn(e.onMessage({ type: 'claim', term: 2, from: a, electorate: 5 }))).toEqual([vote(c, a, 2, 5)])
    // and the nominee, ranked second in its own view too, claims the term
    const nominee = following(a, { pledge: false }, a)
    expect(nominee.e.onMessage({ type: 'resign', term: 1, from: leader }).send.map(m => m.type)).toContain('claim')
  })

  it('a leader nominates the member the next term prefers; once members promised that term, the one most of them promised it to', () => {
    // `next` wins term 2 on the pledges, on the resign
    const { e, clock } = following(next)
    for (const p of pledges()) e.onMessage(p)
    const won = e.onMessage({ type: 'resign', term: 1, from: leader })
    expect(e.leaderTerm).toBe(2)
    const successorIn = (out: Output): PeerId | undefined => (out.send.find(m => m.type === 'lead') as LeadMessage | undefined)?.successor
    const order3 = byRank(3, members.filter(m => m !== next))
    expect(successorIn(won)).toBe(order3[0])
    const lead = (): PeerId | undefined => { clock.t += 300; return successorIn(e.tick()) }
    const [first, second3, third, fourth] = order3 as [string, string, string, string]
    // a claim of term 3 is no reason to nominate its maker
    e.onMessage({ type: 'claim', term: 3, from: fourth, electorate: 5 })
    expect(lead()).toBe(first)
    // promises cannot be taken back: two for the third in the order, none for the first
    e.onMessage({ ...vote(first, third, 3, 5), pledge: true })
    e.onMessage({ ...vote(second3, third, 3, 5), pledge: true })
    expect(lead()).toBe(third)
    // ... unless it promised the term to another member itself (it could not claim it): then, with every other
    // promise made by members that promised it away too, the one the term prefers among those that did not
    e.onMessage({ ...vote(third, second3, 3, 5), pledge: true })
    expect(lead()).toBe(fourth)
  })

  it('a member that promised a term to another leads it only on a proof whose other voters make the quorum by themselves', () => {
    const third = others[2] as string
    const { e } = following(self) // its pledge promised term 2 to `next`
    const proof = (voters: PeerId[]): ElectionMessage => ({ type: 'fence', term: 2, from: second, leader: self, electorate: 5, certificate: voters.map(v => vote(v, self, 2, 5)) })
    e.onMessage(proof([second, third])) // a quorum (3 of 5) only with its own vote, which went to `next`
    expect(e.role).toBe('follower')
    e.onMessage(proof([second, third, leader]))
    expect(e.role).toBe('leader')
    expect(e.leaderTerm).toBe(2)
  })

  it('a candidate claims for the larger electorate its pledgers counted (by at most 2), so that they can all answer one claim', () => {
    for (const [named, claimed] of [[6, 6], [7, 7], [8, 5]] as const) {
      const { e, clock } = following(next)
      e.onMessage(pledge(self, named))
      clock.t += 1_600
      const ask = e.tick().send.find(m => m.type === 'pre-claim')
      expect(ask, `pledged for ${named}`).toEqual({ type: 'pre-claim', term: 2, from: next, electorate: claimed })
    }
  })
})

describe('Election: a leader this node distrusts while others keep it', () => {
  const members = ['v1', 'v2', 'v3', 'v4', 'v5']
  const [self, leader] = members as [string, string]
  const lead: LeadMessage = { type: 'lead', term: 3, from: leader, electorate: 5 }

  /** `self` follows `leader` (term 3), then distrusts it while its Leads keep coming for 60 s: its election runs ahead. */
  function runaway (): { e: Election, clock: { t: number }, step: (ms: number, leads: boolean) => void } {
    const { e, clock } = single(self)
    e.onMembership(members)
    e.onMessage(leadWithCertificate(leader, 3, ['v3', 'v4'], 5))
    expect(e.leader).toBe(leader)
    e.distrust(leader)
    const step = (ms: number, leads: boolean): void => {
      for (const end = clock.t + ms; clock.t < end;) {
        clock.t += 100
        if (leads && clock.t % 300 === 0) e.onMessage(lead)
        e.tick()
      }
    }
    step(60_000, true)
    expect(e.leader).toBeUndefined()
    // a term per timeout, the timeouts doubling to 4-6 s from the third term on
    expect(e.status().electing).toBeGreaterThan(3 + 10)
    return { e, clock, step }
  }

  it('restarts at the leader\'s term + 1 when its Leads stop, once per lapse', () => {
    const { e, step } = runaway()
    step(1_500, false)
    // Where everyone who followed the leader starts: they agree on whom term 4 prefers.
    expect(e.status().electing).toBe(4)
    // An edge, not a level: the election moves on from there while the leader stays silent.
    step(1_600, false)
    expect(e.status().electing).toBeGreaterThan(4)
    // The leader is back (its Leads were only late), runs ahead again, and the next lapse restarts it again.
    step(10_000, true)
    expect(e.status().electing).toBeGreaterThan(6)
    step(1_500, false)
    expect(e.status().electing).toBe(4)
  })

  it('restarts at the leader\'s term + 1 when the leader resigns, and not again when its lease then lapses', () => {
    const { e, step } = runaway()
    e.onMessage({ type: 'resign', term: 3, from: leader })
    expect(e.status().electing).toBe(4)
    step(1_600, false)
    const electing = e.status().electing as number
    expect(electing).toBeGreaterThan(4)
    step(400, false) // now 2 s since the last Lead
    expect(e.status().electing).toBeGreaterThanOrEqual(electing)
  })

  it('joins the election of a term far below its own that it votes in; a repeated vote moves it neither up nor back', () => {
    const { e, step } = runaway()
    const trusted = members.filter(m => m !== leader)
    const claimIn = (term: number): ElectionMessage => ({ type: 'claim', term, from: preferred(term, trusted) as string, electorate: 5 })
    const ahead = e.status().electing as number
    const high = claimIn([ahead, ahead + 1].find(t => preferred(t, trusted) !== self) as number)
    expect(votesIn(e.onMessage(high))).toHaveLength(1)
    const term = [6, 7, 8, 9, 10, 11, 12].find(t => preferred(t, trusted) !== self) as number
    const low = claimIn(term)
    expect(votesIn(e.onMessage(low))).toEqual([vote(self, low.from, term, 5)])
    expect(e.status().electing).toBe(term)
    // The high term's candidate asks again: the same answer, but that election is no longer this node's.
    expect(votesIn(e.onMessage(high))).toHaveLength(1)
    expect(e.status().electing).toBe(term)
    step(6_100, true) // that attempt timed out (joining keeps the lengthened timeout: 4-6 s)
    expect(e.status().electing).toBe(term + 1)
    // One term behind its target: it already is where that election goes next.
    expect(votesIn(e.onMessage(low))).toEqual([vote(self, low.from, term, 5)])
    expect(e.status().electing).toBe(term + 1)
  })
})

describe('Election: double votes', () => {
  // Two candidates in term 1 because two voters' views differ about the preferred one, and a Byzantine voter `z`
  // that votes for both. Everyone knows all five members (the safety precondition holds).
  function splitVote (faultTolerance: number): { bus: Bus, p1: string, p2: string, z: string } {
    const [p1, p2, h1, h2, z] = byRank(1, ['d1', 'd2', 'd3', 'd4', 'd5']) as [string, string, string, string, string]
    const all = [p1, p2, h1, h2, z]
    // without pre-votes, so both claims go out at once (the scenario is about the votes)
    const bus = new Bus([p1, p2, h1, h2], { warmupMs: 100, faultTolerance, preVote: false })
    for (const id of [p1, p2, h1, h2]) bus.membership(id, all)
    bus.run(50)
    // p2 and h2 stop seeing p1 (a false suspicion), so for them p2 is preferred in term 1.
    bus.membership(p2, [p2, h1, h2, z])
    bus.membership(h2, [p2, h1, h2, z])
    bus.deliver = (_from, _to, msg) => msg.type !== 'lead'
    bus.run(100)
    // z shows each candidate only its own vote first (a Byzantine node may send to chosen peers), then broadcasts both.
    bus.deliver = (_from, to, msg) => msg.type !== 'lead' && to === (msg.type === 'vote' ? msg.candidate : to)
    bus.inject(z, vote(z, p1, 1, 5))
    bus.inject(z, vote(z, p2, 1, 5))
    bus.deliver = (_from, _to, msg) => msg.type !== 'lead'
    bus.inject(z, vote(z, p1, 1, 5))
    bus.inject(z, vote(z, p2, 1, 5))
    bus.run(100)
    // The scenario is real: both claimed term 1, and each got one honest vote.
    expect(bus.sent(p1, 'claim')).toContainEqual(expect.objectContaining({ term: 1 }))
    expect(bus.sent(p2, 'claim')).toContainEqual(expect.objectContaining({ term: 1 }))
    const plain = (id: string): unknown[] => bus.sent(id, 'vote').filter(v => (v as VoteMessage).pledge !== true)
    expect(plain(h1)).toEqual([vote(h1, p1, 1, 5)])
    expect(plain(h2)).toEqual([vote(h2, p2, 1, 5)])
    return { bus, p1, p2, z }
  }

  it('with faultTolerance 0, one equivocating voter can make two leaders in a term (the documented limit)', () => {
    const { bus, p1, p2, z } = splitVote(0)
    for (const p of [p1, p2]) expect(bus.events.get(p)).toContainEqual({ type: 'leader-changed', term: 1, leader: p })
    const reported = [...bus.events.values()].flat().filter(e => e.type === 'equivocation')
    expect(reported).toContainEqual(expect.objectContaining({ term: 1, voter: z }))
  })

  it('with faultTolerance 1, it cannot, and honest nodes report it', () => {
    const { bus, p1, p2, z } = splitVote(1)
    const won = [p1, p2].filter(p => (bus.events.get(p) ?? []).some(e => e.type === 'leader-changed' && e.leader === p))
    expect(won.length).toBeLessThanOrEqual(1)
    const reported = [...bus.events.values()].flat().filter(e => e.type === 'equivocation')
    expect(reported.length).toBeGreaterThan(0)
    for (const e of reported) expect(e).toMatchObject({ type: 'equivocation', term: 1, voter: z })
  })

  it('does not count an equivocator\'s vote towards a quorum', () => {
    const [c, x, y, u, v] = byRank(1, ['e1', 'e2', 'e3', 'e4', 'e5']) as [string, string, string, string, string]
    const { e } = single(c, { preVote: false })
    e.onMembership([c, x, y, u, v])
    expect(e.role).toBe('candidate')
    expect(e.onMessage(vote(x, y, 1, 5)).events).toEqual([])
    expect(e.onMessage(vote(x, c, 1, 5)).events).toContainEqual({ type: 'equivocation', term: 1, voter: x, candidates: [y, c] })
    e.onMessage(vote(y, c, 1, 5))
    expect(e.role).toBe('candidate') // x's vote would have made a quorum of 3
    const won = e.onMessage(vote(u, c, 1, 5))
    expect(e.role).toBe('leader')
    const lead = won.send.find((m): m is LeadMessage => m.type === 'lead')
    expect(lead?.certificate?.map(v => v.from).sort()).toEqual([u, y].sort())
  })
})

describe('Election: the electorate', () => {
  const members = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']

  it('a member that was in a stable view for longer than memberTtlMs counts for memberTtlMs after it left, then not', () => {
    // The failure detector reports view changes, not a periodic view: after a minute without one, the member that
    // leaves must still count for memberTtlMs from when it left (not from the last change), or a node that noticed
    // early would claim with a smaller electorate than the others (who refuse it) and quorums would shrink at once.
    const [self] = byRank(1, members).reverse() as [string]
    const gone = byRank(1, members.filter(m => m !== self))[0] as string
    const stay = members.filter(m => m !== gone)
    const candidate = preferred(1, stay) as string
    const { e, clock } = single(self, { memberTtlMs: 15_000, electionTimeoutMs: [100_000, 100_000] })
    e.onMembership(members)
    clock.t = 60_000
    e.tick()
    expect(e.electorate).toBe(9)
    e.onMembership(stay)
    expect(e.electorate).toBe(9)
    expect(e.status()).toMatchObject({ electorate: 9, alive: 8 })
    // Meanwhile a claim that counts only the 8 still in view is refused, as everywhere else in the mesh.
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: candidate, electorate: 8 }))).toHaveLength(0)
    // Another change of view (a member joins) does not extend the TTL of the one that left.
    clock.t = 65_000
    e.onMembership([...stay, 'm10'])
    expect(e.electorate).toBe(10)
    clock.t = 75_000 - 1
    e.tick()
    expect(e.electorate).toBe(10)
    clock.t = 75_000
    e.tick()
    expect(e.electorate).toBe(9)
    // m10 leaves after 10 s in the view: it too counts for memberTtlMs from then.
    e.onMembership(stay)
    clock.t = 90_000 - 1
    expect(e.electorate).toBe(9)
    clock.t = 90_000
    expect(e.electorate).toBe(8)
    expect(votesIn(e.onMessage({ type: 'claim', term: 1, from: candidate, electorate: 8 }))).toEqual([vote(self, candidate, 1, 8)])
  })

  it('with memberTtlMs 0 it is exactly the alive view, also at the instant a member leaves', () => {
    const { e, clock } = single('m1', { memberTtlMs: 0 })
    e.onMembership(members)
    clock.t = 60_000
    e.onMembership(members.slice(0, 8))
    expect(e.electorate).toBe(8)
  })
})

describe('Election: configuration', () => {
  it('explains what is wrong with a bad configuration', () => {
    const ok = { self: 'a', clock: { now: () => 0 }, random: Math.random }
    expect(() => new Election({ ...ok, self: '' })).toThrow(/self/)
    expect(() => new Election({ ...ok, clock: undefined as unknown as { now(): number } })).toThrow(/clock/)
    expect(() => new Election({ ...ok, leaseMs: 100, leadIntervalMs: 300 })).toThrow(/leaseMs \(100\) must exceed leadIntervalMs \(300\)/)
    expect(() => new Election({ ...ok, electionTimeoutMs: [500, 100] })).toThrow(/electionTimeoutMs/)
    expect(() => new Election({ ...ok, faultTolerance: 1.5 })).toThrow(/faultTolerance/)
    expect(() => new Election({ ...ok, memberTtlMs: -1 })).toThrow(/memberTtlMs/)
    expect(() => new Election({ ...ok, persistedTerm: -3 })).toThrow(/persistedTerm/)
  })
})
