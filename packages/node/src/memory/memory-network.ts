/**
 * An in-process network for Node simulations: many FedmeshNodes in one process link over libp2p's memory transport
 * instead of WebRTC, and find each other through this registry instead of the relay's rendezvous. Peering keeps its
 * bounded-degree logic; only where candidates come from and how they are dialled differ.
 *
 * Faults for simulations: a per-buffer latency (the memory transport's own option, fixed when a node is created),
 * and partitions: nodes in different groups cannot dial each other, and existing links between them are closed.
 */
export interface MemoryNetworkOptions {
  /** Delay added to every buffer sent over a memory link (ms); default 0. Each buffer waits on its own timer. */
  latencyMs?: number
  random?: () => number
}

/** What a node registers: how to cut its links to peers it can no longer reach. */
export interface MemoryMember {
  closeLinksTo: (peers: string[]) => Promise<void>
}

export class MemoryNetwork {
  readonly latencyMs: number
  private readonly random: () => number
  private readonly members = new Map<string, MemoryMember>()
  /** peer → partition group; peers without a group are in group 0. */
  private readonly groups = new Map<string, number>()

  constructor (options: MemoryNetworkOptions = {}) {
    this.latencyMs = Math.max(0, options.latencyMs ?? 0)
    this.random = options.random ?? Math.random
  }

  /** The memory multiaddr a node listens on. */
  static addressOf (peerId: string): string { return `/memory/${peerId}` }

  join (peerId: string, member: MemoryMember): void { this.members.set(peerId, member) }
  leave (peerId: string): void { this.members.delete(peerId) }
  has (peerId: string): boolean { return this.members.has(peerId) }
  get size (): number { return this.members.size }
  peers (): string[] { return [...this.members.keys()] }

  reachable (a: string, b: string): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0)
  }

  /** A uniform random sample of up to `limit` reachable members other than `self` (the rendezvous stand-in). */
  sample (self: string, limit: number): string[] {
    const out = [...this.members.keys()].filter(p => p !== self && this.reachable(self, p))
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      const t = out[i] as string
      out[i] = out[j] as string
      out[j] = t
    }
    return out.slice(0, limit)
  }

  /**
   * Split the network: each listed group becomes its own side; unlisted peers stay together in group 0. Resolves
   * once every link across sides is closed.
   */
  async partition (groups: string[][]): Promise<void> {
    this.groups.clear()
    groups.forEach((group, i) => { for (const peer of group) this.groups.set(peer, i + 1) })
    const closing: Array<Promise<void>> = []
    for (const [peer, member] of this.members) {
      const unreachable = [...this.members.keys()].filter(other => other !== peer && !this.reachable(peer, other))
      if (unreachable.length > 0) closing.push(member.closeLinksTo(unreachable))
    }
    await Promise.allSettled(closing)
  }

  heal (): void { this.groups.clear() }
}

/**
 * The memory transport hands each buffer to the receiver in a microtask, so one gossip message would cascade through
 * every node of the process (receive, validate, forward, receive, ...) without returning to the event loop, and
 * timers (leases, heartbeats) would starve for seconds at 20 nodes. Handling each received gossipsub RPC in its own
 * macrotask (setImmediate, in arrival order) breaks the cascade at every hop, as a real network does.
 */
export function yieldBetweenGossipHops (pubsub: unknown): void {
  const gs = pubsub as { handleReceivedRpc?: (from: unknown, rpc: unknown) => Promise<void> }
  const original = gs.handleReceivedRpc?.bind(pubsub)
  if (original == null) throw new Error('gossipsub has no handleReceivedRpc to wrap: check the @libp2p/gossipsub version')
  gs.handleReceivedRpc = async (from, rpc) => {
    await new Promise<void>(resolve => { setImmediate(resolve) })
    await original(from, rpc)
  }
}
