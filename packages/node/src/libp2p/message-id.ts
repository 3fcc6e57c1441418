/**
 * Gossipsub message ids for fedmesh's StrictSign topics.
 *
 * Gossipsub's StrictSign id is the author's protobuf-encoded public key plus the 8-byte seqno: 44 bytes for an
 * Ed25519 author. Every IHAVE lists the ids of the recent messages: at 20 tabs (19 heartbeats and 3 election leads
 * a second, 6 s of them advertised) an IHAVE to one peer is about 130 ids, 6 KiB at 44 bytes each.
 * Ours is 16 bytes: the last 8 bytes of the author's public key, then the seqno. Two honest authors share an id only
 * if their keys share those 8 bytes and their seqnos (wall-clock nanoseconds at start, then counting) coincide; a
 * forger who wanted to shadow a victim's messages by reusing its ids would have to grind an Ed25519 key with the
 * victim's last 64 bits (2^64 tries). Every node must use the same function: it is part of the protocol
 * (docs/protocol.md).
 */
import { toString } from 'uint8arrays/to-string'

export const MESSAGE_ID_BYTES = 16
const KEY_TAIL_BYTES = 8

interface SignedMessageLike {
  type?: string
  from?: { publicKey?: { raw: Uint8Array }, toMultihash?: () => { bytes: Uint8Array } }
  sequenceNumber?: bigint
}

export function messageId (msg: SignedMessageLike): Uint8Array {
  // gossipsub drops unsigned messages before asking for an id (StrictSign); refuse rather than invent one
  if (msg.type !== 'signed' || msg.from == null || msg.sequenceNumber == null) throw new Error('fedmesh message ids need a signed message with a seqno')
  const key = msg.from.publicKey?.raw ?? msg.from.toMultihash?.().bytes
  if (key == null || key.length < KEY_TAIL_BYTES) throw new Error('fedmesh message ids need the author\'s public key')
  const id = new Uint8Array(MESSAGE_ID_BYTES)
  id.set(key.subarray(key.length - KEY_TAIL_BYTES), 0)
  new DataView(id.buffer).setBigUint64(KEY_TAIL_BYTES, BigInt.asUintN(64, msg.sequenceNumber))
  return id
}

/**
 * Every copy of a message (one per mesh peer) is signature-checked before the seen-cache lookup unless a fast id
 * lets duplicates be dropped first. StrictSign messages carry author + seqno in the clear, so this id is exact, not
 * a hash, and cheap: no signature or key work.
 */
export function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array, data?: Uint8Array }): string {
  if (msg.from == null || msg.seqno == null) return `nosig:${msg.data?.byteLength ?? 0}:${Math.random()}`
  return toString(msg.from, 'base64') + toString(msg.seqno, 'base16')
}

/**
 * The id `messageId` will give a received message, read from the raw RPC message before its signature is checked:
 * the author field is the peer id's multihash, which ends with the public key (Ed25519 and secp256k1 ids embed it;
 * an RSA id is a hash, and messageId then uses its tail too), and the seqno is 8 big-endian bytes.
 * Gossipsub (patched) uses it to send a large message's IDONTWANT on receipt. Undefined when the fields do not have
 * that shape: the IDONTWANT then waits for validation as usual.
 */
export function idontwantMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array }): Uint8Array | undefined {
  if (msg.from == null || msg.seqno == null || msg.from.length < KEY_TAIL_BYTES || msg.seqno.length !== 8) return undefined
  const id = new Uint8Array(MESSAGE_ID_BYTES)
  id.set(msg.from.subarray(msg.from.length - KEY_TAIL_BYTES), 0)
  id.set(msg.seqno, KEY_TAIL_BYTES)
  return id
}
