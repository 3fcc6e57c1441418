import { Election, outranks } from '../../src/index.ts'
import type { ElectionConfig, ElectionEvent, ElectionMessage, Output, PeerId, VoteMessage } from '../../src/index.ts'
import { Scheduler, SimulatedNetwork, seededRandom } from '../../src/sim/index.ts'
import type { LinkConditions } from '../../src/sim/index.ts'

type Wire = { kind: 'heartbeat' } | { kind: 'election', msg: ElectionMessage }

type Tunables = Omit<ElectionConfig, 'self' | 'clock' | 'random' | 'verifyVote'>

/** What a Byzantine node sees when it acts: its own id, the time, and a signer that only signs as itself. */
export interface ByzantineContext {
  self: PeerId
  now: number
  /** Members this node's failure detector considers alive. */
  alive: PeerId[]
  random: () => number
  /** The node's own honest state machine (if it runs one), e.g. to read its term. */
  election: Election | undefined
}

export interface ByzantineBehaviour {
  /** Also run the honest protocol (and send what it sends)? */
  honest: boolean
  /** Extra messages to send after receiving `msg`; they go out with `from` forced to this node. */
  onMessage?: (ctx: ByzantineContext, msg: ElectionMessage) => ElectionMessage[]
  /** Extra messages to send on each tick. */
  onTick?: (ctx: ByzantineContext) => ElectionMessage[]
}

export interface ClusterOptions {
  size: number
  seed: number
  link?: Partial<LinkConditions>
  /** Failure detector: heartbeat period and the silence after which a peer is no longer alive. */
  heartbeatMs?: number
  failureTimeoutMs?: number
  tickMs?: number
  /** Nodes start at a uniform random time in [0, startSpreadMs]. */
  startSpreadMs?: number
  election?: Partial<Tunables>
  byzantine?: Record<PeerId, ByzantineBehaviour>
}

export interface Win {
  term: number
  leader: PeerId
  at: number
  byzantine: boolean
}

interface SimNode {
  id: PeerId
  election: Election
  random: () => number
  lastHeard: Map<PeerId, number>
  aliveNow: Set<PeerId>
  alive: PeerId[]
  byzantine: ByzantineBehaviour | undefined
  /** Highest (term, leader) this node has recognised, to check that recognition never goes backwards. */
  recognised: { term: number, leader: PeerId } | undefined
  started: boolean
  events: ElectionEvent[]
}

/**
 * The ids of a cluster's nodes. They depend on the seed because the preference order is a hash of (term, id):
 * with the same ids in every run, the same node would be preferred in term 1 of every run.
 */
export function nodeIds (size: number, seed: number): PeerId[] {
  const salt = (seed >>> 0).toString(36)
  return Array.from({ length: size }, (_, i) => `peer-${String(i).padStart(3, '0')}-${salt}`)
}

function voteKey (v: VoteMessage): string {
  return `${v.from}|${v.term}|${v.candidate}|${v.electorate}`
}

/**
 * N election nodes on a simulated lossy broadcast network, each with a heartbeat failure detector feeding its
 * membership view, plus the bookkeeping the safety checks need: who won which term, which electorate every voter knew
 * when it voted, and whether any node's recognised leader ever went backwards.
 */
export class Cluster {
  readonly scheduler: Scheduler
  readonly network: SimulatedNetwork<Wire>
  readonly ids: PeerId[] = []
  readonly wins: Win[] = []
  /** term → voter → size of the electorate the voter knew when it voted (claims count as votes). */
  readonly votersByTerm = new Map<number, Map<PeerId, number>>()
  /** Honest nodes that voted for two candidates in one term: the premise of the safety argument, checked directly. */
  readonly doubleVotes: string[] = []
  readonly regressions: string[] = []
  private readonly honestBallots = new Map<string, PeerId>()
  private readonly nodes = new Map<PeerId, SimNode>()
  private readonly signed = new Set<string>()
  private readonly options: Required<Omit<ClusterOptions, 'link' | 'election' | 'byzantine'>>
  private readonly byzantine: Record<PeerId, ByzantineBehaviour>

