import type { AbortOptions, Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type LinkTransport = 'webrtc' | 'relayed' | 'websocket' | 'memory' | 'other'

/** What carries a connection: a direct WebRTC link, a limited relayed circuit (signalling only), a websocket (the relay). */
export function transportOf (conn: Connection): LinkTransport {
  const addr = conn.remoteAddr.toString()
  if (/\/webrtc(\/|$)/.test(addr)) return 'webrtc'
  if (addr.includes('/p2p-circuit')) return 'relayed'
  if (addr.includes('/memory/')) return 'memory'
  if (/\/(ws|wss|tls\/ws)(\/|$)/.test(addr)) return 'websocket'
  return 'other'
}

/** A direct data link between two nodes (not through the relay). Memory links stand in for WebRTC in Node simulations. */
export function isDirect (conn: Connection): boolean {
  const t = transportOf(conn)
  return (t === 'webrtc' || t === 'memory') && conn.status === 'open' && conn.limits == null
}

/** The part of libp2p's (internal) connection manager the fedmesh services use. */
export interface ConnectionManagerLike {
  getConnections: (peerId?: PeerId) => Connection[]
  openConnection: (target: Multiaddr | PeerId, options?: AbortOptions) => Promise<Connection>
  closeConnections: (peerId: PeerId, options?: AbortOptions) => Promise<void>
}
