/**
 * Strict wire-level walk of an encoded updates.proto message, run before the protons decoder (the same
 * approach as packages/protocol/src/wire/structure.ts). protons dispatches on field number only (a field sent
 * with the wrong wire type is misread), lets nested messages overrun their length, truncates big varints into
 * uint32 fields, accepts invalid UTF-8 and lets a repeated singular field silently overwrite the first. This
 * walk rejects all of that, and bounds string lengths and repeated counts before protons allocates anything.
 * Unknown fields are skipped, for forward compatibility.
 *
 * Every varint protons reads here goes through its reader.uint32(), which assumes a varint of more than five
 * bytes is a ten-byte one and skips accordingly; a padded six-to-nine-byte varint would desynchronise it from
 * this walk. So tags, lengths, uint32 and enum values must fit in five bytes.
 */
import { WireFormatError, WIRE_VARINT, WIRE_FIXED64, WIRE_LEN, WIRE_FIXED32, readVarint, readLength as readLengthOf, advance, expectWireType, skipUnknown as skipUnknownField } from '@fedmesh/protocol'
import { MAX_HELD_DIGESTS, MAX_INCLUDED_DIGESTS, MAX_RANK, MAX_RULE_BYTES, MAX_SESSION_BYTES, MAX_TENSOR_NAME_BYTES, MAX_TENSORS } from './limits.ts'

export { WireFormatError }

type Scalar = 'uint32' | 'float' | 'double' | 'string' | 'bytes'
interface FieldSpec {
  kind: Scalar | { enumMax: number } | MessageSchema
  repeated?: { max: number }
  /** strings and bytes: maximum byte length */
  maxBytes?: number
}
interface MessageSchema { readonly name: string, readonly fields: ReadonlyMap<number, FieldSpec> }


const PEER_ID_BYTES = 128

const TENSOR_DATA: MessageSchema = {
  name: 'TensorData',
  fields: new Map<number, FieldSpec>([
    [1, { kind: 'string', maxBytes: MAX_TENSOR_NAME_BYTES }],
    [2, { kind: 'uint32', repeated: { max: MAX_RANK } }],
    [3, { kind: { enumMax: 4 } }],
    [4, { kind: 'float' }],
    [5, { kind: 'bytes' }],
    [6, { kind: 'bytes' }]
  ])
}

export const MODEL_UPDATE_SCHEMA: MessageSchema = {
  name: 'ModelUpdate',
  fields: new Map<number, FieldSpec>([
    [1, { kind: 'uint32' }],
    [2, { kind: 'string', maxBytes: MAX_SESSION_BYTES }],
    [3, { kind: 'uint32' }],
    [4, { kind: 'uint32' }],
    [5, { kind: 'uint32' }],
    [6, { kind: 'uint32' }],
    [7, { kind: 'string', maxBytes: PEER_ID_BYTES }],
    [8, { kind: TENSOR_DATA, repeated: { max: MAX_TENSORS } }]
  ])
}

export const GLOBAL_MODEL_SCHEMA: MessageSchema = {
  name: 'GlobalModel',
  fields: new Map<number, FieldSpec>([
    [1, { kind: 'uint32' }],
    [2, { kind: 'string', maxBytes: MAX_SESSION_BYTES }],
    [3, { kind: 'uint32' }],
    [4, { kind: 'uint32' }],
    [5, { kind: 'uint32' }],
    [6, { kind: 'string', maxBytes: PEER_ID_BYTES }],
    [7, { kind: 'bytes', repeated: { max: MAX_INCLUDED_DIGESTS }, maxBytes: 32 }],
    [8, { kind: 'double', repeated: { max: MAX_INCLUDED_DIGESTS } }],
    [9, { kind: 'string', maxBytes: MAX_RULE_BYTES }],
    [10, { kind: TENSOR_DATA, repeated: { max: MAX_TENSORS } }],
    [11, { kind: 'bytes', maxBytes: 32 }]
  ])
}

const AGGREGATOR_SPEC: MessageSchema = {
  name: 'AggregatorSpec',
  fields: new Map<number, FieldSpec>([
    [1, { kind: 'string', maxBytes: MAX_RULE_BYTES }],
    [2, { kind: 'uint32' }],
    [3, { kind: 'uint32' }],
    [4, { kind: 'uint32' }],
    [5, { kind: 'double' }],
    [6, { kind: 'uint32' }],
    // bool: a varint that must be 0 or 1
    [7, { kind: { enumMax: 1 } }]
  ])
}

