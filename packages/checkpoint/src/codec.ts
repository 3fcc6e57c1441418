import { CheckpointCorruptError, validateCheckpoint } from './checkpoint.ts'
import type { Checkpoint } from './checkpoint.ts'

/**
 * One checkpoint as bytes (IndexedDB record value, file contents):
 *
 *   magic "FMCP" | u8 format version (1) | 3 zero bytes | u32 header length | header (UTF-8 JSON)
 *   | zero padding to a multiple of 4 | float32 values of every tensor, little-endian, in header order
 *   | u32 CRC-32 of everything before it
 *
 * The CRC catches truncation and bit rot that would otherwise load as a plausible but wrong model.
 */
const MAGIC = [0x46, 0x4d, 0x43, 0x50] // "FMCP"
const FORMAT = 1
const PREFIX = 12
/** No checkpoint header comes near this; a larger claim is corruption, not a model. */
const MAX_HEADER_BYTES = 1 << 20

interface Header {
  session: string
  version: number
  round: number
  term: number
  savedAt: number
  tensors: Array<{ name: string, shape: number[] }>
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 (IEEE), as zlib and PNG compute it. */
export function crc32 (bytes: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

export function encodeCheckpoint (checkpoint: Checkpoint): Uint8Array {
  const cp = validateCheckpoint(checkpoint)
  const header: Header = {
    session: cp.session,
    version: cp.version,
    round: cp.round,
    term: cp.term,
    savedAt: cp.savedAt,
    tensors: cp.weights.map(w => ({ name: w.name, shape: [...w.shape] }))
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header))
  const dataStart = align4(PREFIX + headerBytes.length)
  const values = cp.weights.reduce((sum, w) => sum + w.data.length, 0)
  const total = dataStart + values * 4 + 4
  const bytes = new Uint8Array(total)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  view.setUint8(4, FORMAT)
  view.setUint32(8, headerBytes.length, true)
  bytes.set(headerBytes, PREFIX)
  let offset = dataStart
  for (const w of cp.weights) {
    for (let k = 0; k < w.data.length; k++, offset += 4) view.setFloat32(offset, w.data[k]!, true)
  }
  view.setUint32(offset, crc32(bytes.subarray(0, offset)), true)
  return bytes
}

/** Inverse of encodeCheckpoint; throws CheckpointCorruptError saying what is wrong with the bytes. */
export function decodeCheckpoint (input: Uint8Array | ArrayBuffer): Checkpoint {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input)
  const bad = (detail: string): never => { throw new CheckpointCorruptError(`stored checkpoint is corrupt: ${detail}`) }
  if (bytes.length < PREFIX + 4) bad(`only ${bytes.length} bytes`)
  if (MAGIC.some((m, i) => bytes[i] !== m)) bad('not a fedmesh checkpoint (bad magic)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const format = view.getUint8(4)
  if (format !== FORMAT) bad(`format ${format}, this code reads format ${FORMAT}`)
  const stored = view.getUint32(bytes.length - 4, true)
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== stored) bad('checksum mismatch (truncated or damaged)')
  const headerLength = view.getUint32(8, true)
  if (headerLength > MAX_HEADER_BYTES || PREFIX + headerLength > bytes.length - 4) bad(`header length ${headerLength} does not fit`)
  let header: Header
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength))) as Header
  } catch (err) {
    return bad(`header is not JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.tensors)) bad('header has no tensor list')
  let offset = align4(PREFIX + headerLength)
  const end = bytes.length - 4
  const weights = header.tensors.map((t, i) => {
    const shape = Array.isArray(t?.shape) ? t.shape : bad(`tensor ${i} has no shape`)
    const size = shape.reduce((a: number, b: unknown) => a * (typeof b === 'number' ? b : NaN), 1)
    if (!Number.isSafeInteger(size) || size < 0 || offset + size * 4 > end) bad(`tensor ${i} '${String(t?.name)}' runs past the end of the data`)
    const data = new Float32Array(size)
    for (let k = 0; k < size; k++, offset += 4) data[k] = view.getFloat32(offset, true)
    return { name: t.name, shape: [...shape], data }
  })
  if (offset !== end) bad(`${end - offset} bytes after the last tensor`)
  return validateCheckpoint({
    session: header.session, version: header.version, round: header.round, term: header.term, savedAt: header.savedAt, weights
  }, 'stored checkpoint is corrupt')
}

function align4 (n: number): number {
  return (n + 3) & ~3
}

/** When the checkpoint in `input` was saved, or undefined if the bytes are not a readable checkpoint (prune skips those). */
export function savedAtOf (input: unknown): number | undefined {
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) return undefined
  try {
    return decodeCheckpoint(input).savedAt
  } catch {
    return undefined
  }
}
