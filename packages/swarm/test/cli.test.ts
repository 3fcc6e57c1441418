import { describe, expect, it } from 'vitest'
import { parseCli, parseCloseTabs, parseUrlParam, summaryLines, UsageError } from '../src/cli.ts'
import type { SwarmReport } from '../src/harness.ts'
import { DEFAULT_OPTIONS, tabUrl, validateOptions } from '../src/options.ts'

describe('parseCli', () => {
  it('maps every option onto SwarmOptions', () => {
    const c = parseCli([
      '--tabs', '8', '--duration', '30', '--settle', '2', '--timeout', '90', '--json', 'out.json', '--heartbeat-ms', '500',
      '--target-peers', '4', '--close-tabs', '20:3,4', '--close-tabs', '25.5:5', '--stop-relay', '30', '--restart-relay', '40',
      '--stagger-ms', '0', '--poll-ms', '250', '--relay-port', '9090', '--app-port', '0', '--chromium', '/opt/chrome',
      '--url-param', 'ice=stun:x', '--url-param', 'a=b=c', '--relay-command', 'node fake.mjs', '--quiet', '--no-netns'
    ])
    expect(c.jsonFile).toBe('out.json')
    expect(c.noNetns).toBe(true)
    expect(c.allowHostNetwork).toBe(false)
    expect(c.options).toEqual({
      tabs: 8, durationS: 30, settleS: 2, timeoutS: 90, heartbeatMs: 500, targetPeers: 4,
      closeTabs: [{ atS: 20, tabs: [3, 4] }, { atS: 25.5, tabs: [5] }], stopRelayAtS: 30, restartRelayAtS: 40,
      staggerMs: 0, pollMs: 250, relayPort: 9090, appPort: 0, chromiumPath: '/opt/chrome',
      urlParams: [['ice', 'stun:x'], ['a', 'b=c']], relayCommand: ['node', 'fake.mjs'], quiet: true, verbose: false
    })
  })

  it('--cpu-profile names the tab; when, how long and where default to 5 s after convergence, 20 s, swarm-tab<N>.cpuprofile', () => {
    expect(parseCli(['--cpu-profile', '3']).options.cpuProfile).toEqual({ tab: 3, afterS: 5, durationS: 20, file: 'swarm-tab3.cpuprofile' })
    expect(parseCli(['--cpu-profile', '0', '--cpu-profile-after', '0', '--cpu-profile-s', '2.5', '--cpu-profile-out', '/tmp/p.cpuprofile']).options.cpuProfile)
      .toEqual({ tab: 0, afterS: 0, durationS: 2.5, file: '/tmp/p.cpuprofile' })
    expect(() => parseCli(['--cpu-profile-s', '5'])).toThrow(/need --cpu-profile TAB/)
    expect(validateOptions({ ...DEFAULT_OPTIONS, tabs: 2, cpuProfile: { tab: 2, afterS: -1, durationS: 0, file: 'x' } })).toEqual([
      '--cpu-profile: tab 2 does not exist (tabs are 0..1)', '--cpu-profile-s must be > 0 seconds, got 0', '--cpu-profile-after must be >= 0 seconds, got -1'
    ])
  })

  it('--chromium-arg passes Chromium switches through, in order, and refuses what is not a switch', () => {
    expect(parseCli(['--chromium-arg=--renderer-process-limit=2', '--chromium-arg=--disable-features=A,B']).options.chromiumArgs)
      .toEqual(['--renderer-process-limit=2', '--disable-features=A,B'])
    expect(() => parseCli(['--chromium-arg=renderer-process-limit'])).toThrow(/--chromium-arg needs a switch like --name/)
    expect(() => parseCli(['--chromium-arg=--'])).toThrow(/--chromium-arg needs a switch/)
  })

  it('leaves unset options to the defaults', () => {
    expect(parseCli([]).options).toEqual({ quiet: false, verbose: false })
  })

  it('rejects bad values with the option named', () => {
    expect(() => parseCli(['--tabs', 'many'])).toThrow(new UsageError('--tabs needs a number, got "many"'))
    expect(() => parseCli(['extra'])).toThrow(/unexpected argument "extra"/)
    expect(() => parseCli(['--bogus'])).toThrow(/bogus/)
    expect(() => parseCloseTabs('3,4')).toThrow(/--close-tabs needs T:i,j/)
    expect(() => parseUrlParam('=x')).toThrow(/--url-param needs k=v/)
  })
})

