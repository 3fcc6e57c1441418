/**
 * Who a coordinator waits for. A member is expected in round r only if this node saw it alive before round r
 * opened: a late joiner first fetches the model and is admitted at the next round, so the coordinator never holds
 * a round open for a node that cannot have trained from its base. Every node keeps this (any node may become
 * coordinator after failover).
 */
export class Admission {
  /** peer -> first round it may be expected in */
  private readonly admittedFrom = new Map<string, number>()

  /**
   * `alive` is the membership view's alive set (this node included). `openRound` is the round open right now,
   * or undefined between rounds; `nextRound` is the round that would open next. A peer first seen between rounds
   * may still be fetching the model, so it is admitted one round later too; the exception is the session's
   * start (next round 1), where every node holds the initial model.
   */
  observe (alive: Iterable<string>, openRound: number | undefined, nextRound: number): void {
    const from = openRound !== undefined ? openRound + 1 : nextRound === 1 ? 1 : nextRound + 1
    for (const peer of alive) if (!this.admittedFrom.has(peer)) this.admittedFrom.set(peer, from)
  }

  /** Alive members admitted to `round`. */
  expected (round: number, alive: Iterable<string>): Set<string> {
    const out = new Set<string>()
    for (const peer of alive) {
      const from = this.admittedFrom.get(peer)
      if (from !== undefined && from <= round) out.add(peer)
    }
    return out
  }

  admittedRound (peer: string): number | undefined {
    return this.admittedFrom.get(peer)
  }
}
