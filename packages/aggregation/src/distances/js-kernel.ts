import { TILE_LENGTH } from './tile.ts'

/**
 * Scalar fallback for engines without WebAssembly SIMD (or where a Content-Security-Policy forbids compiling
 * wasm). Same lanes and order as the SIMD kernel (see lanes.ts), so both give bit-identical distances.
 * Accumulates the even-length prefix of every pair into `lanes`; the caller adds an odd final coordinate.
 */
export function accumulatePairLanesJs (vectors: readonly Float32Array[], dimension: number, lanes: Float64Array): void {
  const n = vectors.length
  const evenLength = dimension - (dimension & 1)
  // Tiles over the coordinates keep one slice of every vector cache-resident while all pairs visit it.
  for (let start = 0; start < evenLength; start += TILE_LENGTH) {
    const end = Math.min(evenLength, start + TILE_LENGTH)
    for (let i = 0; i < n; i++) {
      const a = vectors[i]!
      let j = i + 1
      for (; j + 3 < n; j += 4) {
        block1x4(a, vectors[j]!, vectors[j + 1]!, vectors[j + 2]!, vectors[j + 3]!, start, end, lanes, 2 * (i * n + j))
      }
      for (; j < n; j++) pair1x1(a, vectors[j]!, start, end, lanes, 2 * (i * n + j))
    }
  }
}

// One row against four columns: each loaded a[k] serves four pairs. The lanes of pairs (i, j..j+3) are contiguous.
function block1x4 (a: Float32Array, b0: Float32Array, b1: Float32Array, b2: Float32Array, b3: Float32Array,
  start: number, end: number, lanes: Float64Array, at: number): void {
  let even0 = lanes[at]!; let odd0 = lanes[at + 1]!
  let even1 = lanes[at + 2]!; let odd1 = lanes[at + 3]!
  let even2 = lanes[at + 4]!; let odd2 = lanes[at + 5]!
  let even3 = lanes[at + 6]!; let odd3 = lanes[at + 7]!
  for (let k = start; k < end; k += 2) {
    const xe = a[k]!
    const xo = a[k + 1]!
    let e = xe - b0[k]!; even0 += e * e
    e = xo - b0[k + 1]!; odd0 += e * e
    e = xe - b1[k]!; even1 += e * e
    e = xo - b1[k + 1]!; odd1 += e * e
    e = xe - b2[k]!; even2 += e * e
    e = xo - b2[k + 1]!; odd2 += e * e
    e = xe - b3[k]!; even3 += e * e
    e = xo - b3[k + 1]!; odd3 += e * e
  }
  lanes[at] = even0; lanes[at + 1] = odd0
  lanes[at + 2] = even1; lanes[at + 3] = odd1
  lanes[at + 4] = even2; lanes[at + 5] = odd2
  lanes[at + 6] = even3; lanes[at + 7] = odd3
}

function pair1x1 (a: Float32Array, b: Float32Array, start: number, end: number, lanes: Float64Array, at: number): void {
  let even = lanes[at]!
  let odd = lanes[at + 1]!
  for (let k = start; k < end; k += 2) {
    let e = a[k]! - b[k]!
    even += e * e
    e = a[k + 1]! - b[k + 1]!
    odd += e * e
  }
  lanes[at] = even
  lanes[at + 1] = odd
}
