import type { MetricsSummary, NeighbourInfo } from '@fedmesh/protocol'

/**
 * One observation of the tab's own state, as it goes into a heartbeat (HeartbeatBody.metrics / .neighbours),
 * plus the time it was taken. The link-health task learns what "normal" looks like from a stream of these.
 */
export interface MetricSample {
  /** When the sample was taken (ms on the sampler's clock; only used to label scores). */
  atMs: number
  metrics: MetricsSummary
  neighbours: NeighbourInfo[]
  /** The tab was hidden, so its timers are throttled (HeartbeatBody.hidden): lag is expected then. */
  hidden?: boolean
}

/** Per-sample node features, in vector order. Names are reported as a score's `nodeTopFeature`. */
export const NODE_FEATURE_NAMES = [
  'rttMean', 'rttMax', 'loss', 'eventLoopLag', 'heap', 'msgsIn', 'msgsOut', 'bytesIn', 'bytesOut',
  'directPeers', 'relayedPeers', 'neighbours', 'neighbourRttMedian', 'neighbourLossMax', 'hidden'
] as const
export type NodeFeatureName = typeof NODE_FEATURE_NAMES[number]

/** Per-sample features of one link (a neighbour as seen by this node), in vector order. */
export const LINK_FEATURE_NAMES = ['present', 'rtt', 'loss', 'rttVsMedian', 'webrtc', 'relayed', 'otherTransport'] as const
export type LinkFeatureName = typeof LINK_FEATURE_NAMES[number]

export const NODE_FEATURES = NODE_FEATURE_NAMES.length
export const LINK_FEATURES = LINK_FEATURE_NAMES.length

// Scales that map the usual range of each quantity to about [0, 1]. Heavy-tailed quantities (times, sizes,
// rates) are log-scaled so a 20x RTT spike is a large but bounded step instead of dwarfing every other feature.
const RTT_SCALE_MS = 1000
const LAG_SCALE_MS = 1000
const HEAP_SCALE_MB = 4096
const MSG_RATE_SCALE = 1000
const BYTE_RATE_SCALE = 10_000_000
const PEER_SCALE = 32

function finite (x: number): number {
  return Number.isFinite(x) ? x : 0
}

/** log(1 + x) / log(1 + max): 0 at 0, 1 at max, keeps growing slowly beyond. */
function logScale (x: number, max: number): number {
  return Math.log1p(Math.max(0, finite(x))) / Math.log1p(max)
}

function clamp01 (x: number): number {
  return Math.min(1, Math.max(0, finite(x)))
}

