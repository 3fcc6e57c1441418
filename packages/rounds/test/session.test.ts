import { describe, expect, it } from 'vitest'
import { honest, Sim } from './helpers.ts'

const D = 16
const mean = Float32Array.from({ length: D }, (_, i) => 0.01 * ((i % 5) - 2))

describe('RoundSession on an in-memory network', () => {
  it('runs rounds: open, train, close when all reported, verify everywhere', () => {
    const sim = new Sim({ nodes: 6, d: D, seed: 1, behaviours: () => honest(mean, 0.005, 0.002, 1), config: { aggregator: { rule: 'krum', f: 1 }, minParticipants: 5, maxRounds: 4 } })
    sim.membership()
    sim.elect(1, 0)
    sim.tick(10)
    // every round closes as soon as all six report (no deadline needed), and every node verifies it
    for (let i = 0; i < 3; i++) sim.tick(10)
    const versions = sim.sessions.map(s => s.model.version)
    expect(new Set(versions).size).toBe(1)
    expect(versions[0]).toBe(4)
    const digests = new Set(sim.sessions.map(s => s.model.digest))
    expect(digests.size).toBe(1)
    expect(sim.eventsOf('model-rejected')).toHaveLength(0)
    const accepted = sim.eventsOf('model-accepted', 3)
    expect(accepted.every(e => e.verified && e.included.length === 6 && e.selected.length === 1)).toBe(true)
    expect(sim.sessions[0]?.status().role).toBe('coordinator')
  })
})
