import { LINK_FEATURES, NODE_FEATURES } from './tasks/link-health/features.ts'
import { MNIST_CLASSES, MNIST_PIXELS } from './tasks/mnist/dataset.ts'
import type { PartitionMode } from './tasks/mnist/partition.ts'

/**
 * Serialisable description of a federated model: JSON in, JSON out, identical on every node of a session.
 * Version 0 of the global model is `initialWeights(spec)`, derived from `seed` alone.
 */

export const MODEL_SPEC_FORMAT = 'fedmesh-model/1'

export type TaskName = 'link-health' | 'mnist'
export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid'
/** 'softmax-cross-entropy' expects the last layer to output logits (activation 'linear'). */
export type LossName = 'mse' | 'softmax-cross-entropy'
export type OptimizerName = 'sgd' | 'momentum' | 'adam'

export interface DenseLayerSpec {
  units: number
  activation: Activation
}

/** A stack of dense layers. Weight names are `<network>/dense<i>/kernel|bias`. */
export interface NetworkSpec {
  name: string
  inputShape: [number]
  outputShape: [number]
  layers: DenseLayerSpec[]
  loss: LossName
}

export interface OptimizerSpec {
  name: OptimizerName
  learningRate: number
  /** For 'momentum' (default 0.9). */
  momentum?: number
}

/**
 * link-health: self-supervised autoencoders over sliding windows of the tab's metric samples. Network 'node'
 * reconstructs the node's window, network 'link' each link's window; the anomaly score is the reconstruction
 * error over the running median error (~1 = normal).
 */
export interface LinkHealthTaskSpec {
  name: 'link-health'
  /** Samples per window (heartbeats). */
  windowSize: number
  /** Errors below this mean squared error count as perfect, so a near-perfect fit does not amplify noise. */
  errorFloor: number
  /** Recent errors kept for the running median (node windows; link windows get 4x). */
  historySize: number
}

/** mnist: a classifier on 28x28 digits; the session's split and partition, so every node derives its own share. */
export interface MnistTaskSpec {
  name: 'mnist'
  testSize: number
  /** Cap on training images across all nodes (default: all non-test images). */
  trainSize?: number
  partition: { mode: PartitionMode, alpha?: number }
}

export type TaskSpec = LinkHealthTaskSpec | MnistTaskSpec

export interface ModelSpec {
  format: typeof MODEL_SPEC_FORMAT
  task: TaskSpec
  networks: NetworkSpec[]
  optimizer: OptimizerSpec
  batchSize: number
  /** Passes over the local data per round. */
  localEpochs: number
  /** Cap on optimiser steps per network per round (default: no cap beyond localEpochs). */
  maxLocalSteps?: number
  /** Session seed: initial weights and default shuffles derive from it. */
  seed: number
}

export class ModelSpecError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ModelSpecError'
  }
}

export interface LinkHealthSpecOptions {
  seed: number
  windowSize?: number
  /** Encoder sizes for the node network, ending in the bottleneck; the decoder mirrors them (default [24, 6]). */
  nodeHidden?: number[]
  /** Same for the link network (default [12, 4]). */
  linkHidden?: number[]
  optimizer?: OptimizerSpec
  batchSize?: number
  localEpochs?: number
  maxLocalSteps?: number
  errorFloor?: number
  historySize?: number
}

function autoencoder (name: string, inputSize: number, hidden: number[]): NetworkSpec {
  const encoder = hidden.map((units, i): DenseLayerSpec => ({ units, activation: i === hidden.length - 1 ? 'linear' : 'relu' }))
  const decoder = hidden.slice(0, -1).reverse().map((units): DenseLayerSpec => ({ units, activation: 'relu' }))
  return {
    name,
    inputShape: [inputSize],
    outputShape: [inputSize],
    layers: [...encoder, ...decoder, { units: inputSize, activation: 'linear' }],
    loss: 'mse'
  }
}

