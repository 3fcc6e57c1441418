/**
 * A fedmesh node: the libp2p assembly plus a status snapshot, the same in a browser tab and in Node.js.
 */
import { createFedmeshLibp2p, type FedmeshLibp2p } from './libp2p/create.ts'
import { resolveConfig, type FedmeshConfig } from './config.ts'
import { createTicker, type Ticker } from './timers/ticker.ts'
import type { FedmeshStatus, GossipCopies, GossipLanes, LearningStatus } from './status.ts'
import { isDirect } from './libp2p/connections.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { MemoryNetwork } from './memory/memory-network.ts'
import type { ElectionTimings, LeaveOutcome } from './election/election.ts'
import type { HeartbeatLeave } from './heartbeat/heartbeat.ts'
import type { TrainingTuning } from './training/training.ts'

export interface CreateNodeOptions {
  privateKey?: PrivateKey
  /** Whether the host page is hidden (advertised in heartbeats so others tolerate throttled timers). */
  hidden?: () => boolean
  ticker?: Ticker
  /** Memory mode (Node simulations): memory transport and in-process discovery instead of WebRTC and the relay. */
  memory?: MemoryNetwork
  /** Election timings (docs/election.md). */
  election?: ElectionTimings
  /** Training service settings beyond the configuration (grace period, tick, norm bound, randomness). */
  training?: TrainingTuning
}

/** What leaveNow() sent: the election's resign (when leading) and the membership's leave. */
export interface NodeLeave extends LeaveOutcome {
  leave: HeartbeatLeave['leave']
  /** Peers the leave was written to when it went out at once (`recipients` counts the resign's). */
  leaveRecipients: number
}

export class FedmeshNode {
  readonly startedAt = Date.now()
  private state: FedmeshStatus['state'] = 'starting'
  private error?: string

  private constructor (readonly libp2p: FedmeshLibp2p, readonly config: FedmeshConfig, private readonly ticker: Ticker) {}

  static async create (partial: Partial<FedmeshConfig>, options: CreateNodeOptions = {}): Promise<FedmeshNode> {
    const config = resolveConfig(partial)
    const ticker = options.ticker ?? createTicker()
    const libp2p = await createFedmeshLibp2p({
      config,
      ticker,
      ...(options.privateKey != null ? { privateKey: options.privateKey } : {}),
      ...(options.hidden != null ? { hidden: options.hidden } : {}),
      ...(options.memory != null ? { memory: options.memory } : {}),
      ...(options.election != null ? { election: options.election } : {}),
      ...(options.training != null ? { training: options.training } : {})
    })
    return new FedmeshNode(libp2p, config, ticker)
  }

  get peerId (): string { return this.libp2p.peerId.toString() }
  get heartbeat () { return this.libp2p.services.heartbeat }
  get peering () { return this.libp2p.services.peering }
  get relayLink () { return this.libp2p.services.relayLink }
  get election () { return this.libp2p.services.election }
  /** Federated rounds; idle until `training.begin(...)` (see training/training.ts). */
  get training () { return this.libp2p.services.training }

  /** Milestones in ms since the node was created: where start-up time goes. */
  private readonly marks: Record<string, number> = {}
  private mark (name: string): void { this.marks[name] ??= Math.round(Date.now() - this.startedAt) }

  async start (): Promise<void> {
    try {
      this.mark('starting')
      const events = this.libp2p
      this.relayLink.addEventListener('relay:connected', () => { this.mark('relayConnected') })
      this.relayLink.addEventListener('relay:reserved', () => { this.mark('reserved') })
      events.addEventListener('connection:open', (evt) => { if (isDirect(evt.detail)) this.mark('firstDirectLink') })
      this.heartbeat.addEventListener('heartbeat', () => { this.mark('firstHeartbeat') })
      await this.libp2p.start()
      this.mark('started')
      this.state = 'running'
    } catch (err: any) {
      this.state = 'error'
      this.error = err?.message ?? String(err)
      throw err
    }
  }

  /**
   * The node is going away now (a closing tab's beforeunload or pagehide; stop() does it too). Synchronous, with
   * messages signed ahead of time, so it gets out even if no later task runs: a leading node resigns, so followers
   * elect at once instead of waiting out its lease; and every node says it is leaving, so members drop it at once
   * instead of waiting out failure detection (docs/protocol.md, "Leaving").
   */
  leaveNow (): NodeLeave {
    const resign = this.election.leaveNow()
    const leave = this.heartbeat.leaveNow()
    return { ...resign, leave: leave.leave, leaveRecipients: leave.recipients }
  }

