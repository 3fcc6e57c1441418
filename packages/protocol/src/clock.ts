/**
 * Time source. `now()` is monotonic (for measuring intervals: it never jumps when the user changes the
 * system clock); `wallNow()` is epoch time (for comparing with timestamps written by other machines).
 */
export interface Clock {
  /** Monotonic milliseconds (arbitrary origin). */
  now(): number
  /** Wall-clock milliseconds since the Unix epoch. */
  wallNow(): number
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now()
}

export interface ManualClock extends Clock {
  /** Move both clocks forward by `ms`. */
  advance(ms: number): void
  /** Set the monotonic clock to `ms`; the wall clock moves by the same amount. */
  set(ms: number): void
}

/** Deterministic clock for tests; the wall clock keeps a fixed offset from the monotonic one. */
export function manualClock (startMs = 0, wallStartMs = 1_700_000_000_000): ManualClock {
  let monotonic = startMs
  const wallOffset = wallStartMs - startMs
  return {
    now: () => monotonic,
    wallNow: () => monotonic + wallOffset,
    advance (ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`manualClock.advance needs a finite ms >= 0, got ${ms}`)
      monotonic += ms
    },
    set (ms: number): void {
      if (!Number.isFinite(ms)) throw new RangeError(`manualClock.set needs a finite ms, got ${ms}`)
      monotonic = ms
    }
  }
}
