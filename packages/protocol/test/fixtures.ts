/** Shared test helpers (not a test file itself). */
import type { HeartbeatBody, NeighbourInfo, TransportName } from '../src/index.ts'
import { seededRandom } from '../src/random.ts'

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

export { seededRandom }

export function randomInt (random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

/** A realistic-looking Ed25519 peer id string ("12D3KooW" + base58), deterministic per index. */
export function peerIdFor (index: number): string {
  const random = seededRandom(index * 7919 + 17)
  let id = '12D3KooW'
  while (id.length < 52) id += BASE58[Math.floor(random() * BASE58.length)]
  return id
}

export const ALICE = peerIdFor(1)
export const BOB = peerIdFor(2)

const TRANSPORTS: TransportName[] = ['webrtc', 'relayed', 'websocket', 'memory', 'other', 'unknown']

/** A heartbeat whose floats are exactly representable as float32, so it survives a round trip unchanged. */
export function sampleHeartbeat (opts: { neighbours?: number, intervalMs?: number, hidden?: boolean, random?: () => number } = {}): HeartbeatBody {
  const random = opts.random ?? seededRandom(42)
  const f = (max: number): number => Math.fround(random() * max)
  const neighbours: NeighbourInfo[] = []
  for (let i = 0; i < (opts.neighbours ?? 3); i++) {
    neighbours.push({ peerId: peerIdFor(100 + i), transport: TRANSPORTS[i % TRANSPORTS.length] as TransportName, rttMs: f(500), loss: f(1) })
  }
  return {
    intervalMs: opts.intervalMs ?? 1000,
    hidden: opts.hidden ?? false,
    neighbours,
    metrics: {
      rttMeanMs: f(200),
      rttMaxMs: f(900),
      lossRatio: f(1),
      eventLoopLagMs: f(50),
      heapUsedBytes: 2 ** 40 + 12345,
      msgsInPerS: f(100),
      msgsOutPerS: f(100),
      bytesInPerS: f(1e6),
      bytesOutPerS: f(1e6),
      directPeers: 5,
      relayedPeers: 2
    }
  }
}