  constructor (options: ClusterOptions) {
    this.options = {
      size: options.size,
      seed: options.seed,
      heartbeatMs: options.heartbeatMs ?? 1_000,
      failureTimeoutMs: options.failureTimeoutMs ?? 3_000,
      tickMs: options.tickMs ?? 100,
      startSpreadMs: options.startSpreadMs ?? 500
    }
    this.byzantine = options.byzantine ?? {}
    const random = seededRandom(options.seed)
    this.scheduler = new Scheduler(0)
    this.network = new SimulatedNetwork<Wire>(this.scheduler, seededRandom(options.seed ^ 0x5eed), {
      loss: options.link?.loss ?? 0,
      delayMs: options.link?.delayMs ?? [10, 100],
      duplicate: options.link?.duplicate ?? 0
    })
    this.tunables = options.election ?? {}
    this.random = random
    for (const id of nodeIds(options.size, options.seed)) {
      this.ids.push(id)
      const start = random() * this.options.startSpreadMs
      this.scheduler.at(start, () => { this.start(id, {}) })
    }
  }

  private readonly tunables: Partial<Tunables>
  private readonly random: () => number

  /** A new node joins now (a tab opens). */
  addNode (id: PeerId = `peer-new-${this.ids.length}`): PeerId {
    this.ids.push(id)
    this.start(id, {})
    return id
  }

  /**
   * The node's tab reloads with the same peer id after `downMs`: a fresh state machine, given its old `term` as
   * `persistedTerm` unless `persist` is false.
   */
  restart (id: PeerId, downMs: number, persist = true): void {
    const old = this.nodes.get(id)
    this.network.crash(id)
    const persistedTerm = persist ? old?.election.term ?? 0 : 0
    this.scheduler.after(downMs, () => {
      this.network.restore(id)
      this.start(id, { persistedTerm })
    })
  }

  get now (): number {
    return this.scheduler.now
  }

  election (id: PeerId): Election {
    const node = this.nodes.get(id)
    if (node === undefined) throw new Error(`node ${id} has not started yet`)
    return node.election
  }

  events (id: PeerId): ElectionEvent[] {
    return this.nodes.get(id)?.events ?? []
  }

  isUp (id: PeerId): boolean {
    return this.network.isUp(id) && this.nodes.get(id)?.started === true
  }

  upIds (): PeerId[] {
    return this.ids.filter(id => this.isUp(id))
  }

  honestUpIds (): PeerId[] {
    return this.upIds().filter(id => this.byzantine[id] === undefined)
  }

  /** Call into a node's state machine (distrust, resign, …) and send what it returns. */
  act (id: PeerId, fn: (election: Election) => Output): void {
    const node = this.nodes.get(id)
    if (node !== undefined && this.network.isUp(id)) this.emit(node, fn(node.election))
  }

  crash (id: PeerId): void {
    this.network.crash(id)
  }

  /** Graceful close: the node resigns (if leading), its resign message goes out, then it crashes. */
  close (id: PeerId): void {
    const node = this.nodes.get(id)
    if (node !== undefined) this.emit(node, node.election.resign())
    this.network.crash(id)
  }

  partition (groups: ReadonlyArray<readonly PeerId[]>): void {
    this.network.partition(groups)
  }

  heal (): void {
    this.network.heal()
  }

  runFor (ms: number): void {
    this.scheduler.runFor(ms)
  }

  /**
   * The leader every node in `among` (default: honest up nodes) recognises, if they all recognise the same one and it
   * is up and leading itself in that term.
   */
  agreement (among: PeerId[] = this.honestUpIds()): { leader: PeerId, term: number } | undefined {
    let leader: PeerId | undefined
    let term: number | undefined
    for (const id of among) {
      const e = this.election(id)
      const l = e.leader
      if (l === undefined) return undefined
      if (leader === undefined) {
        leader = l
        term = e.leaderTerm
      } else if (l !== leader || e.leaderTerm !== term) {
        return undefined
      }
    }
    if (leader === undefined || term === undefined || !this.isUp(leader)) return undefined
    const own = this.election(leader)
    if (own.role !== 'leader' || own.leaderTerm !== term) return undefined
    return { leader, term }
  }

