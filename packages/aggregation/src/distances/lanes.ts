/**
 * The canonical summation order of a squared Euclidean distance, shared by every kernel.
 *
 * Every honest node recomputes the coordinator's aggregate and compares bits, so a distance must not depend
 * on the kernel (WebAssembly SIMD or scalar JS), tiling, register blocking or engine. It is defined as
 *   even = Σ over even k of (a[k] - b[k])², odd = Σ over odd k of (a[k] - b[k])², each summed sequentially
 *   in increasing k in float64, and distance = even + odd.
 * Two lanes match f64x2 SIMD; each step is a plain IEEE-754 double operation (JS and wasm never fuse a
 * multiply-add), so the result is a pure function of the pair. It never overflows: float32 inputs are below
 * 3.5e38, so each square is below 1.3e78 and even 2^53 of them sum to less than 1.2e94, far below 1.8e308.
 *
 * Kernels keep each unordered pair (i < j) as two lanes at index 2 * (i * n + j) of a Float64Array of length 2n².
 */

/** Squared Euclidean distance of two equal-length vectors in the canonical order. */
export function squaredDistance (a: Float32Array, b: Float32Array): number {
  const length = a.length
  if (b.length !== length) {
    throw new RangeError(`squaredDistance needs vectors of equal length: got ${length} and ${b.length}`)
  }
  const evenLength = length - (length & 1)
  let even = 0
  let odd = 0
  for (let k = 0; k < evenLength; k += 2) {
    const de = a[k]! - b[k]!
    even += de * de
    const dodd = a[k + 1]! - b[k + 1]!
    odd += dodd * dodd
  }
  if (evenLength !== length) {
    const last = a[evenLength]! - b[evenLength]!
    even += last * last
  }
  return even + odd
}

/** Adds the final coordinate of odd-length vectors to lane 0 of every pair: it comes last in the even sequence. */
export function addOddTail (vectors: readonly Float32Array[], dimension: number, lanes: Float64Array): void {
  if ((dimension & 1) === 0) return
  const k = dimension - 1
  const n = vectors.length
  for (let i = 0; i < n; i++) {
    const x = vectors[i]![k]!
    for (let j = i + 1; j < n; j++) {
      const e = x - vectors[j]![k]!
      const at = 2 * (i * n + j)
      lanes[at] = lanes[at]! + e * e
    }
  }
}

/** Fills the symmetric n×n distance matrix from the pair lanes. */
export function combineLanes (n: number, lanes: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const at = 2 * (i * n + j)
      const distance = lanes[at]! + lanes[at + 1]!
      out[i * n + j] = distance
      out[j * n + i] = distance
    }
  }
}
