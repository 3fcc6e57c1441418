/**
 * Semantic checks on a decoded envelope, and conversion from the generated protobuf types (bigint,
 * enum strings) to the plain WireMessage the app uses. Used on receive (validator) and on send (codec),
 * so a peer never emits what its neighbours would reject.
 */
import { ElectionKind, Transport } from './fedmesh.ts'
import type { Election, Envelope, Heartbeat, Metrics, ModelHead as WireModelHead, Neighbour, SignedVote } from './fedmesh.ts'
import { PEER_TAIL_LENGTH, TOPICS } from './types.ts'
import type { ElectionBody, ElectionKindName, HeartbeatBody, MetricsSummary, ModelHead, NeighbourInfo, SignedVoteBody, TransportName, WireMessage } from './types.ts'

export const MIN_INTERVAL_MS = 50
export const MAX_INTERVAL_MS = 600_000
export const MAX_NEIGHBOURS = 64
export const MAX_PEER_ID_LENGTH = 128
/** Training session names and model digests in a heartbeat's model head. */
export const MAX_SESSION_LENGTH = 128
export const MAX_DIGEST_LENGTH = 128
/** Election terms above this are refused (the same bound as @fedmesh/election's MAX_TERM). */
export const MAX_ELECTION_TERM = 2 ** 48
/** Votes in one certificate: a quorum of an electorate of about 600 members; keeps a Lead under 64 KiB. */
export const MAX_CERTIFICATE_VOTES = 300
/** Ed25519 signatures are 64 bytes; secp256k1 (DER) about 72; RSA-2048 256. */
export const MAX_SIGNATURE_BYTES = 512

/** Union of the base58btc and base32 (lower-case) alphabets: libp2p peer id strings in either encoding. */
const PEER_ID_PATTERN = /^[1-9A-HJ-NP-Za-z]{1,128}$/

/** Which body field each topic must carry (field numbers from fedmesh.proto). */
export const TOPIC_BODY_FIELD: Readonly<Record<string, number>> = {
  [TOPICS.heartbeat]: 10,
  [TOPICS.election]: 11
}

export class SchemaError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SchemaError'
  }
}

export function isValidPeerId (value: string): boolean {
  return PEER_ID_PATTERN.test(value)
}

const TRANSPORT_TO_NAME: Record<Transport, TransportName> = {
  [Transport.TRANSPORT_UNKNOWN]: 'unknown',
  [Transport.WEBRTC]: 'webrtc',
  [Transport.RELAYED]: 'relayed',
  [Transport.WEBSOCKET]: 'websocket',
  [Transport.MEMORY]: 'memory',
  [Transport.OTHER]: 'other'
}
const NAME_TO_TRANSPORT: Record<TransportName, Transport> = {
  unknown: Transport.TRANSPORT_UNKNOWN,
  webrtc: Transport.WEBRTC,
  relayed: Transport.RELAYED,
  websocket: Transport.WEBSOCKET,
  memory: Transport.MEMORY,
  other: Transport.OTHER
}

export function transportToWire (name: TransportName): Transport {
  const transport = NAME_TO_TRANSPORT[name]
  if (transport === undefined) throw new SchemaError(`unknown transport '${String(name)}'; expected one of ${Object.keys(NAME_TO_TRANSPORT).join(', ')}`)
  return transport
}

function safeInteger (value: bigint, where: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new SchemaError(`${where} ${value} exceeds Number.MAX_SAFE_INTEGER`)
  return Number(value)
}

function nonNegativeFinite (value: number, where: string): void {
  if (!Number.isFinite(value) || value < 0) throw new SchemaError(`${where} must be finite and >= 0, got ${value}`)
}

function ratio (value: number, where: string): void {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new SchemaError(`${where} must be in [0, 1], got ${value}`)
}

/** A peer id string, or (maxLength PEER_TAIL_LENGTH) a heartbeat's neighbour tail. */
function peerId (value: string, where: string, maxLength = MAX_PEER_ID_LENGTH): void {
  if (value.length > maxLength || !isValidPeerId(value)) {
    throw new SchemaError(`${where} must be 1..${maxLength} base58/base32 characters, got '${value.slice(0, 40)}'${value.length > 40 ? '…' : ''} (${value.length} chars)`)
  }
}

/**
 * Checks everything the schema promises and returns the app-facing message.
 * `bodyFields` are the top-level body field numbers found on the wire (see structure.ts).
 */
