import { linkHealthExamples } from './tasks/link-health/features.ts'
import type { MetricSample } from './tasks/link-health/features.ts'
import { MNIST_PIXELS, mnistExamples } from './tasks/mnist/dataset.ts'
import type { MnistDataset } from './tasks/mnist/dataset.ts'
import { labelFlipper } from './tasks/mnist/label-flip.ts'
import type { LabelFlip } from './tasks/mnist/label-flip.ts'
import type { ModelSpec } from './spec.ts'

/** A node's local data for one task (structured-clone friendly, so it can be posted to a worker). */
export type LocalData = LinkHealthData | MnistData

export interface LinkHealthData {
  task: 'link-health'
  /** The tab's recent metric samples, oldest first; every full window becomes a training example. */
  samples: MetricSample[]
}

export interface MnistData {
  task: 'mnist'
  /** Global mnist indices (see mnistPartition / mnistSplit). */
  indices: number[] | Uint32Array
  /** Label-flipping attacker: train on flipped labels. */
  labelFlip?: LabelFlip
}

/** Examples for one network: rows of `width` inputs; target is the input itself (autoencoder) or class labels. */
export interface NetworkExamples {
  network: string
  x: Float32Array
  rows: number
  width: number
  labels?: Int32Array
}

export interface TaskExamples {
  networks: NetworkExamples[]
  /** What the node reports as its sample count (node windows, or images). */
  samples: number
}

/** Turn local data into per-network examples; mnist needs the loaded dataset. */
export function taskExamples (spec: ModelSpec, data: LocalData, mnist?: MnistDataset): TaskExamples {
  if (data?.task !== spec.task.name) {
    throw new RangeError(`local data is for task '${String(data?.task)}' but the model is for '${spec.task.name}'`)
  }
  if (data.task === 'link-health' && spec.task.name === 'link-health') {
    if (!Array.isArray(data.samples)) throw new TypeError('link-health data needs a samples array')
    const examples = linkHealthExamples(data.samples, spec.task.windowSize)
    return {
      samples: examples.node.rows,
      networks: [
        { network: 'node', x: examples.node.data, rows: examples.node.rows, width: examples.node.width },
        { network: 'link', x: examples.link.data, rows: examples.link.rows, width: examples.link.width }
      ]
    }
  }
  if (data.task === 'mnist') {
    if (mnist === undefined) throw new Error('mnist data given but the mnist dataset is not loaded (init the learner with an mnist source)')
    const relabel = data.labelFlip === undefined ? undefined : labelFlipper(data.labelFlip)
    const { x, labels } = mnistExamples(mnist, data.indices, relabel)
    return { samples: labels.length, networks: [{ network: 'classifier', x, rows: labels.length, width: MNIST_PIXELS, labels }] }
  }
  throw new RangeError(`unsupported task ${spec.task.name}`)
}
