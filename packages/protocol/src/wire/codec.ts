import { Envelope } from './fedmesh.ts'
import { electionKindToWire, envelopeToWireMessage, MAX_DIGEST_LENGTH, MAX_SESSION_LENGTH, SchemaError, transportToWire } from './schema.ts'
import { scanEnvelope, WireFormatError } from './structure.ts'
import type { EnvelopeStructure } from './structure.ts'
import { maxBytesForTopic, peerTail, TOPICS, WIRE_VERSION } from './types.ts'
import type { ElectionBody, HeartbeatBody, ModelHead, SignedVoteBody, WireMessage } from './types.ts'

export interface DecodedEnvelope {
  envelope: Envelope
  structure: EnvelopeStructure
}

/** Wire-level decode only (no semantic checks). Throws WireFormatError (or a protons error) on bad bytes. */
export function decodeEnvelope (bytes: Uint8Array): DecodedEnvelope {
  const structure = scanEnvelope(bytes)
  const envelope = Envelope.decode(bytes)
  return { envelope, structure }
}

export class WireDecodeError extends Error {
  readonly reason: 'malformed' | 'unsupported-version' | 'schema'
  constructor (reason: 'malformed' | 'unsupported-version' | 'schema', message: string) {
    super(message)
    this.name = 'WireDecodeError'
    this.reason = reason
  }
}

/**
 * Decodes and schema-checks one message, without the per-receiver checks (topic of arrival, signature,
 * freshness, replay) that MessageValidator adds. Throws WireDecodeError.
 */
export function decodeWireMessage (bytes: Uint8Array): WireMessage {
  let decoded: DecodedEnvelope
  try {
    decoded = decodeEnvelope(bytes)
  } catch (err) {
    throw new WireDecodeError('malformed', errorText(err))
  }
  if (decoded.envelope.version !== WIRE_VERSION) {
    throw new WireDecodeError('unsupported-version', `unsupported wire version ${decoded.envelope.version}, this peer speaks ${WIRE_VERSION}`)
  }
  try {
    return envelopeToWireMessage(decoded.envelope, decoded.structure.bodyFields)
  } catch (err) {
    throw new WireDecodeError('schema', errorText(err))
  }
}

/**
 * Encodes a message for publishing. Throws a RangeError/TypeError naming the field if the message is one
 * that receivers would reject (non-integer counters, NaN metrics, bad peer ids, ...) or if it exceeds the
 * topic's size cap.
 */
export function encodeWireMessage (msg: WireMessage): Uint8Array {
  uint32(msg.version, 'version')
  safeUint(msg.seq, 'seq')
  safeUint(msg.sentAtMs, 'sentAtMs')
  const envelope: Envelope = {
    version: msg.version,
    topic: msg.topic,
    sender: msg.sender,
    seq: BigInt(msg.seq),
    sentAtMs: BigInt(msg.sentAtMs)
  }
  if (msg.heartbeat !== undefined) envelope.heartbeat = heartbeatToWire(msg.heartbeat)
  if (msg.election !== undefined) envelope.election = electionToWire(msg.election)

  const bytes = Envelope.encode(envelope)
  const cap = maxBytesForTopic(msg.topic)
  if (bytes.length > cap) {
    throw new RangeError(`encoded message is ${bytes.length} bytes, over the ${cap}-byte cap for topic '${msg.topic}'`)
  }
  // Round-trip through the receiver's checks so a bad field fails here, loudly, rather than being
  // silently dropped by every neighbour (float32 rounding can also turn a huge finite number into Infinity).
  try {
    decodeWireMessage(bytes)
  } catch (err) {
    throw new RangeError(`message would be rejected by receivers: ${errorText(err)}`)
  }
  return bytes
}

export interface HeartbeatToSend {
  /** Defaults to TOPICS.heartbeat. */
  topic?: string
  sender: string
  seq: number
  sentAtMs: number
  heartbeat: HeartbeatBody
}

export function encodeHeartbeat (h: HeartbeatToSend): Uint8Array {
  return encodeWireMessage({
    version: WIRE_VERSION,
    topic: h.topic ?? TOPICS.heartbeat,
    sender: h.sender,
    seq: h.seq,
    sentAtMs: h.sentAtMs,
    heartbeat: h.heartbeat
  })
}

export interface ElectionToSend {
  sender: string
  seq: number
  sentAtMs: number
  election: ElectionBody
}

export function encodeElection (e: ElectionToSend): Uint8Array {
  return encodeWireMessage({ version: WIRE_VERSION, topic: TOPICS.election, sender: e.sender, seq: e.seq, sentAtMs: e.sentAtMs, election: e.election })
}

