/**
 * `pnpm swarm --tabs N [--duration S] [--json FILE] ...`: see --help. Progress goes to stderr, the report to
 * --json FILE (or stdout with --json -). Exit code 0 if the run is ok, 1 if not, 2 for bad usage.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { runSwarm } from './harness.ts'
import type { SwarmReport } from './harness.ts'
import type { RoundSteps, TrainingSummary } from './training-report.ts'
import { ATTACKS, DEFAULT_OPTIONS, DEFAULT_TRAINING, validateOptions } from './options.ts'
import type { CloseHow, CloseTabsSpec, SwarmOptions, TrainingSpec } from './options.ts'
import { decideNetns, NETNS_ENV, probeUnshare, reexecInNetns } from './netns.ts'
import { splitCommand } from './processes.ts'

/** Words of `text` on lines of at most `width` characters; lines after the first indented by `indent`, the first
 * starting `firstUsed` characters in. */
function wrap (text: string, width: number, indent: number, firstUsed: number): string {
  const lines: string[] = []
  let line = ''
  let used = firstUsed
  for (const word of text.split(' ')) {
    if (line !== '' && used + line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
      used = indent
    } else line = line === '' ? word : `${line} ${word}`
  }
  lines.push(line)
  return lines.join('\n' + ' '.repeat(indent))
}

const HELP = `pnpm swarm --tabs N [options]

Starts the relay and the web app, opens N tabs in one headless Chromium, and measures how the mesh forms and behaves.
As root, everything runs in a private network namespace whose only interface is lo (see --no-netns).

Timeline: tabs open --stagger-ms apart; once the last tab has loaded the harness waits for convergence (every tab has
>= min(3, N-1) direct WebRTC peers and hears heartbeats from all N-1 others), at most --timeout s; then measures a
steady window of --duration s (starting --settle s after convergence, or after the timeout if it never converged);
then waits for
scheduled events to fire and settle. Event times (T) are seconds after the last tab loaded.

Options:
  --tabs N               tabs to open (default ${DEFAULT_OPTIONS.tabs})
  --duration S           steady-state window in seconds: CPU, memory and message rates (default ${DEFAULT_OPTIONS.durationS})
  --settle S             wait S s after convergence before the steady window, so start-up work is not counted (default ${DEFAULT_OPTIONS.settleS})
  --timeout S            convergence deadline after the last tab loaded; also how long events may take to settle (default ${DEFAULT_OPTIONS.timeoutS})
  --json FILE            write the JSON report to FILE ("-" for stdout)
  --heartbeat-ms MS      heartbeat interval passed to every tab (default ${DEFAULT_OPTIONS.heartbeatMs}); a heartbeat is
                         "recent" for coverage within ${DEFAULT_OPTIONS.heartbeatWindowBeats} intervals
  --target-peers N       direct peers each tab aims for (passed as targetPeers)
  --close-tabs T:i,j     at T s close tabs i and j (0-based, in opening order); repeatable
  --stop-relay T         at T s stop the relay (SIGTERM)
  --restart-relay T      at T s start the relay again on the same port with the same key (stops it first if running)
  --stagger-ms MS        delay between opening tabs (default ${DEFAULT_OPTIONS.staggerMs})
  --poll-ms MS           status poll interval (default ${DEFAULT_OPTIONS.pollMs})
  --relay-port P         relay port (default 0: pick a free one)
  --app-port P           app server port (default 0: pick a free one)
  --app-url URL          use an app served elsewhere instead of starting apps/web/server
  --url-param k=v        extra URL parameter for every tab; repeatable
  --chromium PATH        Chromium binary (default: $CHROMIUM_PATH, then /usr/bin/chromium, ...)
  --chromium-arg ARG     extra Chromium command-line switch, e.g. --chromium-arg=--renderer-process-limit=2;
                         repeatable (recorded in the report)
  --no-netns             do not create a network namespace, even as root
  --allow-host-network   as root, carry on on the host network if a network namespace cannot be created
  --relay-command CMD    run CMD instead of the relay CLI (it gets --host --port --key-file --json appended)
  --app-command CMD      run CMD instead of the app server CLI (it gets --host --port --relay --json appended)

Training (any of these runs a federated session in the tabs; the run then ends when every live honest tab holds
global model version --rounds, or --training-timeout s after the last tab loaded):
  --task NAME            link-health (default) or mnist
  --rounds R             rounds of the session (default ${DEFAULT_TRAINING.rounds})
  --rule NAME            aggregation rule (krum, multi-krum, median, trimmed-mean, bulyan, ...; default: the tabs')
  --f F                  Byzantine updates the rule tolerates
  --min-participants N   updates a coordinator needs at the deadline (must satisfy the rule with f; Krum: > 2f+2)
  --round-deadline-ms MS round deadline the coordinator announces
  --learn-every-ms MS    least time between two trainings of a tab (paces the rounds)
  --train-after-model-ms MS  least time between a tab holding a model and training on it (tabs sharing cores)
  --attackers K          the last K tabs attack ...
  --attack A[,B...]      ... with these attacks, in turn (${wrap(ATTACKS.join(', ') + ')', 118, 25, 57)}
  --close-coordinator-at S  at S s close the tab that is coordinator then; the report gives the failover time
  --close-coordinator-at-version V  close the coordinator's tab once every live honest tab holds model version V
                         and the mesh has converged (or its --timeout passed); if the tabs are past V by then,
                         once they hold the next version
                         (holds back any later scheduled event until then)
  --close-how close|crash  how that tab goes: close (default: as a user closes it; its beforeunload handler resigns) or crash
                         (its renderer killed through CDP Page.crash: no resign, the followers wait out the lease)
  --training-timeout S   training deadline after the last tab loaded (default ${DEFAULT_TRAINING.timeoutS})
  The JSON report gains "training": per round version, coordinator, term, selected/excluded tabs, round overhead
  (and its parts, the coordinator's account of closing it, whether it was taken over); the overhead without the
  taken-over round; failover; rejected models and updates by reason; quarantined tabs; final versions; loss.

  --cpu-profile TAB      profile tab TAB's main thread (V8 sampling profiler) and write a .cpuprofile file (DevTools,
                         Performance panel); the report names the functions with the most self time
  --cpu-profile-after S  start S s after the mesh converged (default 5)
  --cpu-profile-s S      profile for S s (default 20)
  --cpu-profile-out FILE where to write it (default swarm-tab<TAB>.cpuprofile)

  --quiet                no progress lines (failures and the summary are still printed)
  --verbose              echo relay/app output and tab console errors
  -h, --help             this help

Examples:
  pnpm swarm --tabs 8 --duration 30 --json swarm-8.json
  pnpm swarm --tabs 6 --close-tabs 20:4,5 --stop-relay 40 --restart-relay 60 --json churn.json
  pnpm swarm --tabs 9 --task link-health --rounds 8 --rule krum --f 2 --min-participants 7 --learn-every-ms 3000 \
    --attackers 2 --attack sign-flip,garbage --close-coordinator-at 60 --json training.json`

