import { describe, expect, it } from 'vitest'
import { CheckpointCorruptError, crc32, decodeCheckpoint, encodeCheckpoint, validateCheckpoint } from '../src/index.ts'
import { checkpoint } from './helpers.ts'

describe('checkpoint codec', () => {
  it('round-trips every field and every weight bit', () => {
    const cp = checkpoint()
    cp.weights[0]!.data[3] = -0
    cp.weights[0]!.data[4] = 1e-42 // subnormal
    const back = decodeCheckpoint(encodeCheckpoint(cp))
    expect(back).toEqual(cp)
    expect(Object.is(back.weights[0]!.data[3], -0)).toBe(true)
    expect(back.weights[0]!.data).not.toBe(cp.weights[0]!.data)
  })

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
  })

  it('rejects damaged bytes with a reason instead of loading a wrong model', () => {
    const bytes = encodeCheckpoint(checkpoint())
    const flipped = bytes.slice()
    flipped[flipped.length - 100]! ^= 0x01
    expect(() => decodeCheckpoint(flipped)).toThrow(/checksum mismatch/)
    expect(() => decodeCheckpoint(bytes.slice(0, bytes.length - 8))).toThrow(/checksum mismatch/)
    expect(() => decodeCheckpoint(new Uint8Array(3))).toThrow(/only 3 bytes/)
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"session":"x","version":1}'))).toThrow(/bad magic/)
    const wrongFormat = bytes.slice()
    wrongFormat[4] = 9
    expect(() => decodeCheckpoint(wrongFormat)).toThrow(CheckpointCorruptError)
    expect(() => decodeCheckpoint(wrongFormat)).toThrow(/format 9/)
  })

  it('refuses to write or read what is not a checkpoint, naming the field', () => {
    expect(() => encodeCheckpoint({ ...checkpoint(), version: -1 })).toThrow(/version must be an integer >= 0/)
    expect(() => encodeCheckpoint({ ...checkpoint(), session: '' })).toThrow(/session must be a non-empty string/)
    const nan = checkpoint()
    nan.weights[2]!.data[1] = Number.NaN
    expect(() => encodeCheckpoint(nan)).toThrow(/value 1 is NaN/)
    const short = checkpoint()
    short.weights[0] = { ...short.weights[0]!, data: new Float32Array(2) }
    expect(() => validateCheckpoint(short)).toThrow(/needs \d+ values, got 2/)
    expect(() => validateCheckpoint(null)).toThrow(/expected an object, got null/)
    const dup = checkpoint()
    dup.weights[1] = { ...dup.weights[0]!, data: dup.weights[0]!.data.slice() }
    expect(() => validateCheckpoint(dup)).toThrow(/duplicate tensor name/)
  })
})
