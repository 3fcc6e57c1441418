/**
 * Federated training over the memory transport: a packages/sim Simulation whose nodes each begin the training
 * service with a learner, either real tfjs (InProcessLearner on the link-health task, trained on the node's own
 * heartbeat metrics, as a tab does) or a small synthetic one (a noisy step towards a common target: for 100 nodes).
 */
import { Simulation, simulationElectionTimings, until } from '@fedmesh/sim'
import { learnerTrainer, sessionOf } from '@fedmesh/node'
import type { FedmeshConfig, FedmeshNode, PeerBudgetSpec, TrainingLearner, TrainingStatus } from '@fedmesh/node'
import { MemoryCheckpointStore } from '@fedmesh/checkpoint'
import { initialWeights, linkHealthModelSpec } from '@fedmesh/learner'
import type { MetricSample, ModelSpec } from '@fedmesh/learner'
import { InProcessLearner } from '@fedmesh/learner/engine'
import { digestWeights } from '@fedmesh/updates'
import type { Tensor } from '@fedmesh/updates'

export interface TrainingSimOptions {
  config: Partial<FedmeshConfig>
  /** Attack mode per node index (absent = honest). */
  attacks?: Record<number, string>
  learner?: 'link-health' | 'synthetic'
  /** Synthetic model size. */
  dimension?: number
  heartbeatMs?: number
  graceMs?: number
  seed?: number
  /** Is node `index` hidden (a hidden tab votes but is never elected)? Read live. */
  hidden?: (index: number) => boolean
  /** Does node `index` deflate its updates (NodeConfig.compressUpdates)? Default: as the config says. */
  compress?: (index: number) => boolean
  /** What one peer may be served by each node (TrainingInit.serveBudget). Default: DEFAULT_SERVE_BUDGET. */
  serveBudget?: PeerBudgetSpec
}

export interface TrainingSim {
  sim: Simulation
  store: MemoryCheckpointStore
  /** Start `count` more nodes (each begins training at once). */
  add: (count: number) => Promise<FedmeshNode[]>
  statuses: (nodes?: FedmeshNode[]) => TrainingStatus[]
  /** Digest of the weights each node holds. */
  digests: (nodes?: FedmeshNode[]) => string[]
  /** Wait until every node in `nodes` holds `version` (and the same weights); the failure message shows who lags. */
  allAt: (version: number, nodes: FedmeshNode[], timeoutMs: number) => Promise<void>
  describe: (nodes?: FedmeshNode[]) => string
  stop: () => Promise<void>
}

export const LINK_HEALTH_SPEC: ModelSpec = linkHealthModelSpec({ seed: 1, localEpochs: 2 })

export async function trainingSim (o: TrainingSimOptions): Promise<TrainingSim> {
  const store = new MemoryCheckpointStore()
  const learners: InProcessLearner[] = []
  const synthetic = o.learner === 'synthetic'
  const model = synthetic ? syntheticModel(o.dimension ?? 64) : initialWeights(LINK_HEALTH_SPEC)
  const session = sessionOf({ session: o.config.session ?? '', task: o.config.task ?? 'link-health' })
  const sim = new Simulation({
    heartbeatMs: o.heartbeatMs ?? 500,
    // slow heartbeats (large simulations) need a stretched election lease, as in packages/sim
    election: simulationElectionTimings(o.heartbeatMs ?? 500),
    config: o.config,
    beforeCreate: (index) => ({
      ...(o.hidden !== undefined ? { hidden: () => o.hidden?.(index) ?? false } : {}),
      training: {
        graceMs: o.graceMs ?? 3_000,
        ...(o.serveBudget !== undefined ? { serveBudget: o.serveBudget } : {}),
        ...(o.compress !== undefined ? { compressUpdates: o.compress(index) } : {}),
        ...(o.attacks?.[index] !== undefined ? { attack: o.attacks[index] } : {})
      }
    }),
    afterStart: async (node, index) => {
      let learner: TrainingLearner
      if (synthetic) {
        learner = syntheticLearner(index, o.seed ?? 7)
      } else {
        const samples: MetricSample[] = []
        node.heartbeat.addEventListener('self:metrics', (evt) => {
          const { atMs, body } = evt.detail
          samples.push({ atMs, metrics: body.metrics, neighbours: body.neighbours, hidden: body.hidden })
          if (samples.length > 240) samples.shift()
        })
        const tf = new InProcessLearner()
        await tf.init(LINK_HEALTH_SPEC, { yieldEveryMs: 20 })
        learners.push(tf)
        // two windows of samples make one training example
        learner = learnerTrainer(tf, { seed: 1, data: () => samples.length >= 2 * 4 ? { task: 'link-health', samples: [...samples] } : undefined })
      }
      node.training.begin({
        session,
        task: synthetic ? 'synthetic' : 'link-health',
        model: { version: 0, tensors: model.map(t => ({ ...t, data: t.data.slice() })) },
        learner,
        checkpoints: { store, key: `${session}#${node.peerId}` }
      })
    }
  })
  const statuses = (nodes = sim.live()): TrainingStatus[] => nodes.map(n => n.training.status())
  const digests = (nodes = sim.live()): string[] => nodes.map(n => n.training.session?.model.digest ?? '')
  const describe = (nodes = sim.live()): string => JSON.stringify(nodes.map(n => {
    const s = n.training.status()
    return { id: n.peerId.slice(-6), v: s.version, r: s.round, p: s.participants, term: s.term, c: s.coordinator?.slice(-6), role: s.role, st: s.state, msg: s.message, rej: s.models.rejectReasons, skip: s.training.skipped, runs: s.training.runs, q: s.quarantined.map(p => p.slice(-6)), fetch: s.fetch, err: s.training.lastError }
  }))
  return {
    sim,
    store,
    add: async (count) => await sim.add(count),
    statuses,
    digests,
    describe,
    allAt: async (version, nodes, timeoutMs) => {
      const ok = await until(() => {
        const d = digests(nodes)
        return nodes.every(n => n.training.status().version >= version) && nodes.every(n => n.training.status().version === nodes[0]!.training.status().version) && d.every(x => x === d[0])
      }, timeoutMs, 200)
      if (ok === undefined) throw new Error(`not every node reached version ${version} with one model: ${describe(nodes)}`)
    },
    stop: async () => {
      await sim.stop()
      await Promise.allSettled(learners.map(async l => { await l.dispose() }))
    }
  }
}

/** A small two-tensor model, zero-initialised. */
export function syntheticModel (d: number): Tensor[] {
  return [
    { name: 'dense/kernel', shape: [d - 1], data: new Float32Array(d - 1) },
    { name: 'dense/bias', shape: [1], data: new Float32Array(1) }
  ]
}

/**
 * An honest synthetic client: one step of size 0.1 towards a common target (1 everywhere) plus its own fixed bias and
 * fresh noise: non-IID enough that Krum has to choose, small enough to train 100 nodes in one process.
 */
export function syntheticLearner (index: number, seed: number): TrainingLearner {
  const random = seeded(seed * 1000 + index)
  return {
    async train (from) {
      const weights = from.map(t => ({ name: t.name, shape: [...t.shape], data: t.data.map(w => w + 0.1 * (1 - w) + 0.01 * gaussian(random)) }))
      return { weights, samples: 100 }
    }
  }
}

function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function gaussian (random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

export { digestWeights }
