import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { runSwarm } from '../../src/harness.ts'
import type { SwarmOptions } from '../../src/options.ts'

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
const fakes: Partial<SwarmOptions> = {
  relayCommand: [process.execPath, fixture('fake-relay.mjs')],
  appCommand: [process.execPath, fixture('fake-app.mjs')],
  heartbeatMs: 300,
  staggerMs: 50,
  pollMs: 250,
  quiet: true
}

describe('runSwarm against stand-in relay and app', () => {
  const servers: Server[] = []
  afterAll(() => { for (const s of servers) s.close() })

  it('measures convergence and a steady window, and prints progress', async () => {
    const lines: string[] = []
    const profileDir = mkdtempSync(join(tmpdir(), 'swarm-profile-'))
    onTestFinished(() => { rmSync(profileDir, { recursive: true, force: true }) })
    const profileFile = join(profileDir, 'tab1.cpuprofile')
    const report = await runSwarm({ ...fakes, tabs: 4, durationS: 2, timeoutS: 120, quiet: false, log: line => { lines.push(line) }, cpuProfile: { tab: 1, afterS: 0, durationS: 1, file: profileFile } })
    expect(report.failures).toEqual([])
    expect(report.ok).toBe(true)

    expect(report.convergence?.converged).toBe(true)
    expect(report.convergence?.requiredDirectPeers).toBe(3)
    expect(report.linksAtConvergence?.directLinks).toBe(6)
    expect(report.timestamps.convergedAt).toBeGreaterThanOrEqual(report.timestamps.lastTabLoadedAt!)

    const steady = report.steady!
    expect(steady.afterConvergence).toBe(true)
    expect(steady.windowMs).toBeGreaterThanOrEqual(2000)
    expect(steady.cpu.chromium.cpuSeconds).toBeGreaterThan(0)
    expect(steady.cpu.chromium.byType?.renderer).toBeGreaterThan(0)
    expect(steady.memory!.pssBytes).toBeGreaterThan(0)
    expect(steady.memory!.pssBytes).toBeLessThanOrEqual(steady.memory!.rssBytes)
    expect(steady.memory!.byType.renderer?.processes).toBeGreaterThanOrEqual(4)
    expect(steady.memory!.openTabs).toBe(4)
    expect(steady.rates.perTab).toHaveLength(4)
    expect(steady.rates.mean!.messagesOutPerSec).toBeGreaterThan(0)
    expect(report.rejected['fake-bad']).toBeGreaterThan(0)
    expect(report.counters!.heartbeatsReceived).toBeGreaterThan(0)

    expect(report.tabs).toHaveLength(4)
    expect(new Set(report.tabs.map(t => t.peerId)).size).toBe(4) // one identity per tab: separate browser contexts
    expect(report.timeline.length).toBeGreaterThan(0)
    expect(lines.some(l => /^\[\s*\d+\.\ds\] tabs 4\/4 up \| direct links 6 \(min\/tab 3\) \| heartbeat coverage 100% \| relayed 0/.test(l))).toBe(true)
    expect(lines.some(l => /converged [\d.]+ s after the last tab loaded/.test(l))).toBe(true)
    expect(JSON.parse(JSON.stringify(report))).toEqual(report)

    // --cpu-profile: a DevTools profile of tab 1's main thread, written and summed up
    const p = report.cpuProfile
    if (p === undefined || 'error' in p) throw new Error(`no profile: ${JSON.stringify(p)}`)
    expect(p).toMatchObject({ tab: 1, file: profileFile, durationS: 1 })
    expect(p.sampledMs).toBeGreaterThan(500)
    expect(p.idleMs).toBeGreaterThan(0)
    const written = JSON.parse(readFileSync(profileFile, 'utf8')) as { nodes: unknown[], samples: unknown[] }
    expect(written.nodes.length).toBeGreaterThan(1)
    expect(written.samples.length).toBeGreaterThan(0)
    expect(lines.some(l => l.includes('profiling tab 1 for 1 s'))).toBe(true)
  })

  it('measures tab closing, a relay outage and a relay restart', async () => {
    const report = await runSwarm({
      ...fakes,
      tabs: 4,
      durationS: 0,
      timeoutS: 60,
      closeTabs: [{ atS: 3, tabs: [3] }],
      stopRelayAtS: 6,
      restartRelayAtS: 12
    })
    // Whether the stand-in mesh converged before the first close depends on machine load: not this test's business.
    expect(report.failures.filter(f => !/converge/.test(f))).toEqual([])

    const [close, stop, restart] = report.events
    if (close?.kind !== 'close-tabs') throw new Error('expected the close-tabs outcome first')
    expect(close.tabs).toEqual([3])
    expect(close.peerIds).toEqual([report.tabs[3]!.peerId])
    expect(close.allDeadMs).toBeGreaterThan(0)
    expect(close.allDeadMs!).toBeGreaterThanOrEqual(close.allSuspectMs!)
    expect(report.tabs[3]!.closedAt).toBeDefined()
    // The stand-in carries heartbeats through the relay, so coverage must fall during the outage.
    if (stop?.kind !== 'stop-relay') throw new Error('expected the stop-relay outcome second')
    expect(stop.coverage.samples).toBeGreaterThan(0)
    expect(stop.coverage.min).toBeLessThan(0.5)
    expect(stop.allDisconnectedMs).toBeDefined()
    if (restart?.kind !== 'restart-relay') throw new Error('expected the restart-relay outcome third')
    expect(restart.allRebootstrappedMs).toBeDefined()
    expect(restart.allRebootstrappedAfterListeningMs).toBeLessThanOrEqual(restart.allRebootstrappedMs!)
    expect(report.relay?.starts).toBe(2)
    expect(report.tabs.filter(t => t.closedAt === undefined).every(t => (t.relay?.bootstraps ?? 0) >= 2)).toBe(true)
  })

  it('fails, naming why, when the page never exposes window.fedmesh', async () => {
    const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<p>no fedmesh here</p>') })
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const report = await runSwarm({ ...fakes, tabs: 2, durationS: 0, timeoutS: 2, appUrl: `http://127.0.0.1:${port}/` })
    expect(report.ok).toBe(false)
    expect(report.convergence?.converged).toBe(false)
    expect(report.failures).toContain('tab 0 never answered window.fedmesh.status()')
    expect(report.failures.some(f => f.startsWith('did not converge within 2 s'))).toBe(true)
    expect(report.app?.tabUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?relay=%2Fip4%2F127\\.0\\.0\\.1%2Ftcp%2F\\d+%2Fws%2Fp2p%2F\\w+&heartbeatMs=300$`))
  })
})