/** The default task: small dense autoencoders (hundreds to a few thousand weights). */
export function linkHealthModelSpec (options: LinkHealthSpecOptions): ModelSpec {
  const windowSize = options.windowSize ?? 4
  const spec: ModelSpec = {
    format: MODEL_SPEC_FORMAT,
    task: {
      name: 'link-health',
      windowSize,
      errorFloor: options.errorFloor ?? 1e-4,
      historySize: options.historySize ?? 128
    },
    networks: [
      autoencoder('node', windowSize * NODE_FEATURES, options.nodeHidden ?? [24, 6]),
      autoencoder('link', windowSize * LINK_FEATURES, options.linkHidden ?? [12, 4])
    ],
    optimizer: options.optimizer ?? { name: 'adam', learningRate: 0.01 },
    batchSize: options.batchSize ?? 32,
    localEpochs: options.localEpochs ?? 5,
    seed: options.seed
  }
  if (options.maxLocalSteps !== undefined) spec.maxLocalSteps = options.maxLocalSteps
  validateModelSpec(spec)
  return spec
}

export interface MnistSpecOptions {
  seed: number
  /** Hidden layer sizes (default [64]: a 784-64-10 MLP, about 51k weights). */
  hidden?: number[]
  optimizer?: OptimizerSpec
  batchSize?: number
  localEpochs?: number
  maxLocalSteps?: number
  testSize?: number
  trainSize?: number
  partition?: { mode: PartitionMode, alpha?: number }
}

export function mnistModelSpec (options: MnistSpecOptions): ModelSpec {
  const hidden = options.hidden ?? [64]
  const task: MnistTaskSpec = { name: 'mnist', testSize: options.testSize ?? 1000, partition: options.partition ?? { mode: 'iid' } }
  if (options.trainSize !== undefined) task.trainSize = options.trainSize
  const spec: ModelSpec = {
    format: MODEL_SPEC_FORMAT,
    task,
    networks: [{
      name: 'classifier',
      inputShape: [MNIST_PIXELS],
      outputShape: [MNIST_CLASSES],
      layers: [...hidden.map((units): DenseLayerSpec => ({ units, activation: 'relu' })), { units: MNIST_CLASSES, activation: 'linear' }],
      loss: 'softmax-cross-entropy'
    }],
    optimizer: options.optimizer ?? { name: 'sgd', learningRate: 0.1 },
    batchSize: options.batchSize ?? 32,
    localEpochs: options.localEpochs ?? 1,
    seed: options.seed
  }
  if (options.maxLocalSteps !== undefined) spec.maxLocalSteps = options.maxLocalSteps
  validateModelSpec(spec)
  return spec
}

/** A default spec for a task name. */
export function defaultModelSpec (task: TaskName, seed: number): ModelSpec {
  return task === 'mnist' ? mnistModelSpec({ seed }) : linkHealthModelSpec({ seed })
}

const ACTIVATIONS: readonly string[] = ['linear', 'relu', 'tanh', 'sigmoid']
const OPTIMIZERS: readonly string[] = ['sgd', 'momentum', 'adam']

function positiveInteger (value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ModelSpecError(`${what} must be an integer >= 1, got ${JSON.stringify(value)}`)
  }
}

/** The network names and input sizes a task needs. */
function expectedNetworks (task: TaskSpec): Array<{ name: string, input: number, output: number, loss: LossName }> {
  if (task.name === 'link-health') {
    return [
      { name: 'node', input: task.windowSize * NODE_FEATURES, output: task.windowSize * NODE_FEATURES, loss: 'mse' },
      { name: 'link', input: task.windowSize * LINK_FEATURES, output: task.windowSize * LINK_FEATURES, loss: 'mse' }
    ]
  }
  return [{ name: 'classifier', input: MNIST_PIXELS, output: MNIST_CLASSES, loss: 'softmax-cross-entropy' }]
}