export const ROUND_OPEN_SCHEMA: MessageSchema = {
  name: 'RoundOpen',
  fields: new Map<number, FieldSpec>([
    [1, { kind: 'uint32' }],
    [2, { kind: 'string', maxBytes: MAX_SESSION_BYTES }],
    [3, { kind: 'uint32' }],
    [4, { kind: 'uint32' }],
    [5, { kind: 'string', maxBytes: PEER_ID_BYTES }],
    [6, { kind: 'uint32' }],
    [7, { kind: 'bytes', maxBytes: 32 }],
    [8, { kind: 'uint32' }],
    [9, { kind: 'uint32' }],
    [10, { kind: AGGREGATOR_SPEC }],
    [11, { kind: 'bytes', repeated: { max: MAX_HELD_DIGESTS }, maxBytes: 32 }]
  ])
}

export const CHUNK_SCHEMA: MessageSchema = {
  name: 'Chunk',
  fields: new Map<number, FieldSpec>([
    [1, { kind: 'uint32' }],
    [2, { kind: { enumMax: 3 } }],
    [3, { kind: 'bytes', maxBytes: 32 }],
    [4, { kind: 'uint32' }],
    [5, { kind: 'uint32' }],
    [6, { kind: 'uint32' }],
    [7, { kind: 'string', maxBytes: MAX_SESSION_BYTES }],
    [8, { kind: 'uint32' }],
    [9, { kind: 'uint32' }],
    [10, { kind: 'bytes' }]
  ])
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Throws WireFormatError describing the first violation. */
export function scanMessage (buf: Uint8Array, schema: MessageSchema): void {
  const cursor = { pos: 0 }
  walk(buf, cursor, buf.length, schema)
}

function walk (buf: Uint8Array, cursor: { pos: number }, end: number, schema: MessageSchema): void {
  const seen = new Map<number, number>()
  while (cursor.pos < end) {
    const tagAt = cursor.pos
    const tag = readVarint(buf, cursor, end, UINT32_VARINT_BYTES)
    if (tag > 0xffffffff) throw new WireFormatError(`${schema.name}: tag at offset ${tagAt} does not fit in 32 bits`)
    const field = Math.floor(tag / 8)
    const wireType = tag % 8
    if (field === 0) throw new WireFormatError(`${schema.name}: field number 0 at offset ${tagAt}`)
    const where = `${schema.name}.${field}`

    const spec = schema.fields.get(field)
    if (spec === undefined) {
      skipUnknown(buf, cursor, end, wireType, where)
      continue
    }
    const occurrences = (seen.get(field) ?? 0) + 1
    seen.set(field, occurrences)
    if (spec.repeated === undefined && occurrences > 1) throw new WireFormatError(`${where}: singular field occurs more than once`)
    if (spec.repeated !== undefined && occurrences > spec.repeated.max) {
      throw new WireFormatError(`${where}: more than ${spec.repeated.max} elements`)
    }

    const kind = spec.kind
    if (typeof kind === 'object' && 'fields' in kind) {
      expectWireType(wireType, WIRE_LEN, where)
      const length = readLength(buf, cursor, end, where)
      walk(buf, cursor, cursor.pos + length, kind)
      continue
    }
    if (typeof kind === 'object') {
      expectWireType(wireType, WIRE_VARINT, where)
      const value = readVarint(buf, cursor, end, UINT32_VARINT_BYTES)
      if (value > kind.enumMax) throw new WireFormatError(`${where}: unknown enum value ${value}`)
      continue
    }
    switch (kind) {
      case 'uint32': {
        expectWireType(wireType, WIRE_VARINT, where)
        if (readVarint(buf, cursor, end, UINT32_VARINT_BYTES) > 0xffffffff) throw new WireFormatError(`${where}: uint32 value out of range`)
        break
      }
      case 'float':
        expectWireType(wireType, WIRE_FIXED32, where)
        advance(cursor, 4, end, where)
        break
      case 'double':
        expectWireType(wireType, WIRE_FIXED64, where)
        advance(cursor, 8, end, where)
        break
      case 'string':
      case 'bytes': {
        expectWireType(wireType, WIRE_LEN, where)
        const length = readLength(buf, cursor, end, where)
        if (spec.maxBytes !== undefined && length > spec.maxBytes) throw new WireFormatError(`${where}: ${length} bytes, at most ${spec.maxBytes} allowed`)
        if (kind === 'string') {
          try {
            utf8.decode(buf.subarray(cursor.pos, cursor.pos + length))
          } catch {
            throw new WireFormatError(`${where}: string is not valid UTF-8`)
          }
        }
        cursor.pos += length
        break
      }
    }
  }
  if (cursor.pos !== end) throw new WireFormatError(`${schema.name}: field runs past the end of its message`)
}

// tags, lengths, uint32 and enum values must fit in five bytes (see the header)
const UINT32_VARINT_BYTES = 5

function skipUnknown (buf: Uint8Array, cursor: { pos: number }, end: number, wireType: number, where: string): void {
  skipUnknownField(buf, cursor, end, wireType, where, UINT32_VARINT_BYTES)
}

function readLength (buf: Uint8Array, cursor: { pos: number }, end: number, where: string): number {
  return readLengthOf(buf, cursor, end, where, UINT32_VARINT_BYTES)
}
