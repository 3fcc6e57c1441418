/**
 * Keeps a bounded set of direct WebRTC peers: dial towards `targetPeers` through the relay's circuit (WebRTC
 * signalling), accept inbound links up to `maxPeers`, and prune above that. Candidates come from the relay's
 * rendezvous and from gossip (peers heard in heartbeats). A small dial queue with per-peer backoff keeps a loaded
 * machine from drowning in parallel ICE negotiations. Never a full mesh: gossipsub needs only ~6 peers per node.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { Backoff } from '../metrics/backoff.ts'
import { transportOf, isDirect } from '../libp2p/connections.ts'
import type { RelayLinkStatus } from '../relay-link/relay-link.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { ComponentLogger, Connection, Libp2pEvents, PeerId, Startable, TypedEventTarget, Logger } from '@libp2p/interface'
import type { ConnectionManagerLike as ConnectionManager } from '../libp2p/connections.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Where peering finds peers and how it reaches them: the relay link (rendezvous, WebRTC through a relayed circuit)
 * in a tab, or an in-process directory (memory transport) in Node simulations.
 */
export interface PeerDirectory {
  /** Peers that are infrastructure (relays), never neighbours. */
  relayPeerIds: () => Set<string>
  /** Address to dial for a direct link to `peer`, or undefined when there is no way to reach it now. */
  dialAddress: (peer: string) => Multiaddr | undefined
  status: () => RelayLinkStatus
  /** Up to `limit` other nodes to dial. */
  discover: (limit: number) => Promise<string[]>
  addEventListener: (type: 'relay:connected' | 'relay:reserved', listener: () => void) => void
  removeEventListener: (type: 'relay:connected' | 'relay:reserved', listener: () => void) => void
}

export interface PeeringInit {
  targetPeers: number
  maxPeers: number
  dialConcurrency: number
  dialTimeoutMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  discoveryIntervalMs: number
  ticker: Ticker
  relayLink: () => PeerDirectory
  /** Peers known from gossip (membership), alive ones; used as extra dial candidates. */
  gossipCandidates?: () => string[]
  /** Degree a peer advertised in its heartbeat; high-degree peers are pruned first. */
  advertisedDegree?: (peerId: string) => number | undefined
  /**
   * Peers to hold a direct link to whatever targetPeers says (the coordinator and its successor: NodeConfig.leaderLinks,
   * or between the two only, NodeConfig.successorLink): dialled before anyone else, never pruned.
   */
  pinned?: () => Iterable<string>
  /** While this node is such a hub, how many direct links it accepts (above maxPeers); undefined otherwise. */
  hubCapacity?: () => number | undefined
  random?: () => number
}

export interface PeeringComponents {
  peerId: PeerId
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export interface PeeringCounters { dialsStarted: number, dialsSucceeded: number, dialsFailed: number, pruned: number, discoveries: number }

export interface Neighbour { peerId: string, transport: ReturnType<typeof transportOf>, direction: 'inbound' | 'outbound', openedAt: number }

export class Peering implements Startable {
  private readonly log: Logger
  private readonly backoff: Backoff<string>
  private readonly candidates = new Set<string>()
  private readonly inflight = new Set<string>()
  private readonly random: () => number
  private stopTick?: () => void
  private lastDiscovery = 0
  private discovering = false
  private discoverAgain = false
  private started = false
  readonly counters: PeeringCounters = { dialsStarted: 0, dialsSucceeded: 0, dialsFailed: 0, pruned: 0, discoveries: 0 }
  lastDialError?: string

  constructor (private readonly components: PeeringComponents, private readonly init: PeeringInit) {
    this.log = components.logger.forComponent('fedmesh:peering')
    this.backoff = new Backoff(init.backoffBaseMs, init.backoffMaxMs)
    this.random = init.random ?? Math.random
    this.onOpen = this.onOpen.bind(this)
    this.onClose = this.onClose.bind(this)
    this.onRelay = this.onRelay.bind(this)
  }

  readonly [Symbol.toStringTag] = '@fedmesh/peering'

  start (): void {}

  afterStart (): void {
    this.started = true
    this.components.events.addEventListener('connection:open', this.onOpen)
    this.components.events.addEventListener('connection:close', this.onClose)
    this.init.relayLink().addEventListener('relay:connected', this.onRelay)
    this.init.relayLink().addEventListener('relay:reserved', this.onRelay)
    this.stopTick = this.init.ticker.every(1000, () => { this.maintain() })
    queueMicrotask(() => { this.maintain() })
  }