describe('validateOptions', () => {
  const ok = { ...DEFAULT_OPTIONS, tabs: 4 }
  it('accepts the defaults', () => {
    expect(validateOptions(DEFAULT_OPTIONS)).toEqual([])
  })
  it('names each impossible setting', () => {
    expect(validateOptions({ ...ok, tabs: 0 })).toEqual(['--tabs must be an integer >= 1, got 0'])
    expect(validateOptions({ ...ok, relayPort: 70000 })).toEqual(['--relay-port must be at most 65535, got 70000'])
    expect(validateOptions({ ...ok, closeTabs: [{ atS: 5, tabs: [4] }] })).toEqual(['--close-tabs: tab 4 does not exist (tabs are 0..3)'])
    expect(validateOptions({ ...ok, closeTabs: [{ atS: 5, tabs: [1] }, { atS: 6, tabs: [1] }] })).toEqual(['--close-tabs: tab 1 is closed twice'])
    expect(validateOptions({ ...ok, closeTabs: [{ atS: 5, tabs: [0, 1, 2, 3] }] })).toEqual(['--close-tabs would close every tab: keep at least one open'])
    expect(validateOptions({ ...ok, stopRelayAtS: 10, restartRelayAtS: 5 })).toEqual(['--restart-relay (5 s) must not come before --stop-relay (10 s)'])
    expect(validateOptions({ ...ok, timeoutS: 0, durationS: -1 })).toHaveLength(2)
  })
})

describe('tabUrl', () => {
  it('adds relay, heartbeat and target parameters, and lets --url-param override them', () => {
    const url = new URL(tabUrl('http://127.0.0.1:8080/?x=1', '/ip4/127.0.0.1/tcp/9/ws/p2p/R', { heartbeatMs: 500, targetPeers: 4, urlParams: [['heartbeatMs', '250'], ['ice', 'stun:s']] }))
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:8080/')
    expect(Object.fromEntries(url.searchParams)).toEqual({ x: '1', relay: '/ip4/127.0.0.1/tcp/9/ws/p2p/R', heartbeatMs: '250', targetPeers: '4', ice: 'stun:s' })
    expect(new URL(tabUrl('http://h/', undefined, { heartbeatMs: 1000, urlParams: [] })).search).toBe('?heartbeatMs=1000')
  })
})

