/**
 * runSwarm: start the relay and the app server, open N tabs in one headless Chromium, poll every tab's
 * window.fedmesh.status(), measure convergence, a steady-state window (CPU, memory, message rates) and scheduled
 * disruptions (closing tabs, stopping/restarting the relay), then report.
 *
 * Timeline (all event times are seconds after the last tab finished loading):
 *   relay, app, Chromium up -> tabs opened (--stagger-ms apart) -> last tab loaded
 *   -> wait for convergence (at most --timeout s) -> --settle s -> steady window of --duration s (after convergence,
 *      or after the timeout if the mesh never converged) -> wait until every scheduled event has fired and settled.
 * An event settles when what it is measured by has happened or --timeout s have passed: closed tabs marked dead by
 * every remaining tab; every tab re-bootstrapped after a relay restart; for a relay stop, until the restart (if one is
 * scheduled later) or for max(5 s, 10 heartbeats) of outage.
 */
import { setMaxListeners } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import type { CDPSession, Page } from 'playwright-core'
import { findChromium, launchChromium, openTab, sharedContext } from './chromium.ts'
import type { ChromiumLocation, LaunchedChromium, Tab } from './chromium.ts'
import { captureCpuProfile, summarizeCpuProfile } from './cpu-profile.ts'
import type { CpuProfileSummary } from './cpu-profile.ts'
import { networkInterfaces } from './netns.ts'
import { assertPortFree, pickFreePort, relayMultiaddr, ServiceProcess } from './processes.ts'
import { readSystemCpu, systemCpuCores, TreeCpuMeter, treeMemory } from './procfs.ts'
import type { MemoryFigures } from './procfs.ts'
import { analyzeRun, eventOutcome, findFailures, formatProgress, summarizeSample, totalCounters } from './report.ts'
import type { EventOutcome, MeshSummary, PollSample, RunAnalysis, RunEvent, RunRecord, TabObservation, TabTimes } from './report.ts'
import { attackerTabs, DEFAULT_OPTIONS, validateOptions, tabUrl, trainingParams } from './options.ts'
import { analyzeTraining, findCoordinator, formatTrainingProgress, trainingFailures, trainingOf } from './training-report.ts'
import type { CloseCoordinatorEvent, TrainingSummary } from './training-report.ts'
import type { SwarmOptions } from './options.ts'
import { normalizeStatus } from './status.ts'
import type { StatusCounters, TrainingView } from './status.ts'

export interface CpuFigures { cpuSeconds: number, wallSeconds: number, cores: number, byType?: Record<string, number> }

export interface SwarmReport {
  ok: boolean
  failures: string[]
  options: Omit<SwarmOptions, 'log' | 'signal'>
  machine: {
    nproc: number
    cpuModel: string
    totalMemoryBytes: number
    node: string
    platform: string
    chromium?: { path: string, requested: string, version: string, args?: string[] }
    network: { mode: 'netns' | 'host', note?: string, interfaces: string[] }
  }
  timestamps: {
    startedAt: number
    relayListeningAt?: number
    appListeningAt?: number
    browserLaunchedAt?: number
    firstTabOpenedAt?: number
    lastTabLoadedAt?: number
    convergedAt?: number
    steadyStart?: number
    steadyEnd?: number
    finishedAt: number
  }
  relay?: { peerId: string, multiaddr: string, port: number, starts: number }
  app?: { url: string, tabUrl: string }
  convergence?: RunAnalysis['convergence']
  linksAtConvergence?: RunAnalysis['linksAtConvergence']
  linksAtEnd?: RunAnalysis['linksAtEnd']
  gossipMeshAtEnd?: RunAnalysis['gossipMeshAtEnd']
  gossipCopiesAtEnd?: RunAnalysis['gossipCopiesAtEnd']
  gossipLanesAtEnd?: RunAnalysis['gossipLanesAtEnd']
  steady?: NonNullable<RunAnalysis['steady']> & {
    afterConvergence: boolean
    cpu: { chromium: CpuFigures, relay?: CpuFigures, app?: CpuFigures, harness: CpuFigures }
    memory?: MemoryFigures & { openTabs: number, perTab: { rssBytes: number, pssBytes: number }, perRenderer?: { rssBytes: number, pssBytes: number } }
    loadAverage: number[]
    /** The whole machine over the window (/proc/stat): every process, not only this run's, and the hypervisor's steal. */
    machineCpu?: { busyCores: number, idleCores: number, stealCores: number }
  }
  events: EventOutcome[]
  rejected: Record<string, number>
  counters?: StatusCounters
  tabs: RunAnalysis['tabs']
  timeline: MeshSummary[]
  samples: number
  /** Training runs only (--task/--rounds ...): per-round figures, failover, rejections, quarantines, loss. */
  training?: TrainingSummary
  /** --cpu-profile: the file written and its summary, or why there is none. */
  cpuProfile?: { tab: number, file: string, afterConvergenceS: number, durationS: number } & (CpuProfileSummary | { error: string })
}

/**
 * Evaluated in every tab each poll; a string, so no bundler helper (tsx's keepNames) leaks into the page. It returns
 * JSON text, not the object: Playwright serialises and validates a returned object value by value (at 20 tabs polled
 * every 250 ms that kept the harness's main thread 42 % busy, 18 % in garbage collection, on the cores the tabs need),
 * while one string costs a native JSON.stringify in the page and a JSON.parse here. The status is plain JSON anyway.
 */
const STATUS_SCRIPT = `(async () => {
  const f = globalThis.fedmesh
  if (f === undefined || f === null || typeof f.status !== 'function') return null
  const status = await f.status()
  const heap = globalThis.performance && performance.memory ? performance.memory.usedJSHeapSize : undefined
  return JSON.stringify({ at: Date.now(), status, heap })
})()`

/** The tab's election role and term, read on the spot (null: no node on the page). */
const ROLE_SCRIPT = `(async () => {
  const f = globalThis.fedmesh
  if (f === undefined || f === null || typeof f.status !== 'function') return null
  const e = (await f.status()).election
  return e === undefined ? null : JSON.stringify({ role: e.role, term: e.term })
})()`

/**
 * What a tab writes to its console (console.debug) with each version it comes to hold (HELD_SCRIPT), when a close
 * waits on versions. Not a Playwright binding (page.exposeBinding): under load its injected script failed in one tab
 * of nine ("Cannot read properties of undefined (reading 'addBinding')"), and that tab's versions never arrived.
 */
const HELD_MARK = '[fedmesh-harness] held '
/** Subscribes the tab's window.fedmesh.onModel to HELD_MARK lines; false where the app has no onModel (older builds). */
const HELD_SCRIPT = `(() => {
  const f = globalThis.fedmesh
  if (f === undefined || f === null || typeof f.onModel !== 'function') return false
  f.onModel(m => { console.debug(${JSON.stringify(HELD_MARK)} + m.version) })
  return true
})()`

