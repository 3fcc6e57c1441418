import type { PeerId, VoteMessage } from './types.ts'

/**
 * Votes needed out of an electorate of `n` when up to `f` voters may vote twice: ⌊(n + f) / 2⌋ + 1, so two quorums
 * of the same electorate share at least f + 1 voters, one of whom is honest and voted only once. Capped at n.
 */
export function quorum (n: number, f = 0): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`quorum needs an electorate size >= 1, got ${n}`)
  if (!Number.isInteger(f) || f < 0) throw new RangeError(`quorum needs a fault tolerance >= 0, got ${f}`)
  return Math.min(n, Math.floor((n + f) / 2) + 1)
}

/**
 * The rank of `peer` in `term`'s preference order (lower is preferred). A hash of (term, peer) so the preferred
 * candidate rotates from term to term: a bad coordinator that gets voted out does not win every re-election.
 * Not cryptographic: it only has to spread preference evenly. A node cannot pick a term where it ranks first,
 * because voters only vote one term beyond their own (docs/election.md, "term grinding").
 */
export function rank (term: number, peer: PeerId): number {
  // FNV-1a over "term:peer", then murmur3's finaliser to spread the low-entropy term over all bits.
  let h = 0x811c9dc5
  const key = `${term}:${peer}`
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Total order on leaderships: higher term wins; in one term (only possible across diverged views) lower rank wins. */
export function outranks (term: number, leader: PeerId, otherTerm: number, other: PeerId): boolean {
  if (term !== otherTerm) return term > otherTerm
  if (leader === other) return false
  const a = rank(term, leader)
  const b = rank(term, other)
  return a !== b ? a < b : leader < other
}

/** The member of `candidates` that `term` prefers (lowest rank), or undefined if there are none. */
export function preferred (term: number, candidates: Iterable<PeerId>): PeerId | undefined {
  let best: PeerId | undefined
  let bestRank = Infinity
  for (const peer of candidates) {
    const r = rank(term, peer)
    if (r < bestRank || (r === bestRank && best !== undefined && peer < best)) {
      best = peer
      bestRank = r
    }
  }
  return best
}

export interface CertificateCheck {
  term: number
  candidate: PeerId
  electorate: number
  /** Candidate votes; those not for (term, candidate, electorate), repeated, or failing `verifyVote` are skipped. */
  votes: Iterable<VoteMessage>
  faultTolerance: number
  verifyVote?: (vote: VoteMessage) => boolean
  /** Voters known to have voted twice in `term`; their votes do not count. */
  equivocators?: ReadonlySet<PeerId>
  /**
   * The candidate is known to have voted for another member in `term`: its own vote is not there to count, and the
   * others must make the quorum by themselves (else, with f = 0 and an odd electorate, two quorums can share only it).
   */
  candidateVotedElsewhere?: boolean
}

/**
 * Do `votes` prove that `candidate` won `term`? They must include valid votes for (term, candidate, electorate) from
 * distinct voters other than the candidate, at least f + 1 of them (so at least one honest co-signer vouches that the
 * electorate size is not understated), and together with the candidate's own vote at least a quorum of `electorate`
 * (without it where the candidate is known to have voted for someone else there).
 * Returns the counted votes (the certificate to re-publish), or undefined when they do not prove the win.
 */
export function certify (check: CertificateCheck): VoteMessage[] | undefined {
  const { term, candidate, electorate, faultTolerance } = check
  if (!Number.isInteger(electorate) || electorate < 1) return undefined
  const counted = new Map<PeerId, VoteMessage>()
  for (const vote of check.votes) {
    if (vote.type !== 'vote' || vote.term !== term || vote.candidate !== candidate || vote.electorate !== electorate) continue
    if (vote.from === candidate || counted.has(vote.from) || check.equivocators?.has(vote.from) === true) continue
    if (check.verifyVote !== undefined && !check.verifyVote(vote)) continue
    counted.set(vote.from, vote)
  }
  const own = check.candidateVotedElsewhere === true ? 0 : 1
  const enough = counted.size >= faultTolerance + 1 && counted.size + own >= quorum(electorate, faultTolerance)
  return enough ? [...counted.values()] : undefined
}
