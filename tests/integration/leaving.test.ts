/**
 * A node on its way out (a closing tab) over the memory transport. It says it is leaving, so the members drop it at
 * once. And it must not tell the others it is a hidden tab, or, were its leave lost, they would grant it a hidden tab's
 * 65 s of silence before declaring it dead. The 8-tab e2e once failed this way: a closed tab stayed `alive` everywhere
 * for the rest of the run (57 s), and the tabs kept dialling it.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Simulation, until } from '../../packages/sim/src/index.ts'
import type { FedmeshNode } from '../../packages/node/src/index.ts'

describe('a node that is stopping', () => {
  const leaving = new Set<number>()
  // a tab reports document.visibilityState; from pagehide on (when the app stops its node) that is 'hidden'
  const sim = new Simulation({ heartbeatMs: 500, targetPeers: 3, beforeCreate: (index) => ({ hidden: () => leaving.has(index) }) })

  afterAll(async () => { await sim.stop() })

  it('publishes no heartbeat once libp2p has called its beforeStop, so the others declare it dead in seconds', async () => {
    const nodes = await sim.add(4)
    expect(await until(() => sim.heardAll(), 30_000)).toBeDefined()
    const leaver = nodes[3]!
    const others = nodes.slice(0, 3)
    const sent = leaver.heartbeat.counters.heartbeatsSent
    leaving.add(3)
    void leaver.heartbeat.beforeStop()
    // a heartbeat tick while another service still lingers in its own beforeStop (the election's resign)
    await leaver.heartbeat.publish()
    await new Promise(resolve => setTimeout(resolve, 500)) // the linger: what was sent reaches the others
    expect(leaver.heartbeat.counters.heartbeatsSent).toBe(sent)
    await sim.kill(leaver, 'graceful')
    for (const n of others) expect(n.heartbeat.membership.get(leaver.peerId)?.hidden).toBe(false)
    // minDeadMs is 5 s; a peer believed hidden would stay up to 65 s
    const dead = await until(() => others.every(n => n.heartbeat.membership.get(leaver.peerId)?.state === 'dead'), 20_000, 100)
    expect(dead, JSON.stringify(others.map(n => n.heartbeat.membership.get(leaver.peerId)))).toBeDefined()
  }, 90_000)
})

describe('a node that leaves', () => {
  const sim = new Simulation({ heartbeatMs: 500, targetPeers: 3 })

  afterAll(async () => { await sim.stop() })

  const views = (nodes: FedmeshNode[], peer: string): string => JSON.stringify(nodes.map(n => n.heartbeat.membership.get(peer)).map(m => m && { state: m.state, left: m.left, phi: m.phi }))

  it('is dropped by every member at once (failure detection needs 5 s of silence); if it stays, it is taken back', async () => {
    const nodes = await sim.add(5)
    expect(await until(() => sim.heardAll(), 30_000)).toBeDefined()
    await new Promise(resolve => setTimeout(resolve, 1_500)) // a few heartbeat ticks: a leave is signed and kept ready
    const [leaver, ...others] = nodes as [FedmeshNode, ...FedmeshNode[]]
    const out = leaver.leaveNow()
    expect(out).toMatchObject({ leave: 'prepared' })
    expect(out.leaveRecipients).toBeGreaterThan(0)
    expect(leaver.leaveNow().leave).toBe('none') // once per leave (a tab's beforeunload and then its pagehide)
    // `left` is set only by a leave; silence would make it dead with left false, and not within minDeadMs (5 s)
    const gone = await until(() => others.every(n => n.heartbeat.membership.get(leaver.peerId)?.left === true), 4_000, 20)
    expect(gone, views(others, leaver.peerId)).toBeDefined()
    for (const n of others) {
      expect(n.heartbeat.membership.get(leaver.peerId)?.state).toBe('dead')
      expect(n.status().counters.leavesReceived).toBeGreaterThan(0)
      expect(n.status().membership.find(m => m.peerId === leaver.peerId)).toMatchObject({ state: 'dead', left: true })
      // no longer a candidate to dial, nor counted alive by rounds and elections
      expect(n.heartbeat.membership.list().filter(m => m.state === 'alive').map(m => m.peerId)).not.toContain(leaver.peerId)
    }
    expect(leaver.status().counters.leavesSent).toBe(1)
    // it did not go (a tab whose unload was cancelled): after its quiet spell its heartbeats, numbered past the leave,
    // bring it back everywhere
    const back = await until(() => others.every(n => n.heartbeat.membership.get(leaver.peerId)?.state === 'alive'), 20_000, 100)
    expect(back, views(others, leaver.peerId)).toBeDefined()
    for (const n of others) expect(n.heartbeat.membership.get(leaver.peerId)?.left).toBe(false)
  }, 90_000)

  it('a stopped node leaves on its way down; a crashed one is found dead by silence, not by a leave', async () => {
    const nodes = sim.live()
    expect(nodes.length).toBe(5)
    const [stopped, crashed, ...others] = nodes as [FedmeshNode, FedmeshNode, ...FedmeshNode[]]
    await sim.kill(stopped, 'graceful')
    const gone = await until(() => [crashed, ...others].every(n => n.heartbeat.membership.get(stopped.peerId)?.left === true), 4_000, 20)
    expect(gone, views([crashed, ...others], stopped.peerId)).toBeDefined()
    await sim.kill(crashed, 'crash')
    const dead = await until(() => others.every(n => n.heartbeat.membership.get(crashed.peerId)?.state === 'dead'), 30_000, 100)
    expect(dead, views(others, crashed.peerId)).toBeDefined()
    for (const n of others) expect(n.heartbeat.membership.get(crashed.peerId)?.left).toBe(false)
  }, 90_000)
})
