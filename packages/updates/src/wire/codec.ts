/**
 * Encoders and decoders for model updates, global models and chunks.
 *
 * Encoders throw UpdateSchemaError (naming the field) on anything receivers would reject, so a bad update
 * fails loudly at the sender instead of being silently dropped by every neighbour. Decoders never throw:
 * they run the strict structural walk, then protons, then the same schema checks the encoders use.
 * Decoding copies every array out of the input, so the caller may reuse its buffer.
 */
import { isValidPeerId } from '@fedmesh/protocol'
import { DIGEST_BYTES, digestWeights, fromHex, isDigestHex, toHex } from '../digest/digest.ts'
import { checkTensors } from '../quantize/quantize.ts'
import { elementCount } from '../quantize/types.ts'
import type { QuantizedTensor, Scheme, Tensor } from '../quantize/types.ts'
import { MAX_ELEMENTS, MAX_RANK, MAX_RULE_BYTES, MAX_SESSION_BYTES, MAX_TENSOR_NAME_BYTES, MAX_TENSORS, MAX_INCLUDED_DIGESTS, MAX_HELD_DIGESTS, UPDATES_WIRE_VERSION } from './limits.ts'
import { CHUNK_SCHEMA, GLOBAL_MODEL_SCHEMA, MODEL_UPDATE_SCHEMA, ROUND_OPEN_SCHEMA, scanMessage } from './structure.ts'
import type { AggregatorSpecWire, ChunkMessage, DecodeResult, GlobalModel, ModelUpdate, PayloadKind, RoundOpen, UpdateHeader } from './types.ts'
import * as pb from './updates.ts'
import { decodeIndexGaps, encodeIndexGaps } from './varint.ts'
import { deflateIfSmaller, inflateExactly } from './deflate.ts'

export class UpdateSchemaError extends RangeError {
  constructor (message: string) {
    super(message)
    this.name = 'UpdateSchemaError'
  }
}

const SCHEME_TO_WIRE: Record<Scheme, pb.Scheme> = {
  float32: pb.Scheme.FLOAT32,
  int8: pb.Scheme.INT8,
  'int8-topk': pb.Scheme.INT8_TOPK
}
const KIND_TO_WIRE: Record<PayloadKind, pb.PayloadKind> = {
  'model-update': pb.PayloadKind.MODEL_UPDATE,
  'global-model': pb.PayloadKind.GLOBAL_MODEL,
  'round-open': pb.PayloadKind.ROUND_OPEN
}
const KIND_FROM_WIRE: Partial<Record<pb.PayloadKind, PayloadKind>> = {
  [pb.PayloadKind.MODEL_UPDATE]: 'model-update',
  [pb.PayloadKind.GLOBAL_MODEL]: 'global-model',
  [pb.PayloadKind.ROUND_OPEN]: 'round-open'
}

// --- model updates ----------------------------------------------------------------------------------------

export interface UpdateEncoding {
  /**
   * Deflate each int8 tensor's values where that makes them smaller (wire scheme INT8_DEFLATE; receivers decode it
   * as int8, so nothing after the decoder sees a difference). Lossless. Default false.
   */
  compress?: boolean
}

export function encodeModelUpdate (update: ModelUpdate, opts: UpdateEncoding = {}): Uint8Array {
  checkUpdateHeader(update)
  if (!(update.samples >= 1)) throw new UpdateSchemaError(`samples must be at least 1, got ${update.samples}`)
  checkQuantizedTensors(update.tensors)
  const nonFinite = findNonFinite(update.tensors)
  if (nonFinite !== undefined) throw new UpdateSchemaError(nonFinite)
  return pb.ModelUpdate.encode({
    version: UPDATES_WIRE_VERSION,
    session: update.session,
    round: update.round,
    term: update.term,
    baseVersion: update.baseVersion,
    samples: update.samples,
    sender: update.sender,
    tensors: update.tensors.map(t => quantizedToWire(t, opts.compress === true))
  })
}

