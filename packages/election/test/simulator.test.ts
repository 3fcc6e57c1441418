import { describe, expect, it } from 'vitest'
import { Scheduler, SimulatedNetwork, seededRandom } from '../src/sim/index.ts'

describe('seededRandom', () => {
  it('replays the same sequence for the same seed and stays in [0, 1)', () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs)
    expect(xs.every(x => x >= 0 && x < 1)).toBe(true)
    const c = seededRandom(43)
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(xs.slice(0, 10))
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    expect(mean).toBeGreaterThan(0.45)
    expect(mean).toBeLessThan(0.55)
  })
})

describe('Scheduler', () => {
  it('runs tasks in time order, ties in scheduling order, and moves the clock', () => {
    const s = new Scheduler()
    const seen: string[] = []
    s.at(30, () => seen.push(`c@${s.now}`))
    s.at(10, () => seen.push(`a@${s.now}`))
    s.at(10, () => seen.push(`b@${s.now}`))
    s.at(20, () => s.after(5, () => seen.push(`d@${s.now}`)))
    s.runUntil(26)
    expect(seen).toEqual(['a@10', 'b@10', 'd@25'])
    expect(s.now).toBe(26)
    s.runFor(10)
    expect(seen).toEqual(['a@10', 'b@10', 'd@25', 'c@30'])
  })

  it('repeats with every() until stopped, and runUntilTrue stops at the first moment the condition holds', () => {
    const s = new Scheduler()
    let n = 0
    const stop = s.every(100, () => { n++ })
    expect(s.runUntilTrue(() => n === 3, 10_000)).toBe(300)
    stop()
    s.runFor(1_000)
    expect(n).toBe(3)
    expect(s.runUntilTrue(() => false, 2_000)).toBeUndefined()
    expect(s.now).toBe(2_000)
  })

  it('keeps order across many random insertions (heap)', () => {
    const s = new Scheduler()
    const r = seededRandom(5)
    const times: number[] = []
    for (let i = 0; i < 2_000; i++) s.at(Math.floor(r() * 1_000), () => times.push(s.now))
    s.runFor(1_000)
    expect(times).toHaveLength(2_000)
    expect(times).toEqual([...times].sort((x, y) => x - y))
  })
})

describe('SimulatedNetwork', () => {
  function net (loss: number, duplicate = 0): { s: Scheduler, n: SimulatedNetwork<number>, got: Map<string, number[]> } {
    const s = new Scheduler()
    const n = new SimulatedNetwork<number>(s, seededRandom(9), { loss, delayMs: [10, 50], duplicate })
    const got = new Map<string, number[]>()
    for (const id of ['a', 'b', 'c', 'd']) {
      got.set(id, [])
      n.attach(id, (_from, msg) => got.get(id)?.push(msg))
    }
    return { s, n, got }
  }

  it('delivers a broadcast to every other node after a delay, reordering messages', () => {
    const { s, n, got } = net(0)
    for (let i = 0; i < 50; i++) n.broadcast('a', i)
    s.runFor(9)
    expect(got.get('b')).toEqual([])
    s.runFor(100)
    expect(got.get('a')).toEqual([])
    for (const id of ['b', 'c', 'd']) {
      expect([...(got.get(id) ?? [])].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(got.get(id)).not.toEqual(Array.from({ length: 50 }, (_, i) => i))
    }
  })

  it('loses about the configured fraction and duplicates some', () => {
    const { s, n, got } = net(0.3, 0.1)
    for (let i = 0; i < 2_000; i++) n.broadcast('a', i)
    s.runFor(1_000)
    const received = (got.get('b') ?? []).length
    expect(received).toBeGreaterThan(2_000 * 1.1 * 0.7 * 0.9)
    expect(received).toBeLessThan(2_000 * 1.1 * 0.7 * 1.1)
    expect(new Set(got.get('b')).size).toBeLessThan(received)
  })

  it('cuts partitions (also for messages in flight) and silences crashed nodes', () => {
    const { s, n, got } = net(0)
    n.broadcast('a', 1)
    n.partition([['a', 'b'], ['c', 'd']])
    s.runFor(100)
    expect(got.get('b')).toEqual([1])
    expect(got.get('c')).toEqual([])
    n.heal()
    n.crash('d')
    n.broadcast('a', 2)
    n.broadcast('d', 3)
    s.runFor(100)
    expect(got.get('c')).toEqual([2])
    expect(got.get('d')).toEqual([])
    expect(got.get('b')).toEqual([1, 2])
  })

  it('drops what its drop rule names, on that link only', () => {
    const { s, n, got } = net(0)
    n.drop = (from, to, msg) => from === 'a' && to === 'c' && msg % 2 === 0
    for (let i = 0; i < 4; i++) n.broadcast('a', i)
    s.runFor(100)
    expect([...(got.get('b') ?? [])].sort()).toEqual([0, 1, 2, 3])
    expect([...(got.get('c') ?? [])].sort()).toEqual([1, 3])
    expect(n.stats.cut).toBe(2)
  })

  it('refuses impossible conditions', () => {
    const s = new Scheduler()
    expect(() => new SimulatedNetwork(s, Math.random, { loss: 1, delayMs: [0, 1], duplicate: 0 })).toThrow(/loss/)
    expect(() => new SimulatedNetwork(s, Math.random, { loss: 0, delayMs: [5, 1], duplicate: 0 })).toThrow(/delayMs/)
  })
})
