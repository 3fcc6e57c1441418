import { describe, expect, it } from 'vitest'
import { ConfigError, configFromSearchParams, DEFAULT_LOCAL_STEPS, resolveConfig } from '../src/config.ts'

const fromUrl = (query: string) => resolveConfig(configFromSearchParams(new URLSearchParams(query)))

describe('learning configuration', () => {
  it('defaults to link-health learning, honest', () => {
    const c = resolveConfig()
    expect(c.task).toBe('link-health')
    expect(c.learn).toBe(true)
    expect(c.attack).toBe('none')
    expect(c.learnEveryMs).toBe(15_000)
    expect(c.trainAfterModelMs).toBe(0)
    expect(c.takeoverLastFWaitMs).toBe(250)
    expect(c.localSteps).toBe(DEFAULT_LOCAL_STEPS)
  })

  it('reads task, learn, learnEveryMs and attack from URL parameters', () => {
    const c = fromUrl('task=mnist&learn=0&learnEveryMs=2000&attack=label-flip')
    expect(c).toMatchObject({ task: 'mnist', learn: false, learnEveryMs: 2000, attack: 'label-flip' })
    expect(fromUrl('learn=1').learn).toBe(true)
    expect(fromUrl('attack=alie').attack).toBe('alie')
    expect(fromUrl('trainAfterModelMs=1000').trainAfterModelMs).toBe(1000)
    expect(fromUrl('trainAfterModelMs=0').trainAfterModelMs).toBe(0)
    expect(fromUrl('takeoverLastFWaitMs=6000').takeoverLastFWaitMs).toBe(6000)
    expect(fromUrl('takeoverLastFWaitMs=0').takeoverLastFWaitMs).toBe(0)
    expect(fromUrl('localSteps=8').localSteps).toBe(8)
    expect(fromUrl('localSteps=0').localSteps).toBe(0)
  })

  it('names the valid values when a value is unknown', () => {
    expect(() => fromUrl('task=cifar')).toThrow(ConfigError)
    expect(() => fromUrl('task=cifar')).toThrow("unknown task 'cifar'; expected one of link-health, mnist")
    expect(() => fromUrl('attack=evil')).toThrow("unknown attack 'evil'; expected one of none, sign-flip, gaussian, alie, ipm, label-flip, nan, inf, garbage, oversized, deflate-bomb, lying-coordinator, hidden-input-coordinator, stalling-coordinator")
    expect(() => fromUrl('learn=maybe')).toThrow("learn must be 0 or 1 (or true/false), got 'maybe'")
    expect(() => fromUrl('learnEveryMs=-5')).toThrow('learnEveryMs must be a positive number, got -5')
    expect(() => fromUrl('trainAfterModelMs=-1')).toThrow('trainAfterModelMs must be an integer >= 0, got -1')
    expect(() => fromUrl('takeoverLastFWaitMs=0.5')).toThrow('takeoverLastFWaitMs must be an integer >= 0, got 0.5')
    expect(() => fromUrl('localSteps=2.5')).toThrow('localSteps must be an integer >= 0, got 2.5')
    expect(() => fromUrl('attack=label-flip')).toThrow('attack \'label-flip\' flips digit labels: it needs task=mnist, got task=link-health')
  })
})

describe('gossip configuration', () => {
  it('says it is leaving unless leaves=0', () => {
    expect(resolveConfig().leaves).toBe(true)
    expect(fromUrl('leaves=0').leaves).toBe(false)
    expect(() => fromUrl('leaves=2')).toThrow("leaves must be 0 or 1 (or true/false), got '2'")
  })

  it('pledges succession votes unless pledges=0', () => {
    expect(resolveConfig().pledges).toBe(true)
    expect(fromUrl('pledges=0').pledges).toBe(false)
    expect(() => fromUrl('pledges=maybe')).toThrow("pledges must be 0 or 1 (or true/false), got 'maybe'")
  })

  it('deflates updates on the wire unless compressUpdates=0', () => {
    expect(resolveConfig().compressUpdates).toBe(true)
    expect(fromUrl('compressUpdates=0').compressUpdates).toBe(false)
    expect(() => fromUrl('compressUpdates=2')).toThrow("compressUpdates must be 0 or 1 (or true/false), got '2'")
    expect(() => resolveConfig({ compressUpdates: 1 as unknown as boolean })).toThrow('compressUpdates must be true or false, got 1')
  })

  it('floods the leader\'s Leads and the coordinator\'s model-topic messages to every neighbour unless leaderFlood=0', () => {
    expect(resolveConfig().leaderFlood).toBe(true)
    expect(fromUrl('leaderFlood=0').leaderFlood).toBe(false)
    expect(() => fromUrl('leaderFlood=maybe')).toThrow("leaderFlood must be 0 or 1 (or true/false), got 'maybe'")
    expect(() => resolveConfig({ leaderFlood: 'yes' as unknown as boolean })).toThrow('leaderFlood must be true or false, got yes')
  })

  it('links every node to the coordinator and its successor only with leaderLinks=1', () => {
    expect(resolveConfig().leaderLinks).toBe(false)
    expect(fromUrl('leaderLinks=1').leaderLinks).toBe(true)
    expect(() => fromUrl('leaderLinks=all')).toThrow("leaderLinks must be 0 or 1 (or true/false), got 'all'")
    expect(() => resolveConfig({ leaderLinks: 'yes' as unknown as boolean })).toThrow('leaderLinks must be true or false, got yes')
  })

  it('links the coordinator and its successor to each other only with successorLink=1', () => {
    expect(resolveConfig().successorLink).toBe(false)
    expect(fromUrl('successorLink=1').successorLink).toBe(true)
    expect(fromUrl('successorLink=0').successorLink).toBe(false)
    expect(() => fromUrl('successorLink=both')).toThrow("successorLink must be 0 or 1 (or true/false), got 'both'")
    expect(() => resolveConfig({ successorLink: 1 as unknown as boolean })).toThrow('successorLink must be true or false, got 1')
  })

  it('puts chunks on the bulk lane unless bulkLane=0', () => {
    expect(resolveConfig().bulkLane).toBe(true)
    expect(fromUrl('bulkLane=0').bulkLane).toBe(false)
    expect(fromUrl('bulkLane=1').bulkLane).toBe(true)
    expect(() => fromUrl('bulkLane=maybe')).toThrow("bulkLane must be 0 or 1 (or true/false), got 'maybe'")
  })
})

describe('dial timeouts', () => {
  it('gives direct links\' dials through the relay 40 s and the dial to the relay 20 s, each settable', () => {
    expect(resolveConfig()).toMatchObject({ dialTimeoutMs: 20_000, peerDialTimeoutMs: 40_000 })
    expect(fromUrl('peerDialTimeoutMs=60000&dialTimeoutMs=5000')).toMatchObject({ dialTimeoutMs: 5000, peerDialTimeoutMs: 60_000 })
    expect(() => fromUrl('peerDialTimeoutMs=0')).toThrow('peerDialTimeoutMs must be a positive number, got 0')
  })
})