/** Structure and schema only; freshness, shapes, finiteness and norms are the UpdateValidator's job. */
export function decodeModelUpdate (bytes: Uint8Array): DecodeResult<ModelUpdate> {
  return guarded(() => {
    scanMessage(bytes, MODEL_UPDATE_SCHEMA)
    const wire = pb.ModelUpdate.decode(bytes)
    if (wire.version !== UPDATES_WIRE_VERSION) return unsupported(wire.version)
    const update: ModelUpdate = {
      session: wire.session,
      round: wire.round,
      term: wire.term,
      baseVersion: wire.baseVersion,
      samples: wire.samples,
      sender: wire.sender,
      tensors: wire.tensors.map(quantizedFromWire)
    }
    checkUpdateHeader(update)
    checkQuantizedTensors(update.tensors)
    return { ok: true, value: update }
  })
}

export function checkUpdateHeader (h: UpdateHeader): void {
  if (h === null || typeof h !== 'object') throw new UpdateSchemaError('update header must be an object')
  checkSession(h.session)
  if (typeof h.sender !== 'string' || !isValidPeerId(h.sender)) throw new UpdateSchemaError(`sender '${String(h.sender)}' is not a peer id string`)
  uint32(h.round, 'round')
  uint32(h.term, 'term')
  uint32(h.baseVersion, 'baseVersion')
  uint32(h.samples, 'samples')
}

/** Layout checks shared by encoder and decoder: names, shapes, lengths, indices. Not finiteness. */
export function checkQuantizedTensors (tensors: readonly QuantizedTensor[]): void {
  if (!Array.isArray(tensors)) throw new UpdateSchemaError('tensors must be an array')
  if (tensors.length > MAX_TENSORS) throw new UpdateSchemaError(`${tensors.length} tensors, at most ${MAX_TENSORS}`)
  let total = 0
  tensors.forEach((t, i) => {
    const where = `tensor ${i} ('${String(t?.name)}')`
    checkName(t?.name, i)
    total += checkShape(t.shape, where)
    if (total > MAX_ELEMENTS) throw new UpdateSchemaError(`more than ${MAX_ELEMENTS} elements in total`)
    const n = elementCount(t.shape)
    switch (t.scheme) {
      case 'float32':
        if (!(t.values instanceof Float32Array) || t.values.length !== n) throw new UpdateSchemaError(`${where}: float32 values must be a Float32Array of ${n}`)
        return
      case 'int8':
        checkScale(t.scale, where)
        if (!(t.values instanceof Int8Array) || t.values.length !== n) throw new UpdateSchemaError(`${where}: int8 values must be an Int8Array of ${n}`)
        return
      case 'int8-topk': {
        checkScale(t.scale, where)
        if (!(t.indices instanceof Uint32Array) || !(t.values instanceof Int8Array) || t.indices.length !== t.values.length) {
          throw new UpdateSchemaError(`${where}: top-k needs a Uint32Array of indices and an Int8Array of as many values`)
        }
        let previous = -1
        for (const index of t.indices) {
          if (index <= previous || index >= n) throw new UpdateSchemaError(`${where}: top-k indices must be strictly increasing and below ${n}`)
          previous = index
        }
        return
      }
      default:
        throw new UpdateSchemaError(`${where}: unknown scheme '${String((t as { scheme: unknown }).scheme)}'`)
    }
  })
}

/**
 * A description of the first value that would make the dequantised delta non-finite (NaN/±Infinity float32
 * values, a NaN/Infinity scale, or a scale so large that 127·scale overflows float32), or undefined.
 */
export function findNonFinite (tensors: readonly QuantizedTensor[]): string | undefined {
  for (const t of tensors) {
    if (t.scheme === 'float32') {
      for (let i = 0; i < t.values.length; i++) {
        if (!Number.isFinite(t.values[i])) return `tensor '${t.name}': value ${t.values[i]} at index ${i}`
      }
    } else if (!Number.isFinite(Math.fround(t.scale * 127))) {
      return `tensor '${t.name}': scale ${t.scale} (127 * scale must be a finite float32)`
    }
  }
  return undefined
}

