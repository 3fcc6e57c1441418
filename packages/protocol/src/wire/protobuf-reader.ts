/**
 * Low-level protobuf reading primitives for the strict structural walks that run before protons decodes
 * untrusted bytes (this package's envelope walk and @fedmesh/updates' walk). Each throws WireFormatError with
 * the field it was reading, so a rejection says exactly what was wrong.
 */
export class WireFormatError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'WireFormatError'
  }
}

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LEN = 2
export const WIRE_FIXED32 = 5

export interface Cursor { pos: number }

/**
 * Reads a base-128 varint of at most `maxBytes` bytes (10 = 64 bits). Values above 2^53 lose precision, which
 * only matters for fields the caller range-checks separately.
 */
export function readVarint (buf: Uint8Array, cursor: Cursor, end: number, maxBytes = 10): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < maxBytes; i++) {
    if (cursor.pos >= end) throw new WireFormatError(`truncated varint at offset ${cursor.pos}`)
    const byte = buf[cursor.pos++] as number
    if (i === 9 && byte > 1) throw new WireFormatError(`varint longer than 64 bits at offset ${cursor.pos - 1}`)
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return value
    scale *= 128
  }
  throw new WireFormatError(`varint longer than ${maxBytes} bytes at offset ${cursor.pos}`)
}

/** A length prefix that must not run past `end`. */
export function readLength (buf: Uint8Array, cursor: Cursor, end: number, where: string, maxBytes = 10): number {
  const length = readVarint(buf, cursor, end, maxBytes)
  if (length > end - cursor.pos) throw new WireFormatError(`${where}: length ${length} runs past the end`)
  return length
}

export function advance (cursor: Cursor, n: number, end: number, where: string): void {
  if (cursor.pos + n > end) throw new WireFormatError(`${where}: truncated (needs ${n} bytes)`)
  cursor.pos += n
}

export function expectWireType (actual: number, expected: number, where: string): void {
  if (actual !== expected) throw new WireFormatError(`${where}: wire type ${actual}, expected ${expected}`)
}

/** Skips a field the schema does not know (forward compatibility); lengths are read with `lengthMaxBytes`. */
export function skipUnknown (buf: Uint8Array, cursor: Cursor, end: number, wireType: number, where: string, lengthMaxBytes = 10): void {
  switch (wireType) {
    case WIRE_VARINT: readVarint(buf, cursor, end); return
    case WIRE_FIXED64: advance(cursor, 8, end, where); return
    case WIRE_LEN: { const length = readLength(buf, cursor, end, where, lengthMaxBytes); cursor.pos += length; return }
    case WIRE_FIXED32: advance(cursor, 4, end, where); return
    // groups (3, 4) are deprecated and never produced by our encoders; 6 and 7 are not wire types
    default: throw new WireFormatError(`${where}: unsupported wire type ${wireType}`)
  }
}
