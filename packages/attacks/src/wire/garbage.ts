import type { Random } from '../model/view.ts'

/**
 * Garbage payload: `length` random bytes where an encoded model update belongs. Publish it with
 * chunkPayload(bytes, routing) from @fedmesh/updates, so the chunks themselves are well formed and the bytes
 * reach the payload decoder, which must drop them with a counted reason.
 */
export function garbagePayload (length: number, random: Random): Uint8Array {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`garbagePayload: length must be a positive integer, got ${length}`)
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}
