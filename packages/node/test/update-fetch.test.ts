import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import type { SignedMessage } from '@libp2p/gossipsub'
import type { Connection, PrivateKey } from '@libp2p/interface'
import { UpdateFetcher } from '../src/training/update-fetcher.ts'
import { decodeUpdateRequest, encodeSignedMessage, encodeUpdateRequest, MAX_DIGESTS, MAX_EXCEPT, MAX_REQUEST_BYTES, openSignedMessage, signOwnMessage, SignedChunkArchive } from '../src/training/update-fetch.ts'

const TOPIC = 'fedmesh/updates/1'
const D1 = 'a'.repeat(64)
const D2 = 'b'.repeat(64)

/** A message signed the way the libp2p pubsub spec says StrictSign signs (gossipsub's own tests cover gossipsub). */
async function signed (key: PrivateKey, data: Uint8Array, seq: bigint, topic = TOPIC): Promise<SignedMessage> {
  const from = peerIdFromPrivateKey(key)
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, seq)
  const bytes = concat([fromString('libp2p-pubsub:'), RPC.Message.encode({ from: from.toMultihash().bytes, data, seqno, topic })])
  return { type: 'signed', from, topic, data, sequenceNumber: seq, signature: await key.sign(bytes), key: key.publicKey }
}

describe('update fetch requests', () => {
  it('round-trips and refuses anything else', () => {
    const r = { session: 's', round: 3, digests: [D1, D2] }
    expect(decodeUpdateRequest(encodeUpdateRequest(r))).toEqual(r)
    const bad = [
      '{"session":"s","round":0,"digests":["' + D1 + '"]}',
      '{"session":"s","round":1.5,"digests":["' + D1 + '"]}',
      '{"session":"s","round":1,"digests":[]}',
      '{"session":"s","round":1,"digests":["' + D1.toUpperCase() + '"]}',
      '{"session":1,"round":1,"digests":["' + D1 + '"]}',
      'null', '[]', 'not json', '\u00ff'
    ]
    for (const b of bad) expect(decodeUpdateRequest(new TextEncoder().encode(b)), b).toBeUndefined()
    expect(decodeUpdateRequest(encodeUpdateRequest({ session: 's', round: 1, digests: Array(MAX_DIGESTS + 1).fill(D1) }))).toBeUndefined()
    expect(decodeUpdateRequest(encodeUpdateRequest({ session: 's', round: 1, digests: Array(MAX_DIGESTS).fill(D1) }))).toBeDefined()
    expect(decodeUpdateRequest(new Uint8Array([0xc3, 0x28]))).toBeUndefined()
  })

  it('a sweep (every update of the round but those named) round-trips, with none or up to MAX_EXCEPT named', () => {
    for (const except of [[], [D1, D2], Array(MAX_EXCEPT).fill(D1)]) {
      const r = { session: 's', round: 2, except }
      const bytes = encodeUpdateRequest(r)
      expect(bytes.byteLength).toBeLessThanOrEqual(MAX_REQUEST_BYTES)
      expect(decodeUpdateRequest(bytes)).toEqual(r)
    }
    const bad = [
      // one form or the other, never both (which would the neighbour answer?)
      '{"session":"s","round":1,"digests":["' + D1 + '"],"except":[]}',
      '{"session":"s","round":1,"except":"' + D1 + '"}',
      '{"session":"s","round":1,"except":["' + D1.slice(1) + '"]}',
      '{"session":"s","round":1,"except":[null]}',
      '{"session":"s","round":0,"except":[]}'
    ]
    for (const b of bad) expect(decodeUpdateRequest(new TextEncoder().encode(b)), b).toBeUndefined()
    expect(decodeUpdateRequest(encodeUpdateRequest({ session: 's', round: 1, except: Array(MAX_EXCEPT + 1).fill(D1) }))).toBeUndefined()
  })
})

describe('served update chunks', () => {
  it('a chunk as its author signed it opens to the author and the data', async () => {
    const key = await generateKeyPair('Ed25519')
    const msg = await signed(key, new Uint8Array([1, 2, 3]), 42n)
    const opened = await openSignedMessage(encodeSignedMessage(msg), TOPIC)
    expect(opened).toEqual({ ok: true, from: msg.from.toString(), data: new Uint8Array([1, 2, 3]) })
  })

  it('a node\'s own chunk, signed by itself for serving, opens like a gossiped one', async () => {
    const key = await generateKeyPair('Ed25519')
    const opened = await openSignedMessage(await signOwnMessage(key, TOPIC, new Uint8Array([9, 8])), TOPIC)
    expect(opened).toEqual({ ok: true, from: peerIdFromPrivateKey(key).toString(), data: new Uint8Array([9, 8]) })
    const other = await openSignedMessage(await signOwnMessage(key, 'fedmesh/model/1', new Uint8Array([9, 8])), TOPIC)
    expect(other.ok ? 'ok' : other.reason).toBe('wrong-topic')
  })

  it('a relaying neighbour cannot alter, re-attribute or re-topic a chunk', async () => {
    const author = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const msg = await signed(author, new Uint8Array([1, 2, 3]), 7n)
    const wire = RPC.Message.decode(encodeSignedMessage(msg))
    const reasons = async (m: RPC.Message, topic = TOPIC): Promise<string> => {
      const r = await openSignedMessage(RPC.Message.encode(m), topic)
      return r.ok ? 'ok' : r.reason
    }
    expect(await reasons(wire)).toBe('ok')
    expect(await reasons({ ...wire, data: new Uint8Array([1, 2, 4]) })).toBe('bad-signature')
    expect(await reasons({ ...wire, seqno: new Uint8Array(8) })).toBe('bad-signature')
    expect(await reasons({ ...wire, from: peerIdFromPrivateKey(other).toMultihash().bytes })).toBe('bad-signature')
    expect(await reasons({ ...wire, signature: new Uint8Array(64) })).toBe('bad-signature')
    expect(await reasons({ ...wire, signature: new Uint8Array(3) })).toBe('bad-signature')
    expect(await reasons(wire, 'fedmesh/model/1')).toBe('wrong-topic')
    expect(await reasons({ ...wire, signature: undefined })).toBe('unsigned')
    expect(await reasons({ ...wire, seqno: new Uint8Array(4) })).toBe('unsigned')
    expect(await reasons({ ...wire, from: new Uint8Array([1, 2, 3]) })).toBe('bad-key')
    // a key that is not the author's
    const { publicKeyToProtobuf } = await import('@libp2p/crypto/keys')
    expect(await reasons({ ...wire, key: publicKeyToProtobuf(other.publicKey) })).toBe('bad-key')
    expect(await reasons({ ...wire, key: publicKeyToProtobuf(author.publicKey) })).toBe('ok')
    const garbage = await openSignedMessage(new Uint8Array([0xff, 0xff, 0xff]), TOPIC)
    expect(garbage.ok ? 'ok' : garbage.reason).toBe('malformed')
  })
})