export function envelopeToWireMessage (env: Envelope, bodyFields: readonly number[]): WireMessage {
  const expectedBody = TOPIC_BODY_FIELD[env.topic]
  if (expectedBody === undefined) throw new SchemaError(`no body is defined for topic '${env.topic}'`)
  if (bodyFields.length !== 1) throw new SchemaError(`an envelope must carry exactly one body, found ${bodyFields.length} (fields ${bodyFields.join(', ') || 'none'})`)
  if (bodyFields[0] !== expectedBody) throw new SchemaError(`topic '${env.topic}' needs body field ${expectedBody}, got field ${bodyFields[0]}`)

  peerId(env.sender, 'sender')
  const seq = safeInteger(env.seq, 'seq')
  if (seq < 1) throw new SchemaError('seq must be >= 1')
  const sentAtMs = safeInteger(env.sentAtMs, 'sentAtMs')

  const message: WireMessage = { version: env.version, topic: env.topic, sender: env.sender, seq, sentAtMs }
  if (expectedBody === TOPIC_BODY_FIELD[TOPICS.heartbeat]) {
    if (env.heartbeat === undefined) throw new SchemaError('heartbeat body missing')
    message.heartbeat = heartbeatFromWire(env.heartbeat)
  } else if (expectedBody === TOPIC_BODY_FIELD[TOPICS.election]) {
    if (env.election === undefined) throw new SchemaError('election body missing')
    message.election = electionFromWire(env.election, env.sender)
  }
  return message
}

const KIND_TO_NAME: Partial<Record<ElectionKind, ElectionKindName>> = {
  [ElectionKind.CLAIM]: 'claim',
  [ElectionKind.VOTE]: 'vote',
  [ElectionKind.LEAD]: 'lead',
  [ElectionKind.RESIGN]: 'resign',
  [ElectionKind.FENCE]: 'fence',
  [ElectionKind.PRE_CLAIM]: 'pre-claim',
  [ElectionKind.PRE_VOTE]: 'pre-vote'
}
const NAME_TO_KIND: Record<ElectionKindName, ElectionKind> = {
  claim: ElectionKind.CLAIM,
  vote: ElectionKind.VOTE,
  lead: ElectionKind.LEAD,
  resign: ElectionKind.RESIGN,
  fence: ElectionKind.FENCE,
  'pre-claim': ElectionKind.PRE_CLAIM,
  'pre-vote': ElectionKind.PRE_VOTE
}

export function electionKindToWire (name: ElectionKindName): ElectionKind {
  const kind = NAME_TO_KIND[name]
  if (kind === undefined) throw new SchemaError(`unknown election kind '${String(name)}'; expected one of ${Object.keys(NAME_TO_KIND).join(', ')}`)
  return kind
}

function term (value: bigint, where: string): number {
  if (value < 1n || value > BigInt(MAX_ELECTION_TERM)) throw new SchemaError(`${where} must be in 1..2^48, got ${value}`)
  return Number(value)
}

function signature (value: Uint8Array, where: string): void {
  if (value.length < 1 || value.length > MAX_SIGNATURE_BYTES) throw new SchemaError(`${where} must be 1..${MAX_SIGNATURE_BYTES} bytes, got ${value.length}`)
}

/**
 * Every kind carries exactly the fields it needs (anything else set is a schema error), and a certificate must be
 * exactly what it claims to be: distinct voters other than the candidate, each voting for (term, candidate,
 * electorate). The signatures are checked by the receiver (they need the voters' public keys), not here.
 */
function electionFromWire (e: Election, sender: string): ElectionBody {
  const kind = KIND_TO_NAME[e.kind]
  if (kind === undefined) throw new SchemaError(`election.kind ${String(e.kind)} is not claim, vote, lead, resign, fence, pre-claim or pre-vote`)
  const t = term(e.term, 'election.term')
  const wantCandidate = kind === 'vote' || kind === 'fence' || kind === 'pre-vote'
  if (wantCandidate) peerId(e.candidate, `${kind}.candidate`)
  // a lead may name the successor its leader nominates for the next term
  else if (kind === 'lead' && e.candidate !== '') peerId(e.candidate, 'lead.candidate')
  else if (e.candidate !== '') throw new SchemaError(`a ${kind} has no candidate`)
  if (kind === 'resign') {
    if (e.electorate !== 0) throw new SchemaError('a resign has no electorate')
  } else if (e.electorate < 1) {
    throw new SchemaError(`${kind}.electorate must be >= 1, got ${e.electorate}`)
  }
  if (kind === 'vote') signature(e.signature, 'vote.signature')
  else if (e.signature.length !== 0) throw new SchemaError(`a ${kind} carries no signature of its own`)
  if (e.pledge && kind !== 'vote') throw new SchemaError(`only a vote can be a pledge, not a ${kind}`)

  const certificate: SignedVoteBody[] = []
  if (kind === 'lead' || kind === 'fence') {
    if (e.certificate.length > MAX_CERTIFICATE_VOTES) throw new SchemaError(`a certificate holds at most ${MAX_CERTIFICATE_VOTES} votes, got ${e.certificate.length}`)
    if (e.certificate.length > e.electorate) throw new SchemaError(`certificate has ${e.certificate.length} votes for an electorate of ${e.electorate}`)
    if (kind === 'fence' && e.certificate.length === 0) throw new SchemaError('a fence needs a certificate')
    const winner = kind === 'lead' ? sender : e.candidate
    const voters = new Set<string>()
    e.certificate.forEach((v, i) => {
      const vote = signedVoteFromWire(v, `certificate[${i}]`)
      if (vote.term !== t || vote.candidate !== winner || vote.electorate !== e.electorate) {
        throw new SchemaError(`certificate[${i}] is a vote for (${vote.term}, ${vote.candidate}, ${vote.electorate}), not (${t}, ${winner}, ${e.electorate})`)
      }
      if (vote.from === winner || voters.has(vote.from)) throw new SchemaError(`certificate[${i}]: voter ${vote.from} repeated or is the candidate`)
      voters.add(vote.from)
      certificate.push(vote)
    })
  } else if (e.certificate.length !== 0) {
    throw new SchemaError(`a ${kind} carries no certificate`)
  }
  return { kind, term: t, candidate: e.candidate, electorate: e.electorate, signature: e.signature, certificate, ...(e.pledge ? { pledge: true } : {}) }
}