interface TabHandle {
  index: number
  times: TabTimes
  tab?: Tab
  loaded: boolean
  closed: boolean
  polling: boolean
  /** The highest version the tab reported holding through HELD_MARK lines (pushed, not polled). */
  heldVersion?: number
  /** The harness crashes this tab on purpose (--close-how crash): its renderer's death is no failure. */
  crashing?: boolean
  /** --close-how crash: a CDP session attached while the tab was idle, to crash it without attaching then. */
  cdp?: CDPSession
}

class Aborted extends Error {}

function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) { reject(new Aborted()); return }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, Math.max(0, ms))
    const onAbort = (): void => { clearTimeout(timer); reject(new Aborted()) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function cpuModel (): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Why the default relay/app commands cannot run from this checkout yet; empty when they can. */
function missingPieces (o: SwarmOptions): string[] {
  const missing: string[] = []
  if (o.relayCommand === undefined && !existsSync(join(o.repoRoot, 'packages/relay/src/cli.ts'))) {
    missing.push(`the relay CLI ${join(o.repoRoot, 'packages/relay/src/cli.ts')} does not exist`)
  }
  if (o.appUrl === undefined && o.appCommand === undefined) {
    if (!existsSync(join(o.repoRoot, 'apps/web/server/cli.ts'))) missing.push(`the app server CLI ${join(o.repoRoot, 'apps/web/server/cli.ts')} does not exist`)
    else if (!existsSync(join(o.repoRoot, 'apps/web/dist/index.html'))) {
      missing.push('the web app is not built (apps/web/dist/index.html is missing): run `pnpm --filter @fedmesh/web build` first')
    }
  }
  return missing
}

/** node with the repo's Node 20 polyfills and TypeScript loader, as the root package scripts run it. */
const nodeTs = (repoRoot: string): string[] => [process.execPath, '--import', join(repoRoot, 'scripts/node-env.js'), '--import', 'tsx']

type CpuMeterName = 'chromium' | 'relay' | 'app'
type SteadyFigures = Omit<NonNullable<SwarmReport['steady']>, keyof NonNullable<RunAnalysis['steady']>>

/** Run a swarm and report on it. Never throws for a failed run: failures are in the report. */
export async function runSwarm (partial: Partial<SwarmOptions> = {}): Promise<SwarmReport> {
  return await new SwarmRun({ ...DEFAULT_OPTIONS, ...partial }).run()
}

/** One run: owns the child processes, the browser, the tabs and the samples, and always cleans them up. */
class SwarmRun {
  private readonly report: SwarmReport
  private readonly failures: string[] = []
  private readonly startedAt = Date.now()
  private readonly logLine: (line: string) => void
  private readonly heartbeatWindowMs: number
  /** Aborted by the caller's signal or by a browser crash: every wait ends early. */
  private readonly abort = new AbortController()

  private tmp: string | undefined
  private keyFile = ''
  private relayPort: number
  private relay: ServiceProcess | undefined
  private relayAddr = ''
  private relayPeerId = ''
  private relayStarts = 0
  private app: ServiceProcess | undefined
  private chromium: LaunchedChromium | undefined

  private readonly tabs: TabHandle[] = []
  private readonly samples: PollSample[] = []
  private readonly events: RunEvent[] = []
  private readonly peerIds = new Map<number, string>()
  private latest: MeshSummary | undefined
  /** Each tab's newest observation (a tab that misses a poll keeps its last one). */
  private readonly latestObs = new Map<number, TabObservation>()
  private closeCoordinator: CloseCoordinatorEvent | undefined
  private readonly waiters: Array<{ check: () => boolean, resolve: () => void }> = []
  private polling: Promise<void> = Promise.resolve()
  private pollingStopped = false
  private cpuMeters: Array<{ name: CpuMeterName, meter: TreeCpuMeter }> = []
  private lastCpuSampleAt = 0
  private lastProgressAt = 0
  private wasConverged = false
  private firstTabOpenedAt = 0
  private lastTabLoadedAt = 0

  constructor (private readonly o: SwarmOptions) {
    this.logLine = o.log ?? ((line: string) => { process.stderr.write(`${line}\n`) })
    this.heartbeatWindowMs = o.heartbeatMs * o.heartbeatWindowBeats
    // every tab's staggered open and every wait listens to it: 20 tabs exceed Node's default warning limit of 10
    setMaxListeners(0, this.abort.signal)
    this.relayPort = o.relayPort
    this.report = {
      ok: false,
      failures: this.failures,
      options: reportableOptions(o),
      machine: {
        nproc: availableParallelism(),
        cpuModel: cpuModel(),
        totalMemoryBytes: totalmem(),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        network: { ...o.network, interfaces: networkInterfaces() }
      },
      timestamps: { startedAt: this.startedAt, finishedAt: this.startedAt },
      events: [],
      rejected: {},
      tabs: [],
      timeline: [],
      samples: 0
    }
  }

  // --- logging ---------------------------------------------------------------------------------------------------

  private stamp (msg: string): string {
    return `[${((Date.now() - this.startedAt) / 1000).toFixed(1).padStart(5)}s] ${msg}`
  }

  /** Progress and event lines: silenced by --quiet. */
  private note (msg: string): void {
    if (!this.o.quiet) this.logLine(this.stamp(msg))
  }

  /** Problems: always printed. */
  private warn (msg: string): void {
    this.logLine(this.stamp(msg))
  }

  private fail (msg: string): void {
    if (!this.failures.includes(msg)) this.failures.push(msg)
  }

  // --- the run ---------------------------------------------------------------------------------------------------

  async run (): Promise<SwarmReport> {
    const problems = [...validateOptions(this.o), ...missingPieces(this.o)]
    if (problems.length > 0) {
      for (const p of problems) this.fail(p)
      return this.finish()
    }
    const onOuterAbort = (): void => {
      this.fail('interrupted before the run finished')
      this.abort.abort()
    }
    if (this.o.signal?.aborted === true) onOuterAbort()
    this.o.signal?.addEventListener('abort', onOuterAbort, { once: true })
    let steady: SteadyFigures | undefined
    try {
      // Chromium first: if it is missing, say so before spending seconds on the relay and app.
      const location = findChromium(this.o.chromiumPath)
      this.tmp = await mkdtemp(join(tmpdir(), 'fedmesh-swarm-'))
      this.keyFile = join(this.tmp, 'relay.key')
      const appUrl = await this.startServices()
      await this.launchBrowser(location)
      this.startPolling()
      await this.openTabs(appUrl)
      const eventsSettled = this.runScheduledEvents()
      eventsSettled.catch(() => {}) // awaited below; an abort meanwhile must not surface as unhandled
      const profiled = this.runCpuProfile()
      const converged = await this.waitForConvergence()
      steady = await this.measureSteadyWindow(converged)
      if (this.abort.signal.aborted) throw new Aborted()
      await eventsSettled
      await this.waitForTraining()
      await profiled
    } catch (err) {
      if (!(err instanceof Aborted)) this.fail(errorMessage(err))
    } finally {
      this.abort.abort() // ends any event still waiting for its time, after a fatal error
      await this.stopPolling()
      this.o.signal?.removeEventListener('abort', onOuterAbort)
      this.analyze(steady)
      await this.cleanup()
    }
    return this.finish()
  }

  private finish (): SwarmReport {
    this.report.timestamps.finishedAt = Date.now()
    this.report.ok = this.failures.length === 0
    return this.report
  }

  private async cleanup (): Promise<void> {
    await this.chromium?.close().catch(() => {})
    await this.app?.stop().catch(() => {})
    await this.relay?.stop().catch(() => {})
    if (this.tmp !== undefined) await rm(this.tmp, { recursive: true, force: true }).catch(() => {})
  }

  // --- relay, app server, browser --------------------------------------------------------------------------------

  /** Start the relay and the app server (unless --app-url); returns the app's URL (tabUrl adds each tab's parameters). */
  private async startServices (): Promise<string> {
    const { o } = this
    if (this.relayPort === 0) this.relayPort = await pickFreePort(o.host)
    else await assertPortFree(o.host, this.relayPort, '--relay-port')
    let appPort = o.appPort
    if (o.appUrl === undefined) {
      if (appPort === 0) appPort = await pickFreePort(o.host)
      else await assertPortFree(o.host, appPort, '--app-port')
    }

    this.note(`starting relay on ${o.host}:${this.relayPort}`)
    this.relay = await this.startRelay()
    this.relayAddr = relayMultiaddr(this.relay.ready)
    this.relayPeerId = String(this.relay.ready.peerId ?? '')
    this.report.relay = { peerId: this.relayPeerId, multiaddr: this.relayAddr, port: this.relayPort, starts: this.relayStarts }
    this.report.timestamps.relayListeningAt = this.relay.listeningAt
    this.note(`relay listening: ${this.relayAddr}`)

    let appUrl = o.appUrl
    if (appUrl === undefined) {
      const argv = [...(o.appCommand ?? [...nodeTs(o.repoRoot), join(o.repoRoot, 'apps/web/server/cli.ts')]),
        '--host', o.host, '--port', String(appPort), '--relay', this.relayAddr, '--json']
      this.app = await ServiceProcess.start({
        name: 'app server', argv, cwd: o.repoRoot, port: { host: o.host, port: appPort, option: '--app-port' }, onLine: this.echo('app')
      })
      this.watch(this.app)
      appUrl = String(this.app.ready.url ?? `http://${o.host}:${appPort}/`)
      this.report.timestamps.appListeningAt = this.app.listeningAt
      this.note(`app server listening: ${appUrl}`)
    }
    this.report.app = { url: appUrl, tabUrl: tabUrl(appUrl, this.relayAddr, o, trainingParams(0, o.tabs, o.training)) }
    return appUrl
  }

  /** (Re)start the relay on the run's port with the run's key file, so its address and peer id stay the same. */
  private async startRelay (): Promise<ServiceProcess> {
    const { o } = this
    const argv = [...(o.relayCommand ?? [...nodeTs(o.repoRoot), join(o.repoRoot, 'packages/relay/src/cli.ts')]),
      '--host', o.host, '--port', String(this.relayPort), '--key-file', this.keyFile, '--json']
    const relay = await ServiceProcess.start({
      name: 'relay', argv, cwd: o.repoRoot, port: { host: o.host, port: this.relayPort, option: '--relay-port' }, onLine: this.echo('relay')
    })
    this.relayStarts++
    if (this.report.relay !== undefined) this.report.relay.starts = this.relayStarts
    this.watch(relay)
    return relay
  }

  private echo (name: string) {
    return (line: string, stream: 'stdout' | 'stderr'): void => {
      if (this.o.verbose) this.logLine(`  [${name}${stream === 'stderr' ? ' stderr' : ''}] ${line}`)
    }
  }

  /** An exit the harness did not ask for is a failure, with the process's last words. */
  private watch (service: ServiceProcess): void {
    void service.exited.then(code => {
      if (service.stopRequested) return
      const tail = service.outputTail().split('\n').slice(-10).join('\n  ')
      const msg = `${service.spec.name} exited unexpectedly with ${code}${tail === '' ? '' : `; its last output:\n  ${tail}`}`
      this.fail(msg)
      this.warn(msg)
    })
  }

  private async launchBrowser (location: ChromiumLocation): Promise<void> {
    const extraArgs = this.o.chromiumArgs ?? []
    const chromium = await launchChromium({ location, extraArgs })
    this.chromium = chromium
    this.report.machine.chromium = { path: location.path, requested: location.requested, version: chromium.version, ...(extraArgs.length > 0 ? { args: extraArgs } : {}) }
    this.report.timestamps.browserLaunchedAt = Date.now()
    this.note(`Chromium ${chromium.version} launched (pid ${chromium.pid}, ${location.path}${extraArgs.length > 0 ? `, extra switches ${extraArgs.join(' ')}` : ''})`)
    chromium.browser.on('disconnected', () => {
      if (this.pollingStopped) return // our own close
      this.fail('Chromium disconnected (crashed or was killed) during the run')
      this.abort.abort()
    })
  }

  // --- tabs ------------------------------------------------------------------------------------------------------

  /** Open every tab (--stagger-ms apart, all in one browser context) and wait until all have loaded or failed to. */
  private async openTabs (appUrl: string): Promise<void> {
    const browser = this.chromium!.browser
    const context = await sharedContext(browser)
    this.firstTabOpenedAt = Date.now()
    this.report.timestamps.firstTabOpenedAt = this.firstTabOpenedAt
    await Promise.all(this.tabs.map(async h => {
      await sleep(h.index * this.o.staggerMs, this.abort.signal)
      h.times.openedAt = Date.now()
      // attacker tabs (the last --attackers) get their attack= parameter
      const url = tabUrl(appUrl, this.relayAddr, this.o, trainingParams(h.index, this.o.tabs, this.o.training))
      try {
        h.tab = await openTab(browser, context)
        this.listenToPage(h, h.tab.page)
        // a close at a version acts as the version lands, not at the next poll (which at 20 tabs can come seconds
        // later); on a saturated machine the pushes can lag too (docs/benchmarks.md, fifteenth session)
        const pushHeld = this.o.training?.closeCoordinatorAtVersion !== undefined
        if (pushHeld) {
          h.tab.page.on('console', msg => {
            const text = msg.type() === 'debug' ? msg.text() : ''
            if (text.startsWith(HELD_MARK)) this.onTabHeld(h, Number(text.slice(HELD_MARK.length)))
          })
        }
        // attaching a CDP session to a busy tab took seconds (while the tab went on coordinating): attach it now
        if (this.o.training?.closeHow === 'crash') h.cdp = await h.tab.page.context().newCDPSession(h.tab.page)
        await h.tab.page.goto(url, { waitUntil: 'load', timeout: 60_000 })
        if (pushHeld && await h.tab.page.evaluate(HELD_SCRIPT) !== true) this.warn(`tab ${h.index} has no window.fedmesh.onModel: the close waits for its status polls`)
        h.times.loadedAt = Date.now()
        h.loaded = true
      } catch (err) {
        if (this.abort.signal.aborted) throw new Aborted()
        h.times.loadError = errorMessage(err).split('\n')[0]!
        this.warn(`tab ${h.index} failed to load ${url}: ${h.times.loadError}`)
      }
    }))
    this.lastTabLoadedAt = Math.max(...this.tabs.map(h => h.times.loadedAt ?? Date.now()))
    this.report.timestamps.lastTabLoadedAt = this.lastTabLoadedAt
    this.note(`all ${this.o.tabs} tabs opened; the last loaded ${((this.lastTabLoadedAt - this.firstTabOpenedAt) / 1000).toFixed(1)} s after the first was opened`)
  }

  private listenToPage (h: TabHandle, page: Page): void {
    let pageErrors = 0
    page.on('pageerror', err => {
      h.times.pageErrors = ++pageErrors
      if (this.o.verbose || pageErrors <= 3) this.warn(`tab ${h.index} page error: ${err.message}`)
    })
    page.on('crash', () => {
      if (h.crashing === true) return
      this.fail(`tab ${h.index} crashed (its renderer process died)`)
      this.warn(`tab ${h.index} crashed`)
    })
    if (this.o.verbose) {
      page.on('console', msg => {
        if (msg.type() === 'error' || msg.type() === 'warning') this.logLine(`  [tab ${h.index} ${msg.type()}] ${msg.text()}`)
      })
    }
  }

  // --- polling ---------------------------------------------------------------------------------------------------

  private startPolling (): void {
    for (let i = 0; i < this.o.tabs; i++) this.tabs.push({ index: i, times: { tab: i, openedAt: 0 }, loaded: false, closed: false, polling: false })
    this.polling = (async () => {
      while (!this.pollingStopped) {
        const began = Date.now()
        await this.poll()
        await sleep(this.o.pollMs - (Date.now() - began))
      }
    })()
  }

  private async stopPolling (): Promise<void> {
    this.pollingStopped = true
    await this.polling.catch(() => {})
  }

  /** Read every loaded, open tab's status (one page.evaluate each), record the sample, then act on it. */
  private async poll (): Promise<void> {
    const at = Date.now()
    const openTabs = this.tabs.filter(h => !h.closed).map(h => h.index)
    const answers = await Promise.all(this.tabs.map(async h => await this.pollTab(h)))
    const sample: PollSample = { at, openTabs, observations: answers.filter((x): x is TabObservation => x !== undefined) }
    this.samples.push(sample)
    for (const ob of sample.observations) {
      if (ob.status.peerId !== '') this.peerIds.set(ob.tab, ob.status.peerId)
      if (!this.tabs[ob.tab]!.closed) this.latestObs.set(ob.tab, ob)
    }
    const summary = summarizeSample(sample, { heartbeatWindowMs: this.heartbeatWindowMs, peerIdsByTab: this.peerIds })
    this.latest = summary

    if (this.cpuMeters.length > 0 && at - this.lastCpuSampleAt >= 2000) {
      // Keeps the CPU of renderers that exit mid-window (closed tabs) from being lost.
      this.lastCpuSampleAt = at
      for (const m of this.cpuMeters) m.meter.sample()
    }
    if (at - this.lastProgressAt >= 1000 || summary.converged !== this.wasConverged) {
      this.lastProgressAt = at
      const answered = new Set(sample.observations.map(x => x.tab))
      const unanswered = this.tabs.filter(h => h.loaded && !h.closed && !answered.has(h.index)).length
      if (!this.o.quiet) this.logLine(formatProgress(Date.now() - this.startedAt, summary, unanswered))
      if (!this.o.quiet && this.o.training !== undefined) {
        const line = formatTrainingProgress(this.latestObs, this.openSet(), this.peerIds)
        if (line !== undefined) this.logLine(`        ${line}`)
      }
    }
    this.wasConverged = summary.converged
    this.checkWaiters()
  }

  /** Resolve the waitUntil()s whose condition now holds. */
  private checkWaiters (): void {
    for (const w of [...this.waiters]) {
      if (!w.check()) continue
      this.waiters.splice(this.waiters.indexOf(w), 1)
      w.resolve()
    }
  }

  /** A HELD_MARK line: tab `h` came to hold `version`. */
  private onTabHeld (h: TabHandle, version: unknown): void {
    if (typeof version !== 'number' || !Number.isFinite(version) || h.closed) return
    if (version > (h.heldVersion ?? -Infinity)) h.heldVersion = version
    this.checkWaiters()
  }

  private async pollTab (h: TabHandle): Promise<TabObservation | undefined> {
    const page = h.tab?.page
    if (page === undefined || !h.loaded || h.closed || h.polling) return undefined
    h.polling = true
    const evaluation = (page.evaluate(STATUS_SCRIPT) as Promise<string | null>)
      .then(text => text === null ? null : JSON.parse(text) as { at: number, status: unknown, heap?: number })
    void evaluation.catch(() => {}).finally(() => { h.polling = false })
    // A tab too busy to answer in time is left out of this sample (and not asked again until it answers).
    const timeout = sleep(Math.max(2000, this.o.pollMs * 4)).then(() => undefined)
    try {
      const r = await Promise.race([evaluation, timeout])
      if (r === undefined || r === null || h.closed) return undefined
      const status = normalizeStatus(r.status)
      if (status === undefined) return undefined
      const observation: TabObservation = { tab: h.index, at: r.at, status }
      if (typeof r.heap === 'number') observation.jsHeapBytes = r.heap
      return observation
    } catch {
      return undefined // navigating, closing or crashed: absent from this sample
    }
  }

  /** Resolves true as soon as `check` holds after a poll or a pushed version, false at `deadline`; throws Aborted if the run is aborted. */
  private async waitUntil (check: () => boolean, deadline: number): Promise<boolean> {
    if (check()) return true
    let waiter: { check: () => boolean, resolve: () => void } | undefined
    const held = new Promise<boolean>(resolve => {
      waiter = { check, resolve: () => { resolve(true) } }
      this.waiters.push(waiter)
    })
    try {
      return await Promise.race([held, sleep(deadline - Date.now(), this.abort.signal).then(() => false)])
    } finally {
      const i = this.waiters.indexOf(waiter!)
      if (i >= 0) this.waiters.splice(i, 1)
    }
  }

  private record (): RunRecord {
    return {
      tabCount: this.o.tabs,
      heartbeatWindowMs: this.heartbeatWindowMs,
      firstTabOpenedAt: this.firstTabOpenedAt,
      lastTabLoadedAt: this.lastTabLoadedAt === 0 ? Date.now() : this.lastTabLoadedAt,
      convergenceTimeoutMs: this.o.timeoutS * 1000,
      events: this.events,
      tabs: this.tabs.map(h => h.times),
      samples: this.samples
    }
  }

  // --- convergence and the steady window -------------------------------------------------------------------------

  private async waitForConvergence (): Promise<boolean> {
    const deadline = this.lastTabLoadedAt + this.o.timeoutS * 1000
    const converged = await this.waitUntil(() => this.latest?.converged === true && this.latest.openTabs === this.o.tabs, deadline)
    if (converged) {
      this.report.timestamps.convergedAt = this.latest!.at
      this.note(`converged ${((this.latest!.at - this.lastTabLoadedAt) / 1000).toFixed(1)} s after the last tab loaded`)
    } else {
      this.warn(`not converged within ${this.o.timeoutS} s of the last tab loading; measuring the steady window anyway`)
    }
    return converged
  }

  /** CPU over --duration seconds, then memory and load at its end. */
  private async measureSteadyWindow (converged: boolean): Promise<SteadyFigures> {
    const chromium = this.chromium!
    if (this.o.settleS > 0) {
      this.note(`settling ${this.o.settleS} s before the steady window`)
      await sleep(this.o.settleS * 1000, this.abort.signal)
    }
    this.cpuMeters = [{ name: 'chromium', meter: new TreeCpuMeter(chromium.pid) }]
    if (this.relay !== undefined) this.cpuMeters.push({ name: 'relay', meter: new TreeCpuMeter(this.relay.pid, () => 'relay') })
    if (this.app !== undefined) this.cpuMeters.push({ name: 'app', meter: new TreeCpuMeter(this.app.pid, () => 'app') })
    const start = Date.now()
    const systemStart = readSystemCpu()
    for (const m of this.cpuMeters) m.meter.start()
    this.lastCpuSampleAt = start
    const harnessStart = process.cpuUsage()
    this.report.timestamps.steadyStart = start
    this.note(`steady window: ${this.o.durationS} s`)

    // Interrupted mid-window, the shorter window is still measured and reported.
    await sleep(this.o.durationS * 1000, this.abort.signal).catch(err => { if (!(err instanceof Aborted)) throw err })

    const end = Date.now()
    this.report.timestamps.steadyEnd = end
    const cpu: Partial<Record<CpuMeterName, CpuFigures>> = {}
    for (const m of this.cpuMeters) cpu[m.name] = m.meter.stop()
    this.cpuMeters = []
    const systemEnd = readSystemCpu()
    const harnessUsage = process.cpuUsage(harnessStart)
    const harnessSeconds = (harnessUsage.user + harnessUsage.system) / 1e6
    const wall = (end - start) / 1000
    const memory = treeMemory(chromium.pid)
    const openTabs = this.tabs.filter(h => !h.closed && h.loaded).length
    const renderers = memory.byType.renderer
    this.note(`steady window done: Chromium ${cpu.chromium!.cpuSeconds.toFixed(1)} CPU s in ${wall.toFixed(1)} s (${cpu.chromium!.cores.toFixed(2)} cores), ` +
      `RSS ${(memory.rssBytes / 2 ** 30).toFixed(2)} GiB, PSS ${(memory.pssBytes / 2 ** 30).toFixed(2)} GiB`)
    return {
      afterConvergence: converged,
      cpu: {
        chromium: cpu.chromium!,
        ...(cpu.relay === undefined ? {} : { relay: cpu.relay }),
        ...(cpu.app === undefined ? {} : { app: cpu.app }),
        harness: { cpuSeconds: harnessSeconds, wallSeconds: wall, cores: wall > 0 ? harnessSeconds / wall : 0 }
      },
      memory: {
        ...memory,
        openTabs,
        perTab: { rssBytes: memory.rssBytes / Math.max(1, openTabs), pssBytes: memory.pssBytes / Math.max(1, openTabs) },
        ...(renderers === undefined ? {} : { perRenderer: { rssBytes: renderers.rssBytes / renderers.processes, pssBytes: renderers.pssBytes / renderers.processes } })
      },
      loadAverage: loadavg(),
      ...(systemStart === undefined || systemEnd === undefined ? {} : { machineCpu: systemCpuCores(systemStart, systemEnd, wall) })
    }
  }

  // --- CPU profile -----------------------------------------------------------------------------------------------

  /** --cpu-profile: never rejects; what went wrong goes into the report (a profiled tab that got closed, ...). */
  private async runCpuProfile (): Promise<void> {
    const spec = this.o.cpuProfile
    if (spec === undefined) return
    const entry = { tab: spec.tab, file: resolve(spec.file), afterConvergenceS: spec.afterS, durationS: spec.durationS }
    try {
      await this.waitUntil(() => this.report.timestamps.convergedAt !== undefined, this.lastTabLoadedAt + this.o.timeoutS * 1000)
      await sleep(spec.afterS * 1000, this.abort.signal)
      const page = this.tabs[spec.tab]?.tab?.page
      if (page === undefined || this.tabs[spec.tab]?.closed === true) throw new Error(`tab ${spec.tab} is not open`)
      this.note(`profiling tab ${spec.tab} for ${spec.durationS} s`)
      const profile = await captureCpuProfile(page, spec.durationS * 1000, this.abort.signal)
      await writeFile(entry.file, JSON.stringify(profile))
      this.report.cpuProfile = { ...entry, ...summarizeCpuProfile(profile) }
    } catch (err) {
      if (this.abort.signal.aborted && this.report.cpuProfile !== undefined) return
      this.report.cpuProfile = { ...entry, error: errorMessage(err) }
      this.warn(`--cpu-profile: ${errorMessage(err)}`)
    }
  }

  // --- scheduled events ------------------------------------------------------------------------------------------

  /**
   * Fire the scheduled events in time order (a restart must not overlap the stop before it) and resolve when every
   * one has settled: see the module comment for what settling means for each kind.
   */
  private async runScheduledEvents (): Promise<void> {
    const { o } = this
    const timeoutMs = o.timeoutS * 1000
    const planned: Array<{ atS: number, fire: () => Promise<RunEvent>, settle: (e: RunEvent) => Promise<void> }> = []
    const settledWhen = (done: (outcome: EventOutcome) => boolean) => async (e: RunEvent): Promise<void> => {
      await this.waitUntil(() => done(eventOutcome(this.record(), e)), e.at + timeoutMs)
    }
    // closing the coordinator settles when its tab is dead everywhere and a new coordinator's model is held by every live honest tab
    const failedOver = async (e: RunEvent): Promise<void> => {
      await settledWhen(r => r.kind !== 'close-tabs' || r.allDeadMs !== undefined)(e)
      await this.waitUntil(() => this.failoverDone(), e.at + timeoutMs)
      await this.readHowTheCoordinatorLeft()
    }
    for (const c of o.closeTabs) {
      planned.push({
        atS: c.atS,
        fire: async () => await this.closeTabs(c.tabs),
        settle: settledWhen(r => r.kind === 'close-tabs' && r.allDeadMs !== undefined)
      })
    }
    const closeCoordinatorAtS = o.training?.closeCoordinatorAtS
    if (closeCoordinatorAtS !== undefined) {
      planned.push({
        atS: closeCoordinatorAtS,
        fire: async () => await this.closeTheCoordinator(),
        settle: failedOver
      })
    }
    const closeAtVersion = o.training?.closeCoordinatorAtVersion
    if (closeAtVersion !== undefined) {
      planned.push({
        atS: 0,
        fire: async () => {
          // Failover is measured on a formed mesh: with 20 tabs training from the start, version 2 can come before every
          // tab has its links, and a close then would also end the convergence measurement (judged before any close).
          await this.waitUntil(() => this.report.timestamps.convergedAt !== undefined, this.lastTabLoadedAt + o.timeoutS * 1000)
          // Close right as a version lands everywhere, as at 9 tabs: if the session is already past V by now, at the next
          // one. Closing mid-round instead lets the old coordinator's model for that round get out as it goes, and the
          // failover then includes a whole round more (seen: 14.3 s at 20 tabs with mnist).
          const rounds = o.training?.rounds
          let target = closeAtVersion
          if (this.honestTabsAt(closeAtVersion)) {
            while (this.honestTabsAt(target + 1)) target++
            // past the session's last round nothing follows: close now (the report then says no failover was seen)
            target = Math.min(target + 1, Math.max(closeAtVersion, rounds ?? Infinity))
          }
          if (target !== closeAtVersion) this.note(`--close-coordinator-at-version ${closeAtVersion}: the tabs were past it when the mesh converged; closing at version ${target}`)
          if (rounds !== undefined && target >= rounds) this.warn(`--close-coordinator-at-version: the session reaches its last version (${rounds}) before a close could be followed by another round, so no failover can be measured; raise --rounds`)
          // One tab that lags a round (it fetched a model it missed) would hold the close back past the next model's
          // publication, and the failover would then include that model's spread and a whole round more (seen: 8.1 s
          // at 20 tabs). Once any honest tab holds the next version, the close waits for that one to land instead.
          const first = target
          const reached = await this.waitUntil(() => {
            target = closeTarget(target, rounds, v => this.liveHonestVersions().some(x => x !== undefined && x >= v))
            return this.honestTabsAt(target)
          }, this.lastTabLoadedAt + (o.training?.timeoutS ?? o.timeoutS) * 1000)
          if (target !== first) this.note(`--close-coordinator-at-version ${closeAtVersion}: a tab lagged behind version ${first}; closing as version ${target} lands everywhere`)
          if (!reached) this.warn(`--close-coordinator-at-version ${target}: not every live honest tab reached it; closing the coordinator anyway`)
          return await this.closeTheCoordinator()
        },
        settle: failedOver
      })
    }
    if (o.stopRelayAtS !== undefined) {
      const restartFollows = o.restartRelayAtS !== undefined && o.restartRelayAtS >= o.stopRelayAtS
      planned.push({
        atS: o.stopRelayAtS,
        fire: async () => await this.stopRelay(),
        // The outage is measured until the restart if one follows, else for a fixed number of heartbeats.
        settle: async e => { if (!restartFollows) await sleep(e.at + Math.max(5000, 10 * o.heartbeatMs) - Date.now(), this.abort.signal) }
      })
    }
    if (o.restartRelayAtS !== undefined) {
      planned.push({
        atS: o.restartRelayAtS,
        fire: async () => await this.restartRelay(),
        settle: settledWhen(r => r.kind === 'restart-relay' && r.allRebootstrappedMs !== undefined)
      })
    }
    planned.sort((a, b) => a.atS - b.atS)
    const settling: Array<Promise<void>> = []
    for (const p of planned) {
      await sleep(this.lastTabLoadedAt + p.atS * 1000 - Date.now(), this.abort.signal)
      const e = await p.fire()
      this.events.push(e)
      settling.push(p.settle(e))
    }
    if (planned.length > 0) this.note('waiting for the scheduled events to settle')
    await Promise.all(settling)
  }

  private async closeTabs (indices: number[]): Promise<RunEvent> {
    const at = Date.now()
    // Out of the open set before closing, so no poll counts a tab that is going away.
    for (const t of indices) {
      const h = this.tabs[t]!
      h.closed = true
      h.times.closedAt = at
    }
    this.note(`closing tabs ${indices.join(',')}`)
    // Closed as a user closes a tab (CDP Page.close): beforeunload first, then pagehide. Playwright's default
    // (Target.closeTarget) skips beforeunload, and Chromium waits 500 ms for each unload event: a busy 20-tab renderer
    // missed pagehide in 6 of 15 closes, so no resign went out. Page.close does not wait for the page to go; its close
    // event does.
    await Promise.all(indices.map(async t => {
      const page = this.tabs[t]!.tab?.page
      if (page === undefined || page.isClosed()) return
      const closed = new Promise<void>(resolve => page.once('close', () => { resolve() }))
      await page.close({ runBeforeUnload: true }).catch(() => {})
      const done = await Promise.race([closed.then(() => true), sleep(10_000).then(() => false)])
      if (!done) await page.close().catch(() => {})
    }))
    return { kind: 'close-tabs', at, tabs: indices }
  }

  private openSet (): Set<number> {
    return new Set(this.tabs.filter(h => !h.closed).map(h => h.index))
  }

  /**
   * Close the tab that is coordinator now (training.coordinator as most live tabs see it, else the election leader).
   * If none is known yet, wait for one (polls) up to --timeout.
   */
  private async closeTheCoordinator (): Promise<RunEvent> {
    let found = findCoordinator(this.latestObs, this.openSet(), this.peerIds)
    if (found === undefined) {
      this.warn('no coordinator known yet: waiting for one before closing it')
      await this.waitUntil(() => findCoordinator(this.latestObs, this.openSet(), this.peerIds) !== undefined, Date.now() + this.o.timeoutS * 1000)
      found = findCoordinator(this.latestObs, this.openSet(), this.peerIds)
    }
    // The polls that named it can be seconds old around a busy moment, and leadership may have moved since (seen: the
    // harness closed a tab that had stopped leading 2 s before, and reported a failover of 0 s). Ask it now; if it no
    // longer leads, wait for fresh polls and look again.
    let says = 'did not answer'
    for (let attempt = 0; found !== undefined && attempt < 5; attempt++) {
      const role = await this.roleOf(found.tab)
      says = role === undefined ? 'did not answer' : `says ${role.role ?? '-'}, term ${role.term ?? '-'}`
      if (role === undefined || role.role === 'leader') break
      this.note(`tab ${found.tab}, named coordinator (term ${found.term}) by the last polls, says it is ${role.role} (term ${role.term ?? '?'}): looking again after fresh polls`)
      const after = Date.now()
      await this.waitUntil(() => [...this.latestObs.values()].filter(o => o.at >= after).length >= this.openSet().size - 1, Date.now() + 4 * Math.max(1000, this.o.pollMs))
      found = findCoordinator(this.latestObs, this.openSet(), this.peerIds) ?? found
    }
    if (found === undefined) {
      this.fail('--close-coordinator-at: no tab was coordinator (no training.coordinator nor election leader seen)')
      return { kind: 'close-tabs', at: Date.now(), tabs: [] }
    }
    // The close waits on the live honest tabs only (honestTabsAt): an attacker's tab may hold nothing yet (its peers
    // may have graylisted the garbage sender) and is no part of what the close acted on.
    const honest = this.liveHonestTabs()
    const pushed = honest.filter(t => this.tabs[t]!.heldVersion !== undefined)
    const held = [...this.openSet()].map(t => `${t}:${this.tabs[t]!.heldVersion ?? '-'}${honest.includes(t) ? '' : '(attacker)'}`)
    this.note(`closing the coordinator: tab ${found.tab} (term ${found.term}, version ${found.version}, found by ${found.foundBy}, ${says}; ` +
      `${pushed.length} of ${honest.length} live honest tabs pushed the versions they hold; tab:version ${held.join(' ')})`)
    const how = this.o.training?.closeHow ?? 'close'
    const crashed = how === 'crash' ? await this.crashTab(found.tab) : undefined
    const e = crashed ?? await this.closeTabs([found.tab])
    this.closeCoordinator = {
      at: e.at, tab: found.tab, peerId: found.peerId, term: found.term, version: found.version, foundBy: found.foundBy, pushedTabs: pushed.length,
      closedAfterMs: Date.now() - e.at, how,
      ...(crashed === undefined ? {} : { crashedAfterMs: crashed.at - crashed.requestedAt })
    }
    return e
  }

  /** The tab's election role and term as it says now, or undefined if it does not answer within 2 s. */
  private async roleOf (index: number): Promise<{ role?: string, term?: number } | undefined> {
    const page = this.tabs[index]?.tab?.page
    if (page === undefined) return undefined
    try {
      const text = await Promise.race([page.evaluate(ROLE_SCRIPT) as Promise<string | null>, sleep(2000).then(() => null)])
      return text === null ? undefined : JSON.parse(text) as { role?: string, term?: number }
    } catch {
      return undefined
    }
  }

  /**
   * Kill the tab's renderer (CDP Page.crash): no pagehide, no resign, nothing more sent, as when Chromium kills a busy
   * tab. A renderer shared with other tabs would take them too: each such tab fails the run ("crashed").
   * The event's time is the renderer's death (the page's crash event), not the request: attaching a CDP session to a
   * busy tab took up to 8 s, during which the tab went on coordinating (it published 3-4 more versions), and that
   * wait is the harness's, not part of any failover. Hence the session attached when the tab opened (h.cdp).
   */
  private async crashTab (index: number): Promise<RunEvent & { requestedAt: number }> {
    const h = this.tabs[index]!
    const page = h.tab?.page
    const requestedAt = Date.now()
    let at = requestedAt
    h.closed = true
    h.crashing = true
    this.note(`crashing tab ${index} (its renderer)`)
    if (page !== undefined) {
      try {
        const crashed = new Promise<number>(resolve => page.once('crash', () => { resolve(Date.now()) }))
        const cdp = h.cdp ?? await page.context().newCDPSession(page)
        // Page.crash does not answer (its renderer is gone): the page's crash event is the answer
        void cdp.send('Page.crash').catch(() => {})
        const when = await Promise.race([crashed, sleep(10_000).then(() => undefined)])
        if (when === undefined) this.warn(`tab ${index} did not report its crash within 10 s; timing the failover from now`)
        at = when ?? Date.now()
      } catch (err) {
        this.warn(`cannot crash tab ${index}: ${errorMessage(err)}`)
        at = Date.now()
      }
      this.note(`tab ${index} crashed ${((at - requestedAt) / 1000).toFixed(1)} s after the request`)
      await page.close().catch(() => {})
    }
    h.times.closedAt = at
    return { kind: 'close-tabs', at, tabs: [index], requestedAt }
  }

  /**
   * What the closed coordinator's tab did on its way out (its unload handlers write it to localStorage, shared by
   * the tabs of this browser context, under its peer id): read from an open tab into the close event.
   */
  private async readHowTheCoordinatorLeft (): Promise<void> {
    const c = this.closeCoordinator
    const page = this.tabs.find(h => !h.closed && h.loaded)?.tab?.page
    if (c === undefined || page === undefined) return
    try {
      const text = await page.evaluate(key => localStorage.getItem(key), `fedmesh:left:${c.peerId}`)
      const left = text === null ? undefined : JSON.parse(text) as unknown
      if (left !== null && typeof left === 'object') {
        const { at, event, role, resign, recipients, leave, leaveRecipients } = left as Record<string, unknown>
        c.left = {
          ...(typeof at === 'number' ? { afterCloseMs: at - c.at } : {}),
          ...(typeof event === 'string' ? { event } : {}),
          role: String(role),
          resign: String(resign),
          recipients: typeof recipients === 'number' ? recipients : 0,
          ...(typeof leave === 'string' ? { leave, leaveRecipients: typeof leaveRecipients === 'number' ? leaveRecipients : 0 } : {})
        }
      } else {
        c.left = { resign: 'no record: neither its beforeunload nor its pagehide handler ran, or ran without the node' }
      }
    } catch (err) {
      this.warn(`cannot read how the closed coordinator left: ${errorMessage(err)}`)
    }
  }

  /** The open tabs that are not attackers. */
  private liveHonestTabs (): number[] {
    const attackers = new Set(attackerTabs(this.o.tabs, this.o.training))
    return [...this.openSet()].filter(t => !attackers.has(t))
  }

  /** The training view of each live honest tab in its latest poll (undefined: not polled yet, or no training). */
  private liveHonestViews (): Array<TrainingView | undefined> {
    return this.liveHonestTabs().map(t => {
      const o = this.latestObs.get(t)
      return o === undefined ? undefined : trainingOf(o)
    })
  }

  /** Whether every live honest tab has been observed and its training status satisfies `holds` (false if none is live). */
  private everyLiveHonestTab (holds: (t: TrainingView) => boolean): boolean {
    const views = this.liveHonestViews()
    return views.length > 0 && views.every(t => t !== undefined && holds(t))
  }

  /** The version each live honest tab holds: the later of its last poll and what it pushed (HELD_MARK). */
  private liveHonestVersions (): Array<number | undefined> {
    return this.liveHonestTabs().map(t => {
      const o = this.latestObs.get(t)
      const polled = o === undefined ? undefined : trainingOf(o)?.version
      const pushed = this.tabs[t]?.heldVersion
      return polled === undefined ? pushed : Math.max(polled, pushed ?? -Infinity)
    })
  }

  /** Every live honest tab holds model version >= `version`. */
  private honestTabsAt (version: number): boolean {
    const versions = this.liveHonestVersions()
    return versions.length > 0 && versions.every(v => v !== undefined && v >= version)
  }

  /** After the coordinator's tab closed: a model coordinated by another tab is held by every live honest tab. */
  private failoverDone (): boolean {
    const c = this.closeCoordinator
    if (c === undefined) return true
    // a version above the one held at the close was made after it, by another coordinator (recomputed here, or
    // adopted on f + 1 vouchers by a tab that missed it)
    return this.everyLiveHonestTab(t => t.version > c.version && (!t.verifiedModel || (t.lastRound !== undefined && t.lastRound.coordinator !== c.peerId)))
  }

  /** Training runs: wait until every live honest tab holds model version --rounds (recomputed, or adopted on f + 1 vouchers), or the training timeout. */
  private async waitForTraining (): Promise<void> {
    const t = this.o.training
    if (t === undefined) return
    const done = (): boolean => this.everyLiveHonestTab(tr => tr.version >= t.rounds)
    this.note(`waiting for every live honest tab to hold version ${t.rounds} (at most ${t.timeoutS} s after the last tab loaded)`)
    const ok = await this.waitUntil(done, this.lastTabLoadedAt + t.timeoutS * 1000)
    if (!ok) this.warn(`training did not reach version ${t.rounds} on every live honest tab within ${t.timeoutS} s of the last tab loading`)
    // one more poll, so the report holds every tab's final lastRound
    await sleep(this.o.pollMs * 2, this.abort.signal)
  }

  private async stopRelay (): Promise<RunEvent> {
    const at = Date.now()
    this.note('stopping the relay')
    await this.relay?.stop()
    return { kind: 'stop-relay', at }
  }

  private async restartRelay (): Promise<RunEvent> {
    const at = Date.now()
    this.note('restarting the relay (same port, same key)')
    if (this.relay !== undefined && !this.relay.stopRequested) await this.relay.stop()
    this.relay = await this.startRelay()
    const peerId = String(this.relay.ready.peerId ?? '')
    if (peerId !== this.relayPeerId) {
      this.fail(`the restarted relay has peer id ${peerId}, not ${this.relayPeerId}: the tabs cannot re-bootstrap to the address they were given`)
    }
    const addr = relayMultiaddr(this.relay.ready)
    if (addr !== this.relayAddr) this.warn(`the restarted relay listens on ${addr}; the tabs were given ${this.relayAddr}`)
    this.note('relay listening again')
    return { kind: 'restart-relay', at, listeningAt: this.relay.listeningAt }
  }

  // --- report ----------------------------------------------------------------------------------------------------

  /** Fill the report from whatever was observed, even if the run ended early. */
  private analyze (steady: SteadyFigures | undefined): void {
    if (this.samples.length === 0) return
    const record = { ...this.record(), endedAt: Date.now() }
    const start = this.report.timestamps.steadyStart
    const end = this.report.timestamps.steadyEnd
    if (start !== undefined && end !== undefined) record.steady = { start, end }
    const analysis = analyzeRun(record)
    const r = this.report
    r.convergence = analysis.convergence
    if (analysis.linksAtConvergence !== undefined) r.linksAtConvergence = analysis.linksAtConvergence
    if (analysis.linksAtEnd !== undefined) r.linksAtEnd = analysis.linksAtEnd
    if (analysis.gossipMeshAtEnd !== undefined) r.gossipMeshAtEnd = analysis.gossipMeshAtEnd
    if (analysis.gossipCopiesAtEnd !== undefined) r.gossipCopiesAtEnd = analysis.gossipCopiesAtEnd
    if (analysis.gossipLanesAtEnd !== undefined) r.gossipLanesAtEnd = analysis.gossipLanesAtEnd
    if (analysis.steady !== undefined && steady !== undefined) r.steady = { ...analysis.steady, ...steady }
    r.events = analysis.events
    r.rejected = analysis.rejected
    r.tabs = analysis.tabs
    r.counters = totalCounters(analysis.tabs)
    r.timeline = analysis.timeline
    r.samples = this.samples.length
    for (const f of findFailures(record, analysis)) this.fail(f)
    const t = this.o.training
    if (t !== undefined) {
      r.training = analyzeTraining({
        lastTabLoadedAt: record.lastTabLoadedAt,
        samples: this.samples,
        attackerTabs: attackerTabs(this.o.tabs, t),
        peerIds: this.peerIds,
        rounds: t.rounds,
        ...(this.closeCoordinator === undefined ? {} : { closeCoordinator: this.closeCoordinator })
      })
      for (const f of trainingFailures(r.training)) this.fail(f)
    }
  }
}

function reportableOptions (o: SwarmOptions): SwarmReport['options'] {
  const { log: _log, signal: _signal, ...rest } = o
  return rest
}

/**
 * The version whose landing on every live honest tab closes the coordinator (--close-coordinator-at-version): `target`,
 * or the highest later one some honest tab already holds (`anyHolds`), so that a tab lagging a round does not hold the
 * close back past the next model's publication. Never the session's last version (`rounds`): a round must follow.
 */
export function closeTarget (target: number, rounds: number | undefined, anyHolds: (version: number) => boolean): number {
  while (target + 1 < (rounds ?? Infinity) && anyHolds(target + 1)) target++
  return target
}
