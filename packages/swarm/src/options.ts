/**
 * What a swarm run can be told to do, its defaults, and the checks on them. Shared by runSwarm and the CLI.
 */

export interface CloseTabsSpec {
  /** Seconds after the last tab loaded. */
  atS: number
  /** 0-based tab indices, in opening order. */
  tabs: number[]
}

/**
 * A federated-training session run by the tabs (packages/node's training service, set through URL parameters).
 * The run ends when every live honest tab holds global model version `rounds`, or `timeoutS` after the last tab loaded.
 */
export interface TrainingSpec {
  task: 'link-health' | 'mnist'
  /** Rounds the session runs: the coordinator stops after this many global models. */
  rounds: number
  /** Aggregation rule and the Byzantine updates it tolerates; unset = the tabs' defaults. */
  rule?: string
  f?: number
  /** Updates a coordinator needs to close a round at its deadline (must satisfy rule with f). */
  minParticipants?: number
  roundDeadlineMs?: number
  /** Least time between two trainings of one tab: paces the rounds. */
  learnEveryMs?: number
  /** Least time between a tab coming to hold a model and training on it (the tabs' trainAfterModelMs). */
  trainAfterModelMs?: number
  /** The last `attackers` tabs run as attackers, the i-th one with attacks[i % attacks.length]. */
  attackers: number
  attacks: string[]
  /** Seconds after the last tab loaded: close the tab that is coordinator at that moment. */
  closeCoordinatorAtS?: number
  /** Close the coordinator's tab once every live honest tab holds this model version (independent of speed). */
  closeCoordinatorAtVersion?: number
  /**
   * How the coordinator's tab goes: 'close' (default; closed as a user closes it: beforeunload, then pagehide, and its
   * handlers resign) or 'crash' (CDP Page.crash: its renderer dies without a word, as a busy tab Chromium
   * kills, so the followers wait out its lease). A crash measures the failover a lost resign costs.
   */
  closeHow?: CloseHow
  /** Seconds after the last tab loaded by which the session must have reached `rounds`. */
  timeoutS: number
}

export const CLOSE_HOWS = ['close', 'crash'] as const
export type CloseHow = typeof CLOSE_HOWS[number]

/** `--cpu-profile`: which tab, when (seconds after the mesh converged, or after its timeout) and for how long; where to write it. */
export interface CpuProfileSpec {
  tab: number
  afterS: number
  durationS: number
  file: string
}

/** The attack names a tab accepts (@fedmesh/attacks ATTACK_NAMES, minus 'none'); repeated so the harness depends on no node package. */
export const ATTACKS = ['sign-flip', 'gaussian', 'alie', 'ipm', 'label-flip', 'nan', 'inf', 'garbage', 'oversized', 'deflate-bomb', 'lying-coordinator', 'hidden-input-coordinator', 'stalling-coordinator'] as const
export const TASKS = ['link-health', 'mnist'] as const

export const DEFAULT_TRAINING: TrainingSpec = { task: 'link-health', rounds: 10, attackers: 0, attacks: [], timeoutS: 300 }

export interface SwarmOptions {
  tabs: number
  /** Length of the steady-state measurement window, seconds. */
  durationS: number
  /** Seconds to wait after convergence (or the timeout) before the steady window starts: lets start-up work finish. */
  settleS: number
  /** Convergence must happen within this many seconds of the last tab loading; also the limit for events to settle. */
  timeoutS: number
  heartbeatMs: number
  /** A heartbeat is "recent" for coverage if heard within this many heartbeat intervals. */
  heartbeatWindowBeats: number
  targetPeers?: number
  closeTabs: CloseTabsSpec[]
  stopRelayAtS?: number
  restartRelayAtS?: number
  staggerMs: number
  pollMs: number
  host: string
  /** 0 = pick a free port. */
  relayPort: number
  /** 0 = pick a free port. */
  appPort: number
  /** Use an app already served here instead of starting the app server. */
  appUrl?: string
  chromiumPath?: string
  /** Extra Chromium switches (after the harness's own). */
  chromiumArgs?: string[]
  /** Run a training session in the tabs (absent: a pure mesh run). */
  training?: TrainingSpec
  /** Profile one tab's main thread (src/cpu-profile.ts). */
  cpuProfile?: CpuProfileSpec
  /** Extra URL parameters for every tab (override the harness's own). */
  urlParams: Array<[string, string]>
  /** Replace the relay command (the harness appends --host --port --key-file --json). */
  relayCommand?: string[]
  /** Replace the app server command (the harness appends --host --port --relay --json). */
  appCommand?: string[]
  /** The fedmesh checkout: commands run from here. */
  repoRoot: string
  quiet: boolean
  /** Echo relay/app output and browser console errors. */
  verbose: boolean
  /** How this run's network was isolated, as decided by the CLI. */
  network: { mode: 'netns' | 'host', note?: string }
  /** Progress sink; defaults to stderr. */
  log?: (line: string) => void
  signal?: AbortSignal
}