function signedVoteFromWire (v: SignedVote, where: string): SignedVoteBody {
  peerId(v.from, `${where}.from`)
  peerId(v.candidate, `${where}.candidate`)
  signature(v.signature, `${where}.signature`)
  return { from: v.from, term: term(v.term, `${where}.term`), candidate: v.candidate, electorate: v.electorate, signature: v.signature, ...(v.pledge ? { pledge: true } : {}) }
}

function heartbeatFromWire (hb: Heartbeat): HeartbeatBody {
  checkInterval(hb.intervalMs)
  if (hb.neighbours.length > MAX_NEIGHBOURS) throw new SchemaError(`at most ${MAX_NEIGHBOURS} neighbours, got ${hb.neighbours.length}`)
  if (hb.metrics === undefined) throw new SchemaError('heartbeat.metrics missing')
  return {
    intervalMs: hb.intervalMs,
    hidden: hb.hidden,
    neighbours: hb.neighbours.map((n, i) => neighbourFromWire(n, i)),
    metrics: metricsFromWire(hb.metrics),
    ...(hb.model !== undefined ? { model: modelHeadFromWire(hb.model) } : {}),
    ...(hb.leaving ? { leaving: true } : {})
  }
}

function modelHeadFromWire (m: WireModelHead): ModelHead {
  if (m.session.length === 0 || m.session.length > MAX_SESSION_LENGTH) throw new SchemaError(`model.session must be 1..${MAX_SESSION_LENGTH} characters, got ${m.session.length}`)
  if (m.digest.length === 0 || m.digest.length > MAX_DIGEST_LENGTH) throw new SchemaError(`model.digest must be 1..${MAX_DIGEST_LENGTH} characters, got ${m.digest.length}`)
  return { session: m.session, version: safeInteger(m.version, 'model.version'), term: safeInteger(m.term, 'model.term'), digest: m.digest, verified: m.verified }
}

function checkInterval (intervalMs: number): void {
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
    throw new SchemaError(`heartbeat.intervalMs must be an integer in ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS}, got ${intervalMs}`)
  }
}

function neighbourFromWire (n: Neighbour, index: number): NeighbourInfo {
  const where = `neighbours[${index}]`
  peerId(n.peerTail, `${where}.peerTail`, PEER_TAIL_LENGTH)
  nonNegativeFinite(n.rttMs, `${where}.rttMs`)
  ratio(n.loss, `${where}.loss`)
  return { peerId: n.peerTail, transport: TRANSPORT_TO_NAME[n.transport] ?? 'unknown', rttMs: n.rttMs, loss: n.loss }
}

const FLOAT_METRICS = ['rttMeanMs', 'rttMaxMs', 'eventLoopLagMs', 'msgsInPerS', 'msgsOutPerS', 'bytesInPerS', 'bytesOutPerS'] as const

function metricsFromWire (m: Metrics): MetricsSummary {
  for (const key of FLOAT_METRICS) nonNegativeFinite(m[key], `metrics.${key}`)
  ratio(m.lossRatio, 'metrics.lossRatio')
  return {
    rttMeanMs: m.rttMeanMs,
    rttMaxMs: m.rttMaxMs,
    lossRatio: m.lossRatio,
    eventLoopLagMs: m.eventLoopLagMs,
    heapUsedBytes: safeInteger(m.heapUsedBytes, 'metrics.heapUsedBytes'),
    msgsInPerS: m.msgsInPerS,
    msgsOutPerS: m.msgsOutPerS,
    bytesInPerS: m.bytesInPerS,
    bytesOutPerS: m.bytesOutPerS,
    directPeers: m.directPeers,
    relayedPeers: m.relayedPeers
  }
}
