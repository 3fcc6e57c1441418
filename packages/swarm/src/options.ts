/**
 * What a swarm run can be told to do, its defaults, and the checks on them. Shared by runSwarm and the CLI.
 */

export interface CloseTabsSpec {
  /** Seconds after the last tab loaded. */
  atS: number
  /** 0-based tab indices, in opening order. */
  tabs: number[]
}

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

/** The tab URL: the app URL plus relay, heartbeat and peer-target parameters, then the user's own. */
export function tabUrl (appUrl: string, relayAddr: string | undefined, opts: Pick<SwarmOptions, 'heartbeatMs' | 'targetPeers' | 'urlParams'>): string {
  const url = new URL(appUrl)
  if (relayAddr !== undefined) url.searchParams.set('relay', relayAddr)
  url.searchParams.set('heartbeatMs', String(opts.heartbeatMs))
  if (opts.targetPeers !== undefined) url.searchParams.set('targetPeers', String(opts.targetPeers))
  for (const [k, v] of opts.urlParams) url.searchParams.set(k, v)
  return url.toString()
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
  return problems
}
