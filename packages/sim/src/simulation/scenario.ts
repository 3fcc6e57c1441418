/**
 * A scripted simulation run: start N nodes, wait until every node hears every other and all agree on one leader,
 * inject faults (kill the leader, partition a minority), and measure what happened. The report is plain JSON.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Simulation, sleep, until } from './simulation.ts'
import { shareSignatureChecks } from './shared-verification.ts'
import type { KillMode, SimulationOptions } from './simulation.ts'
import type { FedmeshNode } from '@fedmesh/node'

export interface ScenarioOptions extends SimulationOptions {
  nodes: number
  /** Seconds to keep running after the last fault settled (steady-state window for rates); default 10. */
  durationS?: number
  /** Give up waiting for convergence / agreement after this many seconds; default 180. */
  timeoutS?: number
  /** Kill the current leader this many times, one after another (each after agreement); default 0. */
  killLeader?: number
  killMode?: KillMode
  /** Cut this many nodes (the leader among them) off for `partitionS` seconds, then heal; default 0 (no partition). */
  partitionSize?: number
  partitionS?: number
  /** Nodes start in batches of this size, `batchPauseMs` apart, so start-up work does not pile up; default 10 / 250. */
  batchSize?: number
  batchPauseMs?: number
  /**
   * Convergence: every node has heard every other, and at least this fraction of (node, peer) pairs is `alive` at
   * one moment; default 1. Large simulations on a loaded machine keep a few pairs briefly suspect at any instant.
   */
  minCoverage?: number
  /** Memoise signature checks across the process (see shared-verification.ts); default true. */
  shareSignatures?: boolean
  progress?: (line: string) => void
}

export interface FailoverRecord {
  mode: KillMode
  killed: string
  oldTerm: number
  /** ms from the kill until every surviving node recognised the same new leader (undefined: not within the timeout). */
  failoverMs?: number
  newLeader?: string
  newTerm?: number
}

export interface ScenarioReport {
  ok: boolean
  nodes: number
  heartbeatMs: number
  startedInMs: number
  /** ms after the last node started until every node hears every other (coverage 1). */
  coverageMs?: number
  /** ms after the last node started until all agree on one leader that leads. */
  firstLeaderMs?: number
  firstLeader?: { leader: string, term: number }
  failovers: FailoverRecord[]
  partition?: { size: number, cutMs: number, majorityLeader?: { leader: string, term: number }, healedAgreementMs?: number, leaderAfterHeal?: { leader: string, term: number } }
  /** Nodes that ever led at the same time as another in the same term (should be 0). */
  sameTermLeaders: number
  final: { coverage: number, leaders: number, agreed?: { leader: string, term: number } }
  steady: { seconds: number, cpuCores: number, eventLoopLagP99Ms: number, rssMiB: number, electionMsgsInPerNodePerS: number, heartbeatsInPerNodePerS: number }
  rejected: Record<string, number>
  errors: string[]
}

