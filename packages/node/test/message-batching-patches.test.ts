/**
 * Proves the two message-count patches carried with pnpm (patches/@libp2p__webrtc@6.0.33.patch and
 * patches/@libp2p__gossipsub@17.1.1.patch). In a tab every RTCDataChannel.send() is a blocking hop to WebRTC's
 * network thread plus an SCTP message, and it was the largest single cost of a tab (docs/benchmarks.md), so:
 *
 * - @libp2p/webrtc sent each write as two data-channel messages (the varint length prefix, then the body);
 *   patched, a frame is one message. The receiver decodes a byte stream, so both shapes interoperate.
 * - @libp2p/gossipsub wrote every RPC to a peer as its own stream write; with `batchOutboundRpcs` the RPCs pushed
 *   to one peer during the same task go out as one write at the start of the next task.
 *
 * Both run the installed package code against a recording fake channel / stream, so they fail on an unpatched copy.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'

function packageSrc (name: string): string {
  // resolves to <pkg>/dist/src/index.js; resolving keeps the pnpm patch hash out of the test
  const entry = createRequire(import.meta.url).resolve(name)
  return dirname(entry)
}

/** Splits varint-length-prefixed frames (what both libraries write) and fails on trailing bytes. */
function frames (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let i = 0
  while (i < bytes.length) {
    let len = 0
    let shift = 0
    for (;;) {
      const b = bytes[i++] ?? 0
      len += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0) break
    }
    if (i + len > bytes.length) throw new Error('truncated frame')
    out.push(bytes.subarray(i, i + len))
    i += len
  }
  return out
}

const log: any = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
log.newScope = () => log
log.forComponent = () => log

async function importFrom (name: string, file: string): Promise<any> {
  return await import(pathToFileURL(join(packageSrc(name), file)).href)
}

class RecordingChannel extends EventTarget {
  readonly id = 7
  readonly label = ''
  readyState: RTCDataChannelState = 'open'
  binaryType = 'arraybuffer'
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  onmessage: ((evt: MessageEvent) => void) | null = null
  onclose: (() => void) | null = null
  onerror: ((evt: Event) => void) | null = null
  onbufferedamountlow: (() => void) | null = null
  readonly sent: Uint8Array[] = []

  send (data: ArrayBuffer | Uint8Array): void {
    this.sent.push(data instanceof Uint8Array ? data.slice() : new Uint8Array(data.slice(0)))
  }

  close (): void { this.readyState = 'closed' }
}

describe('@libp2p/webrtc patch: one data-channel message per frame', () => {
  it('sends the length prefix and the framed body of a write as a single message that decodes back', async () => {
    const { createStream } = await importFrom('@libp2p/webrtc', 'stream.js')
    const { Message } = await importFrom('@libp2p/webrtc', 'private-to-public/pb/message.js')
    const channel = new RecordingChannel()
    const stream = createStream({ channel, direction: 'outbound', log })

    const payload = new Uint8Array(300).map((_, i) => i % 251)
    stream.send(payload)

    expect(channel.sent).toHaveLength(1)
    // the one message is a complete length-prefixed protobuf frame carrying the payload
    const decoded = frames(channel.sent[0] as Uint8Array)
    expect(decoded).toHaveLength(1)
    expect(Message.decode(decoded[0] as Uint8Array).message).toEqual(payload)
    stream.abort(new Error('test over'))
  })
})

describe('@libp2p/gossipsub patch: RPCs pushed during one task are one write', () => {
  class RecordingStream extends EventTarget {
    protocol = '/meshsub/1.2.0'
    writeStatus = 'writable'
    maxWriteBufferLength = 0
    readonly writes: Uint8Array[] = []
    send (data: Uint8Array | Uint8ArrayList): boolean {
      this.writes.push(data.subarray())
      return true
    }

    async close (): Promise<void> { this.writeStatus = 'closed' }
    abort (): void { this.writeStatus = 'closed' }
  }

  const rpc = (n: number): Uint8Array => new Uint8Array(20 + n).fill(n)

  it('coalesces pushes into one write at the next task, preserving order and framing', async () => {
    const { OutboundStream } = await importFrom('@libp2p/gossipsub', 'stream.js')
    const raw = new RecordingStream()
    const out = new OutboundStream(raw, () => {}, { batch: true })
    out.push(rpc(1))
    out.push(rpc(2))
    out.push(rpc(3))
    expect(raw.writes).toHaveLength(0)
    await new Promise(resolve => setImmediate(resolve))
    expect(raw.writes).toHaveLength(1)
    expect(frames(raw.writes[0] as Uint8Array)).toEqual([rpc(1), rpc(2), rpc(3)])

    out.push(rpc(4))
    await new Promise(resolve => setImmediate(resolve))
    expect(raw.writes).toHaveLength(2)
  })

  it('flushes what is pending when the stream is closed, and writes nothing to a stream that closed meanwhile', async () => {
    const { OutboundStream } = await importFrom('@libp2p/gossipsub', 'stream.js')
    const raw = new RecordingStream()
    const out = new OutboundStream(raw, () => {}, { batch: true })
    out.push(rpc(5))
    await out.close()
    expect(raw.writes).toHaveLength(1)

    const raw2 = new RecordingStream()
    const out2 = new OutboundStream(raw2, () => {}, { batch: true })
    out2.push(rpc(6))
    raw2.writeStatus = 'closed'
    await new Promise(resolve => setImmediate(resolve))
    expect(raw2.writes).toHaveLength(0)
  })

  it('keeps the unbatched behaviour by default (one write per RPC)', async () => {
    const { OutboundStream } = await importFrom('@libp2p/gossipsub', 'stream.js')
    const raw = new RecordingStream()
    const out = new OutboundStream(raw, () => {}, {})
    out.push(rpc(1))
    out.push(rpc(2))
    expect(raw.writes).toHaveLength(2)
  })
})
