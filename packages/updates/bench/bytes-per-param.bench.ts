/**
 * Update-size and speed benchmark for @fedmesh/updates. Run from the repository root:
 *   node --import tsx packages/updates/bench/bytes-per-param.bench.ts [--quick]
 * Prints markdown: bytes per parameter on the wire (payload headers and chunk headers included) for every
 * scheme at 10k, 100k and 1M parameters, the quantisation error relative to the delta's RMS, encode/decode
 * times, and SHA-256 throughput. Times are the median of several runs after a warm-up, with the median CPU time
 * of this process beside them (less sensitive to other load on a shared machine).
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import {
  dequantize, digestUpdate, digestUpdateAsync, encodeUpdateChunks, ErrorFeedback, flattenTensors, quantizationError, quantizeDelta, UpdateReceiver
} from '../src/index.ts'
import type { QuantizeOptions, Tensor, TensorSpec } from '../src/index.ts'
import { seededRandom } from '@fedmesh/protocol'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]
const SENDER = '12D3KooWLmPsTqCvEkR5hJ8zN3bY6xWq2aF9gD4uVtHnMcK7sBpZ'

// --- data -------------------------------------------------------------------------------------------------


/** A two-layer MLP with about `params` parameters: [a, 100] kernel, 100 bias, [100, 10] kernel, 10 bias. */
function layout (params: number): TensorSpec[] {
  const a = Math.round((params - 100 - 1000 - 10) / 100)
  return [
    { name: 'dense1/kernel', shape: [a, 100] }, { name: 'dense1/bias', shape: [100] },
    { name: 'dense2/kernel', shape: [100, 10] }, { name: 'dense2/bias', shape: [10] }
  ]
}

type Distribution = 'gaussian' | 'laplace'

/** Training deltas are roughly bell-shaped with heavier tails; Laplace stands in for the tails. */
function makeDelta (specs: TensorSpec[], dist: Distribution, seed: number): Tensor[] {
  const random = seededRandom(seed)
  return specs.map(s => {
    const n = s.shape.reduce((p, d) => p * d, 1)
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) {
      if (dist === 'gaussian') data[i] = 0.01 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
      else data[i] = 0.01 * (random() < 0.5 ? -1 : 1) * -Math.log(1 - random()) / Math.SQRT2
    }
    return { name: s.name, shape: [...s.shape], data }
  })
}

const SCHEMES: Array<{ label: string, opts: QuantizeOptions }> = [
  { label: 'float32', opts: { scheme: 'float32' } },
  { label: 'int8', opts: { scheme: 'int8' } },
  { label: 'int8 stochastic', opts: { scheme: 'int8', stochastic: true, random: seededRandom(9) } },
  { label: 'int8-topk 10%', opts: { scheme: 'int8-topk', topkFraction: 0.1 } },
  { label: 'int8-topk 1%', opts: { scheme: 'int8-topk', topkFraction: 0.01 } }
]

// --- timing -----------------------------------------------------------------------------------------------

interface Timing { medianMs: number, cpuMedianMs: number }

function time (runs: number, fn: () => unknown): Timing {
  fn() // warm-up
  const wall: number[] = []
  const cpu: number[] = []
  for (let r = 0; r < runs; r++) {
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    fn()
    wall.push(performance.now() - start)
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1000)
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  return { medianMs: median(wall), cpuMedianMs: median(cpu) }
}

async function timeAsync (runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn()
  const wall: number[] = []
  for (let r = 0; r < runs; r++) {
    const start = performance.now()
    await fn()
    wall.push(performance.now() - start)
  }
  return [...wall].sort((a, b) => a - b)[Math.floor(wall.length / 2)] as number
}

/** Bytes of the varint gap stream the codec writes for these top-k indices. */
function indexStreamBytes (indices: Uint32Array): number {
  let bytes = 0
  let previous = -1
  for (const index of indices) {
    let gap = index - previous - 1
    previous = index
    do { bytes++; gap = Math.floor(gap / 128) } while (gap > 0)
  }
  return bytes
}

const fmt = (x: number, digits = 2): string => x.toFixed(digits)
const ms = (t: Timing): string => `${fmt(t.medianMs, 1)} (${fmt(t.cpuMedianMs, 1)})`

