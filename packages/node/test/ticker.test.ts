import { afterEach, describe, expect, it, vi } from 'vitest'
import { delayToAligned, intervalTicker } from '../src/timers/ticker.ts'

describe('aligned ticks', () => {
  afterEach(() => { vi.useRealTimers() })

  it('delayToAligned reaches the next multiple of the period, skipping one under a quarter period away', () => {
    expect(delayToAligned(12_300, 1000)).toBe(700)
    expect(delayToAligned(12_000, 1000)).toBe(1000)
    // a timer that fired 2 ms early must not fire again 2 ms later
    expect(delayToAligned(12_998, 1000)).toBe(1002)
    expect(delayToAligned(13_240, 1000)).toBe(760)
  })

  it('fires on wall-clock multiples of the period, whatever the start time', () => {
    vi.useFakeTimers()
    vi.setSystemTime(50_317)
    const ticker = intervalTicker()
    const at: number[] = []
    const stop = ticker.every(1000, () => { at.push(Date.now()) }, { aligned: true })
    vi.advanceTimersByTime(3_800)
    expect(at).toEqual([51_000, 52_000, 53_000, 54_000])
    stop()
    vi.advanceTimersByTime(5_000)
    expect(at).toHaveLength(4)
  })

  it('two tickers started at different times tick together', () => {
    vi.useFakeTimers()
    vi.setSystemTime(7_120)
    const a: number[] = []
    const b: number[] = []
    const ta = intervalTicker()
    ta.every(500, () => { a.push(Date.now()) }, { aligned: true })
    vi.advanceTimersByTime(260)
    const tb = intervalTicker()
    tb.every(500, () => { b.push(Date.now()) }, { aligned: true })
    vi.advanceTimersByTime(2_000)
    expect(b.length).toBeGreaterThan(2)
    for (const t of b) expect(a).toContain(t)
    ta.stop()
    tb.stop()
  })

  it('unaligned ticks keep the plain interval', () => {
    vi.useFakeTimers()
    vi.setSystemTime(1_234)
    const at: number[] = []
    const ticker = intervalTicker()
    ticker.every(1000, () => { at.push(Date.now()) })
    vi.advanceTimersByTime(2_100)
    expect(at).toEqual([2_234, 3_234])
    ticker.stop()
  })
})
