/**
 * Members that missed the last rounds: expected (admitted and alive) when a model was accepted here, but not among
 * its inputs. The coordinator's short wait for the last f (RoundCoordinator.decide) is not spent on them: they were
 * left out that many times in a row already, so the wait would most likely end the same way, and a member that
 * withholds (or sends garbage that gossipsub drops before the coordinator) would add it to every round.
 *
 * Not suspicion: nothing is held against the member. Its update still counts if it arrives before the round closes,
 * at most f members are left out (as before), and one round with its update in resets the count. Every node keeps
 * this from the models it accepts, so a coordinator taking over after failover already knows.
 */
export class LateMembers {
  private readonly missed = new Map<string, number>()
  private lastRound = 0

  /** `after`: rounds missed in a row before a member is no longer waited for (0: always waited for). */
  constructor (private readonly after: number) {}

  /**
   * The model of `round` was accepted: `expected` are the members admitted to the round and alive now, `included` its
   * inputs' senders. A round counts once: a model that replaces one of the same round (a higher term) is not a second miss.
   */
  record (round: number, expected: ReadonlySet<string>, included: ReadonlySet<string>): void {
    if (round <= this.lastRound) return
    this.lastRound = round
    // a member that left (or was never expected) starts over when it comes back
    for (const peer of [...this.missed.keys()]) if (!expected.has(peer)) this.missed.delete(peer)
    for (const peer of expected) {
      if (included.has(peer)) this.missed.delete(peer)
      else this.missed.set(peer, (this.missed.get(peer) ?? 0) + 1)
    }
  }

  /** Whether the short wait for the last f should not be spent on `peer`. */
  isLate (peer: string): boolean {
    return this.after > 0 && (this.missed.get(peer) ?? 0) >= this.after
  }

  /** Rounds missed in a row, per member that missed the last one (tests, diagnostics). */
  snapshot (): Record<string, number> {
    return Object.fromEntries(this.missed)
  }
}
