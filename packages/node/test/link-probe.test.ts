import { describe, expect, it } from 'vitest'
import { LinkProbe, PROBE_PROTOCOL, type LinkProbeComponents } from '../src/link-probe/link-probe.ts'
import type { Stream } from '@libp2p/interface'

/**
 * A stream with libp2p's send() rules (abstract-message-stream): while a graceful close is under way `status` still
 * says 'open', but the write side is 'closing' and send() throws.
 */
class FakeStream extends EventTarget {
  status: 'open' | 'closed' | 'aborted' = 'open'
  writeStatus: 'writable' | 'closing' | 'closed' = 'writable'
  readonly sent: Uint8Array[] = []
  send (data: Uint8Array): boolean {
    if (this.writeStatus !== 'writable') throw new Error(`Cannot write to a stream that is ${this.writeStatus}`)
    this.sent.push(data)
    return true
  }

  abort (): void {
    if (this.status !== 'open') return
    this.status = 'aborted'
    this.writeStatus = 'closed'
    this.dispatchEvent(new Event('close'))
  }
}

function setUp (): { probe: LinkProbe, tick: () => void, streams: FakeStream[], echo: (s: FakeStream) => void } {
  const streams: FakeStream[] = []
  let handler: ((stream: Stream) => void) | undefined
  let tickFn: (() => void) | undefined
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
  const conn = {
    remotePeer: { toString: () => 'peer-a' },
    status: 'open',
    limits: undefined,
    newStream: async () => { const s = new FakeStream(); streams.push(s); return s as unknown as Stream }
  }
  const components = {
    peerId: { toString: () => 'self' },
    logger: { forComponent: () => log },
    registrar: {
      handle: async (protocol: string, h: (stream: Stream) => void) => { expect(protocol).toBe(PROBE_PROTOCOL); handler = h },
      unhandle: async () => {}
    },
    connectionManager: { getConnections: () => [conn] }
  } as unknown as LinkProbeComponents
  const probe = new LinkProbe(components, {
    intervalMs: 600,
    ticker: { every: (_ms: number, fn: () => void) => { tickFn = fn; return () => {} }, stop: () => {} },
    neighbours: () => ['peer-a']
  })
  return {
    probe,
    tick: () => { tickFn?.() },
    streams,
    echo: (s) => { handler?.(s as unknown as Stream) }
  }
}

/** Ticks until one probe has been sent on the current stream (a neighbour is visited once every 6 ticks). */
async function probeOnce (tick: () => void, stream: () => FakeStream | undefined): Promise<void> {
  for (let i = 0; i < 12; i++) {
    tick()
    await Promise.resolve()
    if ((stream()?.sent.length ?? 0) > 0) return
  }
}

/** A started probe that has sent its first probe on its first stream. */
async function probing (): Promise<ReturnType<typeof setUp> & { first: FakeStream }> {
  const set = setUp()
  await set.probe.start()
  set.probe.afterStart()
  await probeOnce(set.tick, () => set.streams[0])
  return { ...set, first: set.streams[0]! }
}

describe('LinkProbe', () => {
  it('probes a neighbour over one long-lived stream', async () => {
    const { probe, streams } = await probing()
    expect(streams).toHaveLength(1)
    expect(streams[0]!.sent[0]).toHaveLength(8)
    await probe.stop()
  })

  it('does not throw from its tick when the stream is closing (status still open), and opens a new one', async () => {
    const { probe, tick, streams, first } = await probing()
    first.writeStatus = 'closing' // libp2p closing the connection: its streams' write sides close first
    for (let i = 0; i < 12; i++) expect(() => { tick() }).not.toThrow()
    await Promise.resolve()
    expect(first.status).toBe('aborted')
    expect(streams.length).toBeGreaterThan(1)
    await probeOnce(tick, () => streams.at(-1))
    expect(streams.at(-1)!.sent.length).toBeGreaterThan(0)
    await probe.stop()
  })

  it('does not throw when a send fails under it (the write side closed between the check and the send)', async () => {
    const { probe, tick, first } = await probing()
    first.send = () => { throw new Error('Cannot write to a stream that is closing') }
    for (let i = 0; i < 12; i++) expect(() => { tick() }).not.toThrow()
    expect(first.status).toBe('aborted')
    await probe.stop()
  })

  it('echoes probes, and drops one that arrives while its stream is closing instead of throwing', async () => {
    const { probe, echo } = setUp()
    await probe.start()
    const inbound = new FakeStream()
    echo(inbound)
    const frame = new Uint8Array(8).fill(7)
    inbound.dispatchEvent(Object.assign(new Event('message'), { data: frame }))
    expect(inbound.sent).toEqual([frame])
    inbound.writeStatus = 'closing'
    expect(() => inbound.dispatchEvent(Object.assign(new Event('message'), { data: frame }))).not.toThrow()
    expect(inbound.sent).toHaveLength(1)
    await probe.stop()
  })
})