function quantizedToWire (t: QuantizedTensor, compress = false): pb.TensorData {
  const base = { name: t.name, shape: t.shape, scheme: SCHEME_TO_WIRE[t.scheme] }
  switch (t.scheme) {
    case 'float32': return { ...base, scale: 0, values: float32ToBytes(t.values), indices: EMPTY }
    case 'int8': {
      const bytes = int8ToBytes(t.values)
      const deflated = compress ? deflateIfSmaller(bytes) : undefined
      return deflated === undefined
        ? { ...base, scale: t.scale, values: bytes, indices: EMPTY }
        : { ...base, scheme: pb.Scheme.INT8_DEFLATE, scale: t.scale, values: deflated as Uint8Array<ArrayBuffer>, indices: EMPTY }
    }
    case 'int8-topk': return { ...base, scale: t.scale, values: int8ToBytes(t.values), indices: encodeIndexGaps(t.indices) as Uint8Array<ArrayBuffer> }
  }
}

function quantizedFromWire (w: pb.TensorData, i: number): QuantizedTensor {
  const where = `tensor ${i} ('${w.name}')`
  const shape = [...w.shape]
  const n = checkShape(shape, where)
  switch (w.scheme) {
    case pb.Scheme.FLOAT32:
      if (w.scale !== 0 || w.indices.length !== 0) throw new UpdateSchemaError(`${where}: float32 tensors carry no scale or indices`)
      return { scheme: 'float32', name: w.name, shape, values: float32FromBytes(w.values, n, where) }
    case pb.Scheme.INT8:
      if (w.indices.length !== 0) throw new UpdateSchemaError(`${where}: int8 tensors carry no indices`)
      if (w.values.length !== n) throw new UpdateSchemaError(`${where}: ${w.values.length} int8 values for ${n} elements`)
      return { scheme: 'int8', name: w.name, shape, scale: w.scale, values: new Int8Array(w.values.slice().buffer) }
    case pb.Scheme.INT8_DEFLATE: {
      if (w.indices.length !== 0) throw new UpdateSchemaError(`${where}: int8 tensors carry no indices`)
      let bytes: Uint8Array
      try {
        bytes = inflateExactly(w.values, n)
      } catch (err) {
        throw new UpdateSchemaError(`${where}: ${(err as Error).message}`)
      }
      return { scheme: 'int8', name: w.name, shape, scale: w.scale, values: new Int8Array(bytes.buffer, bytes.byteOffset, n) }
    }
    case pb.Scheme.INT8_TOPK: {
      let indices: Uint32Array
      try {
        indices = decodeIndexGaps(w.indices, n)
      } catch (err) {
        throw new UpdateSchemaError(`${where}: ${(err as Error).message}`)
      }
      if (w.values.length !== indices.length) throw new UpdateSchemaError(`${where}: ${w.values.length} values for ${indices.length} top-k indices`)
      return { scheme: 'int8-topk', name: w.name, shape, scale: w.scale, indices, values: new Int8Array(w.values.slice().buffer) }
    }
    default:
      throw new UpdateSchemaError(`${where}: unknown scheme ${String(w.scheme)}`)
  }
}

// --- global models ----------------------------------------------------------------------------------------

/**
 * Also checks that weightsDigest is the digest of the tensors, so a coordinator cannot announce a wrong one by mistake.
 * A model without tensors is a header (globalModelHeader): its weights are announced by their digest alone.
 */
export function encodeGlobalModel (model: GlobalModel): Uint8Array {
  checkGlobalModelSchema(model)
  checkTensors(model.tensors, 'global model')
  if (model.tensors.length > 0 && digestWeights(model.tensors) !== model.weightsDigest) throw new UpdateSchemaError('weightsDigest is not the digest of the tensors (digestWeights)')
  return pb.GlobalModel.encode({
    version: UPDATES_WIRE_VERSION,
    session: model.session,
    round: model.round,
    term: model.term,
    modelVersion: model.version,
    coordinator: model.coordinator,
    includedDigests: model.includedDigests.map(d => fromHex(d) as Uint8Array<ArrayBuffer>),
    scores: model.scores,
    rule: model.rule,
    tensors: model.tensors.map(t => ({ name: t.name, shape: t.shape, scheme: pb.Scheme.FLOAT32, scale: 0, values: float32ToBytes(t.data), indices: EMPTY })),
    weightsDigest: fromHex(model.weightsDigest) as Uint8Array<ArrayBuffer>
  })
}