  /**
   * Run until `among` agree on a leader (optionally one satisfying `accept`), checking every `resolutionMs` of
   * simulated time; returns the time taken (to that resolution) or undefined.
   */
  runUntilAgreement (maxMs: number, accept: (a: { leader: PeerId, term: number }) => boolean = () => true, among?: () => PeerId[], resolutionMs = 10): number | undefined {
    const start = this.now
    const done = (): boolean => {
      const a = this.agreement(among?.())
      return a !== undefined && accept(a)
    }
    while (!done()) {
      if (this.now - start >= maxMs) return undefined
      this.scheduler.runFor(Math.min(resolutionMs, start + maxMs - this.now))
    }
    return this.now - start
  }

  /**
   * Run until no honest node counts a crashed member in its electorate any more (each one left the views and then
   * `memberTtlMs` passed); false if that takes longer than `maxMs`.
   */
  runUntilCrashedForgotten (maxMs: number): boolean {
    const start = this.now
    const forgotten = (): boolean => this.honestUpIds().every(id => this.election(id).electorate === this.upIds().length)
    while (!forgotten()) {
      if (this.now - start >= maxMs) return false
      this.runFor(100)
    }
    return true
  }

  /**
   * Run until all honest up nodes agree and return the agreed leadership (throws if they do not within `maxMs`).
   * Use this rather than agreement() at an arbitrary instant: under heavy loss a follower's lease can lapse briefly.
   */
  settle (maxMs = 30_000): { leader: PeerId, term: number } {
    if (this.runUntilAgreement(maxMs) === undefined) throw new Error(`no agreement within ${maxMs} ms at ${this.now}`)
    return this.agreement() as { leader: PeerId, term: number }
  }

  /** Nodes that believe they lead right now. */
  currentLeaders (): PeerId[] {
    return this.upIds().filter(id => this.election(id).role === 'leader')
  }

  /** term → distinct winners. */
  winnersByTerm (): Map<number, Set<PeerId>> {
    const out = new Map<number, Set<PeerId>>()
    for (const w of this.wins) {
      let s = out.get(w.term)
      if (s === undefined) out.set(w.term, s = new Set())
      s.add(w.leader)
    }
    return out
  }

  /**
   * The safety theorem's precondition for `term` (docs/election.md): every honest node that voted in it knew an
   * electorate at least as large as the number of nodes that voted in it.
   */
  preconditionHolds (term: number): boolean {
    const voters = this.votersByTerm.get(term)
    if (voters === undefined) return true
    for (const [voter, known] of voters) {
      if (this.byzantine[voter] === undefined && known < voters.size) return false
    }
    return true
  }

  /** Terms with two or more winners, split by whether the theorem's precondition held. */
  splitTerms (): { covered: number[], uncovered: number[] } {
    const covered: number[] = []
    const uncovered: number[] = []
    for (const [term, winners] of this.winnersByTerm()) {
      if (winners.size < 2) continue
      if (this.preconditionHolds(term)) covered.push(term)
      else uncovered.push(term)
    }
    return { covered, uncovered }
  }

  verifyVote = (vote: VoteMessage): boolean => this.signed.has(voteKey(vote))

  // ---------------------------------------------------------------------------------------------------------------

  private start (id: PeerId, extra: Partial<Tunables>): void {
    const random = seededRandom(Math.floor(this.random() * 2 ** 32))
    const election = new Election({
      ...this.tunables,
      ...extra,
      self: id,
      clock: this.scheduler.clock,
      random,
      verifyVote: this.verifyVote
    })
    const node: SimNode = {
      id,
      election,
      random,
      lastHeard: new Map(),
      aliveNow: new Set(),
      alive: [id],
      byzantine: this.byzantine[id],
      recognised: undefined,
      started: true,
      events: []
    }
    const restarted = this.nodes.has(id)
    this.nodes.set(id, node)
    if (!restarted) {
      this.network.attach(id, (from, wire) => {
        const current = this.nodes.get(id)
        if (current !== undefined) this.receive(current, from, wire)
      })
    }
    // The loops of a node's earlier incarnation stop once it has been replaced.
    const stopHeartbeat = this.scheduler.every(this.options.heartbeatMs, () => {
      if (this.nodes.get(id) !== node) stopHeartbeat()
      else this.network.broadcast(id, { kind: 'heartbeat' })
    }, this.now)
    const stopTick = this.scheduler.every(this.options.tickMs, () => {
      if (this.nodes.get(id) !== node) stopTick()
      else this.tick(node)
    }, this.now + random() * this.options.tickMs)
  }

