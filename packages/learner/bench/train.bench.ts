/**
 * Learner benchmark. Run from the repository root:
 *   node --import tsx packages/learner/bench/train.bench.ts [--quick] [--no-wasm] [--no-swarm]
 * Prints markdown: the machine; per task and tfjs backend (cpu, and wasm, which also runs in Node) the cost of one
 * local epoch and of one link-health score call; the worst event-loop lag while training in-process; and one mnist
 * round of 100 in-process nodes sharing one tfjs engine and one dataset. Figures are medians of several runs after a
 * warm-up, as wall time and as CPU time of this process (less sensitive to other load on a shared machine).
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import {
  initialWeights, linkHealthModelSpec, mnistModelSpec, mnistPartition, mnistSplit, parameterCount, weightLayout
} from '../src/index.ts'
import type { LearnerEnvironment, LocalData, ModelSpec } from '../src/index.ts'
import { InProcessLearner, mnistPackageSource, selectBackend } from '../src/node.ts'
import { normalStream } from '../test/helpers.ts'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 3 : 7
const BACKENDS = process.argv.includes('--no-wasm') ? ['cpu'] : ['cpu', 'wasm']

function median (xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
}

/** Wall and CPU ms of an async call (CPU = this process's user + system time). */
async function measure<T> (fn: () => Promise<T>): Promise<{ result: T, wallMs: number, cpuMs: number }> {
  const cpu = process.cpuUsage()
  const start = performance.now()
  const result = await fn()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { result, wallMs, cpuMs: (used.user + used.system) / 1000 }
}

interface EpochCost { wallMs: number, cpuMs: number, callWallMs: number, stepsPerEpoch: number, worstLagMs: number }

/** Marginal cost of one local epoch: (E=5 call − E=1 call) / 4, so the loss passes before and after cancel out. */
async function epochCost (spec: ModelSpec, data: LocalData, backend: string, env: LearnerEnvironment = {}): Promise<EpochCost> {
  const one = new InProcessLearner(env)
  const five = new InProcessLearner(env)
  await one.init({ ...spec, localEpochs: 1 }, { backends: [backend] })
  await five.init({ ...spec, localEpochs: 5 }, { backends: [backend] })
  const global = initialWeights(spec)
  await one.train(global, data)
  await five.train(global, data)
  const w1: number[] = []
  const w5: number[] = []
  const c1: number[] = []
  const c5: number[] = []
  const lags: number[] = []
  let steps = 0
  for (let r = 0; r < RUNS; r++) {
    const a = await measure(() => one.train(global, data, { seed: r }))
    const b = await measure(() => five.train(global, data, { seed: r }))
    w1.push(a.wallMs); c1.push(a.cpuMs); w5.push(b.wallMs); c5.push(b.cpuMs)
    lags.push(a.result.callerMaxLagMs, b.result.callerMaxLagMs)
    steps = a.result.steps
  }
  await one.dispose()
  await five.dispose()
  return {
    wallMs: (median(w5) - median(w1)) / 4,
    cpuMs: (median(c5) - median(c1)) / 4,
    callWallMs: median(w1),
    stepsPerEpoch: steps,
    worstLagMs: median(lags)
  }
}

async function scoreCost (backend: string): Promise<{ wallMs: number, cpuMs: number }> {
  const spec = linkHealthModelSpec({ seed: 1 })
  const learner = new InProcessLearner()
  await learner.init(spec, { backends: [backend] })
  const samples = normalStream({ seed: 1, count: 60 })
  await learner.train(initialWeights(spec), { task: 'link-health', samples })
  const n = quick ? 100 : 400
  for (let i = 0; i < 20; i++) await learner.score(samples.slice(-4))
  const { wallMs, cpuMs } = await measure(async () => {
    for (let i = 0; i < n; i++) await learner.score(samples.slice(40 - (i % 40), 44 - (i % 40)))
  })
  await learner.dispose()
  return { wallMs: wallMs / n, cpuMs: cpuMs / n }
}

