import { mixSeed, seededRandom, shuffleInPlace, symmetricDirichlet } from '../../random.ts'
import { MNIST_CLASSES, mnistLabels, mnistSplit } from './dataset.ts'

export type PartitionMode = 'iid' | 'dirichlet'

export interface PartitionOptions {
  mode: PartitionMode
  /**
   * Dirichlet concentration (mode 'dirichlet'): each class is split across nodes in proportions drawn from
   * Dir(alpha, ..., alpha), as in Hsu et al. 2019. Small alpha (0.1) gives nodes a few classes each; large alpha
   * (100) approaches IID.
   */
  alpha?: number
  seed: number
  /** Every node gets at least this many items (default 1): samples move from the largest nodes to fill the rest. */
  minPerNode?: number
}

/**
 * Split `items` (dataset indices) across `nodes` nodes. `labelOf[item]` is the item's class.
 * - iid: classes are shuffled and dealt round-robin, so sizes differ by at most one and every node gets
 *   each class in (nearly) the global proportion.
 * - dirichlet: label skew by Dirichlet(alpha) proportions per class.
 * Deterministic for a given seed; every item goes to exactly one node.
 */
export function partition (
  items: ArrayLike<number>,
  labelOf: ArrayLike<number>,
  nodes: number,
  options: PartitionOptions
): Uint32Array[] {
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`partition needs an integer number of nodes >= 1, got ${nodes}`)
  const minPerNode = options.minPerNode ?? 1
  if (minPerNode * nodes > items.length) {
    throw new RangeError(`cannot give ${nodes} nodes at least ${minPerNode} items each from ${items.length} items`)
  }
  const random = seededRandom(mixSeed(options.seed, 0x7061))
  const byClass = new Map<number, number[]>()
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!
    const label = labelOf[item]
    if (label === undefined) throw new RangeError(`partition: item ${item} has no label`)
    let list = byClass.get(label)
    if (list === undefined) byClass.set(label, list = [])
    list.push(item)
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b)
  const shares: number[][] = Array.from({ length: nodes }, () => [])

  if (options.mode === 'iid') {
    let next = 0
    for (const label of classes) {
      for (const item of shuffleInPlace(byClass.get(label)!, random)) shares[next++ % nodes]!.push(item)
    }
  } else if (options.mode === 'dirichlet') {
    const alpha = options.alpha
    if (alpha === undefined || !(alpha > 0) || !Number.isFinite(alpha)) {
      throw new RangeError(`dirichlet partition needs a finite alpha > 0, got ${alpha}`)
    }
    for (const label of classes) {
      const list = shuffleInPlace(byClass.get(label)!, random)
      const proportions = symmetricDirichlet(nodes, alpha, random)
      // cumulative boundaries, so the shares always add up to the whole class
      let cumulative = 0
      let start = 0
      for (let node = 0; node < nodes; node++) {
        cumulative += proportions[node]!
        const end = node === nodes - 1 ? list.length : Math.min(list.length, Math.round(cumulative * list.length))
        for (let k = start; k < end; k++) shares[node]!.push(list[k]!)
        start = Math.max(start, end)
      }
    }
  } else {
    throw new RangeError(`unknown partition mode ${String(options.mode)}; use 'iid' or 'dirichlet'`)
  }

  fillSmallShares(shares, minPerNode)
  return shares.map(share => Uint32Array.from(share))
}

/** Move items from the largest shares to any share below the minimum (deterministic: lowest node index first). */
function fillSmallShares (shares: number[][], minPerNode: number): void {
  for (const share of shares) {
    while (share.length < minPerNode) {
      let largest = shares[0]!
      for (const candidate of shares) if (candidate.length > largest.length) largest = candidate
      share.push(largest.pop()!)
    }
  }
}

export interface MnistPartitionOptions extends PartitionOptions {
  testSize?: number
  trainSize?: number
}

/** Per-node training indices into the mnist dataset: `mnistSplit` then `partition` of its train part. */
export function mnistPartition (nodes: number, options: MnistPartitionOptions): Uint32Array[] {
  const { train } = mnistSplit(options)
  return partition(train, mnistLabels(), nodes, options)
}

/** Class histogram of some items (length = number of classes). */
export function classCounts (items: ArrayLike<number>, labelOf: ArrayLike<number>, classes = MNIST_CLASSES): number[] {
  const counts = new Array<number>(classes).fill(0)
  for (let k = 0; k < items.length; k++) {
    const label = labelOf[items[k]!]!
    counts[label] = (counts[label] ?? 0) + 1
  }
  return counts
}