/**
 * Structure and schema only; non-finite weights are left for checkGlobalModel to report, and whether
 * weightsDigest matches the tensors for the verifier (hashing the weights is its job, not every decode's).
 */
export function decodeGlobalModel (bytes: Uint8Array): DecodeResult<GlobalModel> {
  return guarded(() => {
    scanMessage(bytes, GLOBAL_MODEL_SCHEMA)
    const wire = pb.GlobalModel.decode(bytes)
    if (wire.version !== UPDATES_WIRE_VERSION) return unsupported(wire.version)
    const model: GlobalModel = {
      session: wire.session,
      round: wire.round,
      term: wire.term,
      version: wire.modelVersion,
      coordinator: wire.coordinator,
      includedDigests: wire.includedDigests.map((d, i) => {
        if (d.length !== DIGEST_BYTES) throw new UpdateSchemaError(`included digest ${i} has ${d.length} bytes, expected ${DIGEST_BYTES}`)
        return toHex(d)
      }),
      scores: [...wire.scores],
      rule: wire.rule,
      tensors: wire.tensors.map((w, i) => {
        const t = quantizedFromWire(w, i)
        if (t.scheme !== 'float32') throw new UpdateSchemaError(`global model tensor ${i} ('${t.name}') is ${t.scheme}; global models are float32`)
        return { name: t.name, shape: t.shape, data: t.values }
      }),
      weightsDigest: digestHex(wire.weightsDigest, 'weights digest')
    }
    checkGlobalModelSchema(model)
    return { ok: true, value: model }
  })
}

/**
 * The model without its weights, as the coordinator gossips it: every verifier recomputes the weights from the updates
 * it holds and compares their digest, so flooding them to every node would only add seconds to each round (a
 * 100k-parameter model is 7 chunks of 60 KiB through every mesh link). A node that cannot recompute them fetches them
 * over /fedmesh/model/1.0.0 from one that did.
 */
export function globalModelHeader (model: GlobalModel): GlobalModel {
  return { ...model, tensors: [] }
}

function checkGlobalModelSchema (m: GlobalModel): void {
  if (m === null || typeof m !== 'object') throw new UpdateSchemaError('global model must be an object')
  checkSession(m.session)
  if (typeof m.coordinator !== 'string' || !isValidPeerId(m.coordinator)) throw new UpdateSchemaError(`coordinator '${String(m.coordinator)}' is not a peer id string`)
  uint32(m.round, 'round')
  uint32(m.term, 'term')
  uint32(m.version, 'version')
  if (typeof m.rule !== 'string' || m.rule === '' || utf8Length(m.rule) > MAX_RULE_BYTES) throw new UpdateSchemaError(`rule must be a name of 1..${MAX_RULE_BYTES} bytes`)
  checkDigestList(m.includedDigests, MAX_INCLUDED_DIGESTS, { list: 'includedDigests', item: 'included digest', twice: 'included twice' })
  if (!Array.isArray(m.scores) || m.scores.length !== m.includedDigests.length) {
    throw new UpdateSchemaError(`need one score per included digest (${m.includedDigests.length}), got ${Array.isArray(m.scores) ? m.scores.length : 'none'}`)
  }
  if (!isDigestHex(m.weightsDigest)) throw new UpdateSchemaError('weightsDigest must be 64 lower-case hex characters')
  m.scores.forEach((s, i) => {
    if (typeof s !== 'number' || (!Number.isFinite(s) && !Number.isNaN(s))) throw new UpdateSchemaError(`score ${i} must be finite or NaN, got ${s}`)
  })
  if (!Array.isArray(m.tensors) || m.tensors.length > MAX_TENSORS) throw new UpdateSchemaError(`tensors must be an array of at most ${MAX_TENSORS}`)
  let total = 0
  m.tensors.forEach((t, i) => {
    checkName(t?.name, i)
    total += checkShape(t.shape, `tensor ${i} ('${t.name}')`)
    if (total > MAX_ELEMENTS) throw new UpdateSchemaError(`more than ${MAX_ELEMENTS} elements in total`)
  })
}

