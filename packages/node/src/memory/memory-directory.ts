/**
 * Stands in for the relay link in memory mode: registers the node on the in-process MemoryNetwork, answers
 * discovery from it, and tells peering to dial `/memory/<peer>` directly. There is no relay, so it is always
 * "connected" and there are no relay peers.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { TypedEventEmitter } from 'main-event'
import { MemoryNetwork } from './memory-network.ts'
import type { RelayLinkEvents, RelayLinkStatus } from '../relay-link/relay-link.ts'
import type { ConnectionManagerLike as ConnectionManager } from '../libp2p/connections.ts'
import type { PeerId, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface MemoryDirectoryInit { network: MemoryNetwork }
export interface MemoryDirectoryComponents { peerId: PeerId, connectionManager: ConnectionManager }

export class MemoryDirectory extends TypedEventEmitter<RelayLinkEvents> implements Startable {
  private readonly self: string
  private joined = false

  constructor (private readonly components: MemoryDirectoryComponents, private readonly init: MemoryDirectoryInit) {
    super()
    this.self = components.peerId.toString()
  }

  readonly [Symbol.toStringTag] = '@fedmesh/memory-directory'

  start (): void {}

  afterStart (): void {
    this.joined = true
    this.init.network.join(this.self, {
      closeLinksTo: async (peers) => {
        await Promise.allSettled(peers.map(async peer => { await this.components.connectionManager.closeConnections(peerIdFromString(peer)) }))
      }
    })
    queueMicrotask(() => { this.safeDispatchEvent('relay:connected', { detail: 'memory' }) })
  }

  stop (): void {
    this.joined = false
    this.init.network.leave(this.self)
  }

  relayPeerIds (): Set<string> { return new Set() }

  dialAddress (peer: string): Multiaddr | undefined {
    if (!this.init.network.has(peer) || !this.init.network.reachable(this.self, peer)) return undefined
    return multiaddr(`${MemoryNetwork.addressOf(peer)}/p2p/${peer}`)
  }

  status (): RelayLinkStatus {
    return { addrs: [], connected: this.joined, reserved: this.joined, bootstraps: this.joined ? 1 : 0, failures: 0 }
  }

  async discover (limit: number): Promise<string[]> {
    return this.init.network.sample(this.self, limit)
  }
}

export function memoryDirectory (init: MemoryDirectoryInit): (components: MemoryDirectoryComponents) => MemoryDirectory {
  return (components) => new MemoryDirectory(components, init)
}