export const DEFAULT_REPO_ROOT = new URL('../../../', import.meta.url).pathname.replace(/\/$/, '')

export const DEFAULT_OPTIONS: SwarmOptions = {
  tabs: 2,
  durationS: 10,
  settleS: 0,
  timeoutS: 120,
  heartbeatMs: 1000,
  heartbeatWindowBeats: 3,
  closeTabs: [],
  staggerMs: 200,
  pollMs: 500,
  host: '127.0.0.1',
  relayPort: 0,
  appPort: 0,
  urlParams: [],
  repoRoot: DEFAULT_REPO_ROOT,
  quiet: false,
  verbose: false,
  network: { mode: 'host' }
}

/** The tab URL: the app URL plus relay, heartbeat and peer-target parameters, then `extra` (per tab), then the user's own. */
export function tabUrl (appUrl: string, relayAddr: string | undefined, opts: Pick<SwarmOptions, 'heartbeatMs' | 'targetPeers' | 'urlParams'>, extra: Array<[string, string]> = []): string {
  const url = new URL(appUrl)
  if (relayAddr !== undefined) url.searchParams.set('relay', relayAddr)
  url.searchParams.set('heartbeatMs', String(opts.heartbeatMs))
  if (opts.targetPeers !== undefined) url.searchParams.set('targetPeers', String(opts.targetPeers))
  for (const [k, v] of extra) url.searchParams.set(k, v)
  for (const [k, v] of opts.urlParams) url.searchParams.set(k, v)
  return url.toString()
}

/** The tab indices (0-based) that run as attackers: the last K. */
export function attackerTabs (tabs: number, training: TrainingSpec | undefined): number[] {
  const k = Math.min(tabs, training?.attackers ?? 0)
  return Array.from({ length: k }, (_, i) => tabs - k + i)
}

/** URL parameters of tab `index` for the training session: the session settings, and `attack` on attacker tabs. */
export function trainingParams (index: number, tabs: number, training: TrainingSpec | undefined): Array<[string, string]> {
  if (training === undefined) return []
  const out: Array<[string, string]> = [['task', training.task], ['rounds', String(training.rounds)]]
  if (training.rule !== undefined) out.push(['rule', training.rule])
  if (training.f !== undefined) out.push(['f', String(training.f)])
  if (training.minParticipants !== undefined) out.push(['minParticipants', String(training.minParticipants)])
  if (training.roundDeadlineMs !== undefined) out.push(['roundDeadlineMs', String(training.roundDeadlineMs)])
  if (training.learnEveryMs !== undefined) out.push(['learnEveryMs', String(training.learnEveryMs)])
  if (training.trainAfterModelMs !== undefined) out.push(['trainAfterModelMs', String(training.trainAfterModelMs)])
  const attackers = attackerTabs(tabs, training)
  const i = attackers.indexOf(index)
  if (i >= 0 && training.attacks.length > 0) out.push(['attack', training.attacks[i % training.attacks.length]!])
  return out
}

/** Options that make no sense together, as messages; empty when fine. */
export function validateOptions (o: SwarmOptions): string[] {
  const problems: string[] = []
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) problems.push(`${name} must be an integer >= ${min}, got ${v}`)
  }
  int(o.tabs, '--tabs', 1)
  int(o.heartbeatMs, '--heartbeat-ms', 1)
  int(o.staggerMs, '--stagger-ms', 0)
  int(o.pollMs, '--poll-ms', 50)
  int(o.relayPort, '--relay-port', 0)
  int(o.appPort, '--app-port', 0)
  if (o.relayPort > 65535) problems.push(`--relay-port must be at most 65535, got ${o.relayPort}`)
  if (o.appPort > 65535) problems.push(`--app-port must be at most 65535, got ${o.appPort}`)
  if (o.targetPeers !== undefined) int(o.targetPeers, '--target-peers', 1)
  if (!(o.settleS >= 0)) problems.push(`--settle must be >= 0 seconds, got ${o.settleS}`)
  if (!(o.durationS >= 0)) problems.push(`--duration must be >= 0 seconds, got ${o.durationS}`)
  if (!(o.timeoutS > 0)) problems.push(`--timeout must be > 0 seconds, got ${o.timeoutS}`)
  const closing = new Set<number>()
  for (const c of o.closeTabs) {
    if (!(c.atS >= 0)) problems.push(`--close-tabs time must be >= 0 seconds, got ${c.atS}`)
    for (const t of c.tabs) {
      if (!Number.isInteger(t) || t < 0 || t >= o.tabs) problems.push(`--close-tabs: tab ${t} does not exist (tabs are 0..${o.tabs - 1})`)
      else if (closing.has(t)) problems.push(`--close-tabs: tab ${t} is closed twice`)
      closing.add(t)
    }
  }
  if (closing.size >= o.tabs && o.tabs > 0) problems.push('--close-tabs would close every tab: keep at least one open')
  if (o.stopRelayAtS !== undefined && !(o.stopRelayAtS >= 0)) problems.push(`--stop-relay must be >= 0 seconds, got ${o.stopRelayAtS}`)
  if (o.restartRelayAtS !== undefined && !(o.restartRelayAtS >= 0)) problems.push(`--restart-relay must be >= 0 seconds, got ${o.restartRelayAtS}`)
  if (o.stopRelayAtS !== undefined && o.restartRelayAtS !== undefined && o.restartRelayAtS < o.stopRelayAtS) {
    problems.push(`--restart-relay (${o.restartRelayAtS} s) must not come before --stop-relay (${o.stopRelayAtS} s)`)
  }
  if (o.training !== undefined) problems.push(...validateTraining(o.training, o.tabs))
  const p = o.cpuProfile
  if (p !== undefined) {
    if (!Number.isInteger(p.tab) || p.tab < 0 || p.tab >= o.tabs) problems.push(`--cpu-profile: tab ${p.tab} does not exist (tabs are 0..${o.tabs - 1})`)
    if (!(p.durationS > 0)) problems.push(`--cpu-profile-s must be > 0 seconds, got ${p.durationS}`)
    if (!(p.afterS >= 0)) problems.push(`--cpu-profile-after must be >= 0 seconds, got ${p.afterS}`)
    if (p.file === '') problems.push('--cpu-profile-out needs a file name')
  }
  return problems
}