  /** Stop: leave (see leaveNow), let what that sent go out, then close. */
  async stop (): Promise<void> {
    this.state = 'stopped'
    this.leaveNow()
    await this.libp2p.stop()
    this.ticker.stop()
  }

  private learningStatus?: () => LearningStatus | undefined

  private gossipCopies (): Record<string, GossipCopies> | undefined {
    // a field of the patched gossipsub (patches/@libp2p__gossipsub@17.1.1.patch)
    const copies = (this.libp2p.services.pubsub as unknown as { receivedCopies?: Map<string, GossipCopies> }).receivedCopies
    return copies === undefined ? undefined : Object.fromEntries([...copies].map(([topic, c]) => [topic, { ...c }]))
  }

  private gossipLanes (): GossipLanes | undefined {
    // a field of the patched gossipsub, like receivedCopies
    const lanes = (this.libp2p.services.pubsub as unknown as { laneCounts?: GossipLanes }).laneCounts
    return lanes === undefined ? undefined : { ...lanes }
  }

  private gossipMesh (): Record<string, string[]> {
    const pubsub = this.libp2p.services.pubsub
    // the implementation has getMeshPeers; @libp2p/gossipsub's public interface does not declare it
    const meshPeers = (pubsub as unknown as { getMeshPeers?: (topic: string) => string[] }).getMeshPeers?.bind(pubsub)
    const mesh: Record<string, string[]> = {}
    if (meshPeers === undefined) return mesh
    for (const topic of pubsub.getTopics()) mesh[topic] = [...meshPeers(topic)]
    return mesh
  }

  /** Include the tab's learner in status() (the app owns the learner; the node only reports it). */
  attachLearningStatus (source: () => LearningStatus | undefined): void {
    this.learningStatus = source
  }

  status (): FedmeshStatus {
    const learning = this.learningStatus?.()
    const hb = this.heartbeat
    const peering = this.peering
    const now = performance.now() // membership times come from the monotonic system clock
    const relay = this.relayLink.status()
    const copies = this.gossipCopies()
    const lanes = this.gossipLanes()
    return {
      peerId: this.peerId,
      startedAt: this.startedAt,
      state: this.state,
      ...(this.error != null ? { error: this.error } : relay.lastError != null && !relay.connected ? { error: relay.lastError } : {}),
      config: { heartbeatMs: this.config.heartbeatMs, targetPeers: this.config.targetPeers, maxPeers: this.config.maxPeers },
      relay,
      neighbours: peering.neighbours().map(n => {
        const q = this.libp2p.services.linkProbe.stats.get(n.peerId)
        return { ...n, ...(q.rttMs != null ? { rttMs: round(q.rttMs) } : {}), ...(q.jitterMs != null ? { jitterMs: round(q.jitterMs) } : {}), ...(q.pings > 0 ? { loss: q.loss } : {}) }
      }),
      membership: hb.membership.list().map(m => ({
        peerId: m.peerId,
        state: m.state,
        phi: round(m.phi),
        lastHeardAt: m.lastHeardAt,
        lastHeardMsAgo: Math.round(now - m.lastHeardAt),
        heartbeats: m.heartbeats,
        hidden: m.hidden,
        ...(m.left ? { left: true as const } : {}),
        ...(m.last != null ? { directPeers: m.last.metrics.directPeers } : {})
      })),
      counters: {
        heartbeatsSent: hb.counters.heartbeatsSent,
        heartbeatsReceived: hb.counters.heartbeatsReceived,
        leavesSent: hb.counters.leavesSent,
        leavesReceived: hb.counters.leavesReceived,
        messagesIn: hb.traffic.messagesIn,
        messagesOut: hb.traffic.messagesOut,
        bytesIn: hb.traffic.bytesIn,
        bytesOut: hb.traffic.bytesOut,
        ...peering.counters
      },
      rejected: hb.rejected(),
      heartbeatRatePerSec: hb.receiveRate(),
      timeline: { ...this.marks },
      gossipMesh: this.gossipMesh(),
      ...(copies !== undefined ? { gossipCopies: copies } : {}),
      ...(lanes !== undefined ? { gossipLanes: lanes } : {}),
      election: this.election.status(),
      training: this.training.status(),
      ...(peering.lastDialError != null ? { lastDialError: peering.lastDialError } : {}),
      ...(learning != null ? { learning } : {})
    }
  }
}

function round (x: number): number { return Math.round(x * 100) / 100 }
