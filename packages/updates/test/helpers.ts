/** Shared test helpers (not a test file itself). */
import { elementCount, encodeUpdateChunks, quantizeDelta } from '../src/index.ts'
import type { EncodedPayload, ModelUpdate, QuantizeOptions, Tensor, TensorSpec, UpdateExpectation } from '../src/index.ts'
import { seededRandom } from '@fedmesh/protocol'

export { seededRandom }

export function randomInt (random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

/** Standard normal via Box–Muller. */
export function gaussian (random: () => number): number {
  const u = 1 - random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** A realistic-looking Ed25519 peer id string, deterministic per index. */
export function peerIdFor (index: number): string {
  const random = seededRandom(index * 7919 + 17)
  let id = '12D3KooW'
  while (id.length < 52) id += BASE58[Math.floor(random() * BASE58.length)]
  return id
}

export const ALICE = peerIdFor(1)
export const BOB = peerIdFor(2)
export const MALLORY = peerIdFor(3)

/** A small MLP: 4 tensors, 2 010 parameters. */
export const SHAPES: TensorSpec[] = [
  { name: 'dense1/kernel', shape: [20, 80] },
  { name: 'dense1/bias', shape: [80] },
  { name: 'dense2/kernel', shape: [80, 4] },
  { name: 'dense2/bias', shape: [10] }
]

export function makeDelta (specs: readonly TensorSpec[], random: () => number, scale = 0.01): Tensor[] {
  return specs.map(s => ({
    name: s.name,
    shape: [...s.shape],
    data: Float32Array.from({ length: elementCount(s.shape) }, () => scale * gaussian(random))
  }))
}

export const EXPECT: UpdateExpectation = { session: 'mnist-1', round: 7, term: 2, baseVersion: 6, shapes: SHAPES }

export function makeUpdate (opts: { sender?: string, random?: () => number, quantize?: QuantizeOptions, header?: Partial<ModelUpdate> } = {}): ModelUpdate {
  const random = opts.random ?? seededRandom(1)
  const q = quantizeDelta(makeDelta(SHAPES, random), opts.quantize ?? { scheme: 'int8' })
  return {
    session: EXPECT.session,
    round: EXPECT.round,
    term: EXPECT.term,
    baseVersion: EXPECT.baseVersion,
    samples: 600,
    sender: opts.sender ?? ALICE,
    ...q,
    ...opts.header
  }
}

export function makeChunks (opts: Parameters<typeof makeUpdate>[0] & { maxChunkBytes?: number } = {}): EncodedPayload {
  return encodeUpdateChunks(makeUpdate(opts), { maxChunkBytes: opts.maxChunkBytes ?? 512 })
}

export function shuffled<T> (items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const tmp = out[i] as T
    out[i] = out[j] as T
    out[j] = tmp
  }
  return out
}

export function manualClock (start = 0): { now: () => number, advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms: number) => { t += ms } }
}