describe('summaryLines', () => {
  it('sums up a run for a person and lists failures', () => {
    const report = {
      ok: false,
      failures: ['did not converge within 60 s of the last tab loading (…)'],
      convergence: { converged: false, requiredDirectPeers: 3, firstDirectLinkMs: 1200 },
      linksAtEnd: { at: 0, directLinks: 10, relayedLinks: 2, minDirectPerTab: 2, maxDirectPerTab: 4, meanDirectPerTab: 3, heartbeatCoverage: 0.875 },
      events: [{ kind: 'close-tabs', at: 0, tabs: [3], peerIds: ['p3'], allSuspectMs: 2500, allDeadMs: 6000 }],
      rejected: { 'bad-signature': 2 }
    } as unknown as SwarmReport
    expect(summaryLines(report)).toEqual([
      'converged: no',
      'first direct link 1.2 s, first heartbeat never after the last tab loaded',
      'links at end: direct 10 (per tab 2..4), relayed 2, heartbeat coverage 87%',
      'closed tabs 3: all suspect after 2.5 s, all dead after 6.0 s',
      'rejected: bad-signature 2',
      'FAILED:\n  did not converge within 60 s of the last tab loading (…)'
    ])
  })
  it('after a failed training run, says what each tab\'s election and session said last', () => {
    const final = [
      { tab: 0, honest: true, version: 2, verifiedModel: true, catchUps: 0, state: 'waiting', term: 8, coordinatorStalls: 1, sent: { runs: 3, updates: 2, resent: 4, skipped: { 'no-data': 1, 'submit-error': 1 }, lastError: 'own update refused: norm: 120 > 100' }, election: { role: 'follower', term: 9, electing: 12, excluded: [{ tab: 8, peerId: 'p8', reason: 'no progress for 60 s at v2' }] } },
      { tab: 8, honest: false, version: 2, verifiedModel: true, catchUps: 0, state: 'waiting', term: 8, coordinator: 'p8', coordinatorStalls: 0, sent: { runs: 2, updates: 2, resent: 0, skipped: {} }, message: 'round 3 extended (aggregation-precondition): …', waitingFor: ['tab 4', 'tab 6'], election: { role: 'leader', term: 8, excluded: [] } }
    ]
    const report = {
      ok: false,
      failures: ['training: live honest tabs reached version 2 of 6'],
      convergence: { converged: true, convergedMs: 1000, requiredDirectPeers: 3 },
      tabs: [{ tab: 0, peerId: 'p0' }, { tab: 8, peerId: 'p8' }],
      events: [],
      rejected: {},
      training: {
        rounds: [], overhead: { rounds: 0, sentToHeld: { rounds: 4, medianMs: 2400, maxMs: 5100, toCoordinatorMedianMs: 900, toMedianTabMedianMs: 1700, lastInputToCloseMedianMs: 300, aggregateMedianMs: 80, lastUpdateInMedianMs: { coordinator: 1200, medianTab: 900, lastTab: 2100 } } }, modelsRejected: {}, updatesRejected: {}, updateFetch: { asked: 3, recovered: 2, failed: 1, sweeps: 2, sweepsFruitful: 1, chunks: 9, limited: 4 }, modelFetchLimited: 1, updatesResent: 4, resentOnTakeover: 1, resendsSpared: 7, copiesHeldBack: 5, heldBackSent: 1, updateWire: { updates: 40, bytes: 1_040_000, parameters: 2_000_000, bytesPerParameter: 0.52 }, attackers: [], quarantinedTabs: [], honestQuarantined: 0,
        final, honestAgreement: { tabs: 1, versions: [2], sameVersion: true, sameModel: true, allVerified: true, verified: 1, caughtUp: 0 }, reachedVersion: 2, targetRounds: 6,
        electionLapses: { tabs: 2, count: 5, regained: 4, afterStall: 3, tickGapMaxMs: { p50: 1200, max: 4000 }, leadGapMaxMs: 2600 },
        failover: {
          closedTab: 0, closedPeer: 'p0', foundBy: 'training', atS: 1, oldTerm: 1, versionAtClose: 1, nextVersion: 2, newCoordinatorTab: 8, newTerm: 2, failoverMs: 3000, newLeaderMs: 1000,
          takeover: { tabs: 1, resign: { tabs: 1, medianMs: 400, maxMs: 400 }, leader: { medianMs: 500, maxMs: 500 }, reopened: { medianMs: 2500, maxMs: 2500 }, successorOpenedMs: 2100, successorResignMs: 1900, successorLinked: false, held: { medianMs: 2900, maxMs: 2900 }, pledgesAtClose: { tabs: 5, promisedTo: { 'tab 8': 3, none: 1, 'tab 4': 1 }, successorPromisedTo: 'tab 4' } }
        }
      }
    } as unknown as SwarmReport
    const lines = summaryLines(report)
    expect(lines).toContain('  tab 0: v2 waiting, coordinator none term 8 | election follower term 9 electing 12 | excludes tab 8 (no progress for 60 s at v2) | stalls 1 | trained 3, sent 2 (+4 resent), skipped no-data 1, submit-error 1 (last error: own update refused: norm: 120 > 100)')
    expect(lines).toContain('updates on the wire: 0.520 bytes per parameter (40 updates, 1.0 MB, chunk headers included)')
    // a successor that had promised its own term to another member (it cannot claim that term)
    expect(lines).toContain('  term 2 promised before the close (succession pledges, 5 tabs\' last polls): to tab 8 3, nobody 1, to tab 4 1; the new coordinator itself to tab 4')
    expect(lines).toContain('updates published again: 4 (1 on a takeover); copies a takeover\'s list of held updates spared: 7; held back as just sent: 5 (1 sent after all)')
    // the new coordinator's own opening of the round, between the others' recognition of it and its re-announcement
    expect(lines).toContain('  the taken-over round after the close (tabs\' clocks, median / last tab): resign received 0.4 / 0.4 s (1 tabs), new leader recognised 0.5 / 0.5 s, re-announcement followed 2.5 / 2.5 s, model held 2.9 / 2.9 s, the new coordinator opened it 2.1 s, had the resign 1.9 s (not linked to the closed tab)')
    expect(lines).toContain('round overhead, last update sent -> every live honest tab holds the model (tabs\' clocks, no takeover): median 2400 ms, max 5100 ms over 4 rounds; medians: coordinator\'s model out after 900 ms (of which last input received -> close 300 ms, aggregation 80 ms), median tab holds it after 1700 ms')
    expect(lines).toContain('  the last update complete, after it was sent (medians): at the coordinator 1200 ms, median tab 900 ms, last tab 2100 ms')
    expect(lines).toContain('leases lapsed: 5 over 2 tabs (4 regained the same leader in the same term, 3 found after the tab stalled > 1 s); longest tick gap median / max 1.2 s / 4.0 s; longest gap between a leader\'s Leads 2.6 s')
    expect(lines).toContain('updates asked of neighbours: 3 asks for models\' missing ones (2 recovered all, 1 not); coordinator sweeps: 2 (1 brought an update); chunks taken 9')
    expect(lines).toContain('requests refused as past the asker\'s serve budget: 4 for updates, 1 for models')
    expect(lines).toContain('  tab 8 (attacker): v2 waiting, coordinator tab 8 term 8 | election leader term 8 | trained 2, sent 2 | round 3 extended (aggregation-precondition): …; no update from tab 4, tab 6')
    // not after a run that passed
    expect(summaryLines({ ...report, ok: true, failures: [] }).some(l => l.startsWith('  tab '))).toBe(false)
    // a closed tab that no longer led: said first, so nobody reads the line after it as a failover
    expect(lines.some(l => l.startsWith('no failover measured'))).toBe(false)
    const stale = { ...report, training: { ...report.training!, failover: { ...report.training!.failover!, notLeading: 'follower' } } } as SwarmReport
    const staleLines = summaryLines(stale)
    expect(staleLines[staleLines.findIndex(l => l.startsWith('failover:')) - 1]).toBe('no failover measured: the closed tab 0 was follower, not leading, when it left (the polls that named it coordinator were old)')
  })
})