export async function runScenario (options: ScenarioOptions): Promise<ScenarioReport> {
  const log = options.progress ?? (() => {})
  const timeoutMs = (options.timeoutS ?? 180) * 1000
  if (options.shareSignatures !== false) await shareSignatureChecks()
  const sim = new Simulation(options)
  const errors: string[] = []
  const leadersByTerm = new Map<number, Set<string>>()
  const watch = setInterval(() => {
    for (const n of sim.leaders()) {
      const term = n.election.leaderTerm()
      if (term === undefined) continue
      let set = leadersByTerm.get(term)
      if (set === undefined) leadersByTerm.set(term, set = new Set())
      set.add(n.peerId)
    }
  }, 100)
  const report: ScenarioReport = {
    ok: false,
    nodes: options.nodes,
    heartbeatMs: options.heartbeatMs ?? 1000,
    startedInMs: 0,
    failovers: [],
    sameTermLeaders: 0,
    final: { coverage: 0, leaders: 0 },
    steady: { seconds: 0, cpuCores: 0, eventLoopLagP99Ms: 0, rssMiB: 0, electionMsgsInPerNodePerS: 0, heartbeatsInPerNodePerS: 0 },
    rejected: {},
    errors
  }
  try {
    const t0 = Date.now()
    const batch = options.batchSize ?? 10
    for (let started = 0; started < options.nodes; started += batch) {
      await sim.add(Math.min(batch, options.nodes - started))
      log(`started ${sim.nodes.length}/${options.nodes} nodes`)
      if (started + batch < options.nodes) await sleep(options.batchPauseMs ?? 250)
    }
    report.startedInMs = Date.now() - t0
    const t1 = Date.now()
    const progress = setInterval(() => {
      const a = sim.agreedLeader()
      log(`t=${((Date.now() - t1) / 1000).toFixed(0)}s coverage ${(sim.coverage() * 100).toFixed(1)}% leaders ${sim.leaders().length} agreed ${a === undefined ? '-' : `${a.leader.slice(-6)}@${a.term}`}`)
    }, 5000)
    try {
      const minCoverage = options.minCoverage ?? 1
      report.coverageMs = await until(() => sim.heardAll() && sim.coverage() >= minCoverage, timeoutMs, 200)
      if (report.coverageMs === undefined) throw new Error(`heartbeat coverage stayed at ${(sim.coverage() * 100).toFixed(1)}%`)
      const leaderAt = await until(() => sim.agreedLeader() !== undefined, timeoutMs, 50)
      if (leaderAt === undefined) throw new Error('no leader agreed by every node')
      report.firstLeaderMs = Date.now() - t1
      report.firstLeader = sim.agreedLeader()

      for (let k = 0; k < (options.killLeader ?? 0); k++) {
        const agreed = await waitAgreed(sim, timeoutMs)
        const victim = sim.byId(agreed.leader) as FedmeshNode
        const mode = options.killMode ?? 'crash'
        const record: FailoverRecord = { mode, killed: agreed.leader, oldTerm: agreed.term }
        const killedAt = Date.now()
        await sim.kill(victim, mode)
        const took = await until(() => { const a = sim.agreedLeader(); return a !== undefined && a.term > agreed.term }, timeoutMs, 20)
        if (took !== undefined) {
          record.failoverMs = Date.now() - killedAt
          const a = sim.agreedLeader()
          if (a !== undefined) { record.newLeader = a.leader; record.newTerm = a.term }
        } else {
          errors.push(`failover ${k + 1}: no new leader agreed within ${timeoutMs / 1000} s`)
        }
        report.failovers.push(record)
        log(`failover ${k + 1} (${mode}): ${record.failoverMs ?? 'none'} ms, term ${agreed.term} -> ${record.newTerm ?? '?'}`)
      }

      if ((options.partitionSize ?? 0) > 0) {
        const agreed = await waitAgreed(sim, timeoutMs)
        const leader = sim.byId(agreed.leader) as FedmeshNode
        const others = sim.live().filter(n => n !== leader)
        const minority = [leader, ...others.slice(0, (options.partitionSize ?? 1) - 1)]
        const majority = sim.live().filter(n => !minority.includes(n))
        const cutAt = Date.now()
        await sim.partition([minority])
        const majorityAgreed = await until(() => { const a = sim.agreedLeader(majority); return a !== undefined && a.term > agreed.term }, timeoutMs, 50)
        const part: NonNullable<ScenarioReport['partition']> = { size: minority.length, cutMs: (options.partitionS ?? 10) * 1000 }
        const ma = sim.agreedLeader(majority)
        if (majorityAgreed !== undefined && ma !== undefined) part.majorityLeader = ma
        else errors.push('partition: the majority did not elect a new leader')
        await sleep(Math.max(0, cutAt + part.cutMs - Date.now()))
        sim.heal()
        const healAt = Date.now()
        const healed = await until(() => sim.agreedLeader() !== undefined && sim.heardAll() && sim.coverage() >= (options.minCoverage ?? 1), timeoutMs, 100)
        if (healed !== undefined) {
          part.healedAgreementMs = Date.now() - healAt
          const la = sim.agreedLeader()
          if (la !== undefined) part.leaderAfterHeal = la
        } else {
          errors.push('partition: no single leader agreed by all after healing')
        }
        report.partition = part
        log(`partition of ${minority.length}: majority leader ${ma?.term ?? '-'}, after heal ${part.healedAgreementMs ?? 'none'} ms`)
      }

      // steady state: resource use and message rates over a quiet window
      const seconds = options.durationS ?? 10
      const lag = monitorEventLoopDelay({ resolution: 20 })
      lag.enable()
      const cpu0 = process.cpuUsage()
      const live = sim.live()
      const before = live.map(n => ({ e: n.election.status().counters.messagesIn, h: n.heartbeat.counters.heartbeatsReceived }))
      const w0 = Date.now()
      await sleep(seconds * 1000)
      const wall = (Date.now() - w0) / 1000
      const cpu = process.cpuUsage(cpu0)
      lag.disable()
      const after = live.map(n => ({ e: n.election.status().counters.messagesIn, h: n.heartbeat.counters.heartbeatsReceived }))
      const sum = (k: 'e' | 'h'): number => after.reduce((s, a, i) => s + a[k] - (before[i]?.[k] ?? 0), 0)
      report.steady = {
        seconds: Math.round(wall * 10) / 10,
        cpuCores: round((cpu.user + cpu.system) / 1e6 / wall),
        eventLoopLagP99Ms: round(lag.percentile(99) / 1e6),
        rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
        electionMsgsInPerNodePerS: round(sum('e') / live.length / wall),
        heartbeatsInPerNodePerS: round(sum('h') / live.length / wall)
      }
    } finally {
      clearInterval(progress)
    }
  } catch (err: any) {
    errors.push(err?.message ?? String(err))
  } finally {
    clearInterval(watch)
    report.sameTermLeaders = [...leadersByTerm.values()].filter(s => s.size > 1).length
    // the final view once every node names the same leader again: at 100 nodes on 2 cores one node's Leads can
    // stall past its lease for a moment, and a single sample would report that blink rather than the outcome
    await until(() => sim.agreedLeader() !== undefined, 30_000, 100)
    const agreed = sim.agreedLeader()
    report.final = { coverage: round(sim.coverage()), leaders: sim.leaders().length, ...(agreed !== undefined ? { agreed } : {}) }
    for (const s of sim.statuses()) {
      for (const [reason, n] of Object.entries(s.rejected)) report.rejected[`heartbeat:${reason}`] = (report.rejected[`heartbeat:${reason}`] ?? 0) + n
      for (const [reason, n] of Object.entries(s.election?.rejected ?? {})) report.rejected[`election:${reason}`] = (report.rejected[`election:${reason}`] ?? 0) + n
    }
    await sim.stop()
  }
  report.ok = errors.length === 0 && report.sameTermLeaders === 0
  return report
}

async function waitAgreed (sim: Simulation, timeoutMs: number): Promise<{ leader: string, term: number }> {
  let agreed: { leader: string, term: number } | undefined
  const ok = await until(() => (agreed = sim.agreedLeader()) !== undefined, timeoutMs, 50)
  if (ok === undefined || agreed === undefined) throw new Error('no leader agreed by every node')
  return agreed
}

function round (x: number): number { return Math.round(x * 100) / 100 }
