/**
 * N fedmesh nodes in one Node.js process over libp2p's memory transport: the same FedmeshNode code as a tab (peering,
 * heartbeats, membership, election), with an in-process directory instead of the relay. Faults: crash or stop a
 * node, partition the network, per-buffer latency. Observers read each node's status, as automation does in a tab.
 */
import { FedmeshNode, MemoryNetwork } from '@fedmesh/node'
import type { CreateNodeOptions, ElectionTimings, FedmeshConfig, FedmeshStatus } from '@fedmesh/node'

export interface SimulationOptions {
  /** Heartbeat interval of every node (ms); default 1000. */
  heartbeatMs?: number
  targetPeers?: number
  maxPeers?: number
  /** Delay added to every buffer on a memory link (ms); default 0. */
  latencyMs?: number
  election?: ElectionTimings
  /** Extra node settings (applied to every node). */
  config?: Partial<FedmeshConfig>
  /**
   * Called for every node before it starts: the seam for more services (e.g. training) that need the node, and for
   * per-node options. Return extra CreateNodeOptions (merged over the simulation's).
   */
  beforeCreate?: (index: number) => Partial<CreateNodeOptions> | undefined
  afterStart?: (node: FedmeshNode, index: number) => void | Promise<void>
}

export type KillMode = 'crash' | 'graceful'

export class Simulation {
  readonly network: MemoryNetwork
  /** Every node ever started, in start order (stopped ones included). */
  readonly nodes: FedmeshNode[] = []
  private readonly down = new Set<FedmeshNode>()
  private readonly options: SimulationOptions

  constructor (options: SimulationOptions = {}) {
    this.options = options
    this.network = new MemoryNetwork(options.latencyMs != null ? { latencyMs: options.latencyMs } : {})
  }

  /** Start `count` more nodes, `staggerMs` apart. */
  async add (count: number, staggerMs = 0): Promise<FedmeshNode[]> {
    const added: FedmeshNode[] = []
    for (let i = 0; i < count; i++) {
      const index = this.nodes.length
      const extra = this.options.beforeCreate?.(index) ?? {}
      const node = await FedmeshNode.create({
        heartbeatMs: this.options.heartbeatMs ?? 1000,
        ...(this.options.targetPeers != null ? { targetPeers: this.options.targetPeers } : {}),
        ...(this.options.maxPeers != null ? { maxPeers: this.options.maxPeers } : {}),
        ...this.options.config
      }, {
        memory: this.network,
        ...(this.options.election != null ? { election: this.options.election } : {}),
        ...extra
      })
      this.nodes.push(node)
      await node.start()
      await this.options.afterStart?.(node, index)
      added.push(node)
      if (staggerMs > 0 && i < count - 1) await sleep(staggerMs)
    }
    return added
  }

  /** Nodes still running. */
  live (): FedmeshNode[] { return this.nodes.filter(n => !this.down.has(n)) }

  byId (peerId: string): FedmeshNode | undefined { return this.nodes.find(n => n.peerId === peerId) }

  /**
   * Stop a node. `graceful`: as a closing tab (it resigns, then leaves). `crash`: its links are cut first, so nothing
   * it sends on the way down (its resign) reaches anyone — the others must notice by silence.
   */
  async kill (node: FedmeshNode, mode: KillMode = 'crash'): Promise<void> {
    if (this.down.has(node)) return
    this.down.add(node)
    if (mode === 'crash') {
      // cut it off alone, stop it, then let the rest reconnect freely (an isolated group of one)
      await this.network.partition([[node.peerId], ...this.groupsExcept(node.peerId)])
    }
    await node.stop()
    if (mode === 'crash') await this.network.partition(this.groupsExcept(node.peerId))
  }

  private partitionGroups: string[][] = []
  private groupsExcept (peerId: string): string[][] {
    return this.partitionGroups.map(g => g.filter(p => p !== peerId)).filter(g => g.length > 0)
  }

  /** Split the live nodes: each group is a side; nodes in no group form one more side. */
  async partition (groups: FedmeshNode[][]): Promise<void> {
    this.partitionGroups = groups.map(g => g.map(n => n.peerId))
    await this.network.partition(this.partitionGroups)
  }

  heal (): void {
    this.partitionGroups = []
    this.network.heal()
  }

  async stop (): Promise<void> {
    const live = this.live()
    for (const n of live) this.down.add(n)
    await Promise.allSettled(live.map(async n => { await n.stop() }))
  }

  statuses (): FedmeshStatus[] { return this.live().map(n => n.status()) }

  /** Fraction of ordered pairs (a, b) of live nodes where a sees b alive: 1 when every node hears every other. */
  coverage (): number {
    const live = this.live()
    if (live.length < 2) return 1
    const ids = new Set(live.map(n => n.peerId))
    let seen = 0
    for (const n of live) {
      for (const m of n.heartbeat.membership.list()) if (m.state === 'alive' && ids.has(m.peerId)) seen++
    }
    return seen / (live.length * (live.length - 1))
  }

  /** Has every live node heard heartbeats from every other live node (whatever its state now)? */
  heardAll (): boolean {
    const live = this.live()
    for (const n of live) {
      const known = new Set(n.heartbeat.membership.list().filter(m => m.heartbeats > 0).map(m => m.peerId))
      for (const o of live) if (o !== n && !known.has(o.peerId)) return false
    }
    return true
  }

  /** The leader every live node recognises, with its term, or undefined if they do not (yet) agree. */
  agreedLeader (nodes: FedmeshNode[] = this.live()): { leader: string, term: number } | undefined {
    let agreed: { leader: string, term: number } | undefined
    for (const n of nodes) {
      const leader = n.election.leader()
      const term = n.election.leaderTerm()
      if (leader === undefined || term === undefined) return undefined
      if (agreed === undefined) agreed = { leader, term }
      else if (agreed.leader !== leader || agreed.term !== term) return undefined
    }
    if (agreed === undefined) return undefined
    // the agreed leader must itself be live and leading
    const self = nodes.find(n => n.peerId === agreed.leader)
    return self?.election.role() === 'leader' ? agreed : undefined
  }

  /** Live nodes that consider themselves leader. */
  leaders (): FedmeshNode[] { return this.live().filter(n => n.election.role() === 'leader') }

  directDegrees (): number[] { return this.live().map(n => n.peering.directPeers().length) }
}

export function sleep (ms: number): Promise<void> { return new Promise(resolve => setTimeout(resolve, ms)) }

/** Poll `check` every `intervalMs` until true; returns elapsed ms, or undefined after `timeoutMs`. */
export async function until (check: () => boolean, timeoutMs: number, intervalMs = 50): Promise<number | undefined> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) return undefined
    await sleep(intervalMs)
  }
  return Date.now() - start
}
