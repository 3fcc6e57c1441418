import type { MonotonicClock } from '../trainer.ts'

/**
 * Worst event-loop lag while it runs: a timer that should fire every `intervalMs` notes how late it fires.
 * On the page's main thread this shows whether training (in a worker) ever blocks the UI.
 */
export class EventLoopLagMonitor {
  private readonly intervalMs: number
  private readonly clock: MonotonicClock
  private timer: ReturnType<typeof setInterval> | undefined
  private last = 0
  private worst = 0

  constructor (intervalMs = 20, clock: MonotonicClock = { now: () => performance.now() }) {
    this.intervalMs = intervalMs
    this.clock = clock
  }

  start (): void {
    this.stop()
    this.worst = 0
    this.last = this.clock.now()
    this.timer = setInterval(() => this.tick(), this.intervalMs)
  }

  /** Stops and returns the worst lag seen (including the wait since the last tick), ms. */
  stop (): number {
    if (this.timer !== undefined) {
      this.tick()
      clearInterval(this.timer)
      this.timer = undefined
    }
    return this.worst
  }

  private tick (): void {
    const now = this.clock.now()
    this.worst = Math.max(this.worst, now - this.last - this.intervalMs)
    this.last = now
  }
}

/** Run `fn` while measuring the caller's worst event-loop lag. */
export async function withLagMonitor<T> (fn: () => Promise<T>, intervalMs = 20): Promise<{ result: T, maxLagMs: number }> {
  const monitor = new EventLoopLagMonitor(intervalMs)
  monitor.start()
  try {
    const result = await fn()
    return { result, maxLagMs: Math.max(0, monitor.stop()) }
  } finally {
    monitor.stop()
  }
}
