/**
 * Keeps this node attached to its relay(s): dials with backoff until connected, notices when the relay goes away
 * and re-bootstraps when it returns, and asks the relay (rendezvous) for other nodes. The circuit-relay transport,
 * listening on `/p2p-circuit`, makes the reservation itself once the relay connection is identified.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { lpStream } from '@libp2p/utils'
import { Backoff } from '../metrics/backoff.ts'
import { RENDEZVOUS_PROTOCOL, RENDEZVOUS_VERSION, MAX_RENDEZVOUS_BYTES, encodeJson, decodeResponse } from '../rendezvous/codec.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { ComponentLogger, Connection, Libp2pEvents, PeerId, Startable, TypedEventTarget, Logger } from '@libp2p/interface'
import type { ConnectionManagerLike as ConnectionManager } from '../libp2p/connections.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RelayLinkInit {
  relayAddrs: string[]
  backoffBaseMs: number
  backoffMaxMs: number
  dialTimeoutMs: number
  ticker: Ticker
}

export interface RelayLinkComponents {
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  addressManager: { getAddresses: () => Multiaddr[] }
}

export interface RelayLinkStatus {
  addrs: string[]
  connected: boolean
  reserved: boolean
  lastError?: string
  /** Connections to a relay that opened: this service's (re)dials and libp2p's own redials of a relay it keeps alive. */
  bootstraps: number
  /** Consecutive failed attempts since the last success. */
  failures: number
  nextAttemptInMs?: number
}

export interface RelayLinkEvents {
  'relay:connected': CustomEvent<string>
  /** The circuit-relay listener holds a reservation: other nodes can now reach this one through the relay. */
  'relay:reserved': CustomEvent<string[]>
}

export class RelayLink extends TypedEventEmitter<RelayLinkEvents> implements Startable {
  private readonly log: Logger
  private readonly backoff: Backoff<string>
  private readonly relays: Array<{ addr: Multiaddr, peerId: string }>
  private stopTick?: () => void
  private dialing = new Set<string>()
  private lastError?: string
  private bootstraps = 0
  private started = false

