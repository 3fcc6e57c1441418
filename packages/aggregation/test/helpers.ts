import type { ClientUpdate } from '../src/index.ts'

/** mulberry32: a small seeded PRNG so every property trial is reproducible. */
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

export function shuffled<T> (items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

export function randomVectors (n: number, dimension: number, random: () => number, scale = 1): Float32Array[] {
  return Array.from({ length: n }, () => Float32Array.from({ length: dimension }, () => (random() * 2 - 1) * scale))
}

/** Updates with ids "u00", "u01", ... in vector order and one sample each unless given. */
export function updates (vectors: readonly (Float32Array | number[])[], samples?: number[]): ClientUpdate[] {
  return vectors.map((v, i) => ({
    id: `u${String(i).padStart(2, '0')}`,
    delta: v instanceof Float32Array ? v : Float32Array.from(v),
    samples: samples?.[i] ?? 1
  }))
}

/** Exact bit equality of two float32 vectors (distinguishes -0 from +0). */
export function sameBits (a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length)
  return x.every((v, i) => v === y[i])
}

/** Per-coordinate [min, max] over the given vectors. */
export function coordinateRange (vectors: readonly Float32Array[]): { min: Float32Array, max: Float32Array } {
  const dimension = vectors[0]!.length
  const min = new Float32Array(dimension).fill(Infinity)
  const max = new Float32Array(dimension).fill(-Infinity)
  for (const v of vectors) {
    for (let k = 0; k < dimension; k++) {
      if (v[k]! < min[k]!) min[k] = v[k]!
      if (v[k]! > max[k]!) max[k] = v[k]!
    }
  }
  return { min, max }
}