  private receive (node: SimNode, from: PeerId, wire: Wire): void {
    if (wire.kind === 'heartbeat') {
      node.lastHeard.set(from, this.now)
      return
    }
    if (node.byzantine?.honest !== false) this.emit(node, node.election.onMessage(wire.msg))
    const extra = node.byzantine?.onMessage?.(this.context(node), wire.msg)
    if (extra !== undefined) this.emit(node, { send: extra, events: [] })
  }

  private tick (node: SimNode): void {
    if (!this.network.isUp(node.id)) return
    // Only rebuild the view when some peer crossed the timeout (this runs 10 times a second per node).
    let changed = false
    for (const [peer, at] of node.lastHeard) {
      if ((this.now - at <= this.options.failureTimeoutMs) !== node.aliveNow.has(peer)) {
        changed = true
        break
      }
    }
    if (changed) {
      node.aliveNow = new Set([...node.lastHeard].filter(([, at]) => this.now - at <= this.options.failureTimeoutMs).map(([peer]) => peer))
      node.alive = [node.id, ...node.aliveNow]
      if (node.byzantine?.honest !== false) this.emit(node, node.election.onMembership(node.alive))
    }
    if (node.byzantine?.honest !== false) this.emit(node, node.election.tick())
    const extra = node.byzantine?.onTick?.(this.context(node))
    if (extra !== undefined) this.emit(node, { send: extra, events: [] })
  }

  private context (node: SimNode): ByzantineContext {
    return {
      self: node.id,
      now: this.now,
      alive: node.alive,
      random: node.random,
      election: node.byzantine?.honest === true ? node.election : undefined
    }
  }

  private emit (node: SimNode, out: Output): void {
    for (const event of out.events) {
      node.events.push(event)
      if (event.type === 'leader-changed' && event.leader !== undefined) {
        if (event.leader === node.id) this.wins.push({ term: event.term, leader: node.id, at: this.now, byzantine: node.byzantine !== undefined })
        const prev = node.recognised
        if (prev !== undefined && outranks(prev.term, prev.leader, event.term, event.leader)) {
          this.regressions.push(`${node.id} went from ${prev.leader}@${prev.term} back to ${event.leader}@${event.term} at ${this.now}`)
        }
        if (prev === undefined || outranks(event.term, event.leader, prev.term, prev.leader)) node.recognised = { term: event.term, leader: event.leader }
      }
    }
    for (const msg of out.send) {
      // The transport authenticates senders: whatever a node puts in `from`, it goes out as itself.
      if (msg.from !== node.id) continue
      if ((msg.type === 'vote' || msg.type === 'claim') && node.byzantine === undefined) {
        const candidate = msg.type === 'vote' ? msg.candidate : msg.from
        const key = `${msg.term}|${node.id}`
        const before = this.honestBallots.get(key)
        if (before !== undefined && before !== candidate) this.doubleVotes.push(`${node.id} voted for ${before} and ${candidate} in term ${msg.term}`)
        this.honestBallots.set(key, candidate)
      }
      if (msg.type === 'vote' || msg.type === 'claim') {
        const known = node.byzantine === undefined ? node.election.electorate : Infinity
        let voters = this.votersByTerm.get(msg.term)
        if (voters === undefined) this.votersByTerm.set(msg.term, voters = new Map())
        voters.set(node.id, Math.min(voters.get(node.id) ?? Infinity, known))
      }
      if (msg.type === 'vote') this.signed.add(voteKey(msg))
      this.network.broadcast(node.id, { kind: 'election', msg })
    }
  }
}
