import { MAX_TERM, preferred } from '../../src/index.ts'
import type { ElectionMessage, VoteMessage } from '../../src/index.ts'
import type { ByzantineBehaviour, ByzantineContext } from './cluster.ts'

/**
 * Tries to take over without winning an election: every ~500 ms it announces itself leader of a huge term (with no
 * certificate, with a certificate of forged votes in honest peers' names, and with real votes it overheard for
 * other candidates), claims huge and next terms, and sends "fence" proofs of its fake leadership.
 * It does not run the honest protocol. The transport stops it from sending as anyone else, so forged votes can only
 * appear inside certificates, where signature checks (verifyVote) catch them.
 */
export function hijacker (): ByzantineBehaviour {
  const overheard: VoteMessage[] = []
  let lastAt = -Infinity
  let highestSeen = 0
  return {
    honest: false,
    onMessage (_ctx, msg) {
      if (msg.term > highestSeen && msg.term < MAX_TERM / 2) highestSeen = msg.term
      if (msg.type === 'vote' && overheard.length < 200) overheard.push(msg)
      return []
    },
    onTick (ctx) {
      if (ctx.now - lastAt < 500) return []
      lastAt = ctx.now
      const huge = Math.floor(MAX_TERM / 2)
      const others = ctx.alive.filter(p => p !== ctx.self)
      const forged: VoteMessage[] = others.map(voter => ({ type: 'vote', term: huge, from: voter, candidate: ctx.self, electorate: ctx.alive.length }))
      const next = highestSeen + 1
      const forgedNext: VoteMessage[] = others.map(voter => ({ type: 'vote', term: next, from: voter, candidate: ctx.self, electorate: ctx.alive.length }))
      const out: ElectionMessage[] = [
        { type: 'lead', term: huge, from: ctx.self, electorate: 1 },
        { type: 'lead', term: huge, from: ctx.self, electorate: 1, certificate: [] },
        { type: 'lead', term: huge, from: ctx.self, electorate: ctx.alive.length, certificate: forged },
        { type: 'lead', term: next, from: ctx.self, electorate: ctx.alive.length, certificate: forgedNext },
        { type: 'lead', term: next, from: ctx.self, electorate: ctx.alive.length, certificate: overheard.slice(-50) },
        { type: 'claim', term: huge, from: ctx.self, electorate: ctx.alive.length },
        { type: 'claim', term: next, from: ctx.self, electorate: 10_000 },
        { type: 'fence', term: huge, from: ctx.self, leader: ctx.self, electorate: ctx.alive.length, certificate: forged },
        { type: 'resign', term: next - 1, from: ctx.self },
        // Votes it may legitimately sign, but for itself in a term nobody is electing.
        { type: 'vote', term: huge, from: ctx.self, candidate: ctx.self, electorate: 1 }
      ]
      return out
    }
  }
}

/**
 * Runs the honest protocol but also votes for every claimant it hears, in every term: it equivocates whenever two
 * candidates compete, trying to be the vote that gives both of them a quorum.
 */
export function doubleVoter (): ByzantineBehaviour {
  return {
    honest: true,
    onMessage (ctx, msg) {
      if (msg.type !== 'claim' || msg.from === ctx.self) return []
      return [{ type: 'vote', term: msg.term, from: ctx.self, candidate: msg.from, electorate: msg.electorate }]
    }
  }
}

/**
 * Runs the honest protocol but, whenever its own state machine sees no leader, claims the nearest term ahead (up to
 * `reach` terms beyond what it has seen) in which the rotation prefers it: it tries to pick the term that favours it.
 */
export function grinder (reach = 50): ByzantineBehaviour {
  let lastAt = -Infinity
  return {
    honest: true,
    onTick (ctx: ByzantineContext) {
      const e = ctx.election
      if (e === undefined || e.leader !== undefined || ctx.now - lastAt < 250) return []
      lastAt = ctx.now
      const base = e.term
      for (let term = base + 1; term <= base + reach; term++) {
        if (preferred(term, ctx.alive) === ctx.self) return [{ type: 'claim', term, from: ctx.self, electorate: e.electorate }]
      }
      return []
    }
  }
}
