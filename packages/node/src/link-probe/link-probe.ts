/**
 * Link quality (RTT, jitter, loss) to every direct neighbour over ONE long-lived stream per neighbour.
 * libp2p's ping opens a new stream per ping, and on WebRTC every stream is a new data channel plus a
 * multistream-select negotiation: at 8 tabs that alone cost about a third of all Chromium CPU (measured, see
 * docs/benchmarks.md). Here a probe is 8 bytes (id, send time) echoed back on a stream that stays open.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { LinkStats } from '../metrics/link-stats.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { ComponentLogger, Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

export const PROBE_PROTOCOL = '/fedmesh/probe/1.0.0'
const FRAME = 8

export interface LinkProbeInit {
  /** Each neighbour is probed once per interval; probes are spread over it. */
  intervalMs: number
  /** A probe unanswered after this long counts as lost. */
  timeoutMs?: number
  ticker: Ticker
  /** The direct neighbours to probe. */
  neighbours: () => string[]
}

export interface LinkProbeComponents {
  peerId: PeerId
  logger: ComponentLogger
  registrar: { handle: (protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: Record<string, unknown>) => Promise<void>, unhandle: (protocol: string) => Promise<void> }
  connectionManager: { getConnections: (peerId?: PeerId) => Connection[] }
}

interface Prober { stream: Stream, pending: Map<number, number>, buffer: Uint8ArrayList }

export class LinkProbe implements Startable {
  readonly stats = new LinkStats()
  private readonly log: Logger
  private readonly probers = new Map<string, Prober>()
  private readonly opening = new Set<string>()
  private stopTick?: () => void
  private cursor = 0
  private nextId = 1

  constructor (private readonly components: LinkProbeComponents, private readonly init: LinkProbeInit) {
    this.log = components.logger.forComponent('fedmesh:link-probe')
  }

  readonly [Symbol.toStringTag] = '@fedmesh/link-probe'

  async start (): Promise<void> {
    await this.components.registrar.handle(PROBE_PROTOCOL, (stream) => { this.echo(stream) }, { maxInboundStreams: 4, runOnLimitedConnection: false })
  }

  afterStart (): void {
    // one neighbour per tick, so a node with k neighbours probes each every intervalMs
    const tick = (): void => { this.probeNext() }
    const every = Math.max(100, Math.floor(this.init.intervalMs / 6))
    this.stopTick = this.init.ticker.every(every, tick)
  }

  async stop (): Promise<void> {
    this.stopTick?.()
    for (const p of this.probers.values()) p.stream.abort(new Error('stopping'))
    this.probers.clear()
    await this.components.registrar.unhandle(PROBE_PROTOCOL)
  }

  private echo (stream: Stream): void {
    stream.addEventListener('message', (evt) => {
      if (writable(stream)) send(stream, evt.data)
    })
  }

  private probeNext (): void {
    const peers = this.init.neighbours()
    const live = new Set(peers)
    this.stats.retain(live)
    for (const [peer, p] of this.probers) {
      if (!live.has(peer) || !writable(p.stream)) { p.stream.abort(new Error('neighbour gone')); this.probers.delete(peer) }
    }
    if (peers.length === 0) return
    // visit each neighbour once per interval: ticks come 6 per interval, so skip ticks when there are fewer peers
    const slot = this.cursor++
    const perInterval = 6
    if (peers.length < perInterval && slot % perInterval >= peers.length) return
    const peer = peers[(slot % perInterval) % peers.length] as string
    const timeout = this.init.timeoutMs ?? 3000
    const prober = this.probers.get(peer)
    if (prober == null) { void this.open(peer); return }
    const now = performance.now()
    for (const [id, sent] of prober.pending) {
      if (now - sent > timeout) { prober.pending.delete(id); this.stats.record(peer, undefined) }
    }
    const id = this.nextId++ >>> 0
    const frame = new Uint8Array(FRAME)
    new DataView(frame.buffer).setUint32(0, id)
    prober.pending.set(id, now)
    if (prober.pending.size > 16) { const first = prober.pending.keys().next().value as number; prober.pending.delete(first) }
    // the next pass drops a prober whose send failed (the stream is aborted), and opens a new one
    send(prober.stream, frame)
  }

  private async open (peer: string): Promise<void> {
    if (this.opening.has(peer)) return
    const conn = this.components.connectionManager.getConnections().find(c => c.remotePeer.toString() === peer && c.status === 'open' && c.limits == null)
    if (conn == null) return
    this.opening.add(peer)
    try {
      const stream = await conn.newStream(PROBE_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      const prober: Prober = { stream, pending: new Map(), buffer: new Uint8ArrayList() }
      stream.addEventListener('message', (evt) => {
        prober.buffer.append(evt.data)
        while (prober.buffer.byteLength >= FRAME) {
          const id = prober.buffer.getUint32(0)
          prober.buffer.consume(FRAME)
          const sent = prober.pending.get(id)
          if (sent != null) { prober.pending.delete(id); this.stats.record(peer, performance.now() - sent) }
        }
      })
      stream.addEventListener('close', () => { if (this.probers.get(peer) === prober) this.probers.delete(peer) })
      this.probers.set(peer, prober)
    } catch (err: any) {
      this.log('cannot open probe stream to %s: %s', peer, err?.message ?? err)
    } finally {
      this.opening.delete(peer)
    }
  }
}

/**
 * A stream libp2p is closing (the connection going away, or the peer closing it) still says `status` 'open', but its
 * send() throws once the write side is 'closing'. Thrown from a tick or an event handler that would be an uncaught
 * error: in a tab a page error, in Node.js the end of the process.
 */
function writable (stream: Stream): boolean {
  return stream.status === 'open' && stream.writeStatus === 'writable'
}

/** Send, or abort a stream that can no longer take it (a probe lost is a probe lost, never an uncaught error). */
function send (stream: Stream, data: Uint8Array | Uint8ArrayList): void {
  try {
    stream.send(data)
  } catch (err: any) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
  }
}

export function linkProbe (init: LinkProbeInit): (components: LinkProbeComponents) => LinkProbe {
  return (components) => new LinkProbe(components, init)
}
