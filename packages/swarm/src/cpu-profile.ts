/**
 * A CPU profile of one tab's main thread (`--cpu-profile`): V8's sampling profiler through the DevTools protocol,
 * written as a .cpuprofile file (open it in Chromium's DevTools, Performance panel) and summed up for the report as the
 * functions with the most self time.
 *
 * The samples are wall-clock: while the tab's thread waits for a core (20 tabs on 2 cores), the sample goes to whatever
 * it was running. Read the shares against each other, not as CPU time. The app's bundle is minified; `vite build
 * --minify false` in apps/web gives readable names.
 */
import type { Page } from 'playwright-core'

/** The parts of a DevTools Profiler.Profile this module reads. */
export interface CpuProfile {
  nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }>
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

export interface CpuProfileEntry {
  /** Function name ('(anonymous)' if it has none; V8's own: '(idle)', '(program)', '(garbage collector)'). */
  fn: string
  /** Script file name (last path segment), empty for V8's own entries and native functions. */
  file: string
  /** 1-based line in that file. */
  line: number
  selfMs: number
  /** Share of the sampled time. */
  selfShare: number
}

export interface CpuProfileSummary {
  sampledMs: number
  /** Sampled time the thread had nothing to run. */
  idleMs: number
  /** Where V8 could not attribute the time to JavaScript (native work: WebRTC, IPC, layout, ...). */
  programMs: number
  garbageCollectorMs: number
  /** The functions with the most self time, V8's own entries excepted. */
  top: CpuProfileEntry[]
}

const OWN = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

/** Self time per function (name, file, line), from the samples and their time deltas. */
export function summarizeCpuProfile (profile: CpuProfile, topN = 15): CpuProfileSummary {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // timeDeltas[i] is sample i's time minus sample i - 1's (the first: minus startTime); a sample lasts until the next
  // one, the last until endTime (as DevTools reads it)
  let at = profile.startTime
  const times = samples.map((_, i) => (at += deltas[i] ?? 0))
  for (let i = 0; i < samples.length; i++) {
    const until = i + 1 < samples.length ? times[i + 1]! : Math.max(times[i]!, profile.endTime)
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, until - times[i]!))
  }
  const byFunction = new Map<string, { fn: string, file: string, line: number, us: number }>()
  let totalUs = 0
  for (const [id, us] of selfUs) {
    totalUs += us
    const frame = byId.get(id)?.callFrame
    const fn = frame === undefined ? '(unknown)' : frame.functionName === '' ? '(anonymous)' : frame.functionName
    const file = frame?.url.split('/').pop() ?? ''
    const line = (frame?.lineNumber ?? -1) + 1
    const key = `${fn}\u0000${file}\u0000${line}`
    const entry = byFunction.get(key) ?? { fn, file, line, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
  }
  const own = (name: string): number => [...byFunction.values()].filter(e => e.fn === name && e.file === '').reduce((s, e) => s + e.us, 0) / 1000
  const share = (us: number): number => totalUs > 0 ? us / totalUs : 0
  const top = [...byFunction.values()]
    .filter(e => !(OWN.has(e.fn) && e.file === ''))
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map(e => ({ fn: e.fn, file: e.file, line: e.line, selfMs: Math.round(e.us / 100) / 10, selfShare: Math.round(share(e.us) * 1000) / 1000 }))
  return { sampledMs: Math.round(totalUs / 1000), idleMs: Math.round(own('(idle)')), programMs: Math.round(own('(program)')), garbageCollectorMs: Math.round(own('(garbage collector)')), top }
}

/** Profiles the page's main thread for `durationMs` (sampling every `intervalUs`). */
export async function captureCpuProfile (page: Page, durationMs: number, signal?: AbortSignal, intervalUs = 500): Promise<CpuProfile> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs })
    await cdp.send('Profiler.start')
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, durationMs)
      signal?.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
    const { profile } = await cdp.send('Profiler.stop')
    return profile as unknown as CpuProfile
  } finally {
    await cdp.detach().catch(() => {})
  }
}
