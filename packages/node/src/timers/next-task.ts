/**
 * Runs `fn` in a later task: after the current one and all its microtasks (so after, say, gossipsub has forwarded the
 * message whose validator called this). Not setTimeout(0): Chrome aligns timers of background tabs to whole seconds.
 * setImmediate where it exists (Node), else a MessageChannel, whose messages are not throttled.
 */
export function createNextTask (): (fn: () => void) => void {
  if (typeof setImmediate === 'function') return fn => { setImmediate(fn) }
  const queue: Array<() => void> = []
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    const fn = queue.shift()
    if (fn !== undefined) fn()
  }
  return fn => {
    queue.push(fn)
    channel.port2.postMessage(null)
  }
}
