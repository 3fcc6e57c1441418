/**
 * Shared numeric helpers. Determinism contract (every honest node recomputes the coordinator's aggregate
 * and must get the same bits): inputs arrive sorted by id, all accumulation is in float64 in an order fixed by
 * that sorting or by sorted values, only IEEE-754 +, -, *, / and Math.sqrt are used (all correctly rounded
 * on every engine; no Math.pow/exp/hypot, which engines approximate differently), and each result is rounded
 * once to float32 at the end.
 */

/**
 * acc[k] += x_i[k] for the vectors at `indices`, one after another in that order. Four rows share each
 * read-modify-write of acc[k]; the parenthesised additions keep the order exactly sequential, so the bits
 * equal those of adding one vector at a time.
 */
export function addInOrder (acc: Float64Array, vectors: readonly Float32Array[], indices: readonly number[]): void {
  const dimension = acc.length
  let r = 0
  for (; r + 3 < indices.length; r += 4) {
    const a = vectors[indices[r]!]!
    const b = vectors[indices[r + 1]!]!
    const c = vectors[indices[r + 2]!]!
    const e = vectors[indices[r + 3]!]!
    for (let k = 0; k < dimension; k++) acc[k] = (((acc[k]! + a[k]!) + b[k]!) + c[k]!) + e[k]!
  }
  for (; r < indices.length; r++) {
    const a = vectors[indices[r]!]!
    for (let k = 0; k < dimension; k++) acc[k] = acc[k]! + a[k]!
  }
}

/** acc[k] += weights[r] * x_r[k] for the vectors at `indices`, in that order (same blocking as addInOrder). */
export function addWeightedInOrder (acc: Float64Array, vectors: readonly Float32Array[], indices: readonly number[], weights: readonly number[]): void {
  const dimension = acc.length
  let r = 0
  for (; r + 3 < indices.length; r += 4) {
    const a = vectors[indices[r]!]!; const wa = weights[r]!
    const b = vectors[indices[r + 1]!]!; const wb = weights[r + 1]!
    const c = vectors[indices[r + 2]!]!; const wc = weights[r + 2]!
    const e = vectors[indices[r + 3]!]!; const we = weights[r + 3]!
    for (let k = 0; k < dimension; k++) acc[k] = (((acc[k]! + wa * a[k]!) + wb * b[k]!) + wc * c[k]!) + we * e[k]!
  }
  for (; r < indices.length; r++) {
    const a = vectors[indices[r]!]!
    const w = weights[r]!
    for (let k = 0; k < dimension; k++) acc[k] = acc[k]! + w * a[k]!
  }
}

/** Mean of the vectors at the given indices, summed in the order given. */
export function meanOf (vectors: readonly Float32Array[], indices: readonly number[], dimension: number): Float64Array {
  const acc = new Float64Array(dimension)
  addInOrder(acc, vectors, indices)
  const count = indices.length
  for (let k = 0; k < dimension; k++) acc[k] = acc[k]! / count
  return acc
}

/** Rounds each value to float32 (round-half-to-even, identical on every engine). */
export function toFloat32 (values: Float64Array): Float32Array {
  return new Float32Array(values)
}

/** Σ (x[k] - centre[k])², sequentially in float64. */
export function squaredDistanceToCentre (x: Float32Array, centre: Float64Array): number {
  let sum = 0
  for (let k = 0; k < centre.length; k++) {
    const e = x[k]! - centre[k]!
    sum += e * e
  }
  return sum
}

/** Below this, insertion sort beats the built-in sort on the small columns the coordinate-wise rules sort. */
const INSERTION_SORT_MAX = 128

/**
 * Sorts values[0..length) ascending in place. Inputs are finite, so the sorted sequence is unique up to the
 * order of -0 and +0, which only the id-determined input order decides — deterministic either way.
 */
export function sortAscending (values: Float64Array, length: number): void {
  if (length > INSERTION_SORT_MAX) {
    values.subarray(0, length).sort()
    return
  }
  for (let i = 1; i < length; i++) {
    const v = values[i]!
    let j = i - 1
    while (j >= 0 && values[j]! > v) {
      values[j + 1] = values[j]!
      j--
    }
    values[j + 1] = v
  }
}

/**
 * Rearranges values[from..to) so that values[k] is the value that would be there if the range were sorted,
 * everything in the range before it is <= it and everything after is >= it, and returns it
 * (quickselect with median-of-three pivots, insertion sort for short ranges).
 */
export function selectKth (values: Float64Array, from: number, to: number, k: number): number {
  let lo = from
  let hi = to - 1
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1
    // Order values[lo] <= values[mid] <= values[hi]: the ends then act as sentinels for the scans below.
    if (values[mid]! < values[lo]!) swap(values, mid, lo)
    if (values[hi]! < values[lo]!) swap(values, hi, lo)
    if (values[hi]! < values[mid]!) swap(values, hi, mid)
    const pivot = values[mid]!
    swap(values, mid, lo + 1)
    let i = lo + 1
    let j = hi
    while (true) {
      do i++; while (values[i]! < pivot)
      do j--; while (values[j]! > pivot)
      if (j < i) break
      swap(values, i, j)
    }
    values[lo + 1] = values[j]!
    values[j] = pivot
    // Now values[lo..j) <= pivot = values[j] <= values(j..hi].
    if (j === k) return pivot
    if (j > k) hi = j - 1
    else lo = j + 1
  }
  for (let i = lo + 1; i <= hi; i++) {
    const v = values[i]!
    let j = i - 1
    while (j >= lo && values[j]! > v) {
      values[j + 1] = values[j]!
      j--
    }
    values[j + 1] = v
  }
  return values[k]!
}

function swap (values: Float64Array, a: number, b: number): void {
  const t = values[a]!
  values[a] = values[b]!
  values[b] = t
}

/** Indices 0..n-1. */
export function range (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}
