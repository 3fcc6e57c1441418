/**
 * Main entry: everything that runs without TensorFlow.js (specs, weights, features, scoring logic, mnist
 * partitioning, the worker client), so a page's main thread can import it without pulling tfjs into its bundle.
 * The tfjs side (Trainer, LearnerCore, InProcessLearner, selectBackend) is '@fedmesh/learner/engine';
 * Node helpers are '@fedmesh/learner/node'; the module worker is '@fedmesh/learner/worker'.
 */
export {
  MODEL_SPEC_FORMAT, ModelSpecError, linkHealthModelSpec, mnistModelSpec, defaultModelSpec, validateModelSpec
} from './spec.ts'
export type {
  ModelSpec, TaskSpec, TaskName, LinkHealthTaskSpec, MnistTaskSpec, NetworkSpec, DenseLayerSpec, Activation, LossName,
  OptimizerName, OptimizerSpec, LinkHealthSpecOptions, MnistSpecOptions
} from './spec.ts'

export {
  weightLayout, parameterCount, initialWeights, assertLayout, cloneWeights, subtractWeights, addWeights,
  flattenWeights, unflattenWeights
} from './weights.ts'
export type { NamedWeight, NamedWeights, WeightSlot } from './weights.ts'

export { mixSeed, seededRandom } from './random.ts'
export type { Random } from './random.ts'

export type { BackendReport, BackendFallback, SelectBackendOptions, WasmPaths } from './backend.ts'
export type { TrainerOptions, TrainOptions, TrainResult, EvaluateResult, NetworkLoss, MonotonicClock } from './trainer.ts'
export { SliceScheduler, sharedScheduler, nextMacrotask } from './scheduler.ts'
export { taskExamples } from './data.ts'
export type { LocalData, LinkHealthData, MnistData, NetworkExamples, TaskExamples } from './data.ts'

export {
  NODE_FEATURE_NAMES, LINK_FEATURE_NAMES, nodeFeatures, linkFeatures, linkHealthExamples, linkHealthWindow
} from './tasks/link-health/features.ts'
export type {
  MetricSample, NodeFeatureName, LinkFeatureName, FeatureMatrix, LinkHealthExamples, LinkHealthWindow
} from './tasks/link-health/features.ts'
export {
  LinkHealthScorer, RunningMedian, anomalousLinks, DEFAULT_ANOMALY_THRESHOLD, CALIBRATION_MIN
} from './tasks/link-health/scorer.ts'
export type { LinkHealthScore, ScoreOptions, Reconstruct } from './tasks/link-health/scorer.ts'

export {
  MNIST_DIGIT_COUNTS, MNIST_SIZE, MNIST_PIXELS, MNIST_CLASSES, mnistLabels, loadMnist, urlMnistSource, parseDigitFile,
  mnistSplit, mnistExamples
} from './tasks/mnist/dataset.ts'
export type { MnistDataset, MnistSource, MnistSplitOptions } from './tasks/mnist/dataset.ts'
export { partition, mnistPartition, classCounts } from './tasks/mnist/partition.ts'
export type { PartitionMode, PartitionOptions, MnistPartitionOptions } from './tasks/mnist/partition.ts'
export { flipLabel, flipLabels, labelFlipper } from './tasks/mnist/label-flip.ts'
export type { LabelFlip } from './tasks/mnist/label-flip.ts'

export type { LearnerEnvironment } from './learner/core.ts'
export { EventLoopLagMonitor } from './learner/lag-monitor.ts'
export type { Learner, LearnerInitOptions, InitResult, TrainReport } from './learner/types.ts'

export { LearnerClient, LearnerWorkerError } from './worker/client.ts'
export type { WorkerLike } from './worker/client.ts'
export type { LearnerRequest, LearnerResponse, MessageEndpoint } from './worker/protocol.ts'
