/**
 * Aggregation benchmark. Run from the repository root:
 *   node --import tsx packages/aggregation/bench/aggregation.bench.ts [--quick]
 * Prints markdown: the machine, its measured multiply-add rate (tight dot-product loops over the same data),
 * Krum / Multi-Krum against a straightforward implementation at n=100, d=100,000, and every rule's throughput
 * at n=100 and n=20. Each figure is the median (and best) CPU time of this process over several runs after a
 * warm-up, with the wall-clock median alongside; the machine may be shared, so compare figures from the same run.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { aggregate, pairwiseSquaredDistances, resolveDistanceKernel } from '../src/index.ts'
import type { AggregatorSpec, ClientUpdate } from '../src/index.ts'

const quick = process.argv.includes('--quick')
const DIMENSION = quick ? 20_000 : 100_000

// --- data -------------------------------------------------------------------------------------------------

function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** n-f updates around a shared direction plus f far-off ones, like a round with attackers. */
function makeRound (n: number, f: number, dimension: number, seed: number): ClientUpdate[] {
  const random = seededRandom(seed)
  const centre = Float32Array.from({ length: dimension }, () => random() - 0.5)
  return Array.from({ length: n }, (_, i) => {
    const byzantine = i >= n - f
    const delta = Float32Array.from(centre, c => byzantine ? -20 * c : c + 0.1 * (random() - 0.5))
    return { id: `client-${String(i).padStart(3, '0')}`, delta, samples: 1 + (i % 7) }
  })
}

// --- timing -----------------------------------------------------------------------------------------------

/**
 * CPU time of this process (primary: on a shared machine it barely depends on other processes, while wall-clock
 * time includes however long the scheduler kept us waiting) and wall-clock time, median and best of the runs.
 */
interface Timing { cpuMedianMs: number, cpuBestMs: number, wallMedianMs: number }

function time (runs: number, fn: () => unknown): Timing {
  fn() // warm-up: lets the JIT optimise before measuring
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
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  return { cpuMedianMs: median(cpu), cpuBestMs: Math.min(...cpu), wallMedianMs: median(wall) }
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits)

// --- reference loops: the machine's multiply-add rate -------------------------------------------------------

function dotOneAccumulator (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!
  return sum
}

function dotFourAccumulators (a: Float32Array, b: Float32Array): number {
  let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0
  const end = a.length - (a.length % 4)
  let k = 0
  for (; k < end; k += 4) {
    s0 += a[k]! * b[k]!
    s1 += a[k + 1]! * b[k + 1]!
    s2 += a[k + 2]! * b[k + 2]!
    s3 += a[k + 3]! * b[k + 3]!
  }
  for (; k < a.length; k++) s0 += a[k]! * b[k]!
  return (s0 + s1) + (s2 + s3)
}

function dotFloat64FourAccumulators (a: Float64Array, b: Float64Array): number {
  let s0 = 0; let s1 = 0; let s2 = 0; let s3 = 0
  const end = a.length - (a.length % 4)
  let k = 0
  for (; k < end; k += 4) {
    s0 += a[k]! * b[k]!
    s1 += a[k + 1]! * b[k + 1]!
    s2 += a[k + 2]! * b[k + 2]!
    s3 += a[k + 3]! * b[k + 3]!
  }
  for (; k < a.length; k++) s0 += a[k]! * b[k]!
  return (s0 + s1) + (s2 + s3)
}

/**
 * Dot products over `pairs` pairs, either cycling through all the vectors (data streams from the same cache
 * levels as Krum's) or repeating the first pair (two 100k-float vectors stay in L2: the loop's best case).
 */
function dotRate<T> (vectors: T[], pairs: number, dot: (a: T, b: T) => number, samePair = false): { rate: number, timing: Timing } {
  const n = vectors.length
  const dimension = (vectors[0] as { length: number }).length
  let sink = 0
  const timing = time(5, () => {
    for (let p = 0; p < pairs; p++) sink += samePair ? dot(vectors[0]!, vectors[1]!) : dot(vectors[p % n]!, vectors[(p * 7 + 1) % n]!)
  })
  if (sink === 42) console.log('') // keeps the loops from being optimised away
  // The best run: the machine's capability (Krum is judged by its median, so this errs against the kernel).
  return { rate: (pairs * dimension) / (timing.cpuBestMs / 1000), timing }
}

// --- straightforward Krum, as one would first write it ------------------------------------------------------

/** Textbook Krum: for each update, its distance to every other one (each pair twice), sort, sum the n-f-2 smallest. */
function naiveKrumScores (vectors: Float32Array[], f: number): number[] {
  const n = vectors.length
  const scores: number[] = []
  for (let i = 0; i < n; i++) {
    const distances: number[] = []
    for (let j = 0; j < n; j++) {
      if (j === i) continue
      const a = vectors[i]!
      const b = vectors[j]!
      let sum = 0
      for (let k = 0; k < a.length; k++) {
        const e = a[k]! - b[k]!
        sum += e * e
      }
      distances.push(sum)
    }
    distances.sort((x, y) => x - y)
    scores.push(distances.slice(0, n - f - 2).reduce((s, x) => s + x, 0))
  }
  return scores
}