// --- round announcements ---------------------------------------------------------------------------------

export function encodeRoundOpen (open: RoundOpen): Uint8Array {
  checkRoundOpenSchema(open)
  const a = open.aggregator
  return pb.RoundOpen.encode({
    version: UPDATES_WIRE_VERSION,
    session: open.session,
    round: open.round,
    term: open.term,
    coordinator: open.coordinator,
    baseVersion: open.baseVersion,
    baseDigest: fromHex(open.baseDigest) as Uint8Array<ArrayBuffer>,
    deadlineMs: open.deadlineMs,
    minParticipants: open.minParticipants,
    aggregator: { rule: a.rule, f: a.f ?? 0, m: a.m ?? 0, trim: a.trim ?? 0, clipRadius: a.clipRadius ?? 0, clipIterations: a.clipIterations ?? 0, nnm: a.nnm === true },
    held: (open.held ?? []).map(d => fromHex(d) as Uint8Array<ArrayBuffer>)
  })
}

/** Structure and schema only; whether the sender leads `term` and the round fits this node's state is for @fedmesh/rounds. */
export function decodeRoundOpen (bytes: Uint8Array): DecodeResult<RoundOpen> {
  return guarded(() => {
    scanMessage(bytes, ROUND_OPEN_SCHEMA)
    const wire = pb.RoundOpen.decode(bytes)
    if (wire.version !== UPDATES_WIRE_VERSION) return unsupported(wire.version)
    const w = wire.aggregator
    if (w === undefined) throw new UpdateSchemaError('round open without an aggregator spec')
    // 0 on the wire is "the rule's default" (proto3 cannot tell unset from 0, and none of these is valid as 0)
    const aggregator: AggregatorSpecWire = { rule: w.rule, f: w.f }
    if (w.m !== 0) aggregator.m = w.m
    if (w.trim !== 0) aggregator.trim = w.trim
    if (w.clipRadius !== 0) aggregator.clipRadius = w.clipRadius
    if (w.clipIterations !== 0) aggregator.clipIterations = w.clipIterations
    if (w.nnm) aggregator.nnm = true
    const open: RoundOpen = {
      session: wire.session,
      round: wire.round,
      term: wire.term,
      coordinator: wire.coordinator,
      baseVersion: wire.baseVersion,
      baseDigest: digestHex(wire.baseDigest, 'base digest'),
      deadlineMs: wire.deadlineMs,
      minParticipants: wire.minParticipants,
      aggregator
    }
    // an empty list is left out, as encoders leave it out: decode(encode(x)) is x
    if (wire.held.length > 0) open.held = wire.held.map((d, i) => digestHex(d, `held digest ${i}`))
    checkRoundOpenSchema(open)
    return { ok: true, value: open }
  })
}

function checkRoundOpenSchema (o: RoundOpen): void {
  if (o === null || typeof o !== 'object') throw new UpdateSchemaError('round open must be an object')
  checkSession(o.session)
  if (typeof o.coordinator !== 'string' || !isValidPeerId(o.coordinator)) throw new UpdateSchemaError(`coordinator '${String(o.coordinator)}' is not a peer id string`)
  uint32(o.round, 'round')
  uint32(o.term, 'term')
  uint32(o.baseVersion, 'baseVersion')
  if (!isDigestHex(o.baseDigest)) throw new UpdateSchemaError('baseDigest must be 64 lower-case hex characters')
  uint32(o.deadlineMs, 'deadlineMs')
  if (o.deadlineMs < 1) throw new UpdateSchemaError('deadlineMs must be at least 1')
  uint32(o.minParticipants, 'minParticipants')
  if (o.minParticipants < 1) throw new UpdateSchemaError('minParticipants must be at least 1')
  const a = o.aggregator
  if (a === null || typeof a !== 'object') throw new UpdateSchemaError('aggregator must be an object')
  if (typeof a.rule !== 'string' || a.rule === '' || utf8Length(a.rule) > MAX_RULE_BYTES) throw new UpdateSchemaError(`aggregator rule must be a name of 1..${MAX_RULE_BYTES} bytes`)
  if (a.f !== undefined) uint32(a.f, 'aggregator.f')
  for (const field of ['m', 'trim', 'clipIterations'] as const) {
    const v = a[field]
    if (v !== undefined) {
      uint32(v, `aggregator.${field}`)
      if (v === 0) throw new UpdateSchemaError(`aggregator.${field} is 0; leave it out for the rule's default`)
    }
  }
  if (a.clipRadius !== undefined && !(Number.isFinite(a.clipRadius) && a.clipRadius > 0)) throw new UpdateSchemaError(`aggregator.clipRadius must be finite and > 0, got ${a.clipRadius}`)
  if (a.nnm !== undefined && typeof a.nnm !== 'boolean') throw new UpdateSchemaError('aggregator.nnm must be a boolean')
  if (o.held !== undefined) checkDigestList(o.held, MAX_HELD_DIGESTS, { list: 'held', item: 'held digest', twice: 'listed as held twice' })
}

