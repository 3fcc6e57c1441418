/**
 * The rendezvous protocol: a tab asks the relay "which other tabs hold a reservation here?" and gets a random sample.
 * One request and one response per stream, each a length-prefixed JSON object with a version and a size cap.
 * It is a control exchange with one trusted-enough party (the relay), so JSON keeps it debuggable; the relay never
 * carries gossip.
 */
export const RENDEZVOUS_PROTOCOL = '/fedmesh/rendezvous/1.0.0'
export const RENDEZVOUS_VERSION = 1
export const MAX_RENDEZVOUS_BYTES = 32 * 1024
export const MAX_RENDEZVOUS_PEERS = 200

export interface RendezvousRequest { v: number, limit: number }
export interface RendezvousResponse { v: number, peers: string[] }

const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,128}$|^[a-z2-7]{32,128}$/

export class RendezvousError extends Error {
  override name = 'RendezvousError'
}

export function encodeJson (value: unknown): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(value))
  if (bytes.byteLength > MAX_RENDEZVOUS_BYTES) throw new RendezvousError(`rendezvous message of ${bytes.byteLength} bytes exceeds ${MAX_RENDEZVOUS_BYTES}`)
  return bytes
}

function parse (bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength > MAX_RENDEZVOUS_BYTES) throw new RendezvousError('rendezvous message too large')
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new RendezvousError('rendezvous message is not JSON')
  }
  if (typeof value !== 'object' || value == null || Array.isArray(value)) throw new RendezvousError('rendezvous message is not an object')
  const record = value as Record<string, unknown>
  if (record.v !== RENDEZVOUS_VERSION) throw new RendezvousError(`unsupported rendezvous version ${String(record.v)}`)
  return record
}

export function decodeRequest (bytes: Uint8Array): RendezvousRequest {
  const r = parse(bytes)
  const limit = r.limit
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new RendezvousError('rendezvous request needs an integer limit >= 1')
  return { v: RENDEZVOUS_VERSION, limit: Math.min(limit, MAX_RENDEZVOUS_PEERS) }
}

export function decodeResponse (bytes: Uint8Array): RendezvousResponse {
  const r = parse(bytes)
  const peers = r.peers
  if (!Array.isArray(peers) || peers.length > MAX_RENDEZVOUS_PEERS) throw new RendezvousError('rendezvous response needs a peers array')
  for (const p of peers) {
    if (typeof p !== 'string' || !PEER_ID.test(p)) throw new RendezvousError('rendezvous response holds an invalid peer id')
  }
  return { v: RENDEZVOUS_VERSION, peers: peers as string[] }
}

/** Pick up to `limit` items uniformly at random (partial Fisher-Yates), so every tab sees a different sample. */
export function sample<T> (items: readonly T[], limit: number, random: () => number = Math.random): T[] {
  const copy = items.slice()
  const n = Math.min(limit, copy.length)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (copy.length - i))
    const tmp = copy[i] as T
    copy[i] = copy[j] as T
    copy[j] = tmp
  }
  return copy.slice(0, n)
}
