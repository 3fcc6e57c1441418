import { Election } from '../../src/index.ts'
import type { ElectionConfig, ElectionEvent, ElectionMessage, Output, PeerId, VoteMessage } from '../../src/index.ts'
import { seededRandom } from '../../src/sim/index.ts'

type Tunables = Partial<Omit<ElectionConfig, 'self' | 'clock' | 'random'>>

/**
 * Elections wired by hand: a shared manual clock, instant in-order delivery, and a `deliver` filter to drop chosen
 * messages. For precise scenarios; the lossy, delayed network lives in test/sim.
 */
export class Bus {
  now = 0
  readonly clock = { now: () => this.now }
  readonly nodes = new Map<PeerId, Election>()
  readonly events = new Map<PeerId, ElectionEvent[]>()
  /** Every message sent, in order. */
  readonly log: Array<{ from: PeerId, msg: ElectionMessage }> = []
  /** Return false to drop a delivery. */
  deliver: (from: PeerId, to: PeerId, msg: ElectionMessage) => boolean = () => true
  readonly down = new Set<PeerId>()
  private readonly signed = new Set<string>()
  private readonly queue: Array<{ from: PeerId, msg: ElectionMessage }> = []

  constructor (readonly ids: PeerId[], tunables: Tunables = {}, seed = 1) {
    const random = seededRandom(seed)
    for (const id of ids) {
      this.nodes.set(id, new Election({
        verifyVote: this.verifyVote,
        ...tunables,
        self: id,
        clock: this.clock,
        random: seededRandom(Math.floor(random() * 2 ** 32))
      }))
      this.events.set(id, [])
    }
    for (const id of ids) this.apply(id, this.node(id).onMembership(ids))
    this.flush()
  }

  readonly verifyVote = (v: VoteMessage): boolean => this.signed.has(`${v.from}|${v.term}|${v.candidate}|${v.electorate}`)

  node (id: PeerId): Election {
    const node = this.nodes.get(id)
    if (node === undefined) throw new Error(`no node ${id}`)
    return node
  }

  /** Record `out` of node `from` and queue its messages (call flush() to deliver). */
  apply (from: PeerId, out: Output): Output {
    this.events.get(from)?.push(...out.events)
    for (const msg of out.send) {
      if (msg.type === 'vote') this.signed.add(`${msg.from}|${msg.term}|${msg.candidate}|${msg.electorate}`)
      this.log.push({ from, msg })
      this.queue.push({ from, msg })
    }
    return out
  }

  /** Inject a message as if `from` had broadcast it (votes get signed, as the transport would). */
  inject (from: PeerId, msg: ElectionMessage): void {
    this.apply(from, { send: [msg], events: [] })
    this.flush()
  }

  flush (): void {
    while (this.queue.length > 0) {
      const { from, msg } = this.queue.shift() as { from: PeerId, msg: ElectionMessage }
      if (this.down.has(from)) continue
      for (const [to, node] of this.nodes) {
        if (to === from || this.down.has(to) || !this.deliver(from, to, msg)) continue
        this.apply(to, node.onMessage(msg))
      }
    }
  }

  membership (id: PeerId, alive: PeerId[]): void {
    this.apply(id, this.node(id).onMembership(alive))
    this.flush()
  }

  /** Advance the clock in `stepMs` ticks for `ms`, ticking every up node and delivering everything each step. */
  run (ms: number, stepMs = 50): void {
    const end = this.now + ms
    while (this.now < end) {
      this.now = Math.min(end, this.now + stepMs)
      for (const [id, node] of this.nodes) {
        if (!this.down.has(id)) this.apply(id, node.tick())
      }
      this.flush()
    }
  }

  leaders (): PeerId[] {
    return this.ids.filter(id => !this.down.has(id) && this.node(id).role === 'leader')
  }

  /** The leader all up nodes recognise, or undefined if they disagree or have none. */
  agreed (): PeerId | undefined {
    const seen = new Set(this.ids.filter(id => !this.down.has(id)).map(id => this.node(id).leader))
    const [only] = seen
    return seen.size === 1 ? only : undefined
  }

  sent (from: PeerId, type: ElectionMessage['type']): ElectionMessage[] {
    return this.log.filter(e => e.from === from && e.msg.type === type).map(e => e.msg)
  }
}
