import { decodeModelUpdate, encodeModelUpdate } from '@fedmesh/updates'
import type { ModelUpdate, QuantizedTensor } from '@fedmesh/updates'

/** protobuf key of TensorData.scale (field 4, wire type 5 = fixed32). */
const SCALE_KEY = (4 << 3) | 5
/** A finite float32 scale with an unlikely bit pattern, written by the honest encoder, then overwritten. */
const MARKER_BITS = 0x1337c0de

function float32Bytes (bits: number | undefined, value?: number): Uint8Array {
  const bytes = new Uint8Array(4)
  const view = new DataView(bytes.buffer)
  if (bits !== undefined) view.setUint32(0, bits, true)
  else view.setFloat32(0, value!, true)
  return bytes
}

/**
 * NaN / Inf payload on the wire: `update` encoded with the scale of one int8 tensor (`tensorIndex`, default the
 * first int8 one) replaced by `value`, so every dequantised value of that tensor is non-finite. The honest encoder
 * refuses non-finite updates by design, so this encodes a finite marker scale and overwrites its four bytes;
 * the result decodes structurally and must be dropped by the UpdateValidator as 'non-finite'.
 */
export function nonFiniteUpdatePayload (update: ModelUpdate, value: number, tensorIndex?: number): Uint8Array {
  if (Number.isFinite(value)) throw new RangeError(`nonFiniteUpdatePayload needs NaN or ±Infinity, got ${value}`)
  const index = tensorIndex ?? update.tensors.findIndex(t => t.scheme !== 'float32')
  const target = update.tensors[index]
  if (target === undefined || target.scheme === 'float32') {
    throw new RangeError('nonFiniteUpdatePayload needs an int8 or int8-topk tensor (it poisons the tensor\'s scale)')
  }
  const marker = new DataView(float32Bytes(MARKER_BITS).buffer).getFloat32(0, true)
  const tensors = update.tensors.map((t, i): QuantizedTensor => i === index ? { ...target, scale: marker } : t)
  const bytes = encodeModelUpdate({ ...update, tensors })
  const needle = [SCALE_KEY, ...float32Bytes(MARKER_BITS)]
  const at = findAll(bytes, needle)
  if (at.length !== 1) throw new Error(`nonFiniteUpdatePayload: marker scale found ${at.length} times in the encoding; expected once`)
  bytes.set(float32Bytes(undefined, value), at[0]! + 1)
  // the patch must have hit exactly the scale it meant to
  const decoded = decodeModelUpdate(bytes)
  const scale = decoded.ok ? decoded.value.tensors[index] : undefined
  if (scale === undefined || scale.scheme === 'float32' || Number.isFinite(scale.scale)) {
    throw new Error('nonFiniteUpdatePayload: the patched payload does not decode to a non-finite scale')
  }
  return bytes
}

function findAll (haystack: Uint8Array, needle: readonly number[]): number[] {
  const found: number[] = []
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer
    found.push(i)
  }
  return found
}
