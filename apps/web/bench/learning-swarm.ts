/**
 * What learning costs a tab: N real Chromium tabs of the built app (real relay, WebRTC on loopback), once with the
 * learner on and once with learn=0. Reports the worker's ms per epoch, the worst main-thread event-loop lag during
 * training (measured in each page by LearnerClient) and Chromium's CPU over the same window.
 *
 *   pnpm --filter @fedmesh/web bench:learning [-- --tabs 8 --seconds 60 --warmup 25]
 * (needs `pnpm build`; as root it runs in a network namespace holding only lo)
 */
import { availableParallelism, cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { findChromium, launchChromium, openTab, TreeCpuMeter, networkInterfaces } from '@fedmesh/swarm'
import type { BrowserContext } from '@fedmesh/swarm'
import type { FedmeshStatus } from '@fedmesh/node'
import { startAppServer } from '../server/index.ts'
import { startRelayProcess } from '../../../tests/support/relay-process.ts'

const { values } = parseArgs({
  // `pnpm bench:learning -- --tabs 4` passes the `--` through
  args: process.argv.slice(2).filter(a => a !== '--'),
  options: {
    tabs: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '25' },
    params: { type: 'string', default: '' }
  }
})
const TABS = Number(values.tabs)
const SECONDS = Number(values.seconds)
const WARMUP = Number(values.warmup)

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

function quantile (xs: number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

async function run (learn: boolean): Promise<Record<string, unknown>> {
  const relay = await startRelayProcess({})
  const app = await startAppServer({ port: 0, config: { relayAddrs: [relay.multiaddrs[0]!] } })
  const chromium = await launchChromium({ location: findChromium() })
  try {
    const context: BrowserContext = await chromium.browser.newContext()
    await context.grantPermissions(['camera', 'microphone'])
    const pages = []
    for (let i = 0; i < TABS; i++) {
      const { page } = await openTab(chromium.browser, context)
      await page.goto(`${app.url}?ui=0&learn=${learn ? 1 : 0}${values.params === '' ? '' : `&${values.params}`}`)
      pages.push(page)
      await sleep(200)
    }
    await sleep(WARMUP * 1000)
    const meter = new TreeCpuMeter(chromium.pid)
    meter.start()
    const loadBefore = loadavg()[0]
    const before = await Promise.all(pages.map(p => p.evaluate('globalThis.fedmesh.status()') as Promise<FedmeshStatus>))
    // the same probe in both modes: worst lateness of a 20 ms timer on each page's main thread over the window
    const probes = pages.map(p => p.evaluate(`new Promise(resolve => {
      let last = performance.now(), worst = 0
      const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 20); last = now }, 20)
      setTimeout(() => { clearInterval(timer); resolve(worst) }, ${SECONDS * 1000})
    })`) as Promise<number>)
    for (let t = 0; t < SECONDS; t += 2) { await sleep(2000); meter.sample() }
    const cpu = meter.stop()
    const pageLag = await Promise.all(probes)
    const after = await Promise.all(pages.map(p => p.evaluate('globalThis.fedmesh.status()') as Promise<FedmeshStatus>))
    const learning = after.map(s => s.learning!)
    const epochMs = learning.map(l => l.epochMs).filter((x): x is number => x != null)
    const lag = learning.map(l => l.worstLagMs).filter((x): x is number => x != null)
    return {
      learn,
      tabs: TABS,
      loadAverage1m: [loadBefore, loadavg()[0]],
      pageWorstLagMsMedian: quantile(pageLag, 0.5),
      pageWorstLagMsMax: quantile(pageLag, 1),
      windowS: SECONDS,
      chromiumCores: cpu.cpuSeconds / cpu.wallSeconds,
      rendererCores: (cpu.byType?.renderer ?? 0) / cpu.wallSeconds,
      directPeersMedian: quantile(after.map(s => s.neighbours.filter(n => n.transport === 'webrtc').length), 0.5),
      backends: [...new Set(learning.map(l => l.backend ?? l.state))],
      runsInWindow: learning.reduce((sum, l, i) => sum + l.runs - (before[i]!.learning?.runs ?? 0), 0),
      trainedSamplesMedian: quantile(learning.map(l => l.trainedSamples ?? 0), 0.5),
      epochMsMedian: quantile(epochMs, 0.5),
      epochMsMax: quantile(epochMs, 1),
      trainMsMedian: quantile(learning.map(l => l.lastTrainMs).filter((x): x is number => x != null), 0.5),
      lastRunLagMsMedian: quantile(learning.map(l => l.lastLagMs).filter((x): x is number => x != null), 0.5),
      worstLagMsMedian: quantile(lag, 0.5),
      worstLagMsMax: quantile(lag, 1),
      errors: learning.map(l => l.error).filter(e => e != null)
    }
  } finally {
    await chromium.close()
    await app.stop()
    await relay.stop()
  }
}

const results = [await run(true), await run(false)]
console.log(JSON.stringify({
  machine: { nproc: availableParallelism(), cpu: cpus()[0]?.model, network: networkInterfaces() },
  results
}, null, 2))