/** A list of distinct payload digests (lower-case hex), at most `max` long; `names` word the errors. */
function checkDigestList (list: unknown, max: number, names: { list: string, item: string, twice: string }): void {
  if (!Array.isArray(list) || list.length > max) throw new UpdateSchemaError(`${names.list} must be an array of at most ${max} digests`)
  const seen = new Set<string>()
  for (const d of list) {
    if (!isDigestHex(d)) throw new UpdateSchemaError(`${names.item} '${String(d)}' is not 64 lower-case hex characters`)
    if (seen.has(d)) throw new UpdateSchemaError(`digest ${d} is ${names.twice}`)
    seen.add(d)
  }
}

// --- chunks -----------------------------------------------------------------------------------------------

export function encodeChunk (c: ChunkMessage): Uint8Array {
  checkChunk(c)
  return pb.Chunk.encode({
    version: UPDATES_WIRE_VERSION,
    kind: KIND_TO_WIRE[c.kind],
    payloadDigest: fromHex(c.digest) as Uint8Array<ArrayBuffer>,
    index: c.index,
    count: c.count,
    totalBytes: c.totalBytes,
    session: c.session,
    round: c.round,
    term: c.term,
    data: c.data as Uint8Array<ArrayBuffer>
  })
}

export function decodeChunk (bytes: Uint8Array): DecodeResult<ChunkMessage> {
  return guarded(() => {
    scanMessage(bytes, CHUNK_SCHEMA)
    const wire = pb.Chunk.decode(bytes)
    if (wire.version !== UPDATES_WIRE_VERSION) return unsupported(wire.version)
    const kind = KIND_FROM_WIRE[wire.kind]
    if (kind === undefined) throw new UpdateSchemaError(`unknown payload kind ${wire.kind}`)
    if (wire.payloadDigest.length !== DIGEST_BYTES) throw new UpdateSchemaError(`payload digest has ${wire.payloadDigest.length} bytes, expected ${DIGEST_BYTES}`)
    const chunk: ChunkMessage = {
      kind,
      digest: toHex(wire.payloadDigest),
      index: wire.index,
      count: wire.count,
      totalBytes: wire.totalBytes,
      session: wire.session,
      round: wire.round,
      term: wire.term,
      data: wire.data.slice()
    }
    checkChunk(chunk)
    return { ok: true, value: chunk }
  })
}