  stop (): void {
    this.started = false
    this.components.events.removeEventListener('connection:open', this.onOpen)
    this.components.events.removeEventListener('connection:close', this.onClose)
    this.init.relayLink().removeEventListener('relay:connected', this.onRelay)
    this.init.relayLink().removeEventListener('relay:reserved', this.onRelay)
    this.stopTick?.()
  }

  /** Direct links (one per peer), plus limited relayed circuits still open. The relay itself is not a neighbour. */
  neighbours (): Neighbour[] {
    const relays = this.init.relayLink().relayPeerIds()
    const byPeer = new Map<string, Neighbour>()
    for (const conn of this.components.connectionManager.getConnections()) {
      const peerId = conn.remotePeer.toString()
      if (relays.has(peerId) || conn.status !== 'open') continue
      const n: Neighbour = { peerId, transport: transportOf(conn), direction: conn.direction, openedAt: conn.timeline.open }
      const existing = byPeer.get(peerId)
      // a direct link outranks a relayed circuit to the same peer
      if (existing == null || (existing.transport === 'relayed' && n.transport !== 'relayed')) byPeer.set(peerId, n)
    }
    return [...byPeer.values()].sort((a, b) => a.peerId < b.peerId ? -1 : 1)
  }

  directPeers (): string[] {
    return this.neighbours().filter(n => n.transport === 'webrtc' || n.transport === 'memory').map(n => n.peerId)
  }

  /** The peers this node holds a direct link to whatever targetPeers says (PeeringInit.pinned), itself and relays left out. */
  pinnedPeers (): string[] {
    const self = this.components.peerId.toString()
    const relays = this.init.relayLink().relayPeerIds()
    return [...new Set(this.init.pinned?.() ?? [])].filter(p => p !== self && !relays.has(p))
  }

  addCandidates (peers: Iterable<string>): void {
    const self = this.components.peerId.toString()
    for (const p of peers) if (p !== self) this.candidates.add(p)
  }

  private onOpen (evt: CustomEvent<Connection>): void {
    const conn = evt.detail
    if (!isDirect(conn)) return
    // The WebRTC link is up, so the relayed circuit used to signal it is no longer needed. Close it later, not now:
    // the other side may be signalling a simultaneous dial over the same circuit, and closing it would fail that dial.
    setTimeout(() => {
      if (!this.started || conn.status !== 'open') return
      for (const other of this.components.connectionManager.getConnections(conn.remotePeer)) {
        if (transportOf(other) === 'relayed' && other.streams.length === 0) void other.close().catch(() => {})
      }
    }, 15_000)
  }

  /**
   * A direct link closed that we did not prune: the peer left or pruned us. Back off before redialling it, so two
   * nodes can't ping-pong a link that one of them keeps pruning.
   */
  private onClose (evt: CustomEvent<Connection>): void {
    const conn = evt.detail
    const peer = conn.remotePeer.toString()
    if (!this.pruning.delete(peer) && (transportOf(conn) === 'webrtc' || transportOf(conn) === 'memory')) {
      this.backoff.fail(peer, Date.now())
    }
    if (this.started) queueMicrotask(() => { this.maintain() })
  }

  private readonly pruning = new Set<string>()

  /**
   * (Re)connected to the relay, or reserved on it: ask it for peers now rather than at the next discovery tick.
   * Asking again once reserved breaks the tie of two nodes that connect at the same moment: each first asks before
   * either is reserved (the relay lists only reserved nodes) and finds nobody, but of two reservations one is first,
   * and the node that reserves second then finds the first.
   */
  private onRelay (): void {
    this.lastDiscovery = 0
    if (this.discovering) this.discoverAgain = true
    this.maintain()
  }