function median (values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function neighbourRttMedian (sample: MetricSample): number {
  return median(sample.neighbours.map(n => finite(n.rttMs)))
}

/** The node's feature vector for one sample (NODE_FEATURE_NAMES order). */
export function nodeFeatures (sample: MetricSample): Float32Array {
  const m = sample.metrics
  let lossMax = 0
  for (const n of sample.neighbours) lossMax = Math.max(lossMax, clamp01(n.loss))
  return Float32Array.of(
    logScale(m.rttMeanMs, RTT_SCALE_MS),
    logScale(m.rttMaxMs, RTT_SCALE_MS),
    clamp01(m.lossRatio),
    logScale(m.eventLoopLagMs, LAG_SCALE_MS),
    logScale(m.heapUsedBytes / (1024 * 1024), HEAP_SCALE_MB),
    logScale(m.msgsInPerS, MSG_RATE_SCALE),
    logScale(m.msgsOutPerS, MSG_RATE_SCALE),
    logScale(m.bytesInPerS, BYTE_RATE_SCALE),
    logScale(m.bytesOutPerS, BYTE_RATE_SCALE),
    Math.min(finite(m.directPeers), PEER_SCALE) / PEER_SCALE,
    Math.min(finite(m.relayedPeers), PEER_SCALE) / PEER_SCALE,
    Math.min(sample.neighbours.length, PEER_SCALE) / PEER_SCALE,
    logScale(neighbourRttMedian(sample), RTT_SCALE_MS),
    lossMax,
    sample.hidden === true ? 1 : 0
  )
}

/**
 * One link's feature vector (LINK_FEATURE_NAMES order); all zeros when the neighbour is absent from the sample.
 * `rttVsMedian` compares the link with the node's other links, so a slow link stands out even when the whole
 * node is slow: log10 of the ratio, clamped to [-1, 1].
 */
export function linkFeatures (link: NeighbourInfo | undefined, nodeMedianRttMs: number): Float32Array {
  if (link === undefined) return new Float32Array(LINK_FEATURES)
  const rtt = Math.max(0, finite(link.rttMs))
  const ratio = Math.log10((rtt + 1) / (Math.max(0, nodeMedianRttMs) + 1))
  return Float32Array.of(
    1,
    logScale(rtt, RTT_SCALE_MS),
    clamp01(link.loss),
    Math.max(-1, Math.min(1, ratio)),
    link.transport === 'webrtc' ? 1 : 0,
    link.transport === 'relayed' ? 1 : 0,
    link.transport !== 'webrtc' && link.transport !== 'relayed' ? 1 : 0
  )
}

/** Features of every sample, computed once so overlapping windows reuse them. */
interface SampleFeatures {
  node: Float32Array
  links: Map<string, Float32Array>
}

function featuresOf (sample: MetricSample): SampleFeatures {
  const med = neighbourRttMedian(sample)
  const links = new Map<string, Float32Array>()
  for (const n of sample.neighbours) links.set(n.peerId, linkFeatures(n, med))
  return { node: nodeFeatures(sample), links }
}

const ABSENT_LINK = new Float32Array(LINK_FEATURES)

/** Row-major matrix: `rows` vectors of `width` numbers. */
export interface FeatureMatrix {
  data: Float32Array
  rows: number
  width: number
}

/** Training examples for both link-health networks, from every full window (stride 1) of a sample stream. */
export interface LinkHealthExamples {
  node: FeatureMatrix
  link: FeatureMatrix
}

/**
 * Sliding windows of `windowSize` samples (oldest first). Node example: the window's node features, concatenated.
 * Link examples: for every neighbour present in the window's last sample, that link's features over the window
 * (zeros with present = 0 where the link was missing).
 */
export function linkHealthExamples (samples: readonly MetricSample[], windowSize: number): LinkHealthExamples {
  const features = samples.map(featuresOf)
  const windows = Math.max(0, samples.length - windowSize + 1)
  const nodeWidth = windowSize * NODE_FEATURES
  const linkWidth = windowSize * LINK_FEATURES
  const node = new Float32Array(windows * nodeWidth)
  let linkRows = 0
  for (let end = windowSize - 1; end < samples.length; end++) linkRows += features[end]!.links.size
  const link = new Float32Array(linkRows * linkWidth)

  let linkRow = 0
  for (let w = 0; w < windows; w++) {
    for (let p = 0; p < windowSize; p++) node.set(features[w + p]!.node, w * nodeWidth + p * NODE_FEATURES)
    for (const peerId of features[w + windowSize - 1]!.links.keys()) {
      for (let p = 0; p < windowSize; p++) {
        link.set(features[w + p]!.links.get(peerId) ?? ABSENT_LINK, linkRow * linkWidth + p * LINK_FEATURES)
      }
      linkRow++
    }
  }
  return {
    node: { data: node, rows: windows, width: nodeWidth },
    link: { data: link, rows: linkRows, width: linkWidth }
  }
}

/** The inputs needed to score one moment: the node window and one window per current link. */
export interface LinkHealthWindow {
  /** atMs of the newest sample. */
  atMs: number
  node: Float32Array
  /** Peer ids in the newest sample, in the order of `links` rows. */
  peerIds: string[]
  links: FeatureMatrix
}

/**
 * Features of the newest `windowSize` samples of `window`. A shorter history is padded by repeating its oldest
 * sample, so scoring works from the first heartbeat on (the scores say `calibrated: false` until enough history).
 */
export function linkHealthWindow (window: readonly MetricSample[], windowSize: number): LinkHealthWindow {
  if (window.length === 0) throw new RangeError('link-health scoring needs at least one metric sample in the window')
  const recent = window.slice(-windowSize)
  while (recent.length < windowSize) recent.unshift(recent[0]!)
  const padded = linkHealthExamples(recent, windowSize)
  const newest = recent[recent.length - 1]!
  return {
    atMs: newest.atMs,
    node: padded.node.data,
    peerIds: newest.neighbours.map(n => n.peerId).filter((id, i, all) => all.indexOf(id) === i),
    links: padded.link
  }
}