function checkChunk (c: ChunkMessage): void {
  if (c === null || typeof c !== 'object') throw new UpdateSchemaError('chunk must be an object')
  if (KIND_TO_WIRE[c.kind] === undefined) throw new UpdateSchemaError(`unknown payload kind '${String(c.kind)}'`)
  if (!isDigestHex(c.digest)) throw new UpdateSchemaError('chunk digest must be 64 lower-case hex characters')
  checkSession(c.session)
  uint32(c.round, 'round')
  uint32(c.term, 'term')
  uint32(c.index, 'index')
  uint32(c.count, 'count')
  uint32(c.totalBytes, 'totalBytes')
  if (!(c.data instanceof Uint8Array) || c.data.length === 0) throw new UpdateSchemaError('chunk data must be a non-empty Uint8Array')
  // every chunk carries at least one byte, so count <= totalBytes, and no chunk is longer than the payload
  if (c.count < 1 || c.count > c.totalBytes) throw new UpdateSchemaError(`count ${c.count} must be in 1..totalBytes (${c.totalBytes})`)
  if (c.index >= c.count) throw new UpdateSchemaError(`index ${c.index} must be below count ${c.count}`)
  if (c.data.length > c.totalBytes) throw new UpdateSchemaError(`chunk data (${c.data.length} bytes) is longer than the payload (${c.totalBytes})`)
}

// --- shared helpers ---------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0)
const textEncoder = new TextEncoder()
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function guarded<T> (fn: () => DecodeResult<T>): DecodeResult<T> {
  try {
    return fn()
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
  }
}

function unsupported (version: number): { ok: false, reason: 'unsupported-version', detail: string } {
  return { ok: false, reason: 'unsupported-version', detail: `wire version ${version}, this peer speaks ${UPDATES_WIRE_VERSION}` }
}

function digestHex (bytes: Uint8Array, what: string): string {
  if (bytes.length !== DIGEST_BYTES) throw new UpdateSchemaError(`${what} has ${bytes.length} bytes, expected ${DIGEST_BYTES}`)
  return toHex(bytes)
}

function utf8Length (s: string): number {
  return textEncoder.encode(s).length
}

function checkSession (session: unknown): void {
  if (typeof session !== 'string' || session === '' || utf8Length(session) > MAX_SESSION_BYTES) {
    throw new UpdateSchemaError(`session must be a string of 1..${MAX_SESSION_BYTES} bytes, got '${String(session).slice(0, 40)}'`)
  }
}

function checkName (name: unknown, i: number): void {
  if (typeof name !== 'string' || name === '' || utf8Length(name) > MAX_TENSOR_NAME_BYTES) {
    throw new UpdateSchemaError(`tensor ${i} needs a name of 1..${MAX_TENSOR_NAME_BYTES} bytes`)
  }
}

/** Returns the element count. */
function checkShape (shape: unknown, where: string): number {
  if (!Array.isArray(shape) || shape.length > MAX_RANK) throw new UpdateSchemaError(`${where}: shape must be an array of at most ${MAX_RANK} dimensions`)
  let n = 1
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new UpdateSchemaError(`${where}: dimension ${String(d)} is not a uint32`)
    n *= d
  }
  if (n > MAX_ELEMENTS) throw new UpdateSchemaError(`${where}: ${n} elements, at most ${MAX_ELEMENTS}`)
  return n
}

function checkScale (scale: unknown, where: string): void {
  if (typeof scale !== 'number') throw new UpdateSchemaError(`${where}: scale must be a number`)
  // NaN and ±Infinity pass here on purpose: they are reported as 'non-finite' by the validator
  if (scale < 0 && Number.isFinite(scale)) throw new UpdateSchemaError(`${where}: scale ${scale} is negative`)
  if (Number.isFinite(scale) && Math.fround(scale) !== scale) throw new UpdateSchemaError(`${where}: scale ${scale} is not a float32 (it would change on the wire)`)
}

function uint32 (value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new UpdateSchemaError(`${field} must be an integer in 0..2^32-1, got ${String(value)}`)
  }
}

function int8ToBytes (values: Int8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(values.buffer as ArrayBuffer, values.byteOffset, values.length)
}

function float32ToBytes (values: Float32Array): Uint8Array<ArrayBuffer> {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer as ArrayBuffer, values.byteOffset, values.byteLength)
  const out = new Uint8Array(values.length * 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true)
  return out
}

function float32FromBytes (bytes: Uint8Array, n: number, where: string): Float32Array {
  if (bytes.length !== n * 4) throw new UpdateSchemaError(`${where}: ${bytes.length} bytes of float32 values for ${n} elements`)
  // slice() copies into a fresh, aligned buffer (the input offset may not be a multiple of 4)
  if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer)
  const out = new Float32Array(n)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}
