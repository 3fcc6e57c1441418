import { deflateSync } from 'fflate'
import { encodeModelUpdate } from '@fedmesh/updates'
import type { ModelUpdate } from '@fedmesh/updates'
import { ModelUpdate as WireUpdate, Scheme } from '@fedmesh/updates/wire'

/** DEFLATE's best ratio is about 1032:1; fflate reaches about 1024:1 on zeros. */
const DEFLATE_RATIO = 1000

/**
 * Deflate bomb: `update` encoded as usual, except that its last tensor's values are a deflate stream (wire scheme
 * INT8_DEFLATE) of `inflatedBytes` zeros instead of one int8 per element. The stream is about inflatedBytes / 1000
 * long; a receiver that inflated it whole would build (or at least walk) all of it. It must be dropped as
 * 'malformed' after inflating little more than the tensor's length. The last tensor must be int8 (it keeps its name,
 * shape and scale, so only its values give it away).
 */
export function deflateBombPayload (update: ModelUpdate, inflatedBytes: number): Uint8Array {
  if (!Number.isInteger(inflatedBytes) || inflatedBytes < 1) throw new RangeError(`deflateBombPayload: inflatedBytes must be a positive integer, got ${inflatedBytes}`)
  const target = update.tensors.at(-1)
  if (target === undefined || target.scheme !== 'int8') throw new RangeError('deflateBombPayload needs an update whose last tensor is int8')
  // the honest encoding, taken apart with the generated wire codec, its last tensor's values swapped for the bomb
  const wire = WireUpdate.decode(encodeModelUpdate(update))
  const last = wire.tensors[wire.tensors.length - 1]!
  wire.tensors[wire.tensors.length - 1] = { ...last, scheme: Scheme.INT8_DEFLATE, values: bombStream(inflatedBytes) }
  return WireUpdate.encode(wire)
}

/** The largest bomb whose stream stays under `maxStreamBytes` (so that size caps do not drop it before decoding). */
export function deflateBombBytesFor (maxStreamBytes: number): number {
  return Math.max(1, Math.floor(maxStreamBytes * DEFLATE_RATIO))
}

/** Deflating tens of MiB takes a while, and an attacker sends the same size every round: the last stream is kept. */
let kept: { inflatedBytes: number, stream: Uint8Array<ArrayBuffer> } | undefined

function bombStream (inflatedBytes: number): Uint8Array<ArrayBuffer> {
  if (kept?.inflatedBytes !== inflatedBytes) {
    kept = { inflatedBytes, stream: deflateSync(new Uint8Array(inflatedBytes), { level: 1 }) as Uint8Array<ArrayBuffer> }
  }
  return kept.stream
}
