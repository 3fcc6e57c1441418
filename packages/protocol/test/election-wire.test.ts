import { describe, expect, it } from 'vitest'
import {
  decodeWireMessage, electionVoteSigningBytes, encodeElection, encodeHeartbeat, encodeWireMessage, manualClock, MAX_CERTIFICATE_VOTES,
  MAX_ELECTION_BYTES, MessageValidator, TOPICS, WIRE_VERSION, WireDecodeError
} from '../src/index.ts'
import type { ElectionBody, SignedVoteBody } from '../src/index.ts'
import { Envelope, ElectionKind } from '../src/wire/fedmesh.ts'
import { ALICE, BOB, peerIdFor, sampleHeartbeat, seededRandom } from './fixtures.ts'

const sig = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(64).fill(n)
const vote = (from: string, term: number, candidate: string, electorate: number): SignedVoteBody => ({ from, term, candidate, electorate, signature: sig(7) })
const body = (e: Partial<ElectionBody> & Pick<ElectionBody, 'kind'>): ElectionBody =>
  ({ term: 3, candidate: '', electorate: 5, signature: new Uint8Array(0), certificate: [], ...e })

function encode (election: ElectionBody, sender = ALICE): Uint8Array {
  return encodeElection({ sender, seq: 1, sentAtMs: 1_700_000_000_000, election })
}

/** Bytes the encoder would refuse to produce: a hand-built envelope, so receivers' checks can be exercised. */
function raw (election: Partial<Envelope['election']> & { kind: ElectionKind }, extra: Partial<Envelope> = {}): Uint8Array {
  return Envelope.encode({
    version: WIRE_VERSION, topic: TOPICS.election, sender: ALICE, seq: 1n, sentAtMs: 1_700_000_000_000n,
    election: { term: 3n, candidate: '', electorate: 5, signature: new Uint8Array(0), certificate: [], pledge: false, ...election },
    ...extra
  })
}