/** The same, computing each unordered pair once (the first optimisation anyone would make). */
function naiveKrumScoresPairsOnce (vectors: Float32Array[], f: number): number[] {
  const n = vectors.length
  const matrix: number[][] = Array.from({ length: n }, () => Array<number>(n).fill(0))
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = vectors[i]!
      const b = vectors[j]!
      let sum = 0
      for (let k = 0; k < a.length; k++) {
        const e = a[k]! - b[k]!
        sum += e * e
      }
      matrix[i]![j] = sum
      matrix[j]![i] = sum
    }
  }
  return matrix.map((row, i) => row.filter((_, j) => j !== i).sort((x, y) => x - y).slice(0, n - f - 2).reduce((s, x) => s + x, 0))
}

function naiveMultiKrum (vectors: Float32Array[], f: number, m: number): Float32Array {
  const scores = naiveKrumScores(vectors, f)
  const best = scores.map((s, i) => [s, i] as const).sort((x, y) => x[0] - y[0]).slice(0, m).map(([, i]) => i)
  const out = new Float32Array(vectors[0]!.length)
  for (let k = 0; k < out.length; k++) {
    let sum = 0
    for (const i of best) sum += vectors[i]![k]!
    out[k] = sum / m
  }
  return out
}

const argmin = (xs: number[]): number => xs.indexOf(Math.min(...xs))

// --- run ----------------------------------------------------------------------------------------------------

function machine (): string[] {
  let cpu = os.cpus()[0]?.model ?? 'unknown'
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu
  } catch {}
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${os.availableParallelism()} logical CPUs (nproc), CPU model "${cpu}", ${os.platform()} ${os.arch()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `- node ${process.version} (V8 ${process.versions.v8}); distance kernel in use: ${resolveDistanceKernel(100)}`,
    `- load average at start: ${os.loadavg().map(x => x.toFixed(2)).join(', ')}`
  ]
}