const VOTE_DOMAIN = 'fedmesh/election/1 vote'

/**
 * The bytes a voter signs: domain, voter, term, candidate, electorate, and `|pledge` for a succession pledge (so that
 * nobody can turn a pledge into a plain vote, which counts everywhere). Peer ids are base58/base32 (no '|'), so the
 * joined string is unambiguous. Signed with the voter's libp2p key, a vote inside a certificate can be re-checked by
 * anyone who never saw the voter's gossip message.
 */
export function electionVoteSigningBytes (vote: { from: string, term: number, candidate: string, electorate: number, pledge?: boolean }): Uint8Array {
  return new TextEncoder().encode(`${VOTE_DOMAIN}|${vote.from}|${vote.term}|${vote.candidate}|${vote.electorate}${vote.pledge === true ? '|pledge' : ''}`)
}

function electionToWire (e: ElectionBody): NonNullable<Envelope['election']> {
  safeUint(e.term, 'election.term')
  uint32(e.electorate, 'election.electorate')
  return {
    kind: electionKindToWire(e.kind),
    term: BigInt(e.term),
    candidate: e.candidate,
    electorate: e.electorate,
    signature: new Uint8Array(e.signature),
    pledge: e.pledge === true,
    certificate: e.certificate.map((v: SignedVoteBody, i) => {
      safeUint(v.term, `certificate[${i}].term`)
      uint32(v.electorate, `certificate[${i}].electorate`)
      return { from: v.from, term: BigInt(v.term), candidate: v.candidate, electorate: v.electorate, signature: new Uint8Array(v.signature), pledge: v.pledge === true }
    })
  }
}

function heartbeatToWire (hb: HeartbeatBody): NonNullable<Envelope['heartbeat']> {
  uint32(hb.intervalMs, 'heartbeat.intervalMs')
  const m = hb.metrics
  if (m === undefined || m === null) throw new TypeError('heartbeat.metrics is required')
  safeUint(m.heapUsedBytes, 'metrics.heapUsedBytes')
  uint32(m.directPeers, 'metrics.directPeers')
  uint32(m.relayedPeers, 'metrics.relayedPeers')
  const head = hb.model
  const headProblem = head === undefined ? undefined : modelHeadProblem(head)
  if (headProblem !== undefined) throw new RangeError(headProblem)
  return {
    ...(head !== undefined ? { model: { session: head.session, version: BigInt(head.version), term: BigInt(head.term), digest: head.digest, verified: head.verified } } : {}),
    intervalMs: hb.intervalMs,
    hidden: hb.hidden,
    leaving: hb.leaving === true,
    neighbours: hb.neighbours.map(n => ({
      peerTail: peerTail(n.peerId),
      transport: transportToWire(n.transport),
      rttMs: n.rttMs,
      loss: n.loss
    })),
    metrics: {
      rttMeanMs: m.rttMeanMs,
      rttMaxMs: m.rttMaxMs,
      lossRatio: m.lossRatio,
      eventLoopLagMs: m.eventLoopLagMs,
      heapUsedBytes: BigInt(m.heapUsedBytes),
      msgsInPerS: m.msgsInPerS,
      msgsOutPerS: m.msgsOutPerS,
      bytesInPerS: m.bytesInPerS,
      bytesOutPerS: m.bytesOutPerS,
      directPeers: m.directPeers,
      relayedPeers: m.relayedPeers
    }
  }
}

function uint32 (value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${field} must be an integer in 0..2^32-1, got ${value}`)
  }
}

/** Why a heartbeat's model head cannot be sent (the same bounds the decoder enforces), or undefined if it can. */
export function modelHeadProblem (head: ModelHead): string | undefined {
  for (const field of ['version', 'term'] as const) {
    const v = head[field]
    if (!Number.isSafeInteger(v) || v < 0) return `model.${field} must be a non-negative safe integer, got ${v}`
  }
  if (head.session.length === 0 || head.session.length > MAX_SESSION_LENGTH) return `model.session must be 1..${MAX_SESSION_LENGTH} characters`
  if (head.digest.length === 0 || head.digest.length > MAX_DIGEST_LENGTH) return `model.digest must be 1..${MAX_DIGEST_LENGTH} characters`
  return undefined
}

function safeUint (value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative safe integer, got ${value}`)
  }
}

export function errorText (err: unknown): string {
  if (err instanceof WireFormatError || err instanceof SchemaError) return err.message
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}
