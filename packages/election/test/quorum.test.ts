import { describe, expect, it } from 'vitest'
import { certify, outranks, preferred, quorum, rank } from '../src/index.ts'
import type { VoteMessage } from '../src/index.ts'

function vote (from: string, candidate = 'c', term = 3, electorate = 5): VoteMessage {
  return { type: 'vote', term, from, candidate, electorate }
}

describe('quorum', () => {
  it('is a strict majority without Byzantine tolerance', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(n => quorum(n))).toEqual([1, 2, 2, 3, 3, 4, 4, 51])
  })

  it('makes any two quorums of the same electorate share at least f + 1 members', () => {
    for (let f = 0; f <= 3; f++) {
      for (let n = 3 * f + 1; n <= 40; n++) {
        const q = quorum(n, f)
        expect(q).toBeLessThanOrEqual(n)
        expect(2 * q - n).toBeGreaterThanOrEqual(f + 1)
      }
    }
  })

  it('rejects nonsense sizes', () => {
    expect(() => quorum(0)).toThrow(/electorate size >= 1/)
    expect(() => quorum(2.5)).toThrow(RangeError)
    expect(() => quorum(5, -1)).toThrow(/fault tolerance/)
  })
})

describe('rank and preference', () => {
  const peers = Array.from({ length: 20 }, (_, i) => `peer-${i}`)

  it('is deterministic and rotates the preferred peer across terms', () => {
    expect(rank(7, 'peer-3')).toBe(rank(7, 'peer-3'))
    const winners = new Set<string>()
    for (let term = 1; term <= 200; term++) winners.add(preferred(term, peers) as string)
    // 200 terms over 20 peers: a hash that did not depend on the term would give one winner.
    expect(winners.size).toBeGreaterThanOrEqual(15)
  })

  it('spreads preference roughly evenly', () => {
    const wins = new Map<string, number>()
    for (let term = 1; term <= 4000; term++) {
      const w = preferred(term, peers) as string
      wins.set(w, (wins.get(w) ?? 0) + 1)
    }
    for (const peer of peers) expect(wins.get(peer) ?? 0).toBeGreaterThan(100) // expected 200 each
  })

  it('prefers the same peer whatever the order of the candidates', () => {
    const shuffled = [...peers].reverse()
    for (let term = 1; term <= 50; term++) expect(preferred(term, shuffled)).toBe(preferred(term, peers))
    expect(preferred(1, [])).toBeUndefined()
  })

  it('orders leaderships by term, then by rank within a term', () => {
    expect(outranks(5, 'a', 4, 'b')).toBe(true)
    expect(outranks(4, 'a', 5, 'b')).toBe(false)
    expect(outranks(5, 'a', 5, 'a')).toBe(false)
    const better = rank(5, 'a') < rank(5, 'b') ? 'a' : 'b'
    const worse = better === 'a' ? 'b' : 'a'
    expect(outranks(5, better, 5, worse)).toBe(true)
    expect(outranks(5, worse, 5, better)).toBe(false)
  })
})

describe('certify', () => {
  const base = { term: 3, candidate: 'c', electorate: 5, faultTolerance: 0 }

  it('accepts a quorum counting the candidate itself', () => {
    const votes = [vote('a'), vote('b')]
    expect(certify({ ...base, votes })?.map(v => v.from)).toEqual(['a', 'b'])
    expect(certify({ ...base, votes: [vote('a')] })).toBeUndefined()
  })

  it('without the candidate\'s own vote where it is known to have voted for another member: the others make the quorum', () => {
    // n = 5, q = 3: two co-signers suffice with the candidate's own vote, three without it
    expect(certify({ ...base, votes: [vote('a'), vote('b')], candidateVotedElsewhere: true })).toBeUndefined()
    expect(certify({ ...base, votes: [vote('a'), vote('b'), vote('d')], candidateVotedElsewhere: true })?.length).toBe(3)
  })

  it('counts each voter once and ignores the candidate\'s own vote', () => {
    expect(certify({ ...base, votes: [vote('a'), vote('a'), vote('c')] })).toBeUndefined()
  })

  it('ignores votes for another term, candidate or electorate', () => {
    const votes = [vote('a'), vote('b', 'x'), vote('d', 'c', 2), vote('e', 'c', 3, 4)]
    expect(certify({ ...base, votes })).toBeUndefined()
  })

  it('ignores votes whose signature does not verify, and votes of known equivocators', () => {
    const votes = [vote('a'), vote('b'), vote('d')]
    expect(certify({ ...base, votes, verifyVote: v => v.from !== 'a' })?.length).toBe(2)
    expect(certify({ ...base, votes, verifyVote: v => v.from === 'a' })).toBeUndefined()
    expect(certify({ ...base, votes, equivocators: new Set(['a', 'b']) })).toBeUndefined()
  })

  it('needs f + 1 co-signers, so an electorate of one proves nothing to others', () => {
    expect(certify({ ...base, electorate: 1, votes: [] })).toBeUndefined()
    expect(certify({ ...base, electorate: 2, votes: [vote('a', 'c', 3, 2)] })).toBeDefined()
    expect(certify({ ...base, electorate: 2, faultTolerance: 1, votes: [vote('a', 'c', 3, 2)] })).toBeUndefined()
    expect(certify({ ...base, electorate: 0, votes: [vote('a', 'c', 3, 0)] })).toBeUndefined()
  })
})