function validateTraining (t: TrainingSpec, tabs: number): string[] {
  const problems: string[] = []
  if (!(TASKS as readonly string[]).includes(t.task)) problems.push(`--task must be one of ${TASKS.join(', ')}, got "${t.task}"`)
  if (!Number.isInteger(t.rounds) || t.rounds < 1) problems.push(`--rounds must be an integer >= 1 (the run ends when every live honest tab holds that version), got ${t.rounds}`)
  if (t.f !== undefined && (!Number.isInteger(t.f) || t.f < 0)) problems.push(`--f must be an integer >= 0, got ${t.f}`)
  if (t.trainAfterModelMs !== undefined && (!Number.isInteger(t.trainAfterModelMs) || t.trainAfterModelMs < 0)) problems.push(`--train-after-model-ms must be an integer >= 0, got ${t.trainAfterModelMs}`)
  for (const [v, name] of [[t.minParticipants, '--min-participants'], [t.roundDeadlineMs, '--round-deadline-ms'], [t.learnEveryMs, '--learn-every-ms']] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) problems.push(`${name} must be an integer >= 1, got ${v}`)
  }
  if (!Number.isInteger(t.attackers) || t.attackers < 0) problems.push(`--attackers must be an integer >= 0, got ${t.attackers}`)
  else if (t.attackers >= tabs) problems.push(`--attackers ${t.attackers} leaves no honest tab among ${tabs}`)
  if (t.attackers > 0 && t.attacks.length === 0) problems.push('--attackers needs --attack NAME[,NAME...]')
  if (t.attacks.length > 0 && t.attackers === 0) problems.push('--attack needs --attackers K (how many tabs attack)')
  for (const a of t.attacks) {
    if (!(ATTACKS as readonly string[]).includes(a)) problems.push(`--attack: unknown attack "${a}"; expected one of ${ATTACKS.join(', ')}`)
    else if (a === 'label-flip' && t.task !== 'mnist') problems.push('--attack label-flip flips digit labels: it needs --task mnist')
  }
  if (t.closeCoordinatorAtS !== undefined && !(t.closeCoordinatorAtS >= 0)) problems.push(`--close-coordinator-at must be >= 0 seconds, got ${t.closeCoordinatorAtS}`)
  if (t.closeCoordinatorAtS !== undefined && tabs < 2) problems.push('--close-coordinator-at needs at least 2 tabs')
  if (t.closeHow !== undefined && !CLOSE_HOWS.includes(t.closeHow)) problems.push(`--close-how must be ${CLOSE_HOWS.join(' or ')}, got ${String(t.closeHow)}`)
  if (t.closeHow !== undefined && t.closeCoordinatorAtS === undefined && t.closeCoordinatorAtVersion === undefined) problems.push('--close-how needs --close-coordinator-at or --close-coordinator-at-version (it says how that tab goes)')
  if (t.closeCoordinatorAtVersion !== undefined) {
    if (!Number.isInteger(t.closeCoordinatorAtVersion) || t.closeCoordinatorAtVersion < 1) problems.push(`--close-coordinator-at-version must be an integer >= 1, got ${t.closeCoordinatorAtVersion}`)
    else if (t.rounds > 0 && t.closeCoordinatorAtVersion >= t.rounds) problems.push(`--close-coordinator-at-version ${t.closeCoordinatorAtVersion} leaves no round after the close (--rounds ${t.rounds})`)
    if (t.closeCoordinatorAtS !== undefined) problems.push('give --close-coordinator-at or --close-coordinator-at-version, not both')
    if (tabs < 2) problems.push('--close-coordinator-at-version needs at least 2 tabs')
  }
  if (!(t.timeoutS > 0)) problems.push(`--training-timeout must be > 0 seconds, got ${t.timeoutS}`)
  return problems
}
