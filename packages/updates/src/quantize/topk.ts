/** How many entries top-k keeps of n: round(fraction · n), at least 1 (for a non-empty tensor), at most n. */
export function topkCount (n: number, fraction: number): number {
  if (n === 0) return 0
  return Math.min(n, Math.max(1, Math.round(fraction * n)))
}

/**
 * Flat indices (ascending) of the k largest-magnitude entries. Ties at the threshold magnitude are broken
 * towards lower indices, so the choice is deterministic. O(n) expected: a selection finds the k-th largest
 * magnitude, then one pass collects the indices; no full sort.
 */
export function topkIndices (values: Float32Array, k: number): Uint32Array {
  const n = values.length
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`top-k needs an integer k in 0..${n}, got ${k}`)
  const out = new Uint32Array(k)
  if (k === 0) return out
  const magnitudes = new Float32Array(n)
  for (let i = 0; i < n; i++) magnitudes[i] = Math.abs(values[i] as number)
  select(magnitudes, n - k, 0, n - 1)
  const threshold = magnitudes[n - k] as number

  let above = 0
  for (let i = 0; i < n; i++) if (Math.abs(values[i] as number) > threshold) above++
  let tiesLeft = k - above
  let at = 0
  for (let i = 0; i < n; i++) {
    const a = Math.abs(values[i] as number)
    if (a > threshold || (a === threshold && tiesLeft-- > 0)) out[at++] = i
  }
  return out
}

/**
 * Floyd–Rivest selection (the variant popularised by mourner/quickselect): rearranges `a` so that a[k] is
 * the value a full ascending sort would put there, smaller values before it and larger after.
 * Inputs are finite (quantizeDelta rejects NaN before calling this).
 */
function select (a: Float32Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > 600) {
      // Recurse on a small sample around the expected position to pick a good pivot range.
      const n = right - left + 1
      const m = k - left + 1
      const z = Math.log(n)
      const s = 0.5 * Math.exp(2 * z / 3)
      const sd = 0.5 * Math.sqrt(z * s * (n - s) / n) * (m - n / 2 < 0 ? -1 : 1)
      const newLeft = Math.max(left, Math.floor(k - m * s / n + sd))
      const newRight = Math.min(right, Math.floor(k + (n - m) * s / n + sd))
      select(a, k, newLeft, newRight)
    }
    const t = a[k] as number
    let i = left
    let j = right
    swap(a, left, k)
    if ((a[right] as number) > t) swap(a, left, right)
    while (i < j) {
      swap(a, i, j)
      i++
      j--
      while ((a[i] as number) < t) i++
      while ((a[j] as number) > t) j--
    }
    if (a[left] === t) swap(a, left, j)
    else { j++; swap(a, j, right) }
    if (j <= k) left = j + 1
    if (k <= j) right = j - 1
  }
}

function swap (a: Float32Array, i: number, j: number): void {
  const tmp = a[i] as number
  a[i] = a[j] as number
  a[j] = tmp
}
