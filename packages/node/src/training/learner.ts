/**
 * What the training service needs of a learner: train from the global model on this node's local data and say how
 * many samples that took. The adapter below fits any @fedmesh/learner `Learner` (the worker's LearnerClient in a
 * tab, InProcessLearner in Node), so the service itself never imports tfjs.
 */
import { mixSeed } from '@fedmesh/learner'
import type { Learner, LocalData } from '@fedmesh/learner'
import type { Tensor } from '@fedmesh/updates'

export interface TrainContext {
  session: string
  round: number
  /** The node's attack mode: the adapter applies data attacks (label-flip) to the local data. */
  attack: string
}

export interface TrainedWeights {
  /** The locally trained weights (same layout as `from`). */
  weights: Tensor[]
  samples: number
  /** Loss before and after on the local data, if the learner reports it. */
  loss?: number
  lossBefore?: number
}

export interface TrainingLearner {
  /** Train from `from`; undefined when there is no local data to train on yet (the node sits the round out). */
  train: (from: readonly Tensor[], context: TrainContext) => Promise<TrainedWeights | undefined>
}

export interface LearnerTrainerOptions {
  /** This node's local data now (e.g. its recent metric samples), or undefined while there is too little. */
  data: () => LocalData | undefined
  /** Session seed: every round's local shuffle is mixSeed(seed, round). */
  seed?: number
  /** Called after each run with the learner's report (the app shows losses). */
  onTrained?: (report: { samples: number, loss: number, lossBefore: number, ms: number }) => void
}

/** A TrainingLearner over an @fedmesh/learner Learner (already init()ed with the session's spec). */
export function learnerTrainer (learner: Pick<Learner, 'train'>, options: LearnerTrainerOptions): TrainingLearner {
  return {
    async train (from, context) {
      let data = options.data()
      if (data === undefined) return undefined
      if (context.attack === 'label-flip' && data.task === 'mnist' && data.labelFlip === undefined) {
        data = { ...data, labelFlip: { kind: 'reverse' } }
      }
      const global = from.map(t => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }))
      const report = await learner.train(global, data, { seed: mixSeed(options.seed ?? 1, context.round) })
      if (report.samples === 0) return undefined
      // base + delta: the learner reports the delta it trained, relative to exactly these weights
      const weights = global.map((t, i) => {
        const d = report.delta[i]
        if (d === undefined || d.name !== t.name || d.data.length !== t.data.length) throw new Error(`learner delta does not match the model layout at tensor ${i} (${t.name})`)
        const out = new Float32Array(t.data.length)
        for (let k = 0; k < out.length; k++) out[k] = (t.data[k] as number) + (d.data[k] as number)
        return { name: t.name, shape: [...t.shape], data: out }
      })
      options.onTrained?.({ samples: report.samples, loss: report.loss, lossBefore: report.lossBefore, ms: report.ms })
      return { weights, samples: report.samples, loss: report.loss, lossBefore: report.lossBefore }
    }
  }
}
