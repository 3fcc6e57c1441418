/**
 * Strict wire-level walk of an encoded Envelope, run before the protons decoder.
 *
 * protons is lenient in ways that matter for untrusted input: it dispatches on field number only (a field
 * sent with the wrong wire type is misread rather than rejected), lets a nested message overrun its declared
 * length, truncates oversized varints into uint32 fields, decodes invalid UTF-8 with replacement characters,
 * and silently drops unknown body fields (so "exactly one body" could not be checked after decoding).
 * This walk rejects all of those and reports which body fields (numbers 10..19) the envelope carries.
 */

import { WireFormatError, WIRE_VARINT, WIRE_LEN, WIRE_FIXED32, readVarint, readLength, advance, expectWireType, skipUnknown } from './protobuf-reader.ts'

export { WireFormatError }

/** Field numbers reserved for envelope bodies: 10 = heartbeat, 11 = election, 12..19 for future bodies. */
export const BODY_FIELD_MIN = 10
export const BODY_FIELD_MAX = 19

type ScalarKind = 'uint32' | 'uint64' | 'bool' | 'enum' | 'float' | 'string' | 'bytes'
interface MessageSchema {
  readonly name: string
  readonly fields: ReadonlyMap<number, FieldKind>
  /** Highest value of the message's enum field (each schema has at most one). */
  readonly enumMax?: number
}
type FieldKind = ScalarKind | MessageSchema

const TRANSPORT_ENUM_MAX = 5
const ELECTION_KIND_MAX = 7

const METRICS: MessageSchema = {
  name: 'Metrics',
  fields: new Map<number, FieldKind>([
    [1, 'float'], [2, 'float'], [3, 'float'], [4, 'float'], [5, 'uint64'],
    [6, 'float'], [7, 'float'], [8, 'float'], [9, 'float'], [10, 'uint32'], [11, 'uint32']
  ])
}
const NEIGHBOUR: MessageSchema = {
  name: 'Neighbour',
  fields: new Map<number, FieldKind>([[1, 'string'], [2, 'enum'], [3, 'float'], [4, 'float']]),
  enumMax: TRANSPORT_ENUM_MAX
}
const MODEL_HEAD: MessageSchema = {
  name: 'ModelHead',
  fields: new Map<number, FieldKind>([[1, 'string'], [2, 'uint64'], [3, 'uint64'], [4, 'string'], [5, 'bool']])
}
const HEARTBEAT: MessageSchema = {
  name: 'Heartbeat',
  fields: new Map<number, FieldKind>([[1, 'uint32'], [2, 'bool'], [3, NEIGHBOUR], [4, METRICS], [5, MODEL_HEAD], [6, 'bool']])
}
const SIGNED_VOTE: MessageSchema = {
  name: 'SignedVote',
  fields: new Map<number, FieldKind>([[1, 'string'], [2, 'uint64'], [3, 'string'], [4, 'uint32'], [5, 'bytes']])
}
const ELECTION: MessageSchema = {
  name: 'Election',
  fields: new Map<number, FieldKind>([[1, 'enum'], [2, 'uint64'], [3, 'string'], [4, 'uint32'], [5, 'bytes'], [6, SIGNED_VOTE]]),
  enumMax: ELECTION_KIND_MAX
}
const ENVELOPE: MessageSchema = {
  name: 'Envelope',
  fields: new Map<number, FieldKind>([[1, 'uint32'], [2, 'string'], [3, 'string'], [4, 'uint64'], [5, 'uint64'], [10, HEARTBEAT], [11, ELECTION]])
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface EnvelopeStructure {
  /** Top-level body field numbers in the order they occur (duplicates kept). */
  bodyFields: number[]
}

export function scanEnvelope (buf: Uint8Array): EnvelopeStructure {
  const bodyFields: number[] = []
  const cursor = { pos: 0 }
  walk(buf, cursor, buf.length, ENVELOPE, bodyFields)
  return { bodyFields }
}

function walk (buf: Uint8Array, cursor: { pos: number }, end: number, schema: MessageSchema, bodyFields?: number[]): void {
  while (cursor.pos < end) {
    const tagAt = cursor.pos
    const tag = readVarint(buf, cursor, end)
    if (tag > 0xffffffff) throw new WireFormatError(`${schema.name}: tag at offset ${tagAt} does not fit in 32 bits`)
    const field = Math.floor(tag / 8)
    const wireType = tag % 8
    if (field === 0) throw new WireFormatError(`${schema.name}: field number 0 at offset ${tagAt}`)
    if (bodyFields !== undefined && field >= BODY_FIELD_MIN && field <= BODY_FIELD_MAX) bodyFields.push(field)

    const kind = schema.fields.get(field)
    if (kind === undefined) {
      skipUnknown(buf, cursor, end, wireType, `${schema.name}.${field}`)
      continue
    }
    const where = `${schema.name}.${field}`
    if (typeof kind === 'object') {
      expectWireType(wireType, WIRE_LEN, where)
      const length = readLength(buf, cursor, end, where)
      const nestedEnd = cursor.pos + length
      walk(buf, cursor, nestedEnd, kind)
      // walk() stops exactly at nestedEnd or throws, so the parent resumes at the right offset
      continue
    }
    switch (kind) {
      case 'uint32':
      case 'bool':
      case 'enum': {
        expectWireType(wireType, WIRE_VARINT, where)
        const value = readVarint(buf, cursor, end)
        if (kind === 'uint32' && value > 0xffffffff) throw new WireFormatError(`${where}: uint32 value out of range`)
        if (kind === 'bool' && value > 1) throw new WireFormatError(`${where}: bool must be 0 or 1`)
        if (kind === 'enum' && value > (schema.enumMax ?? 0)) throw new WireFormatError(`${where}: unknown enum value ${value}`)
        break
      }
      case 'uint64':
        expectWireType(wireType, WIRE_VARINT, where)
        readVarint(buf, cursor, end)
        break
      case 'float':
        expectWireType(wireType, WIRE_FIXED32, where)
        advance(cursor, 4, end, where)
        break
      case 'bytes': {
        expectWireType(wireType, WIRE_LEN, where)
        const length = readLength(buf, cursor, end, where)
        cursor.pos += length
        break
      }
      case 'string': {
        expectWireType(wireType, WIRE_LEN, where)
        const length = readLength(buf, cursor, end, where)
        try {
          utf8.decode(buf.subarray(cursor.pos, cursor.pos + length))
        } catch {
          throw new WireFormatError(`${where}: string is not valid UTF-8`)
        }
        cursor.pos += length
        break
      }
    }
  }
  if (cursor.pos !== end) throw new WireFormatError(`${schema.name}: field runs past the end of its message`)
}
