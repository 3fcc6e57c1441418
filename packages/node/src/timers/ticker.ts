/**
 * Periodic timers that keep their pace in a hidden tab. Chrome throttles main-thread timers of background tabs to
 * once a second, and to once a minute under intensive throttling; timers inside a dedicated worker are not throttled
 * that way. In a tab all periodic work of the node is therefore driven by one small worker that posts ticks; in Node
 * (or where workers are unavailable) plain setInterval is used.
 */
export interface TickOptions {
  /**
   * Fire on multiples of `ms` of the wall clock (Date.now()) instead of `ms` after the call. Nodes whose clocks agree
   * then publish their heartbeats in the same instant, so each node's forwards of the burst to one peer leave as one
   * batched gossip write (one data-channel message) instead of one each.
   */
  aligned?: boolean
}

export interface Ticker {
  every: (ms: number, fn: () => void, options?: TickOptions) => () => void
  stop: () => void
}

/**
 * Milliseconds from `now` to the next multiple of `ms`, skipping one that is under a quarter period away: a timer
 * that fired a little early must not fire again at the boundary it was meant for. (The worker below inlines this.)
 */
export function delayToAligned (now: number, ms: number): number {
  const d = ms - (now % ms)
  return d < ms / 4 ? d + ms : d
}

const WORKER_SOURCE = `
const timers = new Map()
onmessage = (e) => {
  const { op, id, ms, aligned } = e.data
  if (op === 'start' && aligned) {
    // first tick on the next multiple of ms, then every ms: re-aligned each time so drift cannot accumulate
    const delay = () => { const d = ms - Date.now() % ms; return d < ms / 4 ? d + ms : d }
    const fire = () => { postMessage(id); timers.set(id, setTimeout(fire, delay())) }
    timers.set(id, setTimeout(fire, delay()))
  } else if (op === 'start') timers.set(id, setInterval(() => postMessage(id), ms))
  else if (op === 'stop') { clearInterval(timers.get(id)); clearTimeout(timers.get(id)); timers.delete(id) }
}`

export function createTicker (): Ticker {
  const canUseWorker = typeof Worker === 'function' && typeof Blob === 'function' && typeof document !== 'undefined'
  if (!canUseWorker) return intervalTicker()
  try {
    return workerTicker()
  } catch {
    return intervalTicker()
  }
}

export function intervalTicker (now: () => number = Date.now): Ticker {
  const stops = new Set<() => void>()
  return {
    every (ms, fn, options) {
      let stop: () => void
      if (options?.aligned === true) {
        let h: ReturnType<typeof setTimeout>
        const fire = (): void => { h = setTimeout(fire, delayToAligned(now(), ms)); fn() }
        h = setTimeout(fire, delayToAligned(now(), ms))
        stop = () => { clearTimeout(h); stops.delete(stop) }
      } else {
        const h = setInterval(fn, ms)
        stop = () => { clearInterval(h); stops.delete(stop) }
      }
      stops.add(stop)
      return stop
    },
    stop () { for (const s of [...stops]) s() }
  }
}

function workerTicker (): Ticker {
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }))
  const worker = new Worker(url)
  URL.revokeObjectURL(url)
  const callbacks = new Map<number, () => void>()
  let next = 1
  worker.onmessage = (e: MessageEvent<number>) => {
    const fn = callbacks.get(e.data)
    if (fn != null) fn()
  }
  return {
    every (ms, fn, options) {
      const id = next++
      callbacks.set(id, fn)
      worker.postMessage({ op: 'start', id, ms, aligned: options?.aligned === true })
      return () => { callbacks.delete(id); worker.postMessage({ op: 'stop', id }) }
    },
    stop () { callbacks.clear(); worker.terminate() }
  }
}