// --- machine ----------------------------------------------------------------------------------------------

function cpuModel (): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find(l => l.startsWith('model name'))
    return line?.split(':')[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown'
  } catch {
    return os.cpus()[0]?.model ?? 'unknown'
  }
}

console.log('## Machine\n')
console.log(`- CPU: ${cpuModel()}, ${os.availableParallelism()} cores (nproc)`)
console.log(`- Node ${process.version}, ${os.platform()} ${os.arch()}`)
console.log(`- load average at start: ${os.loadavg().map(x => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min)`)
console.log(`- command: \`node --import tsx packages/updates/bench/bytes-per-param.bench.ts${quick ? ' --quick' : ''}\``)

// --- bytes per parameter and quantisation error -----------------------------------------------------------

console.log('\n## Bytes per parameter on the wire (default 60 KiB chunks)\n')
console.log('Everything a receiver downloads: payload (update header, tensor names, shapes, scales, values, top-k indices) plus every chunk header.\n')
console.log('| params | scheme | payload bytes | chunks | wire bytes | **bytes/param** | values + indices | overhead | rel. RMSE gaussian | rel. RMSE laplace | max err / scale |')
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for (const n of SIZES) {
  const specs = layout(n)
  const params = specs.reduce((p, s) => p + s.shape.reduce((a, d) => a * d, 1), 0)
  const gaussian = makeDelta(specs, 'gaussian', 1)
  const laplace = makeDelta(specs, 'laplace', 2)
  for (const { label, opts } of SCHEMES) {
    const q = quantizeDelta(gaussian, opts)
    const encoded = encodeUpdateChunks({ session: 'bench', round: 1, term: 1, baseVersion: 0, samples: 600, sender: SENDER, ...q })
    const wire = encoded.chunks.reduce((s, c) => s + c.length, 0)
    const valueBytes = q.tensors.reduce((s, t) => s + t.values.byteLength + (t.scheme === 'int8-topk' ? indexStreamBytes(t.indices) : 0), 0)
    const errG = quantizationError(gaussian, dequantize(q))
    const errL = quantizationError(laplace, dequantize(quantizeDelta(laplace, opts)))
    let maxOverScale = 0
    q.tensors.forEach((t, i) => {
      if (t.scheme !== 'float32' && t.scale > 0) {
        const back = dequantize({ tensors: [t] })[0] as Tensor
        const orig = (gaussian[i] as Tensor).data
        const kept = t.scheme === 'int8-topk' ? Array.from(t.indices) : Array.from(orig.keys())
        for (const j of kept) maxOverScale = Math.max(maxOverScale, Math.abs((orig[j] as number) - (back.data[j] as number)) / t.scale)
      }
    })
    // overhead: everything but the values and the top-k index stream: update header, tensor names, shapes,
    // scales, protobuf tags and lengths, and the chunk headers
    const overhead = wire - valueBytes
    console.log(`| ${params.toLocaleString('en')} | ${label} | ${encoded.payload.length.toLocaleString('en')} | ${encoded.chunks.length} | ${wire.toLocaleString('en')} | **${fmt(wire / params, 4)}** | ${valueBytes.toLocaleString('en')} | ${overhead.toLocaleString('en')} | ${fmt(errG.relativeRmse * 100, 2)}% | ${fmt(errL.relativeRmse * 100, 2)}% | ${opts.scheme === 'float32' ? '–' : fmt(maxOverScale, 3)} |`)
  }
}

// --- error feedback ---------------------------------------------------------------------------------------

