/**
 * `/fedmesh/updates/1.0.0`: a verifier asks a direct neighbour for model updates that gossip never brought it (a
 * global model lists their digests, so without them the model cannot be recomputed and would be rejected).
 *
 * Request: one length-prefixed frame (at most MAX_REQUEST_BYTES), UTF-8 JSON, one of
 * - `{"session": string, "round": number, "digests": string[]}`: these updates (1 to MAX_DIGESTS digests);
 * - `{"session": string, "round": number, "except": string[]}`: every update of the round the neighbour holds but
 *   these (0 to MAX_EXCEPT digests; the reply holds at most MAX_DIGESTS updates). A coordinator short of
 *   minParticipants asks this: it cannot name an update it never heard of, and its author's periodic copies stop at
 *   the first nodes that hold it (docs/protocol.md).
 * Reply: length-prefixed frames, each one update chunk exactly as its author published it on gossipsub (the
 * RPC.Message protobuf: from, data, seqno, topic, signature), then an empty frame. Chunks the neighbour does not hold
 * are simply absent.
 *
 * The requester checks every author signature itself (openSignedMessage): a neighbour can withhold updates but
 * cannot forge or alter one, so a fetched update is worth exactly as much as a gossiped one.
 */
import { isDigestHex } from '@fedmesh/updates'
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { peerIdFromPrivateKey, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import type { SignedMessage } from '@libp2p/gossipsub'
import type { Connection, PrivateKey, PublicKey, Stream } from '@libp2p/interface'

export const UPDATE_FETCH_PROTOCOL = '/fedmesh/updates/1.0.0'
export const MAX_DIGESTS = 64
/** As many as a round announcement may list as held (MAX_HELD_DIGESTS): a coordinator names all it holds. */
export const MAX_EXCEPT = 256
export const MAX_REQUEST_BYTES = 128 + MAX_EXCEPT * 67

/** gossipsub's StrictSign signs "libp2p-pubsub:" followed by the message without its signature and key. */
const SIGN_PREFIX = uint8ArrayFromString('libp2p-pubsub:')

/** Named updates, or (`except`) every update of the round the neighbour holds but those named. */
export type UpdateRequest =
  | { session: string, round: number, digests: string[] }
  | { session: string, round: number, except: string[] }

export function encodeUpdateRequest (r: UpdateRequest): Uint8Array {
  const which = 'digests' in r ? { digests: r.digests } : { except: r.except }
  return new TextEncoder().encode(JSON.stringify({ session: r.session, round: r.round, ...which }))
}

const digestList = (v: unknown, min: number, max: number): v is string[] =>
  Array.isArray(v) && v.length >= min && v.length <= max && v.every(isDigestHex)

/** Never throws: undefined for anything but a well-formed request. */
export function decodeUpdateRequest (bytes: Uint8Array): UpdateRequest | undefined {
  if (bytes.byteLength > MAX_REQUEST_BYTES) return undefined
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
    if (typeof v !== 'object' || v === null) return undefined
    const { session, round, digests, except } = v as Record<string, unknown>
    if (typeof session !== 'string' || typeof round !== 'number' || !Number.isInteger(round) || round < 1) return undefined
    if (digests !== undefined && except !== undefined) return undefined
    if (except !== undefined) return digestList(except, 0, MAX_EXCEPT) ? { session, round, except } : undefined
    return digestList(digests, 1, MAX_DIGESTS) ? { session, round, digests } : undefined
  } catch {
    return undefined
  }
}

/** The bytes a neighbour serves for a chunk it received: the author's signed gossipsub message. */
export function encodeSignedMessage (msg: SignedMessage): Uint8Array {
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, BigInt.asUintN(64, msg.sequenceNumber))
  return RPC.Message.encode({
    from: msg.from.toMultihash().bytes,
    data: msg.data,
    seqno,
    topic: msg.topic,
    signature: msg.signature,
    // an Ed25519 peer id carries its key; other key types need it spelled out
    ...(msg.from.publicKey === undefined ? { key: publicKeyToProtobuf(msg.key) } : {})
  })
}

/**
 * This node's own chunk, signed as gossipsub's StrictSign would sign it (with a seqno of its own): gossipsub does not
 * hand back what it published, and a node is the one sure holder of its own update.
 */
export async function signOwnMessage (key: PrivateKey, topic: string, data: Uint8Array): Promise<Uint8Array> {
  const from = peerIdFromPrivateKey(key).toMultihash().bytes
  const seqno = crypto.getRandomValues(new Uint8Array(8))
  const signature = await key.sign(uint8ArrayConcat([SIGN_PREFIX, RPC.Message.encode({ from, data, seqno, topic })]))
  return RPC.Message.encode({ from, data, seqno, topic, signature })
}

export type OpenedMessage =
  | { ok: true, from: string, data: Uint8Array }
  | { ok: false, reason: 'malformed' | 'wrong-topic' | 'unsigned' | 'bad-key' | 'bad-signature', detail: string }