  constructor (private readonly components: RelayLinkComponents, private readonly init: RelayLinkInit) {
    super()
    this.log = components.logger.forComponent('fedmesh:relay-link')
    this.backoff = new Backoff(init.backoffBaseMs, init.backoffMaxMs)
    this.relays = init.relayAddrs.map(a => {
      const addr = multiaddr(a)
      const peerId = addr.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peerId == null) throw new Error(`relay address ${a} must end with /p2p/<relay peer id>`)
      return { addr, peerId }
    })
    this.onOpen = this.onOpen.bind(this)
    this.onClose = this.onClose.bind(this)
    this.onListening = this.onListening.bind(this)
  }

  readonly [Symbol.toStringTag] = '@fedmesh/relay-link'

  start (): void {}

  afterStart (): void {
    this.started = true
    this.components.events.addEventListener('connection:open', this.onOpen)
    this.components.events.addEventListener('connection:close', this.onClose)
    this.components.events.addEventListener('transport:listening', this.onListening)
    this.stopTick = this.init.ticker.every(1000, () => { this.ensureConnected() })
    this.ensureConnected()
  }

  stop (): void {
    this.started = false
    this.components.events.removeEventListener('connection:open', this.onOpen)
    this.components.events.removeEventListener('connection:close', this.onClose)
    this.components.events.removeEventListener('transport:listening', this.onListening)
    this.stopTick?.()
  }

  relayPeerIds (): Set<string> { return new Set(this.relays.map(r => r.peerId)) }

  /** Relay addresses usable as the base of `/p2p-circuit/webrtc/p2p/<peer>` dials, connected relays first. */
  circuitBases (): Multiaddr[] {
    const connected = this.relays.filter(r => this.connectionTo(r.peerId) != null)
    return (connected.length > 0 ? connected : this.relays).map(r => r.addr)
  }

  /** A direct WebRTC link to `peer`, signalled through a relayed circuit. */
  dialAddress (peer: string): Multiaddr | undefined {
    const base = this.circuitBases()[0]
    return base == null ? undefined : multiaddr(`${base.toString()}/p2p-circuit/webrtc/p2p/${peer}`)
  }

  status (): RelayLinkStatus {
    const now = Date.now()
    const connected = this.relays.some(r => this.connectionTo(r.peerId) != null)
    const reserved = this.components.addressManager.getAddresses().some(a => a.toString().includes('/p2p-circuit'))
    const first = this.relays[0]
    const failures = first == null ? 0 : this.backoff.failures(first.addr.toString())
    return {
      addrs: this.relays.map(r => r.addr.toString()),
      connected,
      reserved,
      ...(this.lastError != null ? { lastError: this.lastError } : {}),
      bootstraps: this.bootstraps,
      failures,
      ...(connected || first == null ? {} : { nextAttemptInMs: Math.max(0, this.nextAttempt(first.addr.toString()) - now) })
    }
  }

  /** Ask a connected relay for up to `limit` other nodes holding a reservation. */
  async discover (limit: number): Promise<string[]> {
    for (const relay of this.relays) {
      const conn = this.connectionTo(relay.peerId)
      if (conn == null) continue
      const stream = await conn.newStream(RENDEZVOUS_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      try {
        const lp = lpStream(stream, { maxDataLength: MAX_RENDEZVOUS_BYTES })
        await lp.write(encodeJson({ v: RENDEZVOUS_VERSION, limit }))
        const response = decodeResponse((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
        await stream.close()
        return response.peers
      } catch (err: any) {
        stream.abort(err)
        throw err
      }
    }
    return []
  }

  private nextAttemptAt = new Map<string, number>()
  private nextAttempt (key: string): number { return this.nextAttemptAt.get(key) ?? 0 }

  private connectionTo (peerId: string): Connection | undefined {
    return this.components.connectionManager.getConnections().find(c => c.remotePeer.toString() === peerId && c.status === 'open')
  }

  /**
   * A connection to a relay opened. Counted here rather than where this service's dial resolves: libp2p redials a
   * relay the circuit-relay transport keeps alive on its own, and when that redial wins, this service never dials (a
   * CI run saw a node reconnected and reserved after a relay restart with its count still 1).
   */
  private onOpen (evt: CustomEvent<Connection>): void {
    const peer = evt.detail.remotePeer.toString()
    const relay = this.relays.find(r => r.peerId === peer)
    if (!this.started || relay === undefined) return
    const key = relay.addr.toString()
    this.backoff.succeed(key)
    this.bootstraps++
    delete this.lastError
    this.log('connected to relay %s', key)
    this.safeDispatchEvent('relay:connected', { detail: key })
  }

  private onClose (evt: CustomEvent<Connection>): void {
    const peer = evt.detail.remotePeer.toString()
    if (this.relays.some(r => r.peerId === peer) && this.started) {
      this.log('relay %s connection closed; will re-bootstrap', peer)
      this.lastError = 'relay connection closed'
      queueMicrotask(() => { this.ensureConnected() })
    }
  }

  private onListening (evt: CustomEvent<{ getAddrs: () => Multiaddr[] }>): void {
    const circuit = evt.detail.getAddrs().map(a => a.toString()).filter(a => a.includes('/p2p-circuit'))
    if (circuit.length > 0 && this.started) this.safeDispatchEvent('relay:reserved', { detail: circuit })
  }

  private ensureConnected (): void {
    if (!this.started) return
    const now = Date.now()
    for (const relay of this.relays) {
      const key = relay.addr.toString()
      if (this.connectionTo(relay.peerId) != null || this.dialing.has(key)) continue
      if (!this.backoff.ready(key, now)) continue
      this.dialing.add(key)
      this.components.connectionManager.openConnection(relay.addr, { signal: AbortSignal.timeout(this.init.dialTimeoutMs) })
        // success is handled where the connection opens (onOpen), whoever dialled it
        .catch((err: any) => {
          const delay = this.backoff.fail(key, Date.now())
          this.nextAttemptAt.set(key, Date.now() + delay)
          this.lastError = `cannot reach relay ${key}: ${err?.message ?? err}; retrying in ${(delay / 1000).toFixed(1)} s`
          this.log.error(this.lastError)
        })
        .finally(() => { this.dialing.delete(key) })
    }
  }
}

export function relayLink (init: RelayLinkInit): (components: RelayLinkComponents) => RelayLink {
  return (components) => new RelayLink(components, init)
}

export type { PeerId }
