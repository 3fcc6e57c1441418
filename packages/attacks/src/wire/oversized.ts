import { encodeModelUpdate } from '@fedmesh/updates'
import type { ModelUpdate } from '@fedmesh/updates'

/**
 * Oversized payload: a well-formed encoding of `update` with an extra float32 tensor ('padding') appended, so it
 * is at least `minBytes` long. Being otherwise valid, it exercises the receiver's size cap itself (the
 * UpdateValidator's payloadLimit, the Reassembler's totalBytes cap) rather than its decoder.
 */
export function oversizedUpdatePayload (update: ModelUpdate, minBytes: number): Uint8Array {
  if (!Number.isInteger(minBytes) || minBytes < 1) throw new RangeError(`oversizedUpdatePayload: minBytes must be a positive integer, got ${minBytes}`)
  const base = encodeModelUpdate(update)
  if (base.length >= minBytes) return base
  // 4 bytes per float32 element plus a little room for the extra tensor's field headers
  const elements = Math.ceil((minBytes - base.length) / 4) + 1
  let name = 'padding'
  while (update.tensors.some(t => t.name === name)) name += '_'
  return encodeModelUpdate({
    ...update,
    tensors: [...update.tensors, { scheme: 'float32', name, shape: [elements], values: new Float32Array(elements) }]
  })
}