function machine (): string[] {
  let cpu = os.cpus()[0]?.model ?? 'unknown'
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu
  } catch {}
  return [
    `- machine: ${os.availableParallelism()} logical CPUs (nproc), CPU model "${cpu}", ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `- node ${process.version}, @tensorflow/tfjs 4.22.0 (plain tfjs, no tfjs-node), ${RUNS} runs per figure`,
    `- load average at start: ${os.loadavg().map(x => x.toFixed(2)).join(', ')}`
  ]
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits)
const lines: string[] = ['## Learner benchmark', '', ...machine(), '']

console.error('loading mnist...')
const source = mnistPackageSource()
const mnistEnv: LearnerEnvironment = { mnistSource: source }
const load = await measure(async () => {
  const l = new InProcessLearner(mnistEnv)
  await l.init(mnistModelSpec({ seed: 1 }), { backends: ['cpu'] })
  await l.dispose()
})
lines.push(`mnist load (10,000 digits from the mnist package into bytes, once per process): ${fmt(load.wallMs, 0)} ms wall, ${fmt(load.cpuMs, 0)} ms CPU`, '')

const linkSpec = linkHealthModelSpec({ seed: 1 })
const linkData: LocalData = { task: 'link-health', samples: normalStream({ seed: 2, count: 120 }) }
const mnistSpec = mnistModelSpec({ seed: 1 })
const { train } = mnistSplit({ seed: 1, testSize: 1000 })
const mnistSizes = quick ? [90, 600] : [90, 600, 2000]

lines.push('| task | local data | backend | steps/epoch (batch 32) | ms/epoch wall | ms/epoch CPU | one E=1 train call, wall ms | in-process event-loop lag, ms (median of worst per call) |')
lines.push('|---|---|---|---|---|---|---|---|')
for (const backend of BACKENDS) {
  if ((await selectBackend([backend])).active !== backend) continue
  console.error(`link-health on ${backend}...`)
  const lh = await epochCost(linkSpec, linkData, backend)
  lines.push(`| link-health | 120 samples: 117 node + 702 link windows | ${backend} | ${lh.stepsPerEpoch} | ${fmt(lh.wallMs)} | ${fmt(lh.cpuMs)} | ${fmt(lh.callWallMs)} | ${fmt(lh.worstLagMs, 0)} |`)
  for (const size of mnistSizes) {
    console.error(`mnist ${size} on ${backend}...`)
    const m = await epochCost(mnistSpec, { task: 'mnist', indices: train.slice(0, size) }, backend, mnistEnv)
    lines.push(`| mnist | ${size} images | ${backend} | ${m.stepsPerEpoch} | ${fmt(m.wallMs)} | ${fmt(m.cpuMs)} | ${fmt(m.callWallMs)} | ${fmt(m.worstLagMs, 0)} |`)
  }
}
lines.push('')
lines.push(`Models: link-health = node autoencoder 60-24-6-24-60 + link autoencoder 28-12-4-12-28 (${parameterCount(weightLayout(linkSpec))} weights, Adam);`)
lines.push(`mnist = MLP 784-64-10 (${parameterCount(weightLayout(mnistSpec))} weights, SGD). ms/epoch is the marginal cost of one more local epoch`)
lines.push('((E=5 call − E=1 call) / 4); a train call also runs one loss pass over the local data before and after training.')
lines.push('The lag column is how late a 20 ms timer in the same thread fired while training in-process (the trainers yield')
lines.push('every 50 ms of shared budget); in the browser the trainer runs in a Web Worker, so the page thread does not train.', '')

lines.push('| backend | link-health score() (node + 6 links), wall ms | CPU ms |', '|---|---|---|')
for (const backend of BACKENDS) {
  if ((await selectBackend([backend])).active !== backend) continue
  const s = await scoreCost(backend)
  lines.push(`| ${backend} | ${fmt(s.wallMs, 2)} | ${fmt(s.cpuMs, 2)} |`)
}
lines.push('')

if (!process.argv.includes('--no-swarm')) {
  console.error('100 in-process nodes...')
  await selectBackend(['cpu'])
  const nodes = 100
  const shares = mnistPartition(nodes, { mode: 'dirichlet', alpha: 0.5, seed: 1, testSize: 1000 })
  const learners = await Promise.all(shares.map(async () => {
    const l = new InProcessLearner(mnistEnv)
    await l.init(mnistSpec, { backends: ['cpu'] })
    return l
  }))
  const global = initialWeights(mnistSpec)
  const round = (): Promise<{ result: number, wallMs: number, cpuMs: number }> => measure(async () => {
    const reports = await Promise.all(learners.map((l, i) => l.train(global, { task: 'mnist', indices: shares[i]! }, { seed: i })))
    return Math.max(...reports.map(r => r.callerMaxLagMs))
  })
  await round()
  const rounds = []
  for (let r = 0; r < (quick ? 1 : 3); r++) rounds.push(await round())
  const rss = process.memoryUsage().rss / 2 ** 20
  const sizes = shares.map(s => s.length)
  lines.push('| in-process swarm (cpu) | nodes | images per node (Dirichlet 0.5) | one round, all nodes at once: wall ms | CPU ms | worst event-loop lag, ms | process RSS, MiB |')
  lines.push('|---|---|---|---|---|---|---|')
  lines.push(`| mnist MLP, 1 local epoch | ${nodes} | ${Math.min(...sizes)}..${Math.max(...sizes)} (9000 in all) | ${fmt(median(rounds.map(r => r.wallMs)), 0)} | ${fmt(median(rounds.map(r => r.cpuMs)), 0)} | ${fmt(Math.max(...rounds.map(r => r.result)), 0)} | ${fmt(rss, 0)} |`)
  await Promise.all(learners.map(l => l.dispose()))
}

console.log(lines.join('\n'))
