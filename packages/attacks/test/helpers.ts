/** mulberry32, so every case is reproducible. */
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function gaussian (random: () => number): number {
  const u = 1 - random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

/** n honest deltas mu + N(0, sigma^2) per coordinate: the i.i.d. setting the robustness theorems assume. */
export function honestCloud (n: number, mu: Float32Array, sigma: number, random: () => number): Float32Array[] {
  return Array.from({ length: n }, () => Float32Array.from(mu, m => m + sigma * gaussian(random)))
}

export function dot (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!
  return s
}

export function norm (a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a))
}

export function distance (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let j = 0; j < a.length; j++) s += (a[j]! - b[j]!) ** 2
  return Math.sqrt(s)
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** A well-formed Ed25519 peer id string, deterministic per index. */
export function peerIdFor (index: number): string {
  const random = seededRandom(index * 7919 + 17)
  let id = '12D3KooW'
  while (id.length < 52) id += BASE58[Math.floor(random() * BASE58.length)]
  return id
}
