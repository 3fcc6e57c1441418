/** 2: heartbeats name neighbours by peer-id tail (PEER_TAIL_LENGTH characters), not the whole id. */
export const WIRE_VERSION = 2

export const TOPICS = {
  heartbeat: 'fedmesh/heartbeat/1',
  election: 'fedmesh/election/1'
} as const

export type TopicName = typeof TOPICS[keyof typeof TOPICS]

/** Default cap on one encoded message. */
export const MAX_MESSAGE_BYTES = 16 * 1024

/** Cap on an election message: a Lead or Fence carries a certificate of up to MAX_CERTIFICATE_VOTES signed votes. */
export const MAX_ELECTION_BYTES = 64 * 1024

/** Per-topic caps, so later topics (model updates) can allow larger messages than heartbeats. */
export const TOPIC_MAX_BYTES: Readonly<Record<string, number>> = {
  [TOPICS.heartbeat]: MAX_MESSAGE_BYTES,
  [TOPICS.election]: MAX_ELECTION_BYTES
}

/** Cap for `topic`; unknown topics get the default cap (they are rejected later anyway). */
export function maxBytesForTopic (topic: string): number {
  return Object.hasOwn(TOPIC_MAX_BYTES, topic) ? TOPIC_MAX_BYTES[topic] ?? MAX_MESSAGE_BYTES : MAX_MESSAGE_BYTES
}

export function isKnownTopic (topic: string): topic is TopicName {
  return Object.hasOwn(TOPIC_MAX_BYTES, topic)
}

export type TransportName = 'webrtc' | 'relayed' | 'websocket' | 'memory' | 'other' | 'unknown'

/**
 * How many trailing characters of a neighbour's peer id a heartbeat carries. The end of an Ed25519 peer id string is
 * base58 of the public key: 11 characters hold about 64 bits, so two of a few hundred peers share a tail with odds
 * near 1e-15, and a heartbeat with 8 neighbours shrinks from about 780 to 450 bytes (fewer SCTP packets per second,
 * which is what a tab's CPU follows; see docs/benchmarks.md).
 */
export const PEER_TAIL_LENGTH = 11

/** The part of `peerId` that a heartbeat carries for a neighbour. */
export function peerTail (peerId: string): string {
  return peerId.slice(-PEER_TAIL_LENGTH)
}

/** Do two ids name the same peer, when either may be a tail from a decoded heartbeat? */
export function samePeer (a: string, b: string): boolean {
  return peerTail(a) === peerTail(b)
}

export interface NeighbourInfo {
  /**
   * The neighbour's peer id when the node describes its own links; in a heartbeat decoded from the wire only its
   * tail (peerTail). Compare with samePeer().
   */
  peerId: string
  transport: TransportName
  rttMs: number
  /** Loss ratio in [0, 1]. */
  loss: number
}

export interface MetricsSummary {
  rttMeanMs: number
  rttMaxMs: number
  /** In [0, 1]. */
  lossRatio: number
  eventLoopLagMs: number
  heapUsedBytes: number
  msgsInPerS: number
  msgsOutPerS: number
  bytesInPerS: number
  bytesOutPerS: number
  directPeers: number
  relayedPeers: number
}

export interface HeartbeatBody {
  /** How often the sender means to send heartbeats. */
  intervalMs: number
  /** The sender's tab is hidden, so its timers may be throttled (1/s, or 1/min under intensive throttling). */
  hidden: boolean
  neighbours: NeighbourInfo[]
  metrics: MetricsSummary
  /** The global model the sender holds in its training session (absent until it begins one). */
  model?: ModelHead
  /**
   * The sender is going away now (a closing tab, a stopping node): drop it from membership at once rather than
   * waiting out failure detection. Sent once, with a sequence number reserved ahead of the sender's heartbeats.
   */
  leaving?: boolean
}

/** Which global model a node holds: advertised in heartbeats so a node that missed a model can catch up. */
export interface ModelHead {
  session: string
  version: number
  term: number
  /** digestWeights of the tensors (@fedmesh/updates). */
  digest: string
  /** The sender recomputed the model itself (false: the initial model, or one fetched on someone's word). */
  verified: boolean
}

export type ElectionKindName = 'claim' | 'vote' | 'lead' | 'resign' | 'fence' | 'pre-claim' | 'pre-vote'

/** A vote as carried inside a certificate: signed by its voter (`from`), so anyone can re-check it. */
export interface SignedVoteBody {
  from: string
  term: number
  candidate: string
  electorate: number
  signature: Uint8Array
  /** A succession pledge (docs/election.md); part of what the voter signed. */
  pledge?: boolean
}

/**
 * An election message (fields of @fedmesh/election's messages; the author is the envelope's sender).
 * `candidate` is the (pre-)vote's candidate, or the proven leader of a fence; empty for (pre-)claim, lead and resign.
 * `electorate` is 0 only for resign. `signature` is set only on votes; `certificate` only on leads and fences.
 */
export interface ElectionBody {
  kind: ElectionKindName
  term: number
  candidate: string
  electorate: number
  signature: Uint8Array
  certificate: SignedVoteBody[]
  /** Only on votes: the vote is a succession pledge. */
  pledge?: boolean
}

export interface WireMessage {
  version: number
  topic: string
  /** Peer id string of the author. */
  sender: string
  /** Per-sender sequence number, >= 1, increasing. */
  seq: number
  /** The author's wall clock (epoch ms) when sent. */
  sentAtMs: number
  heartbeat?: HeartbeatBody
  election?: ElectionBody
}

/** A message as delivered by gossipsub, before validation. */
export interface InboundMessage {
  /** Topic the message arrived on. */
  topic: string
  data: Uint8Array
  /** gossipsub-verified author (present for signed messages). */
  from?: string
  signed: boolean
}
