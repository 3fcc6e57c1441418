/**
 * Tab entry point: read the embedded configuration (`/config.json`, written by the app server) and URL overrides,
 * start a node and its learner (a module worker), expose the automation API as `window.fedmesh`, and render the
 * status component.
 */
import { FedmeshNode, configFromSearchParams, createTicker, learnerTrainer, sessionOf, type FedmeshConfig, type FedmeshStatus, type LearningStatus } from '@fedmesh/node'
import { IndexedDbCheckpointStore } from '@fedmesh/checkpoint'
import { initialWeights } from '@fedmesh/learner'
import type { Learner } from '@fedmesh/learner'
import './fedmesh-node-element.ts'
import type { FedmeshNodeElement } from './fedmesh-node-element.ts'
import { LocalLearning, Predictions, learningPlan } from './learning/index.ts'
import { startWorkerLearner } from './learning/worker-learner.ts'
import { CONFIG_ELEMENT_ID } from './config-element.ts'

declare global {
  interface Window {
    fedmesh: {
      status: () => FedmeshStatus | { state: 'starting' | 'error', error?: string }
      /** Link-health predictions for the MAPE-K loop: `latest()` and `onScore(listener)` (returns unsubscribe). */
      predictions: Predictions
      /**
       * Call `listener` each time this tab comes to hold a global model (verified, coordinated, fetched or rolled
       * back); returns unsubscribe. Automation (the swarm harness) learns of a version the moment it lands instead of
       * at its next status poll.
       */
      onModel: (listener: (model: HeldModelInfo) => void) => () => void
    }
  }
}

/** What window.fedmesh.onModel listeners get. */
export interface HeldModelInfo { version: number, term: number, source: string }

/** A random id kept in sessionStorage: it survives reloads of this tab and differs between tabs. */
function tabId (): string {
  const key = 'fedmesh-tab-id'
  try {
    let id = sessionStorage.getItem(key)
    if (id == null) {
      id = crypto.randomUUID()
      sessionStorage.setItem(key, id)
    }
    return id
  } catch {
    return 'tab' // storage refused: every tab shares one checkpoint, which still resumes
  }
}

/** Start local learning on the node's own metric stream (see learning/local-learning.ts), then federated training. */
function startLearning (node: FedmeshNode, ticker: ReturnType<typeof createTicker>, predictions: Predictions, params: URLSearchParams): LocalLearning {
  const { task, attack, learnEveryMs, localSteps } = node.config
  const plan = learningPlan({ task, attack, tabId: tabId(), localSteps })
  // ?learnerBackends=cpu (or a list) overrides the worker's backend preference, e.g. to compare wasm with cpu
  const backends = params.get('learnerBackends')?.split(',').filter(Boolean)
  const { learner, initOptions } = startWorkerLearner(task, backends)
  const learning = new LocalLearning({
    learner,
    spec: plan.spec,
    initOptions,
    checkpointKey: plan.checkpointKey,
    store: new IndexedDbCheckpointStore(),
    learnEveryMs,
    every: (ms, fn) => ticker.every(ms, fn),
    predictions,
    ...(plan.mnistData != null ? { mnistData: plan.mnistData } : {})
  })
  node.heartbeat.addEventListener('self:metrics', (evt) => {
    const { atMs, body } = evt.detail
    learning.addSample({ atMs, metrics: body.metrics, neighbours: body.neighbours, hidden: body.hidden })
  })
  learning.start()
    .then(() => { joinSession(node, learning, learner, plan) })
    .catch((err: unknown) => { console.error('fedmesh: the learner did not start:', err) })
  return learning
}

/**
 * Hand the worker learner to the training service: it trains once per round from the global model, and every
 * model it accepts (verified, or fetched when this tab is behind) is adopted by LocalLearning, which serves it for
 * predictions and checkpoints it. While rounds run, the local-only schedule is off.
 */
function joinSession (node: FedmeshNode, learning: LocalLearning, learner: Learner, plan: ReturnType<typeof learningPlan>): void {
  const session = sessionOf(node.config)
  const held = learning.held()
  // a checkpoint of this session's global model (round > 0) resumes it; a local-only one does not
  const resume = held !== undefined && held.round > 0 && session === plan.session
  node.training.addEventListener('model', (evt) => {
    const m = evt.detail
    learning.adopt(m.tensors, m.version, { round: m.round, term: m.term })
      .catch((err: unknown) => { console.error('fedmesh: adopting global model failed:', err) })
  })
  node.training.addEventListener('session-running', (evt) => { learning.setScheduled(!evt.detail.running) })
  node.training.begin({
    session,
    task: node.config.task,
    model: resume ? { version: held.version, round: held.round, term: held.term, tensors: held.weights } : { version: 0, tensors: initialWeights(plan.spec) },
    learner: learnerTrainer(learner, { seed: plan.spec.seed, data: () => learning.localData() })
  })
}

