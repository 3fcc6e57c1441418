import { pairwiseSquaredDistances } from '../distances/pairwise.ts'
import type { DistanceKernel } from '../distances/pairwise.ts'
import { addInOrder, range } from '../vector-math.ts'

/**
 * Nearest-neighbour mixing (Allouah et al. 2023, "Fixing by Mixing"): replaces each update by the mean of its
 * n-f nearest updates (itself included, ties broken by id), summed in id order and rounded to float32.
 * Mixing shrinks the spread of the honest updates relative to the Byzantine ones, which tightens the guarantees
 * of the robust rule applied afterwards. Costs O(n²d), like Krum.
 */
export function nearestNeighbourMixing (vectors: readonly Float32Array[], f: number, kernel: DistanceKernel): Float32Array[] {
  const n = vectors.length
  const dimension = vectors[0]?.length ?? 0
  const distances = pairwiseSquaredDistances(vectors, { kernel })
  const neighbours = n - f
  const acc = new Float64Array(dimension)
  return range(n).map(i => {
    const nearest = range(n)
      .sort((a, b) => {
        const difference = distances[i * n + a]! - distances[i * n + b]!
        return difference !== 0 ? difference : a - b
      })
      .slice(0, neighbours)
      .sort((a, b) => a - b)
    acc.fill(0)
    addInOrder(acc, vectors, nearest)
    const mixed = new Float32Array(dimension)
    for (let k = 0; k < dimension; k++) mixed[k] = acc[k]! / neighbours
    return mixed
  })
}