export class UsageError extends Error {}

function num (value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${name} needs a number, got "${value}"`)
  return n
}

export function parseCloseTabs (spec: string): CloseTabsSpec {
  const m = /^\s*([\d.]+)\s*:\s*(\d+(?:\s*,\s*\d+)*)\s*$/.exec(spec)
  if (m === null) throw new UsageError(`--close-tabs needs T:i,j (seconds:tab indices), e.g. 20:3,4; got "${spec}"`)
  return { atS: Number(m[1]), tabs: m[2]!.split(',').map(s => Number(s.trim())) }
}

export function parseChromiumArg (arg: string): string {
  if (!/^--[a-z0-9][a-z0-9-]*(=.*)?$/i.test(arg)) throw new UsageError(`--chromium-arg needs a switch like --name or --name=value, got "${arg}" (write it as --chromium-arg=--name=value)`)
  return arg
}

export function parseUrlParam (spec: string): [string, string] {
  const eq = spec.indexOf('=')
  if (eq <= 0) throw new UsageError(`--url-param needs k=v, got "${spec}"`)
  return [spec.slice(0, eq), spec.slice(eq + 1)]
}

/** The training options, or undefined when none is given (a pure mesh run). */
function parseTraining (values: Record<string, string | boolean | string[] | undefined>): TrainingSpec | undefined {
  const str = (k: string): string | undefined => typeof values[k] === 'string' ? values[k] : undefined
  const keys = ['task', 'rounds', 'rule', 'f', 'min-participants', 'round-deadline-ms', 'learn-every-ms', 'train-after-model-ms', 'attackers', 'attack', 'close-coordinator-at', 'close-coordinator-at-version', 'close-how', 'training-timeout']
  if (keys.every(k => str(k) === undefined)) return undefined
  const t: TrainingSpec = { ...DEFAULT_TRAINING, attacks: [] }
  const task = str('task')
  if (task !== undefined) t.task = task as TrainingSpec['task'] // checked by validateOptions
  const rule = str('rule')
  if (rule !== undefined) t.rule = rule
  const n = (k: string): number | undefined => num(str(k), `--${k}`)
  const rounds = n('rounds')
  if (rounds !== undefined) t.rounds = rounds
  const f = n('f')
  if (f !== undefined) t.f = f
  const minParticipants = n('min-participants')
  if (minParticipants !== undefined) t.minParticipants = minParticipants
  const deadline = n('round-deadline-ms')
  if (deadline !== undefined) t.roundDeadlineMs = deadline
  const every = n('learn-every-ms')
  if (every !== undefined) t.learnEveryMs = every
  const afterModel = n('train-after-model-ms')
  if (afterModel !== undefined) t.trainAfterModelMs = afterModel
  const attackers = n('attackers')
  if (attackers !== undefined) t.attackers = attackers
  const attack = str('attack')
  if (attack !== undefined) t.attacks = attack.split(',').map(a => a.trim()).filter(a => a !== '')
  const closeAt = n('close-coordinator-at')
  if (closeAt !== undefined) t.closeCoordinatorAtS = closeAt
  const closeAtVersion = n('close-coordinator-at-version')
  if (closeAtVersion !== undefined) t.closeCoordinatorAtVersion = closeAtVersion
  const closeHow = str('close-how')
  if (closeHow !== undefined) t.closeHow = closeHow as CloseHow // checked by validateOptions
  const timeout = n('training-timeout')
  if (timeout !== undefined) t.timeoutS = timeout
  return t
}

export interface CliConfig {
  options: Partial<SwarmOptions>
  jsonFile?: string
  help: boolean
  noNetns: boolean
  allowHostNetwork: boolean
}

export function parseCli (argv: string[]): CliConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tabs: { type: 'string' },
      duration: { type: 'string' },
      timeout: { type: 'string' },
      settle: { type: 'string' },
      json: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'target-peers': { type: 'string' },
      'close-tabs': { type: 'string', multiple: true },
      'stop-relay': { type: 'string' },
      'restart-relay': { type: 'string' },
      'stagger-ms': { type: 'string' },
      'poll-ms': { type: 'string' },
      'relay-port': { type: 'string' },
      'app-port': { type: 'string' },
      'app-url': { type: 'string' },
      'url-param': { type: 'string', multiple: true },
      chromium: { type: 'string' },
      'chromium-arg': { type: 'string', multiple: true },
      'no-netns': { type: 'boolean', default: false },
      'allow-host-network': { type: 'boolean', default: false },
      'relay-command': { type: 'string' },
      'app-command': { type: 'string' },
      task: { type: 'string' },
      rounds: { type: 'string' },
      rule: { type: 'string' },
      f: { type: 'string' },
      'min-participants': { type: 'string' },
      'round-deadline-ms': { type: 'string' },
      'learn-every-ms': { type: 'string' },
      'train-after-model-ms': { type: 'string' },
      attackers: { type: 'string' },
      attack: { type: 'string' },
      'close-coordinator-at': { type: 'string' },
      'close-coordinator-at-version': { type: 'string' },
      'close-how': { type: 'string' },
      'training-timeout': { type: 'string' },
      'cpu-profile': { type: 'string' },
      'cpu-profile-after': { type: 'string' },
      'cpu-profile-s': { type: 'string' },
      'cpu-profile-out': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (options start with --)`)
  const options: Partial<SwarmOptions> = {}
  const set = <K extends keyof SwarmOptions>(key: K, value: SwarmOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value
  }
  set('tabs', num(values.tabs, '--tabs'))
  set('durationS', num(values.duration, '--duration'))
  set('timeoutS', num(values.timeout, '--timeout'))
  set('settleS', num(values.settle, '--settle'))
  set('heartbeatMs', num(values['heartbeat-ms'], '--heartbeat-ms'))
  set('targetPeers', num(values['target-peers'], '--target-peers'))
  set('stopRelayAtS', num(values['stop-relay'], '--stop-relay'))
  set('restartRelayAtS', num(values['restart-relay'], '--restart-relay'))
  set('staggerMs', num(values['stagger-ms'], '--stagger-ms'))
  set('pollMs', num(values['poll-ms'], '--poll-ms'))
  set('relayPort', num(values['relay-port'], '--relay-port'))
  set('appPort', num(values['app-port'], '--app-port'))
  set('appUrl', values['app-url'])
  set('chromiumPath', values.chromium)
  if (values['chromium-arg'] !== undefined) options.chromiumArgs = values['chromium-arg'].map(parseChromiumArg)
  if (values['close-tabs'] !== undefined) options.closeTabs = values['close-tabs'].map(parseCloseTabs)
  if (values['url-param'] !== undefined) options.urlParams = values['url-param'].map(parseUrlParam)
  if (values['relay-command'] !== undefined) options.relayCommand = splitCommand(values['relay-command'])
  if (values['app-command'] !== undefined) options.appCommand = splitCommand(values['app-command'])
  const training = parseTraining(values)
  if (training !== undefined) options.training = training
  const profileTab = num(values['cpu-profile'], '--cpu-profile')
  if (profileTab !== undefined) {
    options.cpuProfile = {
      tab: profileTab,
      afterS: num(values['cpu-profile-after'], '--cpu-profile-after') ?? 5,
      durationS: num(values['cpu-profile-s'], '--cpu-profile-s') ?? 20,
      file: values['cpu-profile-out'] ?? `swarm-tab${profileTab}.cpuprofile`
    }
  } else if (values['cpu-profile-after'] !== undefined || values['cpu-profile-s'] !== undefined || values['cpu-profile-out'] !== undefined) {
    throw new UsageError('--cpu-profile-after, --cpu-profile-s and --cpu-profile-out need --cpu-profile TAB')
  }
  options.quiet = values.quiet
  options.verbose = values.verbose
  const config: CliConfig = { options, help: values.help, noNetns: values['no-netns'], allowHostNetwork: values['allow-host-network'] }
  if (values.json !== undefined) config.jsonFile = values.json
  return config
}

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`
const secs = (ms: number | undefined): string => ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`
const millis = (ms: number | undefined): string => ms === undefined ? '-' : `${ms.toFixed(0)} ms`

