/**
 * Module Web Worker entry: `new Worker(new URL('./learner.worker.ts', import.meta.url), { type: 'module' })`,
 * or with vite `import LearnerWorker from '@fedmesh/learner/worker?worker'`. Talk to it with LearnerClient.
 * Browser-only imports: no Node modules, no DOM.
 */
import { serveLearner } from './handler.ts'
import type { MessageEndpoint } from './protocol.ts'

serveLearner(self as unknown as MessageEndpoint)
