/**
 * Measures this node for its heartbeat: event-loop lag (how late a short timer fires), heap use, and message/byte
 * rates from counters. Everything is read from the runtime, nothing is estimated.
 */
export interface Rates { msgsInPerS: number, msgsOutPerS: number, bytesInPerS: number, bytesOutPerS: number }

export class TrafficCounters {
  messagesIn = 0
  messagesOut = 0
  bytesIn = 0
  bytesOut = 0
  private last = { t: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }
  private rates: Rates = { msgsInPerS: 0, msgsOutPerS: 0, bytesInPerS: 0, bytesOutPerS: 0 }

  /** Rates over the time since the previous call (call once per heartbeat). */
  sample (now: number): Rates {
    const dt = (now - this.last.t) / 1000
    if (this.last.t > 0 && dt > 0) {
      this.rates = {
        msgsInPerS: (this.messagesIn - this.last.messagesIn) / dt,
        msgsOutPerS: (this.messagesOut - this.last.messagesOut) / dt,
        bytesInPerS: (this.bytesIn - this.last.bytesIn) / dt,
        bytesOutPerS: (this.bytesOut - this.last.bytesOut) / dt
      }
    }
    this.last = { t: now, messagesIn: this.messagesIn, messagesOut: this.messagesOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut }
    return this.rates
  }
}

/** Event-loop lag: schedule a timer every `periodMs` and record how late it fires; report the max since the last read. */
export class EventLoopLag {
  private timer?: ReturnType<typeof setTimeout>
  private expected = 0
  private max = 0
  private lastMax = 0

  constructor (private readonly periodMs = 500) {}

  start (): void {
    const arm = (): void => {
      this.expected = performance.now() + this.periodMs
      this.timer = setTimeout(() => {
        const lag = Math.max(0, performance.now() - this.expected)
        if (lag > this.max) this.max = lag
        arm()
      }, this.periodMs)
    }
    arm()
  }

  stop (): void { if (this.timer != null) clearTimeout(this.timer) }

  /** Worst lag since the previous read, in ms. */
  read (): number {
    this.lastMax = this.max
    this.max = 0
    return this.lastMax
  }
}

/** Heap in use: Chromium's performance.memory in a tab, process.memoryUsage() in Node. 0 where neither exists. */
export function heapUsedBytes (): number {
  const perf = (globalThis as any).performance
  if (perf?.memory?.usedJSHeapSize != null) return perf.memory.usedJSHeapSize
  const proc = (globalThis as any).process
  if (typeof proc?.memoryUsage === 'function') return proc.memoryUsage().heapUsed
  return 0
}
