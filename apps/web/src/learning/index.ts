export { LocalLearning, type LocalLearningOptions } from './local-learning.ts'
export { Predictions, type LinkHealthPrediction, type PredictionListener } from './predictions.ts'
export { learningPlan, hashSeed, DEFAULT_SESSION_SEED, MNIST_LOCAL_IMAGES, type LearningPlan } from './plan.ts'