  /** One pass of the control loop: prune above maxPeers, dial towards targetPeers, discover when short of candidates. */
  maintain (): void {
    if (!this.started) return
    const now = Date.now()
    const direct = new Set(this.directPeers())
    const self = this.components.peerId.toString()
    const relays = this.init.relayLink().relayPeerIds()
    const pinned = new Set(this.pinnedPeers())
    // pinned links count towards targetPeers (fewer other dials) but not towards maxPeers: gaining a hub prunes nobody
    let linkedHubs = 0
    for (const p of pinned) if (direct.has(p)) linkedHubs++
    const cap = Math.max(this.init.maxPeers + linkedHubs, this.init.hubCapacity?.() ?? 0)
    if (direct.size > cap) this.prune(direct, pinned, cap)
    // a pinned peer's dial takes no dial slot (dialConcurrency): each hub is dialled at most once at a time
    for (const p of pinned) {
      if (!direct.has(p) && !this.inflight.has(p) && this.backoff.ready(p, now)) this.dial(p)
    }
    const missing = this.init.targetPeers - direct.size - this.inflight.size
    if (missing <= 0) return

    for (const p of this.init.gossipCandidates?.() ?? []) this.candidates.add(p)
    const eligible = [...this.candidates].filter(p => p !== self && !relays.has(p) && !direct.has(p) && !this.inflight.has(p) && this.backoff.ready(p, now))
    shuffle(eligible, this.random)
    // prefer peers that advertise few links: it evens out degrees and gets late joiners connected first
    const degreeOf = (p: string): number => this.init.advertisedDegree?.(p) ?? this.init.targetPeers
    eligible.sort((a, b) => degreeOf(a) - degreeOf(b))
    const slots = Math.min(missing, this.init.dialConcurrency - this.inflight.size)
    for (const peer of eligible.slice(0, Math.max(0, slots))) this.dial(peer)

    if (eligible.length < missing && now - this.lastDiscovery >= this.init.discoveryIntervalMs) void this.discover()
    this.backoff.prune(now, 10 * 60_000)
  }

  private async discover (): Promise<void> {
    if (this.discovering) return
    this.discovering = true
    try {
      if (!this.init.relayLink().status().connected) return
      this.lastDiscovery = Date.now()
      const peers = await this.init.relayLink().discover(Math.max(this.init.targetPeers * 3, 16))
      this.counters.discoveries++
      this.addCandidates(peers)
      if (peers.length > 0) this.maintain()
    } catch (err: any) {
      this.log('rendezvous failed: %s', err?.message ?? err)
    } finally {
      this.discovering = false
      if (this.discoverAgain && this.started) {
        this.discoverAgain = false
        this.lastDiscovery = 0
        this.maintain()
      }
    }
  }

  private dial (peer: string): void {
    const target = this.init.relayLink().dialAddress(peer)
    if (target == null) return
    this.inflight.add(peer)
    this.counters.dialsStarted++
    this.components.connectionManager.openConnection(target, { signal: AbortSignal.timeout(this.init.dialTimeoutMs) })
      .then((conn) => {
        if (isDirect(conn)) {
          this.counters.dialsSucceeded++
          this.backoff.succeed(peer)
        } else {
          throw new Error(`dial produced a ${transportOf(conn)} connection, not WebRTC`)
        }
      })
      .catch((err: any) => {
        this.counters.dialsFailed++
        this.lastDialError = `${peer}: ${err?.message ?? err}`
        const delay = this.backoff.fail(peer, Date.now())
        // a peer that keeps failing has probably gone; forget it after a few tries (gossip or the relay re-offer it)
        if (this.backoff.failures(peer) >= 4) this.candidates.delete(peer)
        this.log('dial %s failed (retry in %d ms): %s', peer, delay, err?.message ?? err)
      })
      .finally(() => {
        this.inflight.delete(peer)
        if (this.started) queueMicrotask(() => { this.maintain() })
      })
  }

  /**
   * Close links above maxPeers. Prune peers that can best afford it: the highest advertised degree first (a newcomer
   * whose heartbeat we have not seen yet counts as degree 0 and is kept), inbound before outbound, newest first.
   * A peer at or below half the target is never pruned: it needs its links more than we need the slot. Nor is a
   * pinned one (a hub: the coordinator or its successor).
   */
  private prune (direct: Set<string>, pinned: Set<string>, cap: number): void {
    let excess = direct.size - cap
    const degree = (peerId: string): number => this.init.advertisedDegree?.(peerId) ?? 0
    const neighbours = this.neighbours().filter(n => direct.has(n.peerId) && !pinned.has(n.peerId))
    neighbours.sort((a, b) => {
      const da = degree(a.peerId)
      const db = degree(b.peerId)
      if (da !== db) return db - da
      if (a.direction !== b.direction) return a.direction === 'inbound' ? -1 : 1
      return b.openedAt - a.openedAt
    })
    for (const n of neighbours) {
      if (excess <= 0 || degree(n.peerId) <= this.init.targetPeers / 2) break
      excess--
      this.counters.pruned++
      this.pruning.add(n.peerId)
      void this.components.connectionManager.closeConnections(peerIdFromString(n.peerId)).catch(() => {})
    }
  }
}

function shuffle<T> (items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
}

export function peering (init: PeeringInit): (components: PeeringComponents) => Peering {
  return (components) => new Peering(components, init)
}
