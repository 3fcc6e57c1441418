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