describe('SignedChunkArchive', () => {
  it('serves chunks by round and digest in index order, once each, and forgets old rounds', () => {
    const a = new SignedChunkArchive(1_000)
    a.add(2, D1, 1, new Uint8Array([11]))
    a.add(2, D1, 0, new Uint8Array([10]))
    a.add(2, D1, 0, new Uint8Array([99])) // a duplicate index is kept once
    a.add(2, D2, 0, new Uint8Array([20]))
    a.add(3, D1, 0, new Uint8Array([30]))
    expect(a.get(2, [D1]).map(c => c[0])).toEqual([10, 11])
    expect(a.get(2, [D2, D1]).map(c => c[0])).toEqual([20, 10, 11])
    expect(a.get(2, ['c'.repeat(64)])).toEqual([])
    expect(a.get(4, [D1])).toEqual([])
    expect(a.size).toEqual({ rounds: 2, bytes: 4 })
    // a sweep: every digest of the round but those named
    expect(a.allBut(2, [D1]).map(c => c[0])).toEqual([20])
    expect(a.allBut(2, []).map(c => c[0]).sort()).toEqual([10, 11, 20])
    expect(a.allBut(2, [D1, D2])).toEqual([])
    expect(a.allBut(4, [])).toEqual([])
    // at most as many updates as the requester takes: one here, D1 (first held) with its two chunks
    expect(a.allBut(2, [], 1).map(c => c[0])).toEqual([10, 11])
    a.forgetBefore(3)
    expect(a.get(2, [D1])).toEqual([])
    expect(a.size).toEqual({ rounds: 1, bytes: 1 })
  })

  it('past its byte bound drops the oldest rounds first, never the newest', () => {
    const a = new SignedChunkArchive(250)
    a.add(1, D1, 0, new Uint8Array(100))
    a.add(2, D1, 0, new Uint8Array(100))
    a.add(3, D1, 0, new Uint8Array(100))
    expect(a.get(1, [D1])).toEqual([])
    expect(a.get(2, [D1])).toHaveLength(1)
    expect(a.get(3, [D1])).toHaveLength(1)
    a.add(4, D1, 0, new Uint8Array(400))
    expect(a.size).toEqual({ rounds: 1, bytes: 400 })
  })
})

describe('UpdateFetcher', () => {
  it('a repeated ask while an earlier one for the same updates still waits its turn is not queued twice', async () => {
    const key = await generateKeyPair('Ed25519')
    // the first ask's request hangs until released; the asks behind it wait their turn
    const opened: Array<(err: Error) => void> = []
    const connection = { newStream: async () => await new Promise((_resolve, reject) => { opened.push(reject) }) } as unknown as Connection
    const fetcher = new UpdateFetcher({
      topic: TOPIC,
      self: 'self',
      privateKey: key,
      session: () => 's',
      connection: () => connection,
      neighbours: () => [], // the model's sender only: one request an ask
      missing: (_round, digests) => [...digests],
      held: () => [],
      firstRound: () => 0,
      deliver: () => undefined,
      limits: () => ({ maxFrameBytes: 1_000, maxFrames: 10 }),
      timeoutMs: 60_000
    })
    const ask = { round: 1, digests: [D1], from: 'coordinator' }
    fetcher.ask(ask)
    await new Promise(resolve => setTimeout(resolve, 0))
    expect(opened).toHaveLength(1) // in flight
    fetcher.ask(ask) // queued behind it
    fetcher.ask(ask) // the same again: the queued one will ask for whatever is missing then
    fetcher.ask({ ...ask, digests: [D1, D2] }) // asks for more: queued
    expect(fetcher.status()).toMatchObject({ asked: 3, recovered: 0, failed: 0 })
    for (let i = 0; i < 3; i++) {
      opened.shift()!(new Error('no answer'))
      await new Promise(resolve => setTimeout(resolve, 0))
    }
    expect(opened).toHaveLength(0)
    // every ask that went out came back with its updates still missing
    expect(fetcher.status()).toMatchObject({ asked: 3, recovered: 0, failed: 3, requests: 3 })
  })
})
