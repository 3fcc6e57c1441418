/**
 * The app in real Chromium tabs: the learner worker trains link-health on the tab's live metrics with the wasm
 * backend, reports a fallback with its reason, measures the page's lag, and checkpoints to IndexedDB so a reloaded
 * tab resumes (and a damaged checkpoint is reported and replaced, not fatal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from '@fedmesh/swarm'
import { DEFAULT_LOCAL_STEPS } from '@fedmesh/node'
import type { FedmeshStatus, LearningStatus } from '@fedmesh/node'
import { openAppTabs, statusOf } from './app-tabs.ts'
import type { AppTabs } from './app-tabs.ts'

// fast heartbeats and training runs keep the test short; the schedule is the same code as with the defaults
// minParticipants=99: these tabs test local learning and checkpoints; a federated session (tests/e2e/training.test.ts)
// would replace their model with a global one (and a reloaded tab catches up to its leader's) mid-test
const FAST = 'heartbeatMs=250&learnEveryMs=1500&targetPeers=2&minParticipants=99'

async function learningOf (page: Page): Promise<LearningStatus | undefined> {
  return (await statusOf(page))?.learning
}

async function waitForLearning (page: Page, check: (l: LearningStatus) => boolean, what: string, timeoutMs = 90_000): Promise<LearningStatus> {
  const start = Date.now()
  let last: LearningStatus | undefined
  while (Date.now() - start < timeoutMs) {
    last = await learningOf(page).catch(() => undefined)
    if (last !== undefined && check(last)) return last
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}; last learning status: ${JSON.stringify(last)}`)
}

describe('learning in the tab', () => {
  let tabs: AppTabs
  let pages: Page[]

  beforeAll(async () => {
    tabs = await openAppTabs([FAST, `${FAST}&learnerBackends=no-such-backend,wasm`, `${FAST}&learn=0`, `${FAST}&task=mnist&learnEveryMs=3000`])
    pages = tabs.pages
  })

  afterAll(async () => { await tabs?.stop() })

  it('trains link-health in the wasm worker on live metrics, with the page lag measured', async () => {
    const page = pages[0]!
    const first = await waitForLearning(page, l => l.runs >= 2, 'two training runs')
    expect(first.state === 'idle' || first.state === 'training').toBe(true)
    expect(first.backend).toBe('wasm')
    expect(first.fallbackReason).toBeUndefined()
    expect(first.error).toBeUndefined()
    expect(first.parameterCount).toBeGreaterThan(0)
    expect(typeof first.worstLagMs).toBe('number')
    expect(first.worstLagMs).toBeGreaterThanOrEqual(0)
    expect(first.epochMs).toBeGreaterThan(0)
    // two networks, each at most localSteps (16 by default) a run
    expect(first.lastSteps).toBeGreaterThan(0)
    expect(first.lastSteps).toBeLessThanOrEqual(2 * DEFAULT_LOCAL_STEPS)
    // a run lowers the loss on the data it trained on
    expect(first.lastLoss!).toBeLessThan(first.lastLossBefore!)

    const later = await waitForLearning(page, l => l.runs >= first.runs + 2 && l.anomaly !== undefined && Object.keys(l.anomaly.links).length > 0,
      'two more runs and a per-link score')
    expect(later.samples).toBeGreaterThan(first.samples)
    expect(later.trainedSamples!).toBeGreaterThanOrEqual(first.trainedSamples!) // grows until the 240-sample cap
    expect(later.modelVersion).toBe(later.runs)
    expect(later.losses.length).toBe(later.runs)
    expect(Number.isFinite(later.anomaly!.node)).toBe(true)
    // the scored links are this tab's neighbours, both read from one status snapshot: the neighbours also list relayed
    // circuits that live only while WebRTC signalling runs, so two separate reads can disagree; and a link that closed
    // stays scored until the next sample, hence a few snapshots
    const linksAreNeighbours = async (): Promise<boolean> => {
      const status = await page.evaluate('globalThis.fedmesh.status()') as FedmeshStatus
      const neighbours = new Set(status.neighbours.map(n => n.peerId))
      const links = Object.keys(status.learning?.anomaly?.links ?? {})
      return links.length > 0 && (links.every(id => neighbours.has(id)) || neighbours.size === 0)
    }
    await expect.poll(linksAreNeighbours, { timeout: 15_000, interval: 500 }).toBe(true)
    // the predictions API delivers the same scores to a subscriber
    const delivered = await page.evaluate(`new Promise(resolve => {
      const off = globalThis.fedmesh.predictions.onScore(p => { off(); resolve(p) })
    })`) as { node: number, links: Record<string, number>, modelVersion: number }
    expect(Number.isFinite(delivered.node)).toBe(true)
    expect(delivered.modelVersion).toBeGreaterThanOrEqual(later.modelVersion)
    // the panel shows it (Playwright's CSS locators pierce the component's open shadow root)
    // two panels share the class (learning, federated session): the learning one names the backend
    expect(await page.locator('fedmesh-node .learning', { hasText: 'backend' }).innerText()).toMatch(/backend\s+wasm/)
  })

  it('reports the backend it fell back from, and why', async () => {
    const l = await waitForLearning(pages[1]!, l => l.backend !== undefined, 'a backend')
    expect(l.backend).toBe('wasm')
    expect(l.fallbackReason).toMatch(/^no-such-backend: not registered in this build/)
  })

  it('runs no learner with learn=0', async () => {
    const l = await waitForLearning(pages[2]!, () => true, 'a status')
    expect(l).toMatchObject({ task: 'link-health', state: 'disabled', runs: 0 })
  })

  it('trains mnist on the tab\'s share of real digits with task=mnist', async () => {
    const l = await waitForLearning(pages[3]!, l => l.runs >= 1, 'an mnist run', 150_000)
    expect(l).toMatchObject({ task: 'mnist', backend: 'wasm', samples: 600, trainedSamples: 600 })
    // 600 digits are 19 steps of 32: the default localSteps (16) caps the run
    expect(l.lastSteps).toBe(DEFAULT_LOCAL_STEPS)
    expect(l.anomaly).toBeUndefined()
    expect(l.lastLoss!).toBeLessThan(l.lastLossBefore!)
    await pages[3]!.close() // its runs are the heaviest: stop them before the reload tests
  })

  it('checkpoints to IndexedDB and resumes from it after a reload', async () => {
    const page = pages[0]!
    const before = await waitForLearning(page, l => (l.checkpoint?.version ?? 0) >= 1, 'a checkpoint')
    await page.reload()
    const after = await waitForLearning(page, l => l.state !== 'starting', 'the learner to restart')
    expect(after.checkpointProblem).toBeUndefined()
    // a run may have saved a newer checkpoint between the read and the reload
    expect(after.resumedFrom).toBeGreaterThanOrEqual(before.checkpoint!.version!)
    expect(after.modelVersion).toBeGreaterThanOrEqual(after.resumedFrom!)
    expect(after.runs).toBe(after.modelVersion - after.resumedFrom!)
    const resumed = after.resumedFrom!
    const next = await waitForLearning(page, l => l.runs >= 1, 'a run after the reload')
    expect(next.modelVersion).toBe(resumed + next.runs)
    expect(next.resumedFrom).toBe(resumed)
  })

  it('reports a damaged checkpoint, starts fresh, and keeps learning', async () => {
    const page = pages[0]!
    await waitForLearning(page, l => (l.checkpoint?.version ?? 0) >= 1, 'a checkpoint')
    await page.reload({ waitUntil: 'commit' }).catch(() => {})
    // overwrite every stored checkpoint with bytes that are not one, before the app opens the database
    await page.evaluate(`new Promise((resolve, reject) => {
      const open = indexedDB.open('fedmesh-checkpoints', 1)
      open.onupgradeneeded = () => open.result.createObjectStore('checkpoints', { keyPath: 'session' })
      open.onerror = () => reject(open.error)
      open.onsuccess = () => {
        const db = open.result
        const tx = db.transaction('checkpoints', 'readwrite')
        const store = tx.objectStore('checkpoints')
        const keys = store.getAllKeys()
        keys.onsuccess = () => { for (const session of keys.result) store.put({ session, version: 1, savedAt: 0, bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]).buffer }) }
        tx.oncomplete = () => { db.close(); resolve(keys.result.length) }
        tx.onerror = () => reject(tx.error)
      }
    })`)
    await page.reload()
    const after = await waitForLearning(page, l => l.state !== 'starting', 'the learner to restart')
    expect(after.resumedFrom).toBeUndefined()
    expect(after.checkpointProblem).toMatch(/stored checkpoint is corrupt: .*starting fresh/)
    const fresh = await waitForLearning(page, l => l.runs >= 1 && l.checkpoint?.version !== undefined, 'a run and a new checkpoint')
    expect(fresh.modelVersion).toBe(fresh.runs)
    expect(fresh.checkpoint?.lastError).toBeUndefined()
  })

  it('logged no errors in the pages', () => {
    expect(tabs.consoleErrors).toEqual([])
  })
})
