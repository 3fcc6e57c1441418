import * as tf from '@tensorflow/tfjs'
import type { Activation, ModelSpec, NetworkSpec } from '../spec.ts'
import { assertLayout, weightLayout } from '../weights.ts'
import type { NamedWeights, WeightSlot } from '../weights.ts'

function activate (x: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  switch (activation) {
    case 'relu': return tf.relu(x)
    case 'tanh': return tf.tanh(x)
    case 'sigmoid': return tf.sigmoid(x)
    case 'linear': return x
  }
}

/**
 * A dense stack written with tfjs-core ops instead of tfjs-layers: no global layer-name counters (100 models in
 * one process keep stable weight names), no async fit loop, and the training step is ours to schedule.
 */
export class DenseNetwork {
  readonly spec: NetworkSpec
  /** kernel0, bias0, kernel1, bias1, ... (the layout order). */
  readonly variables: tf.Variable[]

  constructor (spec: NetworkSpec, initial: NamedWeights) {
    this.spec = spec
    this.variables = initial.map(w => tf.variable(tf.tensor(w.data, w.shape, 'float32'), true))
  }

  /** Outputs (logits for a softmax-cross-entropy network) for a batch of rows. Call inside tf.tidy. */
  forward (x: tf.Tensor2D): tf.Tensor2D {
    let h = x
    this.spec.layers.forEach((layer, i) => {
      const kernel = this.variables[2 * i]! as tf.Variable<tf.Rank.R2>
      const bias = this.variables[2 * i + 1]! as tf.Variable<tf.Rank.R1>
      h = activate(tf.add(tf.matMul(h, kernel), bias), layer.activation)
    })
    return h
  }

  /** Mean loss of a batch; `target` is the reconstruction target (mse) or int32 class labels. Call inside tf.tidy. */
  loss (x: tf.Tensor2D, target: tf.Tensor): tf.Scalar {
    const out = this.forward(x)
    if (this.spec.loss === 'mse') return tf.mean(tf.squaredDifference(out, target))
    const oneHot = tf.oneHot(target as tf.Tensor1D, this.spec.outputShape[0])
    return tf.losses.softmaxCrossEntropy(oneHot, out) as tf.Scalar
  }

  dispose (): void {
    for (const v of this.variables) v.dispose()
  }
}

/** Every network of a spec, with weights read and written in the flat NamedWeights layout. */
export class TfModel {
  readonly spec: ModelSpec
  readonly layout: WeightSlot[]
  readonly networks: Map<string, DenseNetwork>

  constructor (spec: ModelSpec, weights: NamedWeights) {
    this.spec = spec
    this.layout = weightLayout(spec)
    assertLayout(weights, this.layout, 'initial weights')
    this.networks = new Map()
    let offset = 0
    for (const net of spec.networks) {
      const count = 2 * net.layers.length
      this.networks.set(net.name, new DenseNetwork(net, weights.slice(offset, offset + count)))
      offset += count
    }
  }

  network (name: string): DenseNetwork {
    const net = this.networks.get(name)
    if (net === undefined) throw new RangeError(`model has no network '${name}' (has ${[...this.networks.keys()].join(', ')})`)
    return net
  }

  private allVariables (): tf.Variable[] {
    return [...this.networks.values()].flatMap(n => n.variables)
  }

  setWeights (weights: NamedWeights): void {
    assertLayout(weights, this.layout)
    const variables = this.allVariables()
    weights.forEach((w, i) => {
      tf.tidy(() => variables[i]!.assign(tf.tensor(w.data, w.shape, 'float32')))
    })
  }

  getWeights (): NamedWeights {
    const variables = this.allVariables()
    return this.layout.map((slot, i) => ({
      name: slot.name,
      shape: [...slot.shape],
      // dataSync may return the backend's own buffer: copy so callers can transfer or mutate it
      data: Float32Array.from(variables[i]!.dataSync() as Float32Array)
    }))
  }

  /** Outputs of one network for a row-major matrix (synchronous; small inputs). */
  predict (network: string, data: Float32Array, rows: number, width: number): Float32Array {
    const net = this.network(network)
    return tf.tidy(() => {
      const out = net.forward(tf.tensor2d(data, [rows, width]))
      return Float32Array.from(out.dataSync() as Float32Array)
    })
  }

  dispose (): void {
    for (const net of this.networks.values()) net.dispose()
  }
}