function schemaError (bytes: Uint8Array): string {
  try {
    decodeWireMessage(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(WireDecodeError)
    return (err as WireDecodeError).reason
  }
  throw new Error('decoded')
}

describe('election wire format', () => {
  it('round-trips every kind', () => {
    const cert = [vote(BOB, 3, ALICE, 5), vote(peerIdFor(3), 3, ALICE, 5)]
    const cases: ElectionBody[] = [
      body({ kind: 'claim' }),
      body({ kind: 'vote', candidate: BOB, signature: sig(1) }),
      body({ kind: 'vote', candidate: BOB, signature: sig(1), pledge: true }),
      body({ kind: 'lead' }),
      body({ kind: 'lead', certificate: cert }),
      body({ kind: 'lead', candidate: BOB }), // naming the successor it nominates
      body({ kind: 'lead', certificate: [{ ...vote(BOB, 3, ALICE, 5), pledge: true }, vote(peerIdFor(3), 3, ALICE, 5)] }),
      body({ kind: 'resign', electorate: 0 }),
      body({ kind: 'fence', candidate: BOB, certificate: [vote(ALICE, 3, BOB, 5)] }),
      body({ kind: 'pre-claim' }),
      body({ kind: 'pre-vote', candidate: BOB })
    ]
    for (const election of cases) {
      const decoded = decodeWireMessage(encode(election))
      expect(decoded.topic).toBe(TOPICS.election)
      expect(decoded.election).toEqual(election)
    }
  })

  it('a certificate of the maximum size fits under the topic cap', () => {
    const electorate = 2 * MAX_CERTIFICATE_VOTES
    const cert = Array.from({ length: MAX_CERTIFICATE_VOTES }, (_, i) => vote(peerIdFor(1000 + i), 2 ** 40, ALICE, electorate))
    const bytes = encode(body({ kind: 'lead', term: 2 ** 40, electorate, certificate: cert }))
    expect(bytes.length).toBeLessThanOrEqual(MAX_ELECTION_BYTES)
    expect(decodeWireMessage(bytes).election?.certificate).toHaveLength(MAX_CERTIFICATE_VOTES)
  })

  it('refuses fields a kind does not carry', () => {
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, candidate: BOB }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, signature: sig(1) }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, certificate: [{ from: BOB, term: 3n, candidate: ALICE, electorate: 5, signature: sig(1), pledge: false }] }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.VOTE, candidate: BOB }))).toBe('schema') // unsigned vote
    expect(schemaError(raw({ kind: ElectionKind.VOTE, candidate: 'not a peer id!', signature: sig(1) }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.RESIGN }))).toBe('schema') // resign with an electorate
    expect(schemaError(raw({ kind: ElectionKind.FENCE, candidate: BOB }))).toBe('schema') // fence without proof
    expect(schemaError(raw({ kind: ElectionKind.ELECTION_UNKNOWN }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.PRE_CLAIM, candidate: BOB }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.LEAD, candidate: 'not a peer id!' }))).toBe('schema') // a nominee must be a peer id
    expect(schemaError(raw({ kind: ElectionKind.RESIGN, candidate: BOB, electorate: 0 }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.PRE_VOTE }))).toBe('schema') // no candidate
    expect(schemaError(raw({ kind: ElectionKind.PRE_VOTE, candidate: BOB, signature: sig(1) }))).toBe('schema') // binds nobody: unsigned
    expect(schemaError(raw({ kind: ElectionKind.PRE_VOTE, candidate: BOB, electorate: 0 }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, electorate: 0 }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, pledge: true }))).toBe('schema') // only a vote is a pledge
  })

  it('signs a pledge differently from a plain vote, so that nobody can strip the mark', () => {
    const plain = { from: ALICE, term: 3, candidate: BOB, electorate: 5 }
    expect(electionVoteSigningBytes({ ...plain, pledge: true })).not.toEqual(electionVoteSigningBytes(plain))
    expect(electionVoteSigningBytes({ ...plain, pledge: false })).toEqual(electionVoteSigningBytes(plain))
  })

  it('refuses terms outside 1..2^48', () => {
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, term: 0n }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.CLAIM, term: 2n ** 48n + 1n }))).toBe('schema')
    expect(decodeWireMessage(raw({ kind: ElectionKind.CLAIM, term: 2n ** 48n })).election?.term).toBe(2 ** 48)
  })

  it('refuses certificates that are not votes for the announced leadership', () => {
    const v = (from: string, term: bigint, candidate: string, electorate = 5): NonNullable<Envelope['election']>['certificate'][number] =>
      ({ from, term, candidate, electorate, signature: sig(2), pledge: false })
    // a lead's certificate must elect its sender, in its term, for its electorate
    expect(schemaError(raw({ kind: ElectionKind.LEAD, certificate: [v(BOB, 3n, peerIdFor(9))] }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.LEAD, certificate: [v(BOB, 2n, ALICE)] }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.LEAD, certificate: [v(BOB, 3n, ALICE, 4)] }))).toBe('schema')
    // the same voter twice, or the candidate voting for itself
    expect(schemaError(raw({ kind: ElectionKind.LEAD, certificate: [v(BOB, 3n, ALICE), v(BOB, 3n, ALICE)] }))).toBe('schema')
    expect(schemaError(raw({ kind: ElectionKind.LEAD, certificate: [v(ALICE, 3n, ALICE)] }))).toBe('schema')
    // more votes than the electorate has members
    expect(schemaError(raw({ kind: ElectionKind.LEAD, electorate: 1, certificate: [v(BOB, 3n, ALICE, 1), v(peerIdFor(4), 3n, ALICE, 1)] }))).toBe('schema')
    // unsigned certificate vote
    expect(schemaError(raw({ kind: ElectionKind.LEAD, certificate: [{ ...v(BOB, 3n, ALICE), signature: new Uint8Array(0) }] }))).toBe('schema')
    expect(decodeWireMessage(raw({ kind: ElectionKind.LEAD, certificate: [v(BOB, 3n, ALICE)] })).election?.certificate).toHaveLength(1)
  })

  it('refuses an unknown kind number and a body that does not match the topic', () => {
    const bytes = raw({ kind: ElectionKind.CLAIM })
    // kind is the first field of the election body: patch its enum value to 9
    const patched = Uint8Array.from(bytes)
    const at = patched.findIndex((b, i) => b === 0x08 && patched[i + 1] === 1 && i > 20)
    patched[at + 1] = 9
    expect(schemaError(patched)).toBe('malformed')
    // a heartbeat published on the election topic, and an election body on the heartbeat topic
    expect(() => encodeHeartbeat({ topic: TOPICS.election, sender: ALICE, seq: 1, sentAtMs: 1, heartbeat: sampleHeartbeat() })).toThrow(/rejected/)
    expect(schemaError(raw({ kind: ElectionKind.CLAIM }, { topic: TOPICS.heartbeat }))).toBe('schema')
  })

  it('the encoder refuses what receivers would drop', () => {
    expect(() => encode(body({ kind: 'vote', candidate: BOB }))).toThrow(/rejected/)
    expect(() => encode(body({ kind: 'claim', term: 0 }))).toThrow(/rejected/)
    expect(() => encodeWireMessage({ version: 1, topic: TOPICS.election, sender: ALICE, seq: 1, sentAtMs: 1 })).toThrow(/rejected/)
  })

  it('signing bytes name the voter, term, candidate and electorate', () => {
    const a = electionVoteSigningBytes({ from: ALICE, term: 3, candidate: BOB, electorate: 5 })
    const variants = [
      { from: BOB, term: 3, candidate: BOB, electorate: 5 },
      { from: ALICE, term: 4, candidate: BOB, electorate: 5 },
      { from: ALICE, term: 3, candidate: ALICE, electorate: 5 },
      { from: ALICE, term: 3, candidate: BOB, electorate: 6 }
    ]
    for (const v of variants) expect(electionVoteSigningBytes(v)).not.toEqual(a)
  })

  it('the validator checks election messages on their own topic and never throws on mutations', () => {
    const clock = manualClock()
    const validator = new MessageValidator({ clock })
    const good = encodeElection({ sender: ALICE, seq: 1, sentAtMs: clock.wallNow(), election: body({ kind: 'lead', certificate: [vote(BOB, 3, ALICE, 5)] }) })
    expect(validator.validate({ topic: TOPICS.election, data: good, from: ALICE, signed: true }).ok).toBe(true)
    expect(validator.validate({ topic: TOPICS.heartbeat, data: good, from: ALICE, signed: true })).toMatchObject({ ok: false, reason: 'wrong-topic' })
    expect(validator.validate({ topic: TOPICS.election, data: good, from: BOB, signed: true })).toMatchObject({ ok: false, reason: 'sender-mismatch' })
    expect(validator.validate({ topic: TOPICS.election, data: new Uint8Array(MAX_ELECTION_BYTES + 1), from: ALICE, signed: true })).toMatchObject({ ok: false, reason: 'oversized' })
    const random = seededRandom(5)
    let rejected = 0
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(good)
      const flips = 1 + Math.floor(random() * 4)
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      const result = validator.validate({ topic: TOPICS.election, data: bytes, from: ALICE, signed: true })
      if (!result.ok) {
        rejected++
        expect(result.reason).toMatch(/^[a-z-]+$/)
      }
    }
    expect(rejected).toBeGreaterThan(2500)
  })
})
