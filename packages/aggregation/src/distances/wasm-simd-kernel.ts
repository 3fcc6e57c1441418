import { TILE_LENGTH } from './tile.ts'
import { assembleDistanceModule } from './wasm-simd-module.ts'
import type { WasmDistanceExports } from './wasm-simd-module.ts'

const PAGE_BYTES = 65536
const ROW_BYTES = TILE_LENGTH * 4
/** Beyond this the n×n lanes table would be huge (n above ~8000); the JS kernel needs no extra memory. */
export const WASM_MEMORY_LIMIT_BYTES = 1 << 30

interface WasmKernel {
  memory: WebAssembly.Memory
  exports: WasmDistanceExports
}

// undefined: not tried yet; null: this engine cannot compile or run the module.
let kernel: WasmKernel | null | undefined

/** Compiles the module once; false where WebAssembly or its SIMD proposal is missing or a CSP forbids wasm. */
export function wasmSimdAvailable (): boolean {
  return loadKernel() !== null
}

export function wasmMemoryBytesNeeded (n: number): number {
  return 16 * n * n + n * ROW_BYTES
}

function loadKernel (): WasmKernel | null {
  if (kernel !== undefined) return kernel
  try {
    const bytes = assembleDistanceModule(ROW_BYTES)
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) {
      kernel = null
      return kernel
    }
    const memory = new WebAssembly.Memory({ initial: 1 })
    // Synchronous compilation is fine: the module is well under a kilobyte.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    kernel = { memory, exports: instance.exports as unknown as WasmDistanceExports }
  } catch {
    kernel = null
  }
  return kernel
}

/**
 * Accumulates the even-length prefix of every pair's lanes with the SIMD kernel and returns them
 * (a view into wasm memory, valid until the next call). Memory layout: the lanes table (16n² bytes),
 * then one tile of every vector (n rows of TILE_LENGTH float32) copied in per tile.
 */
export function accumulatePairLanesWasm (vectors: readonly Float32Array[], dimension: number): Float64Array {
  const loaded = loadKernel()
  if (loaded === null) throw new Error('WebAssembly SIMD is not available in this engine; use the js distance kernel')
  const { memory, exports } = loaded
  const n = vectors.length
  const needed = wasmMemoryBytesNeeded(n)
  if (needed > WASM_MEMORY_LIMIT_BYTES) {
    throw new RangeError(`the wasm distance kernel would need ${needed} bytes for n=${n}; use the js kernel`)
  }
  if (memory.buffer.byteLength < needed) {
    memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE_BYTES))
  }
  // Views are taken after growing: growing detaches the old buffer.
  const lanes = new Float64Array(memory.buffer, 0, 2 * n * n)
  lanes.fill(0)
  const rowsBase = 16 * n * n
  const rows = new Float32Array(memory.buffer, rowsBase, n * TILE_LENGTH)
  const { pair1x1, block2x4 } = exports
  const lanesAt = (i: number, j: number): number => 16 * (i * n + j)
  const rowAt = (i: number): number => rowsBase + i * ROW_BYTES

  const evenLength = dimension - (dimension & 1)
  for (let start = 0; start < evenLength; start += TILE_LENGTH) {
    const end = Math.min(evenLength, start + TILE_LENGTH)
    const len = (end - start) * 4
    for (let i = 0; i < n; i++) rows.set(vectors[i]!.subarray(start, end), i * TILE_LENGTH)
    // Two rows against four columns at a time; the leftovers pair by pair. Rows in steps of two cover every
    // pair i < j: (i, i+1) directly, (i, j) and (i+1, j) for j >= i+2; a last odd row has no j > i.
    for (let i = 0; i + 1 < n; i += 2) {
      const a = rowAt(i)
      const c = rowAt(i + 1)
      pair1x1(a, c, len, lanesAt(i, i + 1))
      let j = i + 2
      for (; j + 3 < n; j += 4) {
        block2x4(a, rowAt(j), len, lanesAt(i, j), lanesAt(i + 1, j))
      }
      for (; j < n; j++) {
        pair1x1(a, rowAt(j), len, lanesAt(i, j))
        pair1x1(c, rowAt(j), len, lanesAt(i + 1, j))
      }
    }
  }
  return lanes
}
