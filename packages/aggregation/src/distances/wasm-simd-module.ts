/**
 * A tiny WebAssembly SIMD module, assembled here byte by byte so the package stays TypeScript-only
 * (no binary blobs, no build step, no toolchain). Scalar JavaScript tops out near one multiply-add per
 * cycle in V8 (every typed-array load carries map, bounds and length checks); f64x2 lanes with a
 * 2×4 register block do two to three times that (see docs/parts/aggregation-bench.md).
 *
 * Exports, all addresses are byte offsets into the imported memory `env.memory`, where the current tile holds
 * one row of float32 per vector, `rowBytes` apart:
 *   pair1x1(a, b, len, lanes)             the pair (row at a, row at b)
 *   block2x4(a, b, len, lanesA, lanesC)   rows a and a+rowBytes against rows b, b+rowBytes, ..., b+3·rowBytes
 * For each pair (x, y) it adds (x[k] - y[k])² into the pair's two float64 lanes: even k into lane 0, odd k into
 * lane 1, sequentially in increasing k, continuing from the lane values already in memory. `len` is the byte
 * length to process (a positive multiple of 8: two float32 per step). block2x4 keeps the lanes of row a's four
 * pairs at lanesA + 16t and those of the second row at lanesC + 16t.
 *
 * f64x2.sub/mul/add are plain IEEE-754 double operations (wasm never fuses them), so these lanes equal
 * bit for bit what the scalar loops in js-kernel.ts and lanes.ts compute.
 */

const I32 = 0x7f
const V128 = 0x7b
const FUNC_TYPE = 0x60

const SECTION_TYPE = 1
const SECTION_IMPORT = 2
const SECTION_FUNCTION = 3
const SECTION_EXPORT = 7
const SECTION_CODE = 10

const OP_LOOP = 0x03
const OP_END = 0x0b
const OP_BR_IF = 0x0d
const OP_LOCAL_GET = 0x20
const OP_LOCAL_SET = 0x21
const OP_LOCAL_TEE = 0x22
const OP_I32_CONST = 0x41
const OP_I32_LT_U = 0x49
const OP_I32_ADD = 0x6a
const BLOCK_TYPE_EMPTY = 0x40
const SIMD_PREFIX = 0xfd
const SIMD_V128_LOAD = 0x00
const SIMD_V128_STORE = 0x0b
const SIMD_V128_LOAD64_ZERO = 0x5d
const SIMD_F64X2_PROMOTE_LOW_F32X4 = 0x5f
const SIMD_F64X2_ADD = 0xf0
const SIMD_F64X2_SUB = 0xf1
const SIMD_F64X2_MUL = 0xf2

type Bytes = number[]

function uleb (value: number): Bytes {
  const out: Bytes = []
  do {
    let byte = value & 0x7f
    value >>>= 7
    if (value !== 0) byte |= 0x80
    out.push(byte)
  } while (value !== 0)
  return out
}

function vector (items: Bytes[]): Bytes {
  return [...uleb(items.length), ...items.flat()]
}

function section (id: number, content: Bytes): Bytes {
  return [id, ...uleb(content.length), ...content]
}

function name (text: string): Bytes {
  return vector([...text].map(ch => [ch.charCodeAt(0)]))
}

const get = (index: number): Bytes => [OP_LOCAL_GET, ...uleb(index)]
const set = (index: number): Bytes => [OP_LOCAL_SET, ...uleb(index)]
const tee = (index: number): Bytes => [OP_LOCAL_TEE, ...uleb(index)]
const simd = (op: number, ...immediates: number[]): Bytes => [SIMD_PREFIX, ...uleb(op), ...immediates]
const loadLanes = (offset: number): Bytes => simd(SIMD_V128_LOAD, 4, ...uleb(offset))
const storeLanes = (offset: number): Bytes => simd(SIMD_V128_STORE, 4, ...uleb(offset))
/** Two float32 at address + offset, widened to an f64x2. */
const loadTwoFloat32 = (address: number, offset: number): Bytes =>
  [...get(address), ...simd(SIMD_V128_LOAD64_ZERO, 3, ...uleb(offset)), ...simd(SIMD_F64X2_PROMOTE_LOW_F32X4)]
