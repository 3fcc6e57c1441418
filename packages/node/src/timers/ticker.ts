/**
 * Periodic timers that keep their pace in a hidden tab. Chrome throttles main-thread timers of background tabs to
 * once a second, and to once a minute under intensive throttling; timers inside a dedicated worker are not throttled
 * that way. In a tab all periodic work of the node is therefore driven by one small worker that posts ticks; in Node
 * (or where workers are unavailable) plain setInterval is used.
 */
export interface Ticker {
  every: (ms: number, fn: () => void) => () => void
  stop: () => void
}

const WORKER_SOURCE = `
const timers = new Map()
onmessage = (e) => {
  const { op, id, ms } = e.data
  if (op === 'start') timers.set(id, setInterval(() => postMessage(id), ms))
  else if (op === 'stop') { clearInterval(timers.get(id)); timers.delete(id) }
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

function intervalTicker (): Ticker {
  const handles = new Set<ReturnType<typeof setInterval>>()
  return {
    every (ms, fn) {
      const h = setInterval(fn, ms)
      handles.add(h)
      return () => { clearInterval(h); handles.delete(h) }
    },
    stop () { for (const h of handles) clearInterval(h); handles.clear() }
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
    every (ms, fn) {
      const id = next++
      callbacks.set(id, fn)
      worker.postMessage({ op: 'start', id, ms })
      return () => { callbacks.delete(id); worker.postMessage({ op: 'stop', id }) }
    },
    stop () { callbacks.clear(); worker.terminate() }
  }
}
