import { digestUpdate } from '../digest/digest.ts'
import { encodeChunk, encodeGlobalModel, encodeModelUpdate, encodeRoundOpen } from '../wire/codec.ts'
import type { UpdateEncoding } from '../wire/codec.ts'
import { DEFAULT_MAX_CHUNK_BYTES } from '../wire/limits.ts'
import type { ChunkRouting, GlobalModel, ModelUpdate, RoundOpen } from '../wire/types.ts'

export interface ChunkingOptions {
  /** Cap on each encoded chunk message, headers included; default DEFAULT_MAX_CHUNK_BYTES (60 KiB). */
  maxChunkBytes?: number
}

/** A payload ready to publish: one gossipsub message per chunk, in order (receivers accept any order). */
export interface EncodedPayload {
  /** SHA-256 hex of `payload`: the update id receivers key on and the coordinator lists. */
  digest: string
  payload: Uint8Array
  chunks: Uint8Array[]
}

export function encodeUpdateChunks (update: ModelUpdate, opts: ChunkingOptions & UpdateEncoding = {}): EncodedPayload {
  const routing: ChunkRouting = { kind: 'model-update', session: update.session, round: update.round, term: update.term }
  return chunkPayload(encodeModelUpdate(update, opts), routing, opts)
}

export function encodeGlobalModelChunks (model: GlobalModel, opts: ChunkingOptions = {}): EncodedPayload {
  const routing: ChunkRouting = { kind: 'global-model', session: model.session, round: model.round, term: model.term }
  return chunkPayload(encodeGlobalModel(model), routing, opts)
}

/** A round announcement is a few hundred bytes: always one chunk, so it shares the model topic's single decoder. */
export function encodeRoundOpenChunks (open: RoundOpen, opts: ChunkingOptions = {}): EncodedPayload {
  const routing: ChunkRouting = { kind: 'round-open', session: open.session, round: open.round, term: open.term }
  return chunkPayload(encodeRoundOpen(open), routing, opts)
}

/** Splits an encoded payload into chunk messages of at most maxChunkBytes each. */
export function chunkPayload (payload: Uint8Array, routing: ChunkRouting, opts: ChunkingOptions = {}): EncodedPayload {
  if (!(payload instanceof Uint8Array) || payload.length === 0) throw new TypeError('chunkPayload needs a non-empty Uint8Array payload')
  const maxChunkBytes = opts.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES
  if (!Number.isInteger(maxChunkBytes) || maxChunkBytes < 1) throw new RangeError(`maxChunkBytes must be a positive integer, got ${maxChunkBytes}`)
  const digest = digestUpdate(payload)
  const budget = maxChunkBytes - chunkOverhead(routing, digest, maxChunkBytes)
  if (budget < 1) throw new RangeError(`maxChunkBytes ${maxChunkBytes} leaves no room for data after the chunk headers`)

  const count = Math.ceil(payload.length / budget)
  const chunks: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    const data = payload.subarray(index * budget, Math.min(payload.length, (index + 1) * budget))
    const bytes = encodeChunk({ ...routing, digest, index, count, totalBytes: payload.length, data })
    // chunkOverhead is an upper bound, so this cannot fire unless the encoding changes under it
    if (bytes.length > maxChunkBytes) throw new Error(`chunk ${index} encoded to ${bytes.length} bytes, over ${maxChunkBytes}`)
    chunks.push(bytes)
  }
  return { digest, payload, chunks }
}

/**
 * Upper bound on a chunk message's bytes other than the data itself: every header field at its longest
 * (index, count, totalBytes as 5-byte varints) plus the data field's tag and longest length prefix.
 */
function chunkOverhead (routing: ChunkRouting, digest: string, maxChunkBytes: number): number {
  const probe = encodeChunk({ ...routing, digest, index: 0xfffffffe, count: 0xffffffff, totalBytes: 0xffffffff, data: new Uint8Array(1) })
  const probeDataField = 1 + 1 + 1 // tag, length 1, one byte
  return probe.length - probeDataField + 1 + varintLength(maxChunkBytes)
}

function varintLength (n: number): number {
  let length = 1
  while (n >= 128) { n = Math.floor(n / 128); length++ }
  return length
}
