import { describe, expect, it } from 'vitest'
import { summarizeCpuProfile } from '../src/cpu-profile.ts'
import type { CpuProfile } from '../src/cpu-profile.ts'

const frame = (functionName: string, url = '', lineNumber = -1): { functionName: string, url: string, lineNumber: number } => ({ functionName, url, lineNumber })

// root -> (idle), (program), onMessage -> sha256 (same function reached twice, under two parents), (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 7] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('(program)') },
    { id: 4, callFrame: frame('onMessage', 'http://127.0.0.1:5173/assets/index-abc.js', 9), children: [5, 6] },
    { id: 5, callFrame: frame('sha256', 'http://127.0.0.1:5173/assets/index-abc.js', 99) },
    { id: 6, callFrame: frame('', 'http://127.0.0.1:5173/assets/index-abc.js', 120) },
    { id: 7, callFrame: frame('(garbage collector)') }
  ],
  startTime: 1_000_000,
  endTime: 1_010_000,
  // samples at +1, +5, +6, +8, +9 ms: each lasts until the next, the last until endTime (+10 ms)
  samples: [2, 5, 4, 3, 7],
  timeDeltas: [1_000, 4_000, 1_000, 2_000, 1_000]
}

describe('summarizeCpuProfile', () => {
  it('sums self time per function from the sample intervals, V8\'s own entries apart', () => {
    const s = summarizeCpuProfile(profile)
    expect(s).toMatchObject({ sampledMs: 9, idleMs: 4, programMs: 1, garbageCollectorMs: 1 })
    expect(s.top).toEqual([
      { fn: 'onMessage', file: 'index-abc.js', line: 10, selfMs: 2, selfShare: 0.222 },
      { fn: 'sha256', file: 'index-abc.js', line: 100, selfMs: 1, selfShare: 0.111 }
    ])
  })

  it('keeps the n functions with the most self time; an empty profile sums to zero', () => {
    expect(summarizeCpuProfile(profile, 1).top.map(e => e.fn)).toEqual(['onMessage'])
    expect(summarizeCpuProfile({ nodes: profile.nodes, startTime: 0, endTime: 0 })).toEqual({ sampledMs: 0, idleMs: 0, programMs: 0, garbageCollectorMs: 0, top: [] })
  })
})
