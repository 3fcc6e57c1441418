/**
 * Browser end-to-end: 8 real Chromium tabs, the real relay process, real WebRTC on loopback, through the swarm CLI.
 * One run covers convergence, closing tabs and a relay outage; assertions read the JSON report.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runSwarmCli } from '../support/swarm-cli.ts'
import type { SwarmReport } from '@fedmesh/swarm'

type Outcome = SwarmReport['events'][number]
function event<K extends Outcome['kind']> (report: SwarmReport, kind: K): Extract<Outcome, { kind: K }> {
  const found = report.events.find((e): e is Extract<Outcome, { kind: K }> => e.kind === kind)
  if (found == null) throw new Error(`no ${kind} event in the report: ${JSON.stringify(report.events)}`)
  return found
}

const TABS = 8
// events are timed from the last tab loading; generous so a slow CI machine converges first
const CLOSE_AT = 60
const STOP_RELAY_AT = 80
const RESTART_RELAY_AT = 100

describe(`swarm of ${TABS} tabs`, () => {
  let report: SwarmReport
  let output: string
  let code: number | null

  beforeAll(async () => {
    ({ report, output, code } = await runSwarmCli(['--tabs', String(TABS), '--duration', '5', '--timeout', String(CLOSE_AT - 2),
      '--close-tabs', `${CLOSE_AT}:6,7`, '--stop-relay', String(STOP_RELAY_AT), '--restart-relay', String(RESTART_RELAY_AT)]))
  }, 600_000)

  it('converges: every tab has >= 3 direct WebRTC peers and hears heartbeats from all others', () => {
    expect(report.failures, output.slice(-3000)).toEqual([])
    expect(code).toBe(0)
    expect(report.ok).toBe(true)
    expect(report.convergence?.converged).toBe(true)
    const links = report.linksAtConvergence!
    expect(links.minDirectPerTab).toBeGreaterThanOrEqual(3)
    // bounded, never a full mesh's worth of dialling: no tab above maxPeers (9)
    expect(links.maxDirectPerTab).toBeLessThanOrEqual(9)
    expect(links.heartbeatCoverage).toBe(1)
  })

  it('keeps traffic on loopback inside a namespace when run as root', () => {
    if (process.getuid?.() !== 0) return
    expect(report.machine.network.mode).toBe('netns')
    expect(report.machine.network.interfaces).toEqual(['lo'])
  })

  it('marks closed tabs dead on every remaining tab', () => {
    const closed = event(report, 'close-tabs')
    expect(closed.allDeadMs).toBeGreaterThan(0)
    // phi-accrual with 1 s heartbeats: dead within ~10 s, not the old 30 s timeout
    expect(closed.allDeadMs).toBeLessThan(15_000)
  })

  it('keeps 100 % heartbeat coverage over direct links while the relay is down, then re-bootstraps', () => {
    const stop = event(report, 'stop-relay')
    expect(stop.allDisconnectedMs).toBeGreaterThanOrEqual(0)
    // with the relay gone only direct WebRTC links exist: coverage proves gossip rides them alone
    expect(stop.coverage.samples).toBeGreaterThan(5)
    expect(stop.coverage.min).toBe(1)
    const restart = event(report, 'restart-relay')
    expect(restart.allRebootstrappedMs).toBeGreaterThan(0)
  })

  it('drops nothing as invalid between honest tabs', () => {
    expect(report.rejected).toEqual({})
  })
})
