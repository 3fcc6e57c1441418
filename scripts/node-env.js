// Node 20 lacks two things libp2p 3 expects from its host: Promise.withResolvers (the real failure hides
// behind "Pubsub is not started") and a global WebSocket for websocket dials. Load this before anything else:
// `node --import ./scripts/node-env.js ...` (the package scripts do).
import { WebSocket } from 'ws'

if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
if (typeof globalThis.WebSocket !== 'function') {
  globalThis.WebSocket = WebSocket
}
