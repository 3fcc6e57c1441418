/**
 * mnist robustness and quantisation benchmark. From the repository root:
 *   node --import tsx packages/attacks/bench/mnist-robustness.ts [--quick] [--docs] [--rounds R] [--attacks a,b] [--rules r,s]
 *     (rules: the plain ones by default; 'nnm+<rule>' puts nearest-neighbour mixing in front of one)
 *     [--backend wasm|cpu] [--json FILE]
 *
 * 20 nodes train the learner's mnist MLP with real tfjs (the learner's InProcessLearner, wasm backend if it starts,
 * else cpu) on a non-IID Dirichlet(0.5) partition of the real digits of the `mnist` package; 4 of them attack.
 * Each round every node trains from the global model, its delta is int8-quantised and encoded exactly as on the
 * wire (@fedmesh/updates quantizeDelta, encodeModelUpdate, decodeModelUpdate, dequantize), attackers replace their
 * delta with @fedmesh/attacks' transforms (reading the honest deltas, which are gossiped to all), and the rule of
 * @fedmesh/aggregation forms the next global model. Prints markdown: final test accuracy per attack x rule, the
 * float32-vs-int8 row of the clean run and the bytes per parameter of the encoded updates. Seeded and
 * deterministic: the same arguments on the same machine print the same accuracies.
 *
 * --docs replaces (or appends) the "## mnist robustness" section of docs/benchmarks.md with the output.
 */
import { execSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { aggregate, RULE_NAMES } from '@fedmesh/aggregation'
import type { AggregatorSpec, ClientUpdate, RuleName } from '@fedmesh/aggregation'
import {
  addWeights, flattenWeights, initialWeights, mixSeed, mnistModelSpec, mnistPartition, mnistSplit, parameterCount,
  seededRandom, unflattenWeights, weightLayout
} from '@fedmesh/learner'
import type { MnistData, NamedWeights } from '@fedmesh/learner'
import { InProcessLearner, mnistPackageSource } from '@fedmesh/learner/node'
import {
  decodeModelUpdate, dequantize, encodeModelUpdate, encodeUpdateChunks, flattenTensors, quantizeDelta
} from '@fedmesh/updates'
import type { ModelUpdate, Scheme } from '@fedmesh/updates'
import { alieZ, labelFlipData, poisonDelta } from '../src/index.ts'
import type { AttackerView, ModelAttackName, ModelAttackOptions } from '../src/index.ts'

// ---- settings ------------------------------------------------------------------------------------------------

type BenchAttack = 'none' | 'alie' | 'ipm' | 'sign-flip' | 'gaussian' | 'label-flip'
const ALL_ATTACKS: BenchAttack[] = ['none', 'alie', 'ipm', 'sign-flip', 'gaussian', 'label-flip']

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const writeDocs = args.includes('--docs')
function option (name: string): string | undefined {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
function listOption<T extends string> (name: string, all: readonly T[], defaults: readonly T[] = all): T[] {
  const value = option(name)
  if (value === undefined) return [...defaults]
  const items = value.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const item of items) if (!(all as readonly string[]).includes(item)) throw new Error(`${name}: unknown '${item}'; expected some of ${all.join(', ')}`)
  return items as T[]
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const SEED = 20240611
const NODES = 20
const ATTACKERS = 4
const F = ATTACKERS
const ALPHA = 0.5
const ROUNDS = Number(option('--rounds') ?? (quick ? 5 : 12))
const TRAIN_SIZE = quick ? 2000 : 5000
const TEST_SIZE = 1000
const LOCAL_EPOCHS = 1
const BATCH = 32
const LEARNING_RATE = 0.1
const HIDDEN = [64]
const ATTACKS = listOption('--attacks', ALL_ATTACKS)
/**
 * A rule of @fedmesh/aggregation, or one behind nearest-neighbour mixing ('nnm+krum': the spec's nnm option,
 * Allouah et al. 2023), which the issue lists as an optional pre-aggregation. The default table has the plain rules.
 */
type BenchRule = RuleName | `nnm+${Exclude<RuleName, 'fedavg'>}`
const NNM_RULES = RULE_NAMES.filter(r => r !== 'fedavg').map(r => `nnm+${r}` as BenchRule)
const RULES = listOption<BenchRule>('--rules', [...RULE_NAMES, ...NNM_RULES], RULE_NAMES)
const BACKENDS = option('--backend') === undefined ? ['wasm', 'cpu'] : [option('--backend')!]
/** Explicit boosting by n/f (Bhagoji et al. 2019): a plain -1 flip of 4 in 20 only slows the mean down. */
const SIGN_FLIP_SCALE = NODES / ATTACKERS
const GAUSSIAN_SIGMA = 1
/** Xie et al. 2020's small epsilon, the setting aimed at robust rules. */
const IPM_EPSILON = 0.1
/** Centered clipping radius: about the median L2 norm of an honest round-1 delta in this setting (measured: see output). */
const CLIP_RADIUS = 1
const ATTACK_OPTIONS: ModelAttackOptions = { signFlipScale: SIGN_FLIP_SCALE, sigma: GAUSSIAN_SIGMA, epsilon: IPM_EPSILON }

const baseRule = (rule: BenchRule): RuleName => (rule.startsWith('nnm+') ? rule.slice(4) : rule) as RuleName

function ruleSpec (bench: BenchRule): AggregatorSpec {
  const rule = baseRule(bench)
  if (bench !== rule) return { ...ruleSpec(rule), nnm: true }
  // every robust rule is told the true number of attackers; fedavg ignores f
  if (rule === 'fedavg') return { rule }
  if (rule === 'centered-clipping') return { rule, f: F, clipRadius: CLIP_RADIUS, clipIterations: 3 }
  return { rule, f: F }
}

// ---- one training session --------------------------------------------------------------------------------------

const spec = mnistModelSpec({
  seed: SEED,
  hidden: HIDDEN,
  optimizer: { name: 'sgd', learningRate: LEARNING_RATE },
  batchSize: BATCH,
  localEpochs: LOCAL_EPOCHS,
  testSize: TEST_SIZE,
  trainSize: TRAIN_SIZE,
  partition: { mode: 'dirichlet', alpha: ALPHA }
})
const layout = weightLayout(spec)
const PARAMS = parameterCount(layout)
const shares = mnistPartition(NODES, { mode: 'dirichlet', alpha: ALPHA, seed: SEED, testSize: TEST_SIZE, trainSize: TRAIN_SIZE, minPerNode: BATCH })
const testIndices = mnistSplit({ seed: SEED, testSize: TEST_SIZE, trainSize: TRAIN_SIZE }).test
/** The last ATTACKERS nodes attack; with a seeded Dirichlet split they hold an arbitrary mix of classes. */
const isAttacker = (node: number): boolean => node >= NODES - ATTACKERS
const peerIds = Array.from({ length: NODES }, (_, i) => peerIdFor(i))

const learner = new InProcessLearner({ mnistSource: mnistPackageSource() })

interface RunResult {
  attack: BenchAttack
  rule: BenchRule
  scheme: Scheme
  accuracy: number
  /** Encoded ModelUpdate payload bytes per parameter, mean over every update of the run. */
  payloadBytesPerParam: number
  /** The same with the chunk messages' headers (what gossipsub carries). */
  chunkBytesPerParam: number
  /** Fraction of rounds in which the rule's selection (krum-like rules) included at least one attacker. */
  attackerSelectedRounds: number
  /** Median L2 norm of the honest deltas in round 1. */
  honestNormRound1: number
  ms: number
}

/** An update as every node receives it: quantised, encoded, decoded and dequantised, like the wire does. */
function throughWire (delta: Float32Array, node: number, round: number, samples: number, scheme: Scheme, bytes: { payload: number, chunks: number, count: number }): Float32Array {
  const tensors = unflattenWeights(delta, layout)
  const update: ModelUpdate = {
    session: 'bench', round, term: 1, baseVersion: round - 1, samples, sender: peerIds[node]!,
    tensors: quantizeDelta(tensors, { scheme }).tensors
  }
  const payload = encodeModelUpdate(update)
  const { chunks } = encodeUpdateChunks(update)
  bytes.payload += payload.length
  bytes.chunks += chunks.reduce((s, c) => s + c.length, 0)
  bytes.count++
  const decoded = decodeModelUpdate(payload)
  if (!decoded.ok) throw new Error(`round ${round}: own encoding did not decode: ${decoded.detail}`)
  return flattenTensors(dequantize({ tensors: decoded.value.tensors }))
}

async function train (global: NamedWeights, node: number, round: number, data: MnistData): Promise<{ delta: Float32Array, samples: number }> {
  const report = await learner.train(global, data, { seed: mixSeed(SEED, node, round) })
  return { delta: flattenWeights(report.delta), samples: report.samples }
}

async function run (attack: BenchAttack, rule: BenchRule, scheme: Scheme): Promise<RunResult> {
  const started = performance.now()
  const attackRandom = seededRandom(mixSeed(SEED, 0xa77, ALL_ATTACKS.indexOf(attack)))
  const ruleOptions = ruleSpec(rule)
  let global = initialWeights(spec)
  let previous: Float32Array = new Float32Array(PARAMS)
  const bytes = { payload: 0, chunks: 0, count: 0 }
  let attackerSelectedRounds = 0
  let honestNormRound1 = NaN

  for (let round = 1; round <= ROUNDS; round++) {
    const updates: ClientUpdate[] = []
    const benign: Float32Array[] = []
    const attackerNodes: number[] = []
    for (let node = 0; node < NODES; node++) {
      const data: MnistData = { task: 'mnist', indices: shares[node]! }
      if (attack !== 'none' && isAttacker(node)) {
        attackerNodes.push(node)
        continue
      }
      const { delta, samples } = await train(global, node, round, data)
      const received = throughWire(delta, node, round, samples, scheme, bytes)
      benign.push(received)
      updates.push({ id: `n${String(node).padStart(2, '0')}`, delta: received, samples })
    }
    if (round === 1) honestNormRound1 = median(benign.map(l2))

    for (const node of attackerNodes) {
      const data: MnistData = { task: 'mnist', indices: shares[node]! }
      let delta: Float32Array
      let samples = shares[node]!.length
      if (attack === 'label-flip') {
        ({ delta, samples } = await train(global, node, round, labelFlipData(data)))
      } else {
        // sign flip flips the attacker's own honestly trained delta; ALIE and IPM read the honest ones off gossip
        const own = attack === 'sign-flip' ? (await train(global, node, round, data)).delta : undefined
        const view: AttackerView = { own, benign, n: NODES, f: ATTACKERS, dimension: PARAMS, random: attackRandom }
        delta = poisonDelta(attack as ModelAttackName, view, ATTACK_OPTIONS)
      }
      const received = throughWire(delta, node, round, samples, scheme, bytes)
      updates.push({ id: `n${String(node).padStart(2, '0')}`, delta: received, samples })
    }

    const result = aggregate(updates, ruleOptions, { previous })
    if (attack !== 'none' && ['krum', 'multi-krum', 'bulyan'].includes(baseRule(rule)) &&
      result.selected.some(id => isAttacker(Number(id.slice(1))))) attackerSelectedRounds++
    previous = result.aggregate
    global = addWeights(global, unflattenWeights(result.aggregate, layout))
  }

  const evaluation = await learner.evaluate({ task: 'mnist', indices: testIndices }, global)
  return {
    attack, rule, scheme,
    accuracy: evaluation.accuracy ?? NaN,
    payloadBytesPerParam: bytes.payload / bytes.count / PARAMS,
    chunkBytesPerParam: bytes.chunks / bytes.count / PARAMS,
    attackerSelectedRounds: attackerSelectedRounds / ROUNDS,
    honestNormRound1,
    ms: performance.now() - started
  }
}

// ---- helpers ---------------------------------------------------------------------------------------------------

function l2 (v: Float32Array): number {
  let s = 0
  for (let j = 0; j < v.length; j++) s += v[j]! * v[j]!
  return Math.sqrt(s)
}

function median (xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** A well-formed peer id string per node (the encoder checks the sender field's syntax). */
function peerIdFor (node: number): string {
  const random = seededRandom(mixSeed(SEED, 0x1d, node))
  let id = '12D3KooW'
  while (id.length < 52) id += BASE58[Math.floor(random() * BASE58.length)]
  return id
}

function machine (): string[] {
  const cpu = os.cpus()[0]?.model ?? 'unknown'
  let nproc = String(os.availableParallelism())
  try { nproc = execSync('nproc', { encoding: 'utf8' }).trim() } catch {}
  const load = os.loadavg().map(l => l.toFixed(2)).join(', ')
  const fromLearner = createRequire(fileURLToPath(import.meta.resolve('@fedmesh/learner')))
  const tfjs = JSON.parse(readFileSync(fromLearner.resolve('@tensorflow/tfjs/package.json'), 'utf8')) as { version: string }
  return [
    `- machine: \`nproc\` = ${nproc}, CPU model "${cpu}", ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}`,
    `- node ${process.version}, @tensorflow/tfjs ${tfjs.version}`,
    `- load average at start: ${load}`
  ]
}

const pct = (x: number): string => Number.isNaN(x) ? 'n/a' : (100 * x).toFixed(1)
const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(1)

// ---- main ------------------------------------------------------------------------------------------------------

async function main (): Promise<void> {
  const begin = performance.now()
  const machineLines = machine()
  const init = await learner.init(spec, { backends: BACKENDS })
  const backend = init.backend.active + (init.backend.fallbacks.length > 0
    ? ` (fell back: ${init.backend.fallbacks.map(f => `${f.backend}: ${f.reason}`).join('; ')})`
    : '')
  const sizes = shares.map(s => s.length)
  // the command as it reproduces the figures: without the output options
  const shown = args.filter((a, i) => a !== '--json' && args[i - 1] !== '--json' && a !== '--docs')
  const command = `node --import tsx packages/attacks/bench/mnist-robustness.ts${shown.length > 0 ? ' ' + shown.join(' ') : ''}`
  process.stderr.write(`mnist robustness: ${ATTACKS.length} attacks x ${RULES.length} rules, ${ROUNDS} rounds, backend ${backend}\n`)

  const results: RunResult[] = []
  const runs: Array<[BenchAttack, BenchRule, Scheme]> = []
  if (ATTACKS.includes('none')) for (const rule of RULES) runs.push(['none', rule, 'float32'])
  for (const attack of ATTACKS) for (const rule of RULES) runs.push([attack, rule, 'int8'])
  for (const [attack, rule, scheme] of runs) {
    const result = await run(attack, rule, scheme)
    results.push(result)
    process.stderr.write(`  ${attack.padEnd(10)} ${rule.padEnd(17)} ${scheme.padEnd(7)} accuracy ${pct(result.accuracy).padStart(5)} %  ` +
      `(${(result.ms / 1000).toFixed(1)} s, ${((performance.now() - begin) / 60000).toFixed(1)} min so far)\n`)
  }
  const totalMin = (performance.now() - begin) / 60000
  const find = (attack: BenchAttack, rule: BenchRule, scheme: Scheme = 'int8'): RunResult | undefined =>
    results.find(r => r.attack === attack && r.rule === rule && r.scheme === scheme)

  const lines: string[] = []
  lines.push('### mnist robustness benchmark', '')
  lines.push(`Command: \`${command}\` (${quick ? 'quick mode' : 'full table'}; ${totalMin.toFixed(1)} min)`, '')
  lines.push(...machineLines, `- tfjs backend: ${backend}`, '')
  lines.push(
    `Setting: ${NODES} nodes, ${ATTACKERS} attackers (nodes ${NODES - ATTACKERS}..${NODES - 1}; f = ${F} for every robust rule), ` +
    `mnist package digits: ${TRAIN_SIZE} training images split non-IID by Dirichlet(alpha = ${ALPHA}) per class ` +
    `(${Math.min(...sizes)}..${Math.max(...sizes)} images per node), ${TEST_SIZE} held-out test images; ` +
    `MLP 784-${HIDDEN.join('-')}-10 (${PARAMS} parameters), SGD lr ${LEARNING_RATE}, batch ${BATCH}, ${LOCAL_EPOCHS} local epoch per round, ` +
    `${ROUNDS} rounds; every update int8-quantised (per-tensor scale) and encoded/decoded as on the wire, attackers included. ` +
    `Accuracy = the final global model on the test images. Seed ${SEED}.`, '')
  lines.push(
    `Attacks: ALIE z = ${alieZ(NODES, ATTACKERS).toFixed(3)} (Baruch et al. 2019 formula for n = ${NODES}, f = ${F}); ` +
    `IPM epsilon = ${IPM_EPSILON} (Xie et al. 2020); sign flip x${SIGN_FLIP_SCALE} (= n/f boosting) of the attacker's own trained delta; ` +
    `Gaussian N(0, ${GAUSSIAN_SIGMA}^2) per coordinate; label flip l -> 9 - l on the attacker's own data, trained honestly. ` +
    `ALIE and IPM read the honest deltas of the round (gossiped to all). Rules: multi-krum m = n - f, trimmed-mean trim = f, ` +
    `bulyan (n = ${NODES} >= 4f + 3 = ${4 * F + 3}), centered-clipping tau = ${CLIP_RADIUS}, 3 iterations from the previous aggregate.`, '')

  lines.push('#### Final test accuracy, % (int8 updates)', '')
  lines.push(`| attack | ${RULES.join(' | ')} |`, `|---|${RULES.map(() => '---').join('|')}|`)
  for (const attack of ATTACKS) {
    lines.push(`| ${attack} | ${RULES.map(rule => pct(find(attack, rule)?.accuracy ?? NaN)).join(' | ')} |`)
  }
  if (ATTACKS.includes('none')) {
    lines.push(`| none, float32 updates | ${RULES.map(rule => pct(find('none', rule, 'float32')?.accuracy ?? NaN)).join(' | ')} |`)
    lines.push(`| int8 - float32, points | ${RULES.map(rule => {
      const a = find('none', rule)
      const b = find('none', rule, 'float32')
      return a === undefined || b === undefined ? 'n/a' : signed(100 * (a.accuracy - b.accuracy))
    }).join(' | ')} |`)
    lines.push('')
    lines.push('#### Points lost to each attack against the same rule\'s clean int8 run (target: a robust rule within 3 points)', '')
    lines.push(`| attack | ${RULES.join(' | ')} |`, `|---|${RULES.map(() => '---').join('|')}|`)
    for (const attack of ATTACKS.filter(a => a !== 'none')) {
      lines.push(`| ${attack} | ${RULES.map(rule => {
        const a = find(attack, rule)
        const clean = find('none', rule)
        if (a === undefined || clean === undefined) return 'n/a'
        const d = 100 * (a.accuracy - clean.accuracy)
        return signed(d) + (rule !== 'fedavg' && d >= -3 ? ' ✓' : '')
      }).join(' | ')} |`)
    }
    const cleanFedavg = find('none', 'fedavg')
    if (cleanFedavg !== undefined) {
      lines.push('')
      lines.push(`Against the clean FedAvg run (${pct(cleanFedavg.accuracy)} %), the best robust rule per attack: ` + ATTACKS.filter(a => a !== 'none').map(attack => {
        const best = RULES.filter(r => r !== 'fedavg').map(rule => find(attack, rule)).filter((r): r is RunResult => r !== undefined)
          .sort((a, b) => b.accuracy - a.accuracy)[0]
        return best === undefined ? `${attack} n/a` : `${attack} ${best.rule} ${pct(best.accuracy)} % (${signed(100 * (best.accuracy - cleanFedavg.accuracy))})`
      }).join('; ') + '.')
    }
  }
  const selecting = RULES.filter(r => ['krum', 'multi-krum', 'bulyan'].includes(baseRule(r)))
  if (selecting.length > 0 && ATTACKS.some(a => a !== 'none')) {
    lines.push('', '#### Rounds in which the rule\'s selection included an attacker, %', '')
    lines.push(`| attack | ${selecting.join(' | ')} |`, `|---|${selecting.map(() => '---').join('|')}|`)
    for (const attack of ATTACKS.filter(a => a !== 'none')) {
      lines.push(`| ${attack} | ${selecting.map(rule => pct(find(attack, rule)?.attackerSelectedRounds ?? NaN)).join(' | ')} |`)
    }
  }

  const int8Runs = results.filter(r => r.scheme === 'int8')
  const f32Runs = results.filter(r => r.scheme === 'float32')
  const meanOf = (rs: RunResult[], key: 'payloadBytesPerParam' | 'chunkBytesPerParam'): string =>
    rs.length === 0 ? 'n/a' : (rs.reduce((s, r) => s + r[key], 0) / rs.length).toFixed(3)
  lines.push('', '#### Update size, measured from the encoded updates', '')
  lines.push('| scheme | ModelUpdate payload, bytes/parameter | chunk messages (gossip), bytes/parameter |', '|---|---|---|')
  lines.push(`| int8 | ${meanOf(int8Runs, 'payloadBytesPerParam')} | ${meanOf(int8Runs, 'chunkBytesPerParam')} |`)
  if (f32Runs.length > 0) lines.push(`| float32 | ${meanOf(f32Runs, 'payloadBytesPerParam')} | ${meanOf(f32Runs, 'chunkBytesPerParam')} |`)
  const norms = results.map(r => r.honestNormRound1).filter(Number.isFinite)
  lines.push('', `Median L2 norm of an honest round-1 delta: ${median(norms).toFixed(3)}; one run (${ROUNDS} rounds) took ` +
    `${(median(results.map(r => r.ms)) / 1000).toFixed(1)} s (median).`)

  const markdown = lines.join('\n') + '\n'
  process.stdout.write('\n' + markdown)
  const json = option('--json')
  if (json !== undefined) writeFileSync(json, JSON.stringify({ command, backend, rounds: ROUNDS, results }, null, 2))
  if (writeDocs) writeDocsSection(markdown)
  await learner.dispose()
}

/** Replace this benchmark's own section of docs/benchmarks.md (re-read just before writing; others edit it too). */
function writeDocsSection (markdown: string): void {
  const path = new URL('../../../docs/benchmarks.md', import.meta.url)
  const heading = '## mnist robustness'
  const intro = [
    heading, '',
    'The issue\'s robustness and quantisation figures: 20 nodes, non-IID mnist, 4 attackers, every attack x every rule, and',
    'int8 against float32 updates on the clean run. Command: `pnpm --filter @fedmesh/attacks bench` (full table, about 20',
    'minutes on 2 cores) or `... bench -- --quick` (`pnpm bench` runs the quick mode). Output of the last run, unchanged:', ''
  ].join('\n')
  const section = intro + '\n' + markdown.replace(/^### /m, '### ') + '\n'
  const text = readFileSync(path, 'utf8')
  const start = text.indexOf(`\n${heading}\n`)
  let next: string
  if (start < 0) {
    next = text.replace(/\n*$/, '\n\n') + section
  } else {
    const after = text.indexOf('\n## ', start + heading.length + 2)
    next = text.slice(0, start + 1) + section + (after < 0 ? '' : '\n' + text.slice(after + 1))
  }
  writeFileSync(path, next)
  process.stderr.write('wrote the "mnist robustness" section of docs/benchmarks.md\n')
}

await main()
