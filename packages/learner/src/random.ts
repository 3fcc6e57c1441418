/**
 * Seeded randomness. Every node of a session must derive the same initial model and the same data partition
 * from the session seed, in Node and in browsers alike, so nothing here may touch Math.random.
 */

/** A uniform generator in [0, 1). */
export type Random = () => number

/** Mix integers into one 32-bit seed (murmur3-style finaliser per part), so (seed, 1) and (seed, 2) are unrelated. */
export function mixSeed (...parts: number[]): number {
  let h = 0x9e3779b9
  for (const part of parts) {
    if (!Number.isInteger(part)) throw new RangeError(`seeds must be integers, got ${part}`)
    // split into low/high words so seeds above 2^32 still contribute all their bits
    for (const word of [part >>> 0, Math.floor(part / 0x100000000) >>> 0]) {
      let k = Math.imul(word, 0xcc9e2d51)
      k = (k << 15) | (k >>> 17)
      h ^= Math.imul(k, 0x1b873593)
      h = (h << 13) | (h >>> 19)
      h = (Math.imul(h, 5) + 0xe6546b64) | 0
    }
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** mulberry32: small, fast, good enough for shuffles and initialisation (not for cryptography). */
export function seededRandom (seed: number): Random {
  let state = mixSeed(seed)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal sample (Box–Muller). */
export function normal (random: Random): number {
  const u = 1 - random() // (0, 1]: log(0) would be -Infinity
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/**
 * Gamma(shape, 1) sample by Marsaglia & Tsang (2000); for shape < 1 uses Gamma(shape + 1) * U^(1/shape),
 * which is what makes small Dirichlet concentrations (alpha = 0.1) possible.
 */
export function gamma (shape: number, random: Random): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be a finite number > 0, got ${shape}`)
  if (shape < 1) {
    const u = 1 - random()
    return gamma(shape + 1, random) * Math.pow(u, 1 / shape)
  }
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(random)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - random()
    if (u < 1 - 0.0331 * x * x * x * x) return d * v
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v
  }
}

/** Dirichlet(alpha, ..., alpha) sample of dimension k via normalised gamma draws. */
export function symmetricDirichlet (k: number, alpha: number, random: Random): Float64Array {
  const draws = new Float64Array(k)
  let sum = 0
  for (let i = 0; i < k; i++) {
    draws[i] = gamma(alpha, random)
    sum += draws[i]!
  }
  if (sum === 0) {
    // every draw underflowed (possible for tiny alpha): the limit is all mass on one component
    draws[Math.floor(random() * k)] = 1
    return draws
  }
  for (let i = 0; i < k; i++) draws[i]! /= sum
  return draws
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T extends number[] | Uint32Array | Int32Array> (items: T, random: Random): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
  return items
}
