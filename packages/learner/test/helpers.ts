import type { NeighbourInfo } from '@fedmesh/protocol'
import { seededRandom } from '../src/random.ts'
import type { MetricSample } from '../src/index.ts'

export interface StreamOptions {
  seed: number
  count: number
  peers?: number
  startMs?: number
}

/** Base RTT of each synthetic peer: spread 20..70 ms so links differ but stay steady. */
function baseRtt (peer: number): number {
  return 20 + (peer * 17) % 50
}

/** A healthy tab: steady RTTs with ±10% jitter, rare small loss, small lag, stable heap and message rates. */
export function normalStream ({ seed, count, peers = 6, startMs = 0 }: StreamOptions): MetricSample[] {
  const random = seededRandom(seed)
  const jitter = (x: number, fraction: number): number => x * (1 + fraction * (2 * random() - 1))
  return Array.from({ length: count }, (_, i) => {
    const neighbours: NeighbourInfo[] = Array.from({ length: peers }, (_, p) => ({
      peerId: `peer-${p}`,
      transport: p === peers - 1 ? 'relayed' : 'webrtc',
      rttMs: jitter(baseRtt(p), 0.1),
      loss: random() < 0.1 ? 0.01 : 0
    }))
    return sampleFrom(startMs + i * 1000, neighbours, {
      eventLoopLagMs: jitter(4, 0.5),
      heapUsedBytes: jitter(40 * 1024 * 1024, 0.05),
      msgsInPerS: jitter(10, 0.2),
      msgsOutPerS: jitter(8, 0.2),
      bytesInPerS: jitter(5000, 0.2),
      bytesOutPerS: jitter(4000, 0.2)
    })
  })
}

/** Node metrics consistent with the neighbour list. */
export function sampleFrom (
  atMs: number,
  neighbours: NeighbourInfo[],
  other: { eventLoopLagMs: number, heapUsedBytes: number, msgsInPerS: number, msgsOutPerS: number, bytesInPerS: number, bytesOutPerS: number }
): MetricSample {
  const rtts = neighbours.map(n => n.rttMs)
  return {
    atMs,
    neighbours,
    metrics: {
      rttMeanMs: rtts.reduce((a, b) => a + b, 0) / Math.max(1, rtts.length),
      rttMaxMs: Math.max(0, ...rtts),
      lossRatio: neighbours.reduce((a, n) => a + n.loss, 0) / Math.max(1, neighbours.length),
      ...other,
      directPeers: neighbours.filter(n => n.transport === 'webrtc').length,
      relayedPeers: neighbours.filter(n => n.transport === 'relayed').length
    }
  }
}

/** The same sample with the chosen links (default all) degraded: RTT x rttFactor and the given loss. */
export function degrade (sample: MetricSample, { rttFactor = 20, loss = 0.5, peers }: { rttFactor?: number, loss?: number, peers?: string[] } = {}): MetricSample {
  const neighbours = sample.neighbours.map(n => peers === undefined || peers.includes(n.peerId)
    ? { ...n, rttMs: n.rttMs * rttFactor, loss }
    : n)
  const { rttMeanMs: _mean, rttMaxMs: _max, lossRatio: _loss, directPeers: _d, relayedPeers: _r, ...other } = sample.metrics
  return sampleFrom(sample.atMs, neighbours, other)
}
