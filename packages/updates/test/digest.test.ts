import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { digestUpdate, digestUpdateAsync, fromHex, isDigestHex, toHex } from '../src/index.ts'
import { randomInt, seededRandom } from './helpers.ts'

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('digestUpdate (pure SHA-256)', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(digestUpdate(ascii(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(digestUpdate(ascii('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(digestUpdate(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1')
    expect(digestUpdate(new Uint8Array(1_000_000).fill(0x61))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0')
  })

  it('agrees with node:crypto on every length around the block and padding boundaries, and on subarrays', () => {
    const random = seededRandom(1)
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4095, 4096, 4097, 65_537]
    for (const n of lengths) {
      const bytes = Uint8Array.from({ length: n + 3 }, () => randomInt(random, 0, 255)).subarray(3)
      expect(digestUpdate(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'))
    }
  })

  it('the async WebCrypto path gives the same digest', async () => {
    const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 131) & 0xff)
    expect(await digestUpdateAsync(bytes)).toBe(digestUpdate(bytes))
    expect(await digestUpdateAsync(bytes.subarray(7, 5000))).toBe(digestUpdate(bytes.subarray(7, 5000)))
  })
})

describe('hex helpers', () => {
  it('round-trip and reject non-hex', () => {
    const bytes = Uint8Array.of(0, 1, 0xab, 0xff)
    expect(toHex(bytes)).toBe('0001abff')
    expect(fromHex('0001ABff')).toEqual(bytes)
    expect(fromHex('abc')).toBeUndefined()
    expect(fromHex('zz')).toBeUndefined()
    expect(isDigestHex('a'.repeat(64))).toBe(true)
    expect(isDigestHex('A'.repeat(64))).toBe(false)
    expect(isDigestHex('a'.repeat(63))).toBe(false)
  })
})
