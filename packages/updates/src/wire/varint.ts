/** Unsigned LEB128 varints for top-k indices (values < 2^32, at most 5 bytes each). */

/** Encodes top-k indices (strictly increasing) as: the first index, then each gap minus one. */
export function encodeIndexGaps (indices: Uint32Array): Uint8Array {
  const out = new Uint8Array(indices.length * 5)
  let at = 0
  let previous = -1
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number
    if (index <= previous) throw new RangeError(`top-k indices must be strictly increasing: ${index} after ${previous}`)
    let v = index - previous - 1
    previous = index
    while (v >= 0x80) {
      out[at++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    out[at++] = v
  }
  return out.slice(0, at)
}

/**
 * Inverse of encodeIndexGaps. Throws a RangeError on a truncated or over-long varint or an index that
 * reaches `limit` (the tensor's element count), so the result is always strictly increasing and in range.
 */
export function decodeIndexGaps (bytes: Uint8Array, limit: number): Uint32Array {
  // Every index takes at least one byte, so bytes.length bounds the count: one pass, no regrowth.
  const scratch = new Uint32Array(Math.min(bytes.length, limit))
  let count = 0
  let previous = -1
  let pos = 0
  while (pos < bytes.length) {
    let value = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (i === 5) throw new RangeError(`index varint longer than 5 bytes at offset ${pos}`)
      if (pos >= bytes.length) throw new RangeError('truncated index varint')
      const b = bytes[pos++] as number
      value += (b & 0x7f) * scale
      if (b < 0x80) break
      scale *= 128
    }
    const index = previous + 1 + value
    if (index >= limit) throw new RangeError(`top-k index ${index} out of range for ${limit} elements`)
    scratch[count++] = index
    previous = index
  }
  return scratch.slice(0, count)
}