function main (): void {
  const lines: string[] = []
  const print = (line = ''): void => { lines.push(line); console.log(line) }
  print('## Environment')
  print()
  for (const line of machine()) print(line)
  print()

  const n = 100
  const f = 10
  const round = makeRound(n, f, DIMENSION, 1)
  const vectors = round.map(u => u.delta)
  const pairCount = (n * (n - 1)) / 2
  const pairMadds = pairCount * DIMENSION
  const dotPairs = 1000

  print(`## Machine multiply-add rate (tight scalar dot-product loops over the same ${n} × ${DIMENSION.toLocaleString('en')} data, ${dotPairs} pairs per run)`)
  print()
  print('| loop | multiply-adds/s (best of 5 runs, CPU time) |')
  print('| --- | ---: |')
  const dot1 = dotRate(vectors, dotPairs, dotOneAccumulator)
  const dot4 = dotRate(vectors, dotPairs, dotFourAccumulators)
  const asFloat64 = vectors.map(v => Float64Array.from(v))
  const dot64 = dotRate(asFloat64, dotPairs, dotFloat64FourAccumulators)
  const dot4Hot = dotRate(vectors, dotPairs, dotFourAccumulators, true)
  const dot64Hot = dotRate(asFloat64, dotPairs, dotFloat64FourAccumulators, true)
  print(`| Float32Array dot, one accumulator | ${fmt(dot1.rate / 1e9, 2)} G |`)
  print(`| Float32Array dot, four accumulators | ${fmt(dot4.rate / 1e9, 2)} G |`)
  print(`| Float64Array dot, four accumulators | ${fmt(dot64.rate / 1e9, 2)} G |`)
  print(`| Float32Array dot, four accumulators, one pair repeated (cache-resident) | ${fmt(dot4Hot.rate / 1e9, 2)} G |`)
  print(`| Float64Array dot, four accumulators, one pair repeated (cache-resident) | ${fmt(dot64Hot.rate / 1e9, 2)} G |`)
  const machineRate = Math.max(dot1.rate, dot4.rate, dot64.rate, dot4Hot.rate, dot64Hot.rate)
  print()
  print(`Machine rate used below: the fastest of these (each from its best of 5 runs), ${fmt(machineRate / 1e9, 2)} G multiply-adds/s.`)
  print()

  print(`## Krum and Multi-Krum, n=${n}, f=${f}, d=${DIMENSION.toLocaleString('en')}`)
  print()
  print(`Pair work: n(n-1)/2 × d = ${(pairMadds / 1e6).toFixed(0)} M squared-difference multiply-adds (each unordered pair once).`)
  print()
  const specKrum: AggregatorSpec = { rule: 'krum', f }
  const specMulti: AggregatorSpec = { rule: 'multi-krum', f }
  const fastPick = aggregate(round, specKrum).selected[0]
  const naivePick = round[argmin(naiveKrumScores(vectors, f))]!.id
  if (fastPick !== naivePick) throw new Error(`Krum disagrees with the naive implementation: ${fastPick} vs ${naivePick}`)

  const rows: Array<[string, Timing]> = []
  const naive = time(3, () => naiveKrumScores(vectors, f))
  rows.push(['straightforward Krum (each ordered pair, one accumulator)', naive])
  rows.push(['straightforward Krum, each pair once', time(3, () => naiveKrumScoresPairsOnce(vectors, f))])
  rows.push(['straightforward Multi-Krum (m = n-f)', time(3, () => naiveMultiKrum(vectors, f, n - f))])
  rows.push(['pairwiseSquaredDistances, js kernel', time(5, () => pairwiseSquaredDistances(vectors, { kernel: 'js' }))])
  rows.push(['pairwiseSquaredDistances, wasm-simd kernel', time(7, () => pairwiseSquaredDistances(vectors, { kernel: 'wasm-simd' }))])
  rows.push(['aggregate krum, js kernel', time(5, () => aggregate(round, specKrum, { kernel: 'js' }))])
  const krum = time(7, () => aggregate(round, specKrum))
  rows.push(['aggregate krum (auto: wasm-simd)', krum])
  const multi = time(7, () => aggregate(round, specMulti))
  rows.push(['aggregate multi-krum, m = n-f (auto: wasm-simd)', multi])
  print('| implementation | CPU ms (median) | CPU ms (best) | wall ms (median) | pair multiply-adds/s | speed-up vs straightforward Krum | same, by wall clock | % of machine rate |')
  print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const [label, t] of rows) {
    const rate = pairMadds / (t.cpuMedianMs / 1000)
    print(`| ${label} | ${fmt(t.cpuMedianMs)} | ${fmt(t.cpuBestMs)} | ${fmt(t.wallMedianMs)} | ${fmt(rate / 1e9, 2)} G | ${fmt(naive.cpuMedianMs / t.cpuMedianMs, 1)}× | ` +
      `${fmt(naive.wallMedianMs / t.wallMedianMs, 1)}× | ${fmt((100 * rate) / machineRate, 0)} % |`)
  }
  print()
  print('Rates, speed-ups and percentages use CPU-time medians unless marked wall clock. ' +
    `Target check: krum ${fmt(naive.cpuMedianMs / krum.cpuMedianMs, 1)}× and multi-krum ${fmt(naive.cpuMedianMs / multi.cpuMedianMs, 1)}× the straightforward implementation (target >= 10×); ` +
    `krum runs at ${fmt((100 * pairMadds) / (krum.cpuMedianMs / 1000) / machineRate, 0)} % of the machine rate (target >= 50 %).`)
  print()

  for (const [size, byzantine] of [[100, 10], [20, 2]] as const) {
    const data = size === n ? round : makeRound(size, byzantine, DIMENSION, 2)
    const megaValues = (size * DIMENSION) / 1e6
    print(`## Throughput of every rule, n=${size}, f=${byzantine}, d=${DIMENSION.toLocaleString('en')}`)
    print()
    print('| rule | CPU ms (median) | CPU ms (best) | wall ms (median) | input values/s |')
    print('| --- | ---: | ---: | ---: | ---: |')
    const specs: Array<[string, AggregatorSpec]> = [
      ['fedavg', { rule: 'fedavg' }],
      ['krum', { rule: 'krum', f: byzantine }],
      ['multi-krum (m = n-f)', { rule: 'multi-krum', f: byzantine }],
      ['median', { rule: 'median', f: byzantine }],
      ['trimmed-mean (trim = f)', { rule: 'trimmed-mean', f: byzantine }],
      ['bulyan', { rule: 'bulyan', f: byzantine }],
      ['centered-clipping (L = 1)', { rule: 'centered-clipping', f: byzantine, clipRadius: 1 }],
      ['centered-clipping (L = 3)', { rule: 'centered-clipping', f: byzantine, clipRadius: 1, clipIterations: 3 }],
      ['nnm + krum', { rule: 'krum', f: byzantine, nnm: true }],
      ['nnm + trimmed-mean', { rule: 'trimmed-mean', f: byzantine, nnm: true }]
    ]
    for (const [label, spec] of specs) {
      const t = time(size === 100 ? 3 : 5, () => aggregate(data, spec))
      print(`| ${label} | ${fmt(t.cpuMedianMs)} | ${fmt(t.cpuBestMs)} | ${fmt(t.wallMedianMs)} | ${fmt(megaValues / (t.cpuMedianMs / 1000), 0)} M |`)
    }
    print()
  }
  print(`- load average at end: ${os.loadavg().map(x => x.toFixed(2)).join(', ')}`)
}

main()