/**
 * The learner's worker (1.6 MB of tfjs, then a wasm compile) competes with the node's start-up for the CPU: on a
 * 2-core machine, starting it at once delayed two fresh tabs' first direct link by about 0.6 s. It learns from the
 * mesh's metric stream, which is empty until the node has neighbours, so it starts once the tab has heard another
 * node's heartbeat, or after `maxWaitMs` (a tab alone still learns).
 */
const LEARNER_START_WAIT_MS = 3000

async function meshStarted (node: FedmeshNode, maxWaitMs: number): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      node.heartbeat.removeEventListener('heartbeat', done)
      resolve()
    }
    const timer = setTimeout(done, maxWaitMs)
    node.heartbeat.addEventListener('heartbeat', done)
  })
}

/** The app server writes the configuration into the page (server/app-server.ts); elsewhere try /config.json, then URL parameters. */
async function loadConfig (): Promise<Partial<FedmeshConfig>> {
  let embedded: Partial<FedmeshConfig> = {}
  const inline = document.getElementById(CONFIG_ELEMENT_ID)?.textContent
  try {
    if (inline != null && inline !== '') {
      embedded = JSON.parse(inline)
    } else {
      const res = await fetch('/config.json', { cache: 'no-store' })
      if (res.ok) embedded = await res.json()
    }
  } catch { /* served without the app server: URL parameters must name the relay */ }
  return { ...embedded, ...configFromSearchParams(new URLSearchParams(location.search)) }
}

async function boot (): Promise<void> {
  const element = document.querySelector<FedmeshNodeElement>('fedmesh-node')
  let failure: string | undefined
  const predictions = new Predictions()
  const modelListeners = new Set<(model: HeldModelInfo) => void>()
  const onModel = (listener: (model: HeldModelInfo) => void): (() => void) => {
    modelListeners.add(listener)
    return () => { modelListeners.delete(listener) }
  }
  window.fedmesh = { status: () => ({ state: failure == null ? 'starting' : 'error', ...(failure != null ? { error: failure } : {}) }), predictions, onModel }
  try {
    const params = new URLSearchParams(location.search)
    const config = await loadConfig()
    if (config.relayAddrs == null || config.relayAddrs.length === 0) {
      throw new Error('no relay address: start the app with `pnpm start`, or add ?relay=/ip4/127.0.0.1/tcp/9090/ws/p2p/<relay id> to the URL')
    }
    // one ticker (a small worker) drives the node's and the learner's periodic work, so neither stalls in a hidden tab
    const ticker = createTicker()
    const node = await FedmeshNode.create(config, { hidden: () => document.visibilityState === 'hidden', ticker })
    let learning: LocalLearning | undefined
    const waiting: LearningStatus = { task: node.config.task, state: node.config.learn ? 'starting' : 'disabled', modelVersion: 0, samples: 0, runs: 0, losses: [] }
    node.attachLearningStatus(() => learning?.status() ?? waiting)
    node.training.addEventListener('model', (evt) => {
      const info: HeldModelInfo = { version: evt.detail.version, term: evt.detail.term, source: evt.detail.source }
      for (const listener of modelListeners) {
        try { listener(info) } catch (err) { console.error('fedmesh: onModel listener failed:', err) }
      }
    })
    window.fedmesh = { status: () => node.status(), predictions, onModel }
    // ?ui=0 leaves the page blank (headless swarms, or to measure the node without its rendering)
    if (params.get('ui') !== '0') element?.attach(node)
    // A closing tab leaves (says so to the members, and resigns if it leads) in each of its unload events that runs.
    // Chromium waits 500 ms for a renderer to handle each: a tab busy on a loaded machine can miss one, and then its
    // followers wait out the lease and failure detection. On a user's close beforeunload comes first, so leaving there
    // too gives the tab two chances. Between the two it may have been elected again.
    let recorded = false
    const leave = (event: string): void => {
      const left = node.leaveNow()
      if (recorded && left.resign === 'none') return
      recorded = true
      // A closed tab's status goes with it: what it did on the way out is left where its other tabs (and automation)
      // can read it, under its peer id.
      try { localStorage.setItem(`fedmesh:left:${node.peerId}`, JSON.stringify({ at: Date.now(), event, ...left })) } catch {}
    }
    addEventListener('beforeunload', () => { leave('beforeunload') })
    addEventListener('pagehide', () => {
      leave('pagehide')
      void learning?.stop()
      void node.stop()
    })
    await node.start()
    if (node.config.learn) {
      await meshStarted(node, LEARNER_START_WAIT_MS)
      learning = startLearning(node, ticker, predictions, params)
    }
  } catch (err: any) {
    failure = err?.message ?? String(err)
    console.error('fedmesh:', err)
    element?.fail(failure ?? 'unknown error')
  }
}

void boot()
