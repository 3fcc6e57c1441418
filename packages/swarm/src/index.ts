/**
 * @fedmesh/swarm: a headless-Chromium harness that runs N fedmesh tabs against a real relay and app server and
 * reports how the mesh converges and what it costs. The CLI is src/cli.ts (`pnpm swarm --help`).
 */
export { runSwarm } from './harness.ts'
export type { SwarmReport, CpuFigures } from './harness.ts'
export { DEFAULT_OPTIONS, DEFAULT_TRAINING, ATTACKS, TASKS, CLOSE_HOWS, attackerTabs, tabUrl, trainingParams, validateOptions } from './options.ts'
export type { SwarmOptions, CloseTabsSpec, CloseHow, TrainingSpec } from './options.ts'
export { analyzeTraining, trainingFailures, findCoordinator, formatTrainingProgress, trainingOf } from './training-report.ts'
export type { TrainingRecord, TrainingSummary, RoundFigures, RoundSteps, FailoverFigures, CloseCoordinatorEvent } from './training-report.ts'
export {
  analyzeRun, eventOutcome, findFailures, formatProgress, requiredDirectPeers, summarizeSample, summarizeSeries,
  totalCounters, windowRates, counterRates
} from './report.ts'
export type {
  PollSample, TabObservation, MeshSummary, MeshCriteria, RunRecord, RunEvent, RunAnalysis, EventOutcome, TabSummary,
  TabTimes, LinkFigures, Rates, TabRates
} from './report.ts'
export { findChromium, launchChromium, openTab, ChromiumNotFoundError, CHROMIUM_ARGS, CHROMIUM_INSTALL_HINT } from './chromium.ts'
export type { ChromiumLocation, LaunchedChromium, Tab } from './chromium.ts'
// the Playwright objects this API hands out (LaunchedChromium.browser, Tab.page), for callers that do not depend on it
export type { Browser, BrowserContext, Page } from 'playwright-core'
export { processTree, treeMemory, TreeCpuMeter, chromiumProcessType, parseStat, parseSmapsRollup, parseCmdline } from './procfs.ts'
export type { ProcInfo, MemoryFigures, CpuWindow } from './procfs.ts'
export { ServiceProcess, PortInUseError, pickFreePort, assertPortFree, isPortFree, relayMultiaddr } from './processes.ts'
export type { ServiceSpec, ListeningLine } from './processes.ts'
export { decideNetns, probeUnshare, netnsCommand, networkInterfaces, NETNS_ENV } from './netns.ts'
export { normalizeStatus } from './status.ts'
export type { FedmeshStatus, StatusCounters, NeighbourTransport, MembershipState, TrainingView } from './status.ts'
