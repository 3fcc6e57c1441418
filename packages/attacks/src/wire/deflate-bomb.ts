import { deflateSync } from 'fflate'
import { encodeModelUpdate } from '@fedmesh/updates'
import type { ModelUpdate } from '@fedmesh/updates'

/** Wire scheme INT8_DEFLATE (packages/updates/src/wire/updates.proto). */
const INT8_DEFLATE = 4
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
  // repeated fields may come in any number of pieces: the honest encoding of every other tensor, then this one
  const head = encodeModelUpdate({ ...update, tensors: update.tensors.slice(0, -1) })
  const tensor = new ProtoWriter()
  tensor.bytes(1, new TextEncoder().encode(target.name))
  for (const d of target.shape) tensor.varint(2, d)
  tensor.varint(3, INT8_DEFLATE)
  tensor.float(4, target.scale)
  tensor.bytes(5, bombStream(inflatedBytes))
  const tail = new ProtoWriter()
  tail.bytes(8, tensor.finish())
  const extra = tail.finish()
  const out = new Uint8Array(head.length + extra.length)
  out.set(head)
  out.set(extra, head.length)
  return out
}

/** The largest bomb whose stream stays under `maxStreamBytes` (so that size caps do not drop it before decoding). */
export function deflateBombBytesFor (maxStreamBytes: number): number {
  return Math.max(1, Math.floor(maxStreamBytes * DEFLATE_RATIO))
}

const streams = new Map<number, Uint8Array>()

/** Deflating tens of MiB takes a while, and an attacker sends the same size every round: the last stream is kept. */
function bombStream (inflatedBytes: number): Uint8Array {
  let s = streams.get(inflatedBytes)
  if (s === undefined) {
    s = deflateSync(new Uint8Array(inflatedBytes), { level: 1 })
    streams.clear()
    streams.set(inflatedBytes, s)
  }
  return s
}

/** Just enough protobuf writing for one TensorData (keys, varints, fixed32 floats, length-delimited bytes). */
class ProtoWriter {
  private readonly parts: number[] = []
  private readonly blobs: Array<{ at: number, bytes: Uint8Array }> = []

  varint (field: number, value: number): void {
    this.raw((field << 3) | 0)
    this.raw(value)
  }

  float (field: number, value: number): void {
    this.raw((field << 3) | 5)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, value, true)
    this.parts.push(...b)
  }

  bytes (field: number, value: Uint8Array): void {
    this.raw((field << 3) | 2)
    this.raw(value.length)
    this.blobs.push({ at: this.parts.length, bytes: value })
  }

  finish (): Uint8Array {
    const total = this.parts.length + this.blobs.reduce((n, b) => n + b.bytes.length, 0)
    const out = new Uint8Array(total)
    let from = 0
    let to = 0
    for (const b of this.blobs) {
      out.set(this.parts.slice(from, b.at), to)
      to += b.at - from
      out.set(b.bytes, to)
      to += b.bytes.length
      from = b.at
    }
    out.set(this.parts.slice(from), to)
    return out
  }

  private raw (value: number): void {
    let v = value >>> 0
    while (v >= 0x80) {
      this.parts.push((v & 0x7f) | 0x80)
      v >>>= 7
    }
    this.parts.push(v)
  }
}
