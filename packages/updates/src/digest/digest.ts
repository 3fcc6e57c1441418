import { sha256 } from './sha256.ts'

/** Length of a payload digest: SHA-256, 32 bytes (64 hex characters). */
export const DIGEST_BYTES = 32

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number]
  return out
}

/** Parses lower- or upper-case hex; returns undefined for anything else (odd length, stray characters). */
export function fromHex (hex: string): Uint8Array | undefined {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

export function isDigestHex (value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}

/**
 * SHA-256 of an encoded payload (ModelUpdate or GlobalModel bytes) as lower-case hex. This is the update id
 * that chunks carry and that the coordinator lists in the global model, so every node can recompute the
 * aggregate from exactly the same updates. Synchronous pure JS: see sha256.ts for why.
 */
export function digestUpdate (payload: Uint8Array): string {
  return toHex(sha256(payload))
}

/**
 * Same digest through WebCrypto when the context has it (Node 20, browsers on https/localhost), which is
 * faster for multi-megabyte payloads and does not block the thread; falls back to the pure implementation.
 */
export async function digestUpdateAsync (payload: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle
  if (subtle === undefined) return digestUpdate(payload)
  // subtle.digest wants a BufferSource backed by an ArrayBuffer; copy views of shared/other buffers
  const input = payload.buffer instanceof ArrayBuffer ? payload as Uint8Array<ArrayBuffer> : payload.slice()
  return toHex(new Uint8Array(await subtle.digest('SHA-256', input)))
}

/**
 * SHA-256 hex of model weights in a canonical form: per tensor, its name (UTF-8, length-prefixed), its rank and
 * dimensions (uint32 little-endian), then its values as little-endian float32. Two nodes holding bit-identical
 * weights get the same digest, so a verifier compares digests instead of shipping or diffing tensors, and a late
 * joiner checks a model fetched from any neighbour against the digest the coordinator announced.
 */
export function digestWeights (tensors: ReadonlyArray<{ name: string, shape: readonly number[], data: Float32Array }>): string {
  const encoder = new TextEncoder()
  const names = tensors.map(t => encoder.encode(t.name))
  let length = 0
  tensors.forEach((t, i) => { length += 4 + (names[i] as Uint8Array).length + 4 + 4 * t.shape.length + 4 * t.data.length })
  const out = new Uint8Array(length)
  const view = new DataView(out.buffer)
  let pos = 0
  tensors.forEach((t, i) => {
    const name = names[i] as Uint8Array
    view.setUint32(pos, name.length, true); pos += 4
    out.set(name, pos); pos += name.length
    view.setUint32(pos, t.shape.length, true); pos += 4
    for (const d of t.shape) { view.setUint32(pos, d, true); pos += 4 }
    for (let j = 0; j < t.data.length; j++) { view.setFloat32(pos, t.data[j] as number, true); pos += 4 }
  })
  return toHex(sha256(out))
}
