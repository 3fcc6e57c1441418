import { describe, expect, it } from 'vitest'
import { PhiAccrualDetector, phiOf } from '../src/index.ts'
import { seededRandom } from './fixtures.ts'

describe('PhiAccrualDetector', () => {
  it('is 0 before any heartbeat', () => {
    expect(new PhiAccrualDetector().phi(1e6)).toBe(0)
  })

  it('phi grows monotonically with silence', () => {
    const detector = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0 })
    for (let t = 0; t <= 20_000; t += 1000) detector.heartbeat(t)
    let previous = -1
    for (let silence = 0; silence <= 30_000; silence += 250) {
      const phi = detector.phi(20_000 + silence)
      expect(phi).toBeGreaterThanOrEqual(previous)
      previous = phi
    }
    expect(detector.phi(20_000 + 500)).toBeLessThan(0.5)
    expect(detector.phi(20_000 + 10_000)).toBeGreaterThan(16)
    expect(Number.isFinite(detector.phi(20_000 + 1e9))).toBe(true) // stays finite however long the silence
  })

  it('regular heartbeats with jitter keep phi low', () => {
    const random = seededRandom(3)
    const detector = new PhiAccrualDetector()
    let t = 0
    let maxPhi = 0
    for (let i = 0; i < 1000; i++) {
      const next = t + 1000 + (random() - 0.5) * 300
      maxPhi = Math.max(maxPhi, detector.phi(next)) // just before each arrival
      detector.heartbeat(next)
      t = next
    }
    expect(detector.samples).toBe(100) // window bound
    expect(detector.mean()).toBeGreaterThan(950)
    expect(detector.mean()).toBeLessThan(1050)
    expect(maxPhi).toBeLessThan(1)
  })

  it('floors the standard deviation so perfectly regular heartbeats do not make phi explode', () => {
    const floored = (minStdDevMs: number): number => {
      const d = new PhiAccrualDetector({ minStdDevMs, acceptableHeartbeatPauseMs: 0 })
      for (let t = 0; t <= 100_000; t += 1000) d.heartbeat(t) // std dev exactly 0
      expect(d.stdDev()).toBe(0)
      return d.phi(100_000 + 1200)
    }
    // 200 ms late: with a 500 ms floor that is unremarkable; with a 10 ms floor it is alarming
    expect(floored(500)).toBeLessThan(2)
    expect(floored(10)).toBeGreaterThan(16)
    expect(floored(500)).toBeCloseTo(phiOf(1200, 1000, 500), 10)
  })

  it('bootstraps from the advertised interval before real samples exist', () => {
    const seeded = new PhiAccrualDetector({ firstHeartbeatEstimateMs: 1000, acceptableHeartbeatPauseMs: 0 })
    seeded.heartbeat(0)
    expect(seeded.mean()).toBe(1000)
    expect(seeded.phi(1000)).toBeLessThan(1)
    expect(seeded.phi(5000)).toBeGreaterThan(8)
    const slower = new PhiAccrualDetector({ firstHeartbeatEstimateMs: 10_000, acceptableHeartbeatPauseMs: 0 })
    slower.heartbeat(0)
    expect(slower.phi(5000)).toBeLessThan(1)
  })

  it('expectedIntervalMs and pauseMs move the threshold later', () => {
    const d = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0 })
    for (let t = 0; t <= 10_000; t += 1000) d.heartbeat(t)
    const at = 10_000 + 5000
    expect(d.phi(at)).toBeGreaterThan(8)
    expect(d.phi(at, { expectedIntervalMs: 5000 })).toBeLessThan(1)
    expect(d.phi(at, { pauseMs: 60_000 })).toBeLessThan(0.01)
  })

  it('discountSilence moves the last arrival later, never past now', () => {
    const d = new PhiAccrualDetector({ acceptableHeartbeatPauseMs: 0 })
    for (let t = 0; t <= 10_000; t += 1000) d.heartbeat(t)
    const before = d.phi(40_000)
    d.discountSilence(28_000, 40_000)
    expect(d.lastHeartbeatAt).toBe(38_000)
    expect(d.phi(40_000)).toBeLessThan(before)
    d.discountSilence(1e9, 40_000)
    expect(d.lastHeartbeatAt).toBe(40_000)
  })

  it('phiOf matches the logistic formula, including at the mean', () => {
    expect(phiOf(1000, 1000, 100)).toBeCloseTo(Math.log10(2), 12)
    for (const y of [-3, -1, 0.5, 2, 5]) {
      const a = y * (1.5976 + 0.070566 * y * y)
      const e = Math.exp(-a)
      expect(phiOf(1000 + y * 100, 1000, 100)).toBeCloseTo(-Math.log10(e / (1 + e)), 9)
    }
  })

  it('validates its options', () => {
    expect(() => new PhiAccrualDetector({ windowSize: 1 })).toThrow(/windowSize/)
    expect(() => new PhiAccrualDetector({ minStdDevMs: 0 })).toThrow(/minStdDevMs/)
    expect(() => new PhiAccrualDetector({ firstHeartbeatEstimateMs: -5 })).toThrow(/firstHeartbeatEstimateMs/)
  })
})
