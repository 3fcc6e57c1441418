/**
 * A node on its way out (a closing tab) over the memory transport: it must not tell the others it is a hidden tab,
 * or they would grant it a hidden tab's 65 s of silence before declaring it dead. The 8-tab e2e once failed this
 * way: a closed tab stayed `alive` everywhere for the rest of the run (57 s), and the tabs kept dialling it.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Simulation, until } from '../../packages/sim/src/index.ts'

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
    leaver.heartbeat.beforeStop()
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
