/**
 * A tab reloaded in the middle of a federated session (issue 3, persistence): it checkpointed the global model with
 * its round and term in IndexedDB, and after the reload it begins the session from that checkpoint, not from the
 * initial weights, then catches up with the others and verifies the models that follow. Real Chromium tabs, the
 * built app, the real relay process, WebRTC on loopback, tfjs in each tab's worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from '@fedmesh/swarm'
import { openAppTabs, statusOf } from './app-tabs.ts'
import type { AppTabs } from './app-tabs.ts'

// four tabs, rounds of 3 (Krum with f = 0 needs 3 updates), a round every 2 s: versions come every few seconds
const SESSION = 'learnEveryMs=2000&targetPeers=3&minParticipants=3&roundDeadlineMs=15000'
const TABS = 4

async function waitFor<T> (read: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const start = Date.now()
  let last: unknown
  while (Date.now() - start < timeoutMs) {
    const v = await read().catch((err: unknown) => { last = err; return undefined })
    if (v !== undefined) return v
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}${last !== undefined ? `; last error: ${String(last)}` : ''}`)
}

describe('a tab reloaded during a federated session', () => {
  let tabs: AppTabs
  let pages: Page[]

  beforeAll(async () => {
    tabs = await openAppTabs(Array.from({ length: TABS }, () => SESSION))
    pages = tabs.pages
  })

  afterAll(async () => { await tabs?.stop() })

  it('begins again from its checkpointed global model, catches up and verifies the models that follow', async () => {
    // every tab holds version 2 or later of the session's global model
    const versions = async (): Promise<number[]> => await Promise.all(pages.map(async p => (await statusOf(p))?.training?.version ?? 0))
    await waitFor(async () => (await versions()).every(v => v >= 2) ? true : undefined, 'every tab at version 2', 150_000)

    // a tab that does not coordinate, once its learner has checkpointed a global model of version 2 or later
    const { page, before } = await waitFor(async () => {
      for (const p of pages) {
        const s = await statusOf(p)
        if (s?.training === undefined || s.training.role === 'coordinator') continue
        if ((s.learning?.checkpoint?.version ?? 0) >= 2 && s.training.version >= 2) return { page: p, before: s }
      }
      return undefined
    }, 'a participant with a checkpoint of version 2')
    const checkpointed = before.learning!.checkpoint!.version!

    await page.reload()
    // the page on its way out said it was leaving (a reload gives the tab a new peer id): every other tab drops the
    // old id on its word (`left`), not after 5 s or more of silence (that would leave `left` unset)
    const others = pages.filter(p => p !== page)
    const oldId = before.peerId
    await waitFor(async () => {
      const views = await Promise.all(others.map(async p => (await statusOf(p))?.membership.find(m => m.peerId === oldId)))
      return views.every(m => m?.state === 'dead' && m.left === true) ? true : undefined
    }, `every other tab to drop the reloaded tab's old id ${oldId} on its leave`, 30_000)
    const after = await waitFor(async () => {
      const s = await statusOf(page)
      return s?.training?.began !== undefined && s.learning?.state !== 'starting' ? s : undefined
    }, 'the reloaded tab to begin the session')
    const detail = JSON.stringify({ checkpointed, learning: after.learning, training: { began: after.training!.began, version: after.training!.version } })
    expect(after.learning!.checkpointProblem, detail).toBeUndefined()
    // it resumed from the checkpoint the learner wrote (or a newer one written between the read and the reload) ...
    expect(after.learning!.resumedFrom, detail).toBeGreaterThanOrEqual(checkpointed)
    // ... and the session began from that model, not from the initial weights (version 0)
    expect(after.training!.began!.version, detail).toBe(after.learning!.resumedFrom)
    expect(after.training!.began!.term, detail).toBeGreaterThan(0)
    expect(after.training!.session, detail).toBe(before.training!.session)

    // it catches up: it holds what the others hold, then verifies the next models itself
    const target = Math.max(...await Promise.all(others.map(async p => (await statusOf(p))?.training?.version ?? 0))) + 2
    const caughtUp = await waitFor(async () => {
      const s = await statusOf(page)
      return s?.training !== undefined && s.training.version >= target && s.training.models.verified >= 1 ? s.training : undefined
    }, `the reloaded tab at version ${target} with a verified model`)
    // it rejects no model. The only ones it may leave unchecked are those of rounds announced while it was reloading
    // (it never saw them open, so it cannot recompute them; it fetches such a model once f + 1 peers vouch for it):
    // counted as unverifiable, not rejected. And it suspects nobody (rejectReasons also lists stale copies dropped)
    const models = JSON.stringify(caughtUp.models)
    const unknownRound = caughtUp.models.rejectReasons['verification:unknown-round'] ?? 0
    expect(Object.keys(caughtUp.models.rejectReasons).filter(r => r.startsWith('verification:') && r !== 'verification:unknown-round'), models).toEqual([])
    expect(caughtUp.models.rejected, models).toBe(0)
    expect(caughtUp.models.unverifiable, models).toBe(unknownRound)
    expect(caughtUp.quarantined, JSON.stringify(caughtUp.suspicion)).toEqual([])
    const all = await Promise.all(pages.map(statusOf))
    const held = new Map(all.map(s => [s?.training?.version, s?.training?.modelDigest]))
    // tabs at the same version hold the same model
    for (const s of all) expect(held.get(s?.training?.version)).toBe(s?.training?.modelDigest)
  })

  it('logged no errors in the pages', () => {
    expect(tabs.consoleErrors).toEqual([])
  })
})
