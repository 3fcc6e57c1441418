import { LearnerCore } from '../learner/core.ts'
import { serialiseError, weightBuffers } from './protocol.ts'
import type { LearnerRequest, LearnerResponse, MessageEndpoint } from './protocol.ts'

/**
 * Serve LearnerRequests arriving on `endpoint` (the worker's global scope, or a MessagePort in tests).
 * Results that carry weights (train's delta, getWeights) are transferred, not copied.
 */
export function serveLearner (endpoint: MessageEndpoint): void {
  let core: LearnerCore | undefined

  const ready = (): LearnerCore => {
    if (core === undefined) throw new Error('the learner worker got a request before init')
    return core
  }

  const handle = async (request: LearnerRequest): Promise<unknown> => {
    switch (request.type) {
      case 'init':
        if (core !== undefined) throw new Error('the learner worker is already initialised; start a new worker for a new spec')
        core = await LearnerCore.create(request.spec, request.options)
        return core.info
      case 'train': return await ready().train(request.weights, request.data, request.options)
      case 'score': return ready().score(request.window, request.options)
      case 'evaluate': return await ready().evaluate(request.data, request.weights)
      case 'getWeights': return ready().getWeights()
      case 'setWeights': ready().setWeights(request.weights); return undefined
      case 'dispose': await core?.dispose(); return undefined
      default: throw new Error(`unknown learner request type ${JSON.stringify((request as { type?: unknown }).type)}`)
    }
  }

  endpoint.addEventListener('message', (event: MessageEvent) => {
    const request = event.data as LearnerRequest
    const id = typeof request?.id === 'number' ? request.id : -1
    handle(request).then(
      result => {
        const response: LearnerResponse = { id, ok: true, result }
        endpoint.postMessage(response, weightBuffers(result))
      },
      (err: unknown) => {
        const response: LearnerResponse = { id, ok: false, error: serialiseError(err) }
        endpoint.postMessage(response, [])
      }
    )
  })
  endpoint.start?.()
}