/** Checks a served message as gossipsub's StrictSign would have. Never throws. */
export async function openSignedMessage (bytes: Uint8Array, topic: string): Promise<OpenedMessage> {
  let msg: RPC.Message
  try {
    msg = RPC.Message.decode(bytes)
  } catch (err: any) {
    return { ok: false, reason: 'malformed', detail: String(err?.message ?? err) }
  }
  if (msg.topic !== topic) return { ok: false, reason: 'wrong-topic', detail: `topic '${msg.topic.slice(0, 64)}', expected '${topic}'` }
  if (msg.from == null || msg.signature == null || msg.seqno?.byteLength !== 8 || msg.data == null) {
    return { ok: false, reason: 'unsigned', detail: 'needs from, data, an 8-byte seqno and a signature' }
  }
  let key: PublicKey | undefined
  let from: string
  try {
    const author = peerIdFromString(uint8ArrayToString(msg.from, 'base58btc'))
    from = author.toString()
    key = msg.key != null ? publicKeyFromProtobuf(msg.key) : author.publicKey
    if (key === undefined) return { ok: false, reason: 'bad-key', detail: `no public key for ${from}` }
    if (msg.key != null && !peerIdFromPublicKey(key).equals(author)) return { ok: false, reason: 'bad-key', detail: `the key is not ${from}'s` }
  } catch (err: any) {
    return { ok: false, reason: 'bad-key', detail: String(err?.message ?? err) }
  }
  const signed = uint8ArrayConcat([SIGN_PREFIX, RPC.Message.encode({ from: msg.from, data: msg.data, seqno: msg.seqno, topic: msg.topic })])
  let valid = false
  try {
    valid = await key.verify(signed, msg.signature)
  } catch {}
  if (!valid) return { ok: false, reason: 'bad-signature', detail: `not signed by ${from}` }
  return { ok: true, from, data: msg.data }
}

/** Serve one request: `lookup` gives the signed chunks this node holds for the requested digests. */
export async function serveUpdateRequest (stream: Stream, lookup: (r: UpdateRequest) => Uint8Array[], timeoutMs: number): Promise<{ outcome: 'served' | 'not-held' | 'bad-request', chunks: number }> {
  const signal = AbortSignal.timeout(timeoutMs)
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
  try {
    const request = decodeUpdateRequest((await lp.read({ signal })).subarray())
    if (request === undefined) {
      stream.abort(new Error('bad update request'))
      return { outcome: 'bad-request', chunks: 0 }
    }
    const chunks = lookup(request)
    for (const c of chunks) await lp.write(c, { signal })
    await lp.write(new Uint8Array(0), { signal })
    await stream.close({ signal })
    return { outcome: chunks.length === 0 ? 'not-held' : 'served', chunks: chunks.length }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Ask `connection`'s peer for updates; resolves to the frames it served (unchecked: see openSignedMessage). */
export async function requestUpdates (connection: Connection, request: UpdateRequest, limits: { maxFrameBytes: number, maxFrames: number }, timeoutMs: number): Promise<Uint8Array[]> {
  const signal = AbortSignal.timeout(timeoutMs)
  const stream = await connection.newStream(UPDATE_FETCH_PROTOCOL, { signal })
  try {
    const lp = lpStream(stream, { maxDataLength: limits.maxFrameBytes })
    await lp.write(encodeUpdateRequest(request), { signal })
    const frames: Uint8Array[] = []
    for (;;) {
      const frame = (await lp.read({ signal })).subarray()
      if (frame.byteLength === 0) break
      if (frames.length >= limits.maxFrames) throw new Error(`more than ${limits.maxFrames} chunks served`)
      frames.push(frame)
    }
    await stream.close({ signal }).catch(() => {})
    return frames
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/**
 * The signed update chunks this node received, by round and payload digest, so that it can hand them to a
 * neighbour that missed them. Bounded: rounds before the session's update window are forgotten, and past maxBytes
 * the oldest rounds go first.
 */
export class SignedChunkArchive {
  private readonly rounds = new Map<number, Map<string, Map<number, Uint8Array>>>()
  private bytes = 0

  constructor (private readonly maxBytes: number) {}

  get size (): { rounds: number, bytes: number } {
    return { rounds: this.rounds.size, bytes: this.bytes }
  }

  add (round: number, digest: string, index: number, encoded: Uint8Array): void {
    let byDigest = this.rounds.get(round)
    if (byDigest === undefined) this.rounds.set(round, byDigest = new Map())
    let chunks = byDigest.get(digest)
    if (chunks === undefined) byDigest.set(digest, chunks = new Map())
    if (chunks.has(index)) return
    chunks.set(index, encoded)
    this.bytes += encoded.byteLength
    while (this.bytes > this.maxBytes && this.rounds.size > 1) this.forget(Math.min(...this.rounds.keys()))
  }

  /** The chunks held for these digests of `round`, in index order. */
  get (round: number, digests: readonly string[]): Uint8Array[] {
    const byDigest = this.rounds.get(round)
    if (byDigest === undefined) return []
    return digests.flatMap(d => [...(byDigest.get(d)?.entries() ?? [])].sort((a, b) => a[0] - b[0]).map(e => e[1]))
  }

  /**
   * The chunks held for every digest of `round` but those in `except` (at most `maxDigests` of them, as many as a
   * requester takes in one reply), by digest, each in index order.
   */
  allBut (round: number, except: readonly string[], maxDigests = MAX_DIGESTS): Uint8Array[] {
    const skip = new Set(except)
    return this.get(round, [...this.rounds.get(round)?.keys() ?? []].filter(d => !skip.has(d)).slice(0, maxDigests))
  }

  forgetBefore (round: number): void {
    for (const r of [...this.rounds.keys()]) if (r < round) this.forget(r)
  }

  private forget (round: number): void {
    for (const chunks of this.rounds.get(round)?.values() ?? []) for (const c of chunks.values()) this.bytes -= c.byteLength
    this.rounds.delete(round)
  }
}
