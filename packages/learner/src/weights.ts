import { mixSeed, seededRandom } from './random.ts'
import type { ModelSpec } from './spec.ts'

/** One weight tensor, row-major. Kernels are [inputs, units], biases [units]. */
export interface NamedWeight {
  name: string
  shape: number[]
  data: Float32Array
}

/** A whole model's weights (or a delta) in layout order; this is what goes over the wire and into aggregation. */
export type NamedWeights = NamedWeight[]

export interface WeightSlot {
  name: string
  shape: number[]
}

/** Names and shapes of every weight tensor of `spec`, in the fixed order used for flattening. */
export function weightLayout (spec: ModelSpec): WeightSlot[] {
  const layout: WeightSlot[] = []
  for (const net of spec.networks) {
    let inputs = net.inputShape[0]
    net.layers.forEach((layer, i) => {
      layout.push({ name: `${net.name}/dense${i}/kernel`, shape: [inputs, layer.units] })
      layout.push({ name: `${net.name}/dense${i}/bias`, shape: [layer.units] })
      inputs = layer.units
    })
  }
  return layout
}

function sizeOf (shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

export function parameterCount (layout: readonly WeightSlot[]): number {
  return layout.reduce((sum, slot) => sum + sizeOf(slot.shape), 0)
}

/**
 * Version 0 of the global model: Glorot-uniform kernels and zero biases from a generator seeded by spec.seed.
 * Plain JS (no tfjs), so a coordinator can derive it without a backend and every node gets bit-identical values.
 */
export function initialWeights (spec: ModelSpec): NamedWeights {
  const random = seededRandom(mixSeed(spec.seed, 0x696e6974))
  return weightLayout(spec).map(({ name, shape }) => {
    const data = new Float32Array(sizeOf(shape))
    if (shape.length === 2) {
      const limit = Math.sqrt(6 / (shape[0]! + shape[1]!))
      for (let i = 0; i < data.length; i++) data[i] = (2 * random() - 1) * limit
    }
    return { name, shape: [...shape], data }
  })
}

/** Throws unless `weights` has exactly the names and shapes of `layout` (`what` names the argument in the message). */
export function assertLayout (weights: NamedWeights, layout: readonly WeightSlot[], what = 'weights'): void {
  if (!Array.isArray(weights) || weights.length !== layout.length) {
    throw new RangeError(`${what}: expected ${layout.length} tensors (${layout.map(s => s.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`)
  }
  layout.forEach((slot, i) => {
    const w = weights[i]!
    if (w.name !== slot.name) throw new RangeError(`${what}[${i}]: expected tensor '${slot.name}', got '${w.name}'`)
    if (w.shape.length !== slot.shape.length || w.shape.some((d, k) => d !== slot.shape[k])) {
      throw new RangeError(`${what}[${i}] '${slot.name}': expected shape [${slot.shape.join(', ')}], got [${w.shape.join(', ')}]`)
    }
    if (!(w.data instanceof Float32Array) || w.data.length !== sizeOf(slot.shape)) {
      throw new RangeError(`${what}[${i}] '${slot.name}': expected a Float32Array of ${sizeOf(slot.shape)} values`)
    }
  })
}

function layoutOf (weights: NamedWeights): WeightSlot[] {
  return weights.map(w => ({ name: w.name, shape: w.shape }))
}

/** Deep copy (new buffers: safe to transfer to a worker without detaching the original). */
export function cloneWeights (weights: NamedWeights): NamedWeights {
  return weights.map(w => ({ name: w.name, shape: [...w.shape], data: w.data.slice() }))
}

/** a − b, tensor by tensor: the update a node sends is `subtractWeights(local, global)`. */
export function subtractWeights (a: NamedWeights, b: NamedWeights): NamedWeights {
  assertLayout(b, layoutOf(a), 'subtractWeights second argument')
  return a.map((w, i) => {
    const other = b[i]!.data
    const data = new Float32Array(w.data.length)
    for (let k = 0; k < data.length; k++) data[k] = w.data[k]! - other[k]!
    return { name: w.name, shape: [...w.shape], data }
  })
}

/** a + scale * b: applies an aggregated delta to the global model (`addWeights(global, aggregate)`). */
export function addWeights (a: NamedWeights, b: NamedWeights, scale = 1): NamedWeights {
  assertLayout(b, layoutOf(a), 'addWeights second argument')
  return a.map((w, i) => {
    const other = b[i]!.data
    const data = new Float32Array(w.data.length)
    for (let k = 0; k < data.length; k++) data[k] = w.data[k]! + scale * other[k]!
    return { name: w.name, shape: [...w.shape], data }
  })
}

/** Concatenate in layout order: the flat vector aggregation rules (Krum, median, ...) work on. */
export function flattenWeights (weights: NamedWeights): Float32Array {
  const flat = new Float32Array(weights.reduce((sum, w) => sum + w.data.length, 0))
  let offset = 0
  for (const w of weights) {
    flat.set(w.data, offset)
    offset += w.data.length
  }
  return flat
}

/** Inverse of flattenWeights for a known layout (e.g. an aggregated delta back into tensors). */
export function unflattenWeights (flat: Float32Array, layout: readonly WeightSlot[]): NamedWeights {
  const total = parameterCount(layout)
  if (flat.length !== total) throw new RangeError(`unflattenWeights: layout has ${total} parameters, vector has ${flat.length}`)
  let offset = 0
  return layout.map(({ name, shape }) => {
    const size = sizeOf(shape)
    const data = flat.slice(offset, offset + size)
    offset += size
    return { name, shape: [...shape], data }
  })
}