const EF_ROUNDS = 20
console.log(`\n## Error accumulated over ${EF_ROUNDS} rounds (100,010 params, independent gaussian deltas)\n`)
console.log('Relative error of the sum of what was sent against the sum of the true deltas, ‖Σ sent − Σ true‖ / ‖Σ true‖, after the last round: what a model trained from the aggregates drifts by. Error feedback (ErrorFeedback) carries each round\'s quantisation error into the next round.\n')
console.log('| scheme | without error feedback | with error feedback |')
console.log('|---|---:|---:|')
{
  const specs = layout(100_000)
  for (const { label, opts } of SCHEMES.filter(s => s.opts.scheme !== 'float32')) {
    const ef = new ErrorFeedback()
    const n = specs.reduce((p, s) => p + s.shape.reduce((a, d) => a * d, 1), 0)
    const sumTrue = new Float64Array(n)
    const sumPlain = new Float64Array(n)
    const sumEf = new Float64Array(n)
    const add = (into: Float64Array, tensors: Tensor[]): void => { flattenTensors(tensors).forEach((x, i) => { into[i] = (into[i] as number) + x }) }
    for (let r = 0; r < EF_ROUNDS; r++) {
      const delta = makeDelta(specs, 'gaussian', 100 + r)
      add(sumTrue, delta)
      add(sumPlain, dequantize(quantizeDelta(delta, opts)))
      add(sumEf, dequantize(ef.quantize(delta, opts)))
    }
    const rel = (sent: Float64Array): number => {
      let err = 0
      let ref = 0
      sent.forEach((x, i) => { err += (x - (sumTrue[i] as number)) ** 2; ref += (sumTrue[i] as number) ** 2 })
      return Math.sqrt(err / ref)
    }
    console.log(`| ${label} | ${fmt(rel(sumPlain) * 100, 2)}% | ${fmt(rel(sumEf) * 100, 2)}% |`)
  }
}

// --- speed ------------------------------------------------------------------------------------------------

console.log('\n## Encode and decode time\n')
console.log('encode = quantizeDelta + encodeModelUpdate + SHA-256 + chunking. decode = UpdateReceiver.accept for every chunk (chunk decode, reassembly, SHA-256 check, update decode, all validator checks incl. the norm) + dequantize. Median wall ms (median CPU ms of this process), Mparam/s from wall time.\n')
console.log('| params | scheme | encode ms | encode Mparam/s | decode ms | decode Mparam/s |')
console.log('|---:|---|---:|---:|---:|---:|')
for (const n of SIZES) {
  const specs = layout(n)
  const params = specs.reduce((p, s) => p + s.shape.reduce((a, d) => a * d, 1), 0)
  const delta = makeDelta(specs, 'gaussian', 3)
  const runs = n >= 1_000_000 ? 5 : n >= 100_000 ? 9 : 21
  for (const { label, opts } of SCHEMES.filter(s => s.label !== 'int8 stochastic')) {
    const header = { session: 'bench', round: 1, term: 1, baseVersion: 0, samples: 600, sender: SENDER }
    const enc = time(runs, () => encodeUpdateChunks({ ...header, ...quantizeDelta(delta, opts) }))
    const { chunks } = encodeUpdateChunks({ ...header, ...quantizeDelta(delta, opts) })
    const dec = time(runs, () => {
      const rx = new UpdateReceiver({ clock: { now: () => 0 }, expect: { session: 'bench', round: 1, term: 1, baseVersion: 0, shapes: specs }, maxNorm: 1e6 })
      let last
      for (const data of chunks) last = rx.accept({ data, from: SENDER })
      if (last === undefined || !last.ok || !last.complete) throw new Error(`bench update rejected: ${JSON.stringify(last)}`)
      dequantize(last.update)
    })
    console.log(`| ${params.toLocaleString('en')} | ${label} | ${ms(enc)} | ${fmt(params / enc.medianMs / 1000, 1)} | ${ms(dec)} | ${fmt(params / dec.medianMs / 1000, 1)} |`)
  }
}

console.log('\n## SHA-256 payload digest\n')
console.log('| input | pure JS (digestUpdate, sync) | WebCrypto (digestUpdateAsync) |')
console.log('|---:|---:|---:|')
for (const mb of [1, 4]) {
  const bytes = new Uint8Array(mb * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24)
  const sync = time(5, () => digestUpdate(bytes))
  const asyncMs = await timeAsync(5, () => digestUpdateAsync(bytes))
  console.log(`| ${mb} MiB | ${fmt(mb / (sync.medianMs / 1000), 0)} MiB/s (${fmt(sync.medianMs, 1)} ms) | ${fmt(mb / (asyncMs / 1000), 0)} MiB/s (${fmt(asyncMs, 1)} ms) |`)
}