/** The few lines a person wants at the end of a run. */
export function summaryLines (r: SwarmReport): string[] {
  const lines: string[] = []
  const c = r.convergence
  if (c !== undefined) {
    lines.push(c.converged
      ? `converged: ${secs(c.fromLastTabLoadedMs)} after the last tab loaded (${secs(c.fromFirstTabOpenedMs)} after the first opened)`
      : 'converged: no')
    lines.push(`first direct link ${secs(c.firstDirectLinkMs)}, first heartbeat ${secs(c.firstHeartbeatMs)} after the last tab loaded`)
  }
  const l = r.linksAtEnd
  if (l !== undefined) lines.push(`links at end: direct ${l.directLinks} (per tab ${l.minDirectPerTab}..${l.maxDirectPerTab}), relayed ${l.relayedLinks}, heartbeat coverage ${Math.floor(l.heartbeatCoverage * 100)}%`)
  for (const [topic, g] of Object.entries(r.gossipMeshAtEnd ?? {})) {
    lines.push(`gossip mesh ${topic}: ${g.components === 1 ? 'connected' : `${g.components} components (${g.sizes.join(' + ')} tabs)`}, degree ${g.minDegree}..${g.maxDegree}`)
  }
  for (const [topic, c] of Object.entries(r.gossipCopiesAtEnd ?? {})) {
    if (c.first === 0) continue
    lines.push(`gossip copies ${topic}: ${c.copiesPerMessage.toFixed(2)} per message received (${c.tabs} tabs, ${(c.firstBytes / 1e6).toFixed(1)} MB first, ${(c.duplicateBytes / 1e6).toFixed(1)} MB duplicate), ${c.idontwantSkipped} forwards saved by IDONTWANT`)
  }
  const lanes = r.gossipLanesAtEnd
  if (lanes !== undefined) {
    lines.push(`gossip lanes: bulk lane read by ${lanes.tabsReadingBulk} of ${lanes.tabs} tabs, ${lanes.bulkIn} RPCs in; main stream ${lanes.controlIn} RPCs in`)
  }
  const s = r.steady
  if (s?.cpu !== undefined) {
    lines.push(`steady ${secs(s.windowMs)}: Chromium ${s.cpu.chromium.cpuSeconds.toFixed(1)} CPU s = ${s.cpu.chromium.cores.toFixed(2)} cores` +
      (s.cpu.relay === undefined ? '' : `, relay ${s.cpu.relay.cores.toFixed(2)} cores`) + `, harness ${s.cpu.harness.cores.toFixed(2)} cores` +
      (s.machineCpu === undefined ? '' : `; machine busy ${s.machineCpu.busyCores.toFixed(2)}, stolen by the host ${s.machineCpu.stealCores.toFixed(2)} cores`))
    if (s.memory !== undefined) lines.push(`memory: RSS ${gib(s.memory.rssBytes)}, PSS ${gib(s.memory.pssBytes)} in ${s.memory.processes} processes (PSS per tab ${gib(s.memory.perTab.pssBytes)})`)
    const m = s.rates.mean
    if (m !== undefined) lines.push(`per tab per second: messages in ${m.messagesInPerSec.toFixed(1)} / out ${m.messagesOutPerSec.toFixed(1)}, bytes in ${m.bytesInPerSec.toFixed(0)} / out ${m.bytesOutPerSec.toFixed(0)}`)
  }
  for (const e of r.events) {
    if (e.kind === 'close-tabs') lines.push(`closed tabs ${e.tabs.join(',')}: all suspect after ${secs(e.allSuspectMs)}, all dead after ${secs(e.allDeadMs)}`)
    else if (e.kind === 'stop-relay') lines.push(`relay stopped: heartbeat coverage min ${Math.floor(e.coverage.min * 100)}% / mean ${Math.floor(e.coverage.mean * 100)}% over ${secs(e.outageMs)} outage; all tabs saw it down after ${secs(e.allDisconnectedMs)}`)
    else lines.push(`relay restarted: all tabs re-bootstrapped after ${secs(e.allRebootstrappedMs)}`)
  }
  const t = r.training
  if (t !== undefined) {
    lines.push(`training: live honest tabs hold version ${t.honestAgreement.versions.join('/') || '-'} of ${t.targetRounds}` +
      `${t.honestAgreement.allVerified ? ' (verified)' : ` (${t.honestAgreement.verified} verified, ${t.honestAgreement.caughtUp} caught up on the leader's digest)`}; ${t.rounds.length} rounds seen`)
    const o = t.overhead
    const sh = o.sentToHeld
    if (sh !== undefined) {
      const ofWhich = sh.lastInputToCloseMedianMs === undefined
        ? ''
        : ` (of which last input received -> close ${millis(sh.lastInputToCloseMedianMs)}${sh.aggregateMedianMs === undefined ? '' : `, aggregation ${millis(sh.aggregateMedianMs)}`})`
      lines.push(`round overhead, last update sent -> every live honest tab holds the model (tabs' clocks, no takeover): median ${millis(sh.medianMs)}, max ${millis(sh.maxMs)} over ${sh.rounds} rounds` +
        `; medians: coordinator's model out after ${millis(sh.toCoordinatorMedianMs)}${ofWhich}, median tab holds it after ${millis(sh.toMedianTabMedianMs)}`)
      const li = sh.lastUpdateInMedianMs
      if (li !== undefined) lines.push(`  the last update complete, after it was sent (medians): at the coordinator ${millis(li.coordinator)}, median tab ${millis(li.medianTab)}, last tab ${millis(li.lastTab)}`)
    }
    if (o.medianMs !== undefined) lines.push(`last update received -> model verified, worst tab (each tab's own): median ${o.medianMs.toFixed(0)} ms, max ${o.maxMs!.toFixed(0)} ms over ${o.rounds} rounds`)
    if (o.steady !== undefined && o.steady.rounds < o.rounds) lines.push(`  without the taken-over round: median ${o.steady.medianMs.toFixed(0)} ms, max ${o.steady.maxMs.toFixed(0)} ms over ${o.steady.rounds} rounds`)
    const waits = t.rounds.flatMap(x => x.closed?.lastFWaitMs === undefined ? [] : [x.closed.lastFWaitMs]).sort((x, y) => x - y)
    if (waits.length > 0) lines.push(`coordinator's wait for the last f: ${waits.map(w => w.toFixed(0)).join(', ')} ms (${waits.length} of ${t.rounds.length} rounds)`)
    if (o.spreadMedianMs !== undefined) lines.push(`model spread (polls): median ${o.spreadMedianMs.toFixed(0)} ms, max ${o.spreadMaxMs!.toFixed(0)} ms`)
    const f = t.failover
    if (f?.notLeading !== undefined) lines.push(`no failover measured: the closed tab ${f.closedTab} was ${f.notLeading}, not leading, when it left (the polls that named it coordinator were old)`)
    if (f !== undefined) {
      lines.push(`failover: ${f.closedHow === 'crash' ? 'crashed' : 'closed'} coordinator tab ${f.closedTab} (term ${f.oldTerm}) -> version ${f.nextVersion ?? '-'} by tab ${f.newCoordinatorTab ?? '-'} ` +
        `(term ${f.newTerm ?? '-'}) held by every live honest tab after ${secs(f.failoverMs)}` +
        `${f.failoverTabClocksMs !== undefined ? ` (${secs(f.failoverTabClocksMs)} by the tabs' clocks` +
          `${f.failoverAfterLeftTabClocksMs !== undefined ? `, ${secs(f.failoverAfterLeftTabClocksMs)} after it left` : ''})` : ''}; new leader everywhere after ${secs(f.newLeaderMs)}` +
        `${f.newLeaderTabClocksMs !== undefined ? ` (${secs(f.newLeaderTabClocksMs)} by the tabs' clocks)` : ''}`)
      if (f.crashedAfterMs !== undefined) lines.push(`  the renderer died ${secs(f.crashedAfterMs)} after the crash request (the failover counts from its death)`)
      if (f.roundTabClocksMs !== undefined) lines.push(`  a round took ${secs(f.roundTabClocksMs)} (median version to version, tabs' clocks, the failover's round left out)`)
      const left = f.closedTabLeft
      if (left !== undefined) {
        lines.push(`  the closed tab on its way out: ${left.afterCloseMs === undefined ? '' : `${left.event ?? 'pagehide'} ${secs(left.afterCloseMs)} after the close request, `}` +
          `role ${left.role ?? '-'}, resign ${left.resign}${left.resign === 'prepared' ? ` (written to ${left.recipients ?? 0} peers)` : ''}` +
          (left.leave === undefined ? '' : `, leave ${left.leave}${left.leave === 'prepared' ? ` (written to ${left.leaveRecipients ?? 0} peers)` : ''}`) +
          (f.closedAfterMs === undefined ? '' : `; Chromium reported the page closed ${secs(f.closedAfterMs)} after the request`))
      }
      if (f.dropped !== undefined) lines.push(`  no live tab counted the closed tab alive after ${secs(f.dropped.ms)} (polls): ${f.dropped.byLeave} of ${f.dropped.tabs} had its leave`)
      if (f.closeLagTabClocksMs !== undefined) lines.push(`  the close came ${secs(f.closeLagTabClocksMs)} after version ${f.heldEverywhereAtClose ?? '-'} was held everywhere (tabs' clocks)`)
      if (f.takeover !== undefined) lines.push(`  the taken-over round after the close (tabs' clocks, median / last tab): ${stepsLine(f.takeover)}`)
      const p = f.takeover?.pledgesAtClose
      if (p !== undefined) {
        lines.push(`  term ${f.oldTerm + 1} promised before the close (succession pledges, ${p.tabs} tabs' last polls): ` +
          Object.entries(p.promisedTo).sort((x, y) => y[1] - x[1]).map(([to, n]) => `${to === 'none' ? 'nobody' : `to ${to}`} ${n}`).join(', ') +
          (p.successorPromisedTo === undefined ? '' : `; the new coordinator itself ${p.successorPromisedTo === 'none' ? 'to nobody' : `to ${p.successorPromisedTo}`}`))
      }
    }
    const d = t.electionDelaysMs
    if (d !== undefined) lines.push(`election message delay (tabs' clocks, median of the tabs' medians / max): ${Object.entries(d).map(([kind, x]) => `${kind} ${x.p50.toFixed(0)} / ${x.max.toFixed(0)} ms`).join(', ')}`)
    const l = t.electionLapses
    if (l !== undefined) {
      lines.push(`leases lapsed: ${l.count} over ${l.tabs} tabs (${l.regained} regained the same leader in the same term, ${l.afterStall} found after the tab stalled > 1 s); ` +
        `longest tick gap median / max ${secs(l.tickGapMaxMs.p50)} / ${secs(l.tickGapMaxMs.max)}; longest gap between a leader's Leads ${secs(l.leadGapMaxMs)}`)
    }
    const counts = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'
    // not all refusals: duplicates, stale copies and models a tab could not check (verification:unknown-round,
    // verification:missing-update; fetched once vouched for) are listed with the models that failed verification
    lines.push(`models not taken on receipt, by reason: ${counts(t.modelsRejected)}; updates rejected: ${counts(t.updatesRejected)}`)
    if (t.opensParked !== undefined) lines.push(`round announcements parked for an unconfirmed leader: ${t.opensParked}; followed under a lapsed lease: ${t.opensUnderLapsedLease ?? 0}`)
    if (t.updateWire !== undefined) {
      lines.push(`updates on the wire: ${t.updateWire.bytesPerParameter.toFixed(3)} bytes per parameter (${t.updateWire.updates} updates, ${(t.updateWire.bytes / 1e6).toFixed(1)} MB, chunk headers included)`)
    }
    lines.push(`updates published again: ${t.updatesResent} (${t.resentOnTakeover} on a takeover); copies a takeover's list of held updates spared: ${t.resendsSpared}; held back as just sent: ${t.copiesHeldBack} (${t.heldBackSent} sent after all)`)
    const uf = t.updateFetch
    if ((uf.asked ?? 0) + (uf.sweeps ?? 0) > 0) {
      lines.push(`updates asked of neighbours: ${uf.asked ?? 0} asks for models' missing ones (${uf.recovered ?? 0} recovered all, ${uf.failed ?? 0} not); ` +
        `coordinator sweeps: ${uf.sweeps ?? 0} (${uf.sweepsFruitful ?? 0} brought an update); chunks taken ${uf.chunks ?? 0}`)
    }
    if ((uf.limited ?? 0) + t.modelFetchLimited > 0) lines.push(`requests refused as past the asker's serve budget: ${uf.limited ?? 0} for updates, ${t.modelFetchLimited} for models`)
    lines.push(`quarantined tabs: ${t.quarantinedTabs.join(',') || 'none'} (honest: ${t.honestQuarantined})`)
    if (t.loss !== undefined) lines.push(`loss before local training, mean over ${t.loss.tabs} honest tabs: first ${t.loss.first.toFixed(4)}, last ${t.loss.last.toFixed(4)}`)
    if (t.roundSteps !== undefined) lines.push(`a round's steps after its base model was published (tabs' clocks, median over ${t.roundSteps.rounds} rounds of the median / last tab): ${stepsLine(t.roundSteps)}`)
    if (t.localTrainingMs !== undefined) lines.push(`local training runs (wall, as the pages saw them): median ${Math.round(t.localTrainingMs.medianMs)} ms, p90 ${Math.round(t.localTrainingMs.p90Ms)} ms, max ${Math.round(t.localTrainingMs.maxMs)} ms over ${t.localTrainingMs.runs} runs`)
    // what each tab's election and session said last: enough to tell a stalled leader from a split electorate
    if (!r.ok) {
      const tabOf = new Map(r.tabs.map(x => [x.peerId, x.tab]))
      for (const f of t.final) lines.push(`  ${formatFinalTab(f, tabOf)}`)
    }
  }
  const p = r.cpuProfile
  if (p !== undefined) {
    if ('error' in p) lines.push(`cpu profile of tab ${p.tab}: none (${p.error})`)
    else {
      const pct = (ms: number): string => `${(100 * ms / Math.max(1, p.sampledMs)).toFixed(0)}%`
      lines.push(`cpu profile of tab ${p.tab}'s main thread (${p.file}): ${secs(p.sampledMs)} sampled (wall time), idle ${pct(p.idleMs)}, native ${pct(p.programMs)}, GC ${pct(p.garbageCollectorMs)}`)
      lines.push(`  most self time: ${p.top.slice(0, 10).map(e => `${e.fn}${e.file === '' ? '' : ` (${e.file}:${e.line})`} ${(100 * e.selfShare).toFixed(1)}%`).join(', ')}`)
    }
  }
  const rejected = Object.entries(r.rejected)
  if (rejected.length > 0) lines.push(`rejected: ${rejected.map(([k, v]) => `${k} ${v}`).join(', ')}`)
  lines.push(r.ok ? 'ok' : `FAILED:\n  ${r.failures.join('\n  ')}`)
  return lines
}

/** "train 0.4 / 1.2 s, sent ..." for each step some tab recorded, in the order they happen. */
function stepsLine (steps: RoundSteps): string {
  const names = { resign: 'resign received', leader: 'new leader recognised', reopened: 're-announcement followed', opened: 'announcement followed', train: 'training started', sent: 'update sent', held: 'model held' } as const
  const parts: string[] = []
  for (const step of ['opened', 'train', 'sent', 'resign', 'leader', 'reopened', 'held'] as const) {
    const x = steps[step]
    if (x !== undefined) parts.push(`${names[step]} ${(x.medianMs / 1000).toFixed(1)} / ${(x.maxMs / 1000).toFixed(1)} s${step === 'resign' && steps.resign !== undefined ? ` (${steps.resign.tabs} tabs)` : ''}`)
  }
  if (steps.successorOpenedMs !== undefined) parts.push(`the new coordinator opened it ${(steps.successorOpenedMs / 1000).toFixed(1)} s`)
  if (steps.successorResignMs !== undefined) parts.push(`had the resign ${(steps.successorResignMs / 1000).toFixed(1)} s${steps.successorLinked === undefined ? '' : steps.successorLinked ? ' (linked to the closed tab)' : ' (not linked to the closed tab)'}`)
  const by = Object.entries(steps.recognisedBy ?? {})
  if (by.length > 0) parts.push(`recognised by ${by.map(([how, n]) => `${how} ${n}`).join(', ')}`)
  return parts.join(', ') || 'no tab recorded its steps'
}

function formatFinalTab (f: TrainingSummary['final'][number], tabOf: ReadonlyMap<string | undefined, number>): string {
  const e = f.election
  const coordinator = f.coordinator === undefined ? 'none' : `tab ${tabOf.get(f.coordinator) ?? f.coordinator.slice(-6)}`
  const parts = [`tab ${f.tab}${f.honest ? '' : ' (attacker)'}: v${f.version} ${f.state}, coordinator ${coordinator} term ${f.term}`]
  if (e !== undefined) parts.push(`election ${e.role ?? '?'} term ${e.term ?? '?'}${e.electing === undefined ? '' : ` electing ${e.electing}`}`)
  if (e !== undefined && e.excluded.length > 0) parts.push(`excludes ${e.excluded.map(x => `${x.tab === undefined ? x.peerId.slice(-6) : `tab ${x.tab}`} (${x.reason})`).join(', ')}`)
  if (f.coordinatorStalls > 0) parts.push(`stalls ${f.coordinatorStalls}`)
  const skipped = Object.entries(f.sent.skipped)
  parts.push(`trained ${f.sent.runs}, sent ${f.sent.updates}${f.sent.resent > 0 ? ` (+${f.sent.resent} resent)` : ''}${skipped.length > 0 ? `, skipped ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}${f.sent.lastError !== undefined ? ` (last error: ${f.sent.lastError})` : ''}`)
  if (f.message !== undefined) parts.push(f.message + (f.waitingFor === undefined ? '' : `; no update from ${f.waitingFor.join(', ') || 'nobody expected'}`))
  return parts.join(' | ')
}

async function main (): Promise<number> {
  let config: CliConfig
  try {
    config = parseCli(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`swarm: ${err instanceof Error ? err.message : String(err)}\nRun with --help for the options.\n`)
    return 2
  }
  if (config.help) {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  const problems = validateOptions({ ...DEFAULT_OPTIONS, ...config.options })
  if (problems.length > 0) {
    process.stderr.write(`swarm: ${problems.join('\nswarm: ')}\n`)
    return 2
  }

  const decision = decideNetns({ isRoot: process.getuid?.() === 0, marker: process.env[NETNS_ENV], disabled: config.noNetns })
  let network: SwarmOptions['network']
  if (decision.action === 'reexec') {
    const probe = probeUnshare()
    if (probe.ok) return await reexecInNetns()
    const why = `could not create a network namespace (unshare -n): ${probe.error}`
    if (!config.allowHostNetwork) {
      process.stderr.write(`swarm: ${why}\nswarm: re-run with --allow-host-network to use the host network anyway, or --no-netns.\n`)
      return 1
    }
    process.stderr.write(`swarm: ${why}; continuing on the host network (--allow-host-network)\n`)
    network = { mode: 'host', note: why }
  } else if (decision.action === 'inside') {
    network = { mode: 'netns' }
  } else {
    network = { mode: 'host', note: decision.reason }
  }

  const abort = new AbortController()
  const onSignal = (signal: string) => () => {
    process.stderr.write(`swarm: ${signal}, stopping and writing what was measured\n`)
    abort.abort()
  }
  process.once('SIGINT', onSignal('SIGINT'))
  process.once('SIGTERM', onSignal('SIGTERM'))

  const report = await runSwarm({ ...config.options, network, signal: abort.signal })
  const json = `${JSON.stringify(report, null, 2)}\n`
  if (config.jsonFile === '-') process.stdout.write(json)
  else if (config.jsonFile !== undefined) {
    writeFileSync(config.jsonFile, json)
    process.stderr.write(`report written to ${config.jsonFile}\n`)
  }
  process.stderr.write(`${summaryLines(report).join('\n')}\n`)
  return report.ok ? 0 : 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(code => { process.exit(code) }, err => {
    process.stderr.write(`swarm: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
    process.exit(1)
  })
}
