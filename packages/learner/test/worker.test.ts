import { afterEach, describe, expect, it } from 'vitest'
import {
  LearnerClient, LearnerWorkerError, flattenWeights, initialWeights, linkHealthModelSpec
} from '../src/index.ts'
import { InProcessLearner, serveLearner } from '../src/engine.ts'
import type { MessageEndpoint, WorkerLike } from '../src/index.ts'
import { weightBuffers } from '../src/worker/protocol.ts'
import { normalStream } from './helpers.ts'

/** The worker protocol over a real MessageChannel: structured cloning and transfers as between page and worker. */
function connectedClient (): { client: LearnerClient, close: () => void } {
  const channel = new MessageChannel()
  serveLearner(channel.port2 as unknown as MessageEndpoint)
  const client = new LearnerClient(channel.port1 as unknown as WorkerLike)
  return { client, close: () => { channel.port1.close(); channel.port2.close() } }
}

const cleanups: Array<() => void> = []
afterEach(() => { for (const c of cleanups.splice(0)) c() })

describe('learner worker protocol', () => {
  it('trains across the message boundary exactly as in-process, without detaching the caller\'s weights', async () => {
    const spec = linkHealthModelSpec({ seed: 21, localEpochs: 2 })
    const { client, close } = connectedClient()
    cleanups.push(close)
    const info = await client.init(spec, { backends: ['cpu'] })
    expect(info.backend.active).toBe('cpu')
    expect(info.task).toBe('link-health')
    expect(info.parameterCount).toBe(flattenWeights(initialWeights(spec)).length)

    const global = initialWeights(spec)
    const data = { task: 'link-health' as const, samples: normalStream({ seed: 5, count: 30 }) }
    const remote = await client.train(global, data, { seed: 3 })
    expect(global[0]!.data.length).toBeGreaterThan(0) // still attached: the client sent a copy
    expect(remote.delta[0]!.data).toBeInstanceOf(Float32Array)
    expect(remote.callerMaxLagMs).toBeGreaterThanOrEqual(0)

    const local = new InProcessLearner()
    await local.init(spec)
    const reference = await local.train(global, data, { seed: 3 })
    expect(flattenWeights(remote.delta)).toEqual(flattenWeights(reference.delta))
    expect(remote.loss).toBe(reference.loss)
    expect(flattenWeights(await client.getWeights())).toEqual(flattenWeights(await local.getWeights()))

    const score = await client.score(data.samples.slice(-4))
    expect(Object.keys(score.links).sort()).toEqual(data.samples[0]!.neighbours.map(n => n.peerId).sort())
    expect(score.node).toEqual((await local.score(data.samples.slice(-4))).node)

    await client.setWeights(global)
    expect(flattenWeights(await client.getWeights())).toEqual(flattenWeights(global))
    const evaluation = await client.evaluate(data)
    expect(evaluation.samples).toBe(27)
    expect(evaluation.loss).toBeGreaterThan(reference.loss) // the initial weights reconstruct worse than the trained ones
    await local.dispose()
    await client.dispose()
  }, 60_000)

  it('turns worker-side failures into rejected promises with the original error name and message', async () => {
    const { client, close } = connectedClient()
    cleanups.push(close)
    await expect(client.score([])).rejects.toThrow(/before init/)
    await expect(client.init({ ...linkHealthModelSpec({ seed: 1 }), batchSize: 0 }, { backends: ['cpu'] })).rejects.toMatchObject({
      name: 'ModelSpecError', message: expect.stringMatching(/batchSize must be an integer >= 1/)
    })
    await client.init(linkHealthModelSpec({ seed: 1 }), { backends: ['cpu'] })
    const error = await client.train(initialWeights(linkHealthModelSpec({ seed: 1 })), { task: 'link-health', samples: normalStream({ seed: 1, count: 2 }) })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LearnerWorkerError)
    expect(String(error)).toMatch(/at least windowSize = 4 samples/)
  }, 60_000)

  it('rejects pending and later calls when the worker itself fails', async () => {
    const listeners = new Map<string, (event: unknown) => void>()
    const posted: unknown[] = []
    const fake: WorkerLike = {
      postMessage: (message: unknown) => { posted.push(message) },
      addEventListener: (type: string, listener: (event: never) => void) => { listeners.set(type, listener as (event: unknown) => void) },
      terminate: () => undefined
    }
    const client = new LearnerClient(fake)
    const pending = client.init(linkHealthModelSpec({ seed: 1 }))
    expect(posted).toHaveLength(1)
    listeners.get('error')!({ message: 'SyntaxError: Unexpected token' })
    await expect(pending).rejects.toThrow(/learner worker failed: SyntaxError/)
    await expect(client.getWeights()).rejects.toThrow(/learner worker failed/)
  })

  it('lists each weight buffer once for transfer', () => {
    const shared = new Float32Array(8)
    const weights = [
      { name: 'a', shape: [4], data: shared.subarray(0, 4) },
      { name: 'b', shape: [4], data: shared.subarray(4) },
      { name: 'c', shape: [2], data: new Float32Array(2) }
    ]
    expect(weightBuffers(weights)).toEqual([shared.buffer, weights[2]!.data.buffer])
    expect(weightBuffers({ delta: weights, loss: 1 })).toHaveLength(2)
    expect(weightBuffers({ node: 1 })).toEqual([])
  })
})
