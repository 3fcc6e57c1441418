import { uniform } from './random.ts'
import type { Scheduler } from './scheduler.ts'

export interface LinkConditions {
  /** Probability that one delivery (one message to one recipient) is lost. */
  loss: number
  /** Each delivery is delayed uniformly within [min, max] ms, so messages get reordered. */
  delayMs: readonly [number, number]
  /** Probability that a delivery happens twice (the copy with its own delay). */
  duplicate: number
}

export interface NetworkStats {
  sent: number
  delivered: number
  lost: number
  cut: number
}

type Deliver<M> = (from: string, msg: M) => void

/**
 * A broadcast network in the style of gossipsub as seen by the application: every message goes to every other
 * attached node, each copy independently lost, delayed, reordered or duplicated. Nodes can crash (stop sending and
 * receiving) and be partitioned into groups that cannot reach each other. Senders are authenticated: a node can only
 * send as itself, as gossipsub's signatures guarantee.
 */
export class SimulatedNetwork<M> {
  conditions: LinkConditions
  /**
   * Drops the messages for which it returns true, as if that link never carried them (counted as cut): e.g. one
   * member's heartbeats to some nodes only, so that the nodes' views of who is alive differ.
   */
  drop: ((from: string, to: string, msg: M) => boolean) | undefined
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, cut: 0 }
  private readonly nodes = new Map<string, Deliver<M>>()
  private readonly crashed = new Set<string>()
  private groupOf: Map<string, number> | undefined

  constructor (private readonly scheduler: Scheduler, private readonly random: () => number, conditions: LinkConditions) {
    checkConditions(conditions)
    this.conditions = conditions
  }

  attach (id: string, deliver: Deliver<M>): void {
    if (this.nodes.has(id)) throw new Error(`node ${id} is already attached`)
    this.nodes.set(id, deliver)
  }

  get ids (): string[] {
    return [...this.nodes.keys()]
  }

  crash (id: string): void {
    this.crashed.add(id)
  }

  restore (id: string): void {
    this.crashed.delete(id)
  }

  isUp (id: string): boolean {
    return this.nodes.has(id) && !this.crashed.has(id)
  }

  /** Split the network: nodes in different groups cannot reach each other; unlisted nodes reach nobody. */
  partition (groups: ReadonlyArray<readonly string[]>): void {
    const groupOf = new Map<string, number>()
    groups.forEach((group, index) => { for (const id of group) groupOf.set(id, index) })
    this.groupOf = groupOf
  }

  heal (): void {
    this.groupOf = undefined
  }

  connected (a: string, b: string): boolean {
    if (this.groupOf === undefined) return true
    const ga = this.groupOf.get(a)
    return ga !== undefined && ga === this.groupOf.get(b)
  }

  broadcast (from: string, msg: M): void {
    if (!this.isUp(from)) return
    for (const to of this.nodes.keys()) {
      if (to !== from) this.send(from, to, msg)
    }
  }

  send (from: string, to: string, msg: M): void {
    if (!this.isUp(from)) return
    this.stats.sent++
    const copies = this.random() < this.conditions.duplicate ? 2 : 1
    for (let i = 0; i < copies; i++) {
      if (this.random() < this.conditions.loss) {
        this.stats.lost++
        continue
      }
      const [min, max] = this.conditions.delayMs
      this.scheduler.after(uniform(this.random, min, max), () => {
        // A partition or crash that happens while the message is in flight still stops it.
        if (!this.isUp(to) || !this.connected(from, to) || this.drop?.(from, to, msg) === true) {
          this.stats.cut++
          return
        }
        this.stats.delivered++
        const deliver = this.nodes.get(to)
        if (deliver !== undefined) deliver(from, msg)
      })
    }
  }
}

function checkConditions (c: LinkConditions): void {
  if (!(c.loss >= 0 && c.loss < 1)) throw new RangeError(`loss must be in [0, 1), got ${c.loss}`)
  if (!(c.duplicate >= 0 && c.duplicate <= 1)) throw new RangeError(`duplicate must be in [0, 1], got ${c.duplicate}`)
  if (!(c.delayMs[0] >= 0 && c.delayMs[1] >= c.delayMs[0])) throw new RangeError(`delayMs must be [min, max] with 0 <= min <= max, got [${c.delayMs.join(', ')}]`)
}
