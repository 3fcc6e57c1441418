import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { fastMessageId, idontwantMessageId, MESSAGE_ID_BYTES, messageId } from '../src/libp2p/message-id.ts'

async function author (): Promise<ReturnType<typeof peerIdFromPrivateKey>> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('gossipsub message ids', () => {
  it('are 16 bytes: the last 8 of the author\'s key, then the seqno', async () => {
    const alice = await author()
    const id = messageId({ type: 'signed', from: alice, sequenceNumber: 0x0102030405060708n })
    expect(id).toHaveLength(MESSAGE_ID_BYTES)
    expect([...id.subarray(0, 8)]).toEqual([...(alice.publicKey?.raw ?? new Uint8Array(32)).subarray(24)])
    expect([...id.subarray(8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('tell apart authors and seqnos, and agree for copies of one message', async () => {
    const [alice, bob] = [await author(), await author()]
    const hex = (id: Uint8Array): string => Buffer.from(id).toString('hex')
    const seen = new Set<string>()
    for (const from of [alice, bob]) {
      for (let seq = 1_700_000_000_000_000_000n; seq < 1_700_000_000_000_000_050n; seq++) seen.add(hex(messageId({ type: 'signed', from, sequenceNumber: seq })))
    }
    expect(seen.size).toBe(100)
    // a copy decoded from another peer's forward: a different PeerId object for the same key
    const copy = peerIdFromString(alice.toString())
    expect(copy).not.toBe(alice)
    expect(hex(messageId({ type: 'signed', from: copy, sequenceNumber: 5n }))).toBe(hex(messageId({ type: 'signed', from: alice, sequenceNumber: 5n })))
  })

  it('refuse unsigned messages instead of inventing an id', () => {
    expect(() => messageId({ type: 'unsigned' })).toThrow(/signed/)
  })

  it('fast ids are exact for signed messages and never shared by unsigned ones', () => {
    const from = new Uint8Array([1, 2, 3])
    expect(fastMessageId({ from, seqno: new Uint8Array([9]) })).toBe(fastMessageId({ from, seqno: new Uint8Array([9]) }))
    expect(fastMessageId({ from, seqno: new Uint8Array([9]) })).not.toBe(fastMessageId({ from, seqno: new Uint8Array([10]) }))
    expect(fastMessageId({ data: new Uint8Array(4) })).not.toBe(fastMessageId({ data: new Uint8Array(4) }))
  })

  it('can be read from the raw message before validation, and agree with the validated id (IDONTWANT on receipt)', async () => {
    const hex = (id: Uint8Array | undefined): string => Buffer.from(id ?? new Uint8Array(0)).toString('hex')
    for (const keyType of ['Ed25519', 'secp256k1'] as const) {
      const from = peerIdFromPrivateKey(await generateKeyPair(keyType))
      const seqno = Uint8Array.from([0xff, 1, 2, 3, 4, 5, 6, 0x80])
      // on the wire: the author's peer id multihash and the seqno's 8 big-endian bytes
      const raw = idontwantMessageId({ from: from.toMultihash().bytes, seqno })
      // gossipsub's validated message: the seqno as a bigint (validateToRawMessage)
      const validated = messageId({ type: 'signed', from, sequenceNumber: BigInt(`0x${Buffer.from(seqno).toString('hex')}`) })
      expect(hex(raw), keyType).toBe(hex(validated))
    }
    // not the shape it can read: the IDONTWANT waits for validation
    expect(idontwantMessageId({ from: new Uint8Array(38) })).toBeUndefined()
    expect(idontwantMessageId({ from: new Uint8Array(38), seqno: new Uint8Array(4) })).toBeUndefined()
    expect(idontwantMessageId({ from: new Uint8Array(3), seqno: new Uint8Array(8) })).toBeUndefined()
  })
})
