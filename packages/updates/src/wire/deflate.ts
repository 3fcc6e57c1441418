/**
 * Lossless compression of int8 tensor bytes (raw DEFLATE, RFC 1951, by fflate: synchronous and the same in a tab, a
 * worker and Node). An mnist delta's int8 bytes deflate to about 46 % (docs/benchmarks.md): many entries are exactly
 * 0 (weights of inputs that are always 0) and the rest are small.
 */
import { deflateSync, Inflate } from 'fflate'

/** fflate's fastest level: on int8 deltas within 2 % of level 6's size. */
const LEVEL = 1
/**
 * Compressed bytes fed to the inflater at a time. DEFLATE expands at most 1032:1, so a step writes at most ~4 MiB
 * before the length check below runs: a hostile stream (a "zip bomb") costs its receiver that much, not its full
 * expansion.
 */
const STEP = 4096

/** `bytes` deflated, or undefined when that would not make them smaller (then they go as they are). */
export function deflateIfSmaller (bytes: Uint8Array): Uint8Array | undefined {
  const deflated = deflateSync(bytes, { level: LEVEL })
  return deflated.length < bytes.length ? deflated : undefined
}

/**
 * Inflates `deflated`, which must expand to exactly `length` bytes: more, less, or a broken stream throws a RangeError
 * naming the problem. Stops as soon as the output passes `length`.
 */
export function inflateExactly (deflated: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let written = 0
  let tooLong = false
  const inflater = new Inflate((data) => {
    if (tooLong) return
    if (written + data.length > length) { tooLong = true; return }
    out.set(data, written)
    written += data.length
  })
  try {
    for (let at = 0; at < deflated.length && !tooLong; at += STEP) {
      const end = Math.min(at + STEP, deflated.length)
      inflater.push(deflated.subarray(at, end), end === deflated.length)
    }
  } catch (err) {
    throw new RangeError(`deflated values do not inflate: ${(err as Error).message}`)
  }
  if (tooLong) throw new RangeError(`deflated values inflate to more than ${length} bytes`)
  if (written !== length) throw new RangeError(`deflated values inflate to ${written} bytes, expected ${length}`)
  return out
}
