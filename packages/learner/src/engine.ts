/**
 * The TensorFlow.js side of the learner ('@fedmesh/learner/engine'): what the worker runs, and what Node runs
 * in-process. Importing this module imports @tensorflow/tfjs.
 */
export { selectBackend, BackendUnavailableError } from './backend.ts'
export { Trainer, evaluateModel } from './trainer.ts'
export { TfModel, DenseNetwork } from './model/dense-network.ts'
export { LearnerCore } from './learner/core.ts'
export { InProcessLearner } from './learner/in-process.ts'
export { serveLearner } from './worker/handler.ts'