/** lanes += (x - y)² with e as scratch. */
const accumulateSquaredDifference = (lanes: number, x: number, y: number, e: number): Bytes => [
  ...get(x), ...get(y), ...simd(SIMD_F64X2_SUB), ...tee(e), ...get(e), ...simd(SIMD_F64X2_MUL),
  ...get(lanes), ...simd(SIMD_F64X2_ADD), ...set(lanes)
]

/**
 * A rows×cols block kernel. Parameters: the first row's address, the first column's address, len, then one
 * lanes address per row. Rows (and columns) are consecutive in the tile, `rowBytes` apart, so they are reached
 * through constant load offsets: two address additions per step instead of one per vector.
 */
function blockFunction (rows: number, cols: number, rowBytes: number): Bytes {
  const rowParam = 0
  const colParam = 1
  const lenParam = 2
  const lanesParam = (r: number): number => 3 + r
  const p = 3 + rows
  const rowAddress = p + 1
  const colAddress = p + 2
  const acc = (r: number, c: number): number => p + 3 + r * cols + c
  const x = (r: number): number => p + 3 + rows * cols + r
  const q = p + 3 + rows * cols + rows
  const e = q + 1
  const v128Locals = rows * cols + rows + 2

  const body: Bytes[] = []
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) body.push(get(lanesParam(r)), loadLanes(16 * c), set(acc(r, c)))
  }
  body.push([OP_LOOP, BLOCK_TYPE_EMPTY])
  body.push(get(rowParam), get(p), [OP_I32_ADD], set(rowAddress), get(colParam), get(p), [OP_I32_ADD], set(colAddress))
  for (let r = 0; r < rows; r++) body.push(loadTwoFloat32(rowAddress, r * rowBytes), set(x(r)))
  for (let c = 0; c < cols; c++) {
    body.push(loadTwoFloat32(colAddress, c * rowBytes), set(q))
    for (let r = 0; r < rows; r++) body.push(accumulateSquaredDifference(acc(r, c), x(r), q, e))
  }
  body.push(get(p), [OP_I32_CONST, 8], [OP_I32_ADD], tee(p), get(lenParam), [OP_I32_LT_U], [OP_BR_IF, 0], [OP_END])
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) body.push(get(lanesParam(r)), get(acc(r, c)), storeLanes(16 * c))
  }
  body.push([OP_END])

  const locals = vector([[...uleb(3), I32], [...uleb(v128Locals), V128]])
  const code = [...locals, ...body.flat()]
  return [...uleb(code.length), ...code]
}

function functionType (paramCount: number): Bytes {
  return [FUNC_TYPE, ...vector(Array.from({ length: paramCount }, () => [I32])), ...vector([])]
}

export interface WasmDistanceExports {
  pair1x1: (a: number, b: number, len: number, lanes: number) => void
  block2x4: (a: number, b: number, len: number, lanesA: number, lanesC: number) => void
}

/** `rowBytes` is the distance between consecutive rows of the tile. */
export function assembleDistanceModule (rowBytes: number): Uint8Array<ArrayBuffer> {
  const bytes: Bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(SECTION_TYPE, vector([functionType(3 + 1), functionType(3 + 2)])),
    // (import "env" "memory" (memory 1))
    ...section(SECTION_IMPORT, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(SECTION_FUNCTION, vector([[0], [1]])),
    ...section(SECTION_EXPORT, vector([[...name('pair1x1'), 0x00, 0], [...name('block2x4'), 0x00, 1]])),
    ...section(SECTION_CODE, vector([blockFunction(1, 1, rowBytes), blockFunction(2, 4, rowBytes)]))
  ]
  return new Uint8Array(bytes)
}