/** Throws ModelSpecError naming the first problem; a spec that passes can be built and trained. */
export function validateModelSpec (spec: ModelSpec): void {
  if (spec === null || typeof spec !== 'object') throw new ModelSpecError('model spec must be an object')
  if (spec.format !== MODEL_SPEC_FORMAT) throw new ModelSpecError(`model spec format must be '${MODEL_SPEC_FORMAT}', got ${JSON.stringify(spec.format)}`)
  if (typeof spec.seed !== 'number' || !Number.isSafeInteger(spec.seed)) throw new ModelSpecError(`seed must be a safe integer, got ${JSON.stringify(spec.seed)}`)
  const task = spec.task
  if (task?.name === 'link-health') {
    positiveInteger(task.windowSize, 'task.windowSize')
    positiveInteger(task.historySize, 'task.historySize')
    if (!(task.errorFloor > 0)) throw new ModelSpecError(`task.errorFloor must be > 0, got ${JSON.stringify(task.errorFloor)}`)
  } else if (task?.name === 'mnist') {
    if (!Number.isInteger(task.testSize) || task.testSize < 0) throw new ModelSpecError(`task.testSize must be an integer >= 0, got ${JSON.stringify(task.testSize)}`)
    if (task.trainSize !== undefined) positiveInteger(task.trainSize, 'task.trainSize')
    if (task.partition?.mode !== 'iid' && task.partition?.mode !== 'dirichlet') {
      throw new ModelSpecError(`task.partition.mode must be 'iid' or 'dirichlet', got ${JSON.stringify(task.partition?.mode)}`)
    }
    if (task.partition.mode === 'dirichlet' && !((task.partition.alpha ?? 0) > 0)) {
      throw new ModelSpecError(`task.partition.alpha must be > 0 for a dirichlet partition, got ${JSON.stringify(task.partition.alpha)}`)
    }
  } else {
    throw new ModelSpecError(`task.name must be 'link-health' or 'mnist', got ${JSON.stringify((task as { name?: unknown } | undefined)?.name)}`)
  }

  const expected = expectedNetworks(task)
  if (!Array.isArray(spec.networks) || spec.networks.length !== expected.length) {
    throw new ModelSpecError(`task ${task.name} needs networks [${expected.map(e => e.name).join(', ')}], got ${spec.networks?.length ?? 0}`)
  }
  expected.forEach((want, i) => {
    const net = spec.networks[i]!
    const where = `network ${i} (${String(net.name)})`
    if (net.name !== want.name) throw new ModelSpecError(`${where}: task ${task.name} expects network '${want.name}' here`)
    if (net.inputShape?.length !== 1 || net.inputShape[0] !== want.input) {
      throw new ModelSpecError(`${where}: inputShape must be [${want.input}] for this task, got ${JSON.stringify(net.inputShape)}`)
    }
    if (net.outputShape?.length !== 1 || net.outputShape[0] !== want.output) {
      throw new ModelSpecError(`${where}: outputShape must be [${want.output}], got ${JSON.stringify(net.outputShape)}`)
    }
    if (net.loss !== want.loss) throw new ModelSpecError(`${where}: loss must be '${want.loss}', got ${JSON.stringify(net.loss)}`)
    if (!Array.isArray(net.layers) || net.layers.length === 0) throw new ModelSpecError(`${where}: needs at least one dense layer`)
    net.layers.forEach((layer, l) => {
      positiveInteger(layer.units, `${where} layer ${l} units`)
      if (!ACTIVATIONS.includes(layer.activation)) {
        throw new ModelSpecError(`${where} layer ${l}: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(layer.activation)}`)
      }
    })
    const last = net.layers[net.layers.length - 1]!
    if (last.units !== want.output) throw new ModelSpecError(`${where}: last layer must have ${want.output} units (the output), got ${last.units}`)
    if (net.loss === 'softmax-cross-entropy' && last.activation !== 'linear') {
      throw new ModelSpecError(`${where}: with softmax-cross-entropy the last layer outputs logits, so its activation must be 'linear'`)
    }
  })

  if (!OPTIMIZERS.includes(spec.optimizer?.name)) {
    throw new ModelSpecError(`optimizer.name must be one of ${OPTIMIZERS.join(', ')}, got ${JSON.stringify(spec.optimizer?.name)}`)
  }
  if (!(spec.optimizer.learningRate > 0) || !Number.isFinite(spec.optimizer.learningRate)) {
    throw new ModelSpecError(`optimizer.learningRate must be a finite number > 0, got ${JSON.stringify(spec.optimizer.learningRate)}`)
  }
  positiveInteger(spec.batchSize, 'batchSize')
  positiveInteger(spec.localEpochs, 'localEpochs')
  if (spec.maxLocalSteps !== undefined) positiveInteger(spec.maxLocalSteps, 'maxLocalSteps')
}
