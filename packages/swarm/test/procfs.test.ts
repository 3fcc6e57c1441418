import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import {
  chromiumProcessType, clockTicksPerSecond, parseCmdline, parseSystemCpu, systemCpuCores, parseSmapsRollup, parseStat, processTree, readProc, treeMemory, TreeCpuMeter
} from '../src/procfs.ts'
import type { ProcInfo } from '../src/procfs.ts'

describe('parsing /proc', () => {
  it('parses stat even when comm holds spaces and parentheses', () => {
    // Fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... starttime
    const text = '4242 (Web Content (x)) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 987654 1000 200'
    expect(parseStat(text)).toEqual({ pid: 4242, comm: 'Web Content (x)', state: 'S', ppid: 17, cpuTicks: 325, startTicks: 987654 })
    expect(parseStat('garbage')).toBeUndefined()
  })

  it('splits NUL-separated command lines, and the space-joined titles Chromium children rewrite theirs to', () => {
    expect(parseCmdline('/usr/bin/node\0--import\0tsx\0a b.ts\0')).toEqual(['/usr/bin/node', '--import', 'tsx', 'a b.ts'])
    expect(parseCmdline('/usr/lib/chromium/chromium --type=renderer --renderer-client-id=7\0\0\0')).toEqual(['/usr/lib/chromium/chromium', '--type=renderer', '--renderer-client-id=7'])
    expect(parseCmdline('sleep 5')).toEqual(['sleep 5']) // a one-word title with a space but no flags stays whole
  })

  it('reads Rss and Pss from smaps_rollup', () => {
    const text = '00400000-7ffd [rollup]\nRss:              204800 kB\nPss:               51200 kB\nPss_Anon:  1 kB\nShared_Clean: 9 kB\n'
    expect(parseSmapsRollup(text)).toEqual({ rssBytes: 204800 * 1024, pssBytes: 51200 * 1024 })
    expect(parseSmapsRollup('Rss: 1 kB\n')).toBeUndefined()
  })

  it('names Chromium process types', () => {
    expect(chromiumProcessType(['/usr/lib/chromium/chromium', '--remote-debugging-pipe'])).toBe('browser')
    expect(chromiumProcessType(['chromium', '--type=renderer'])).toBe('renderer')
    expect(chromiumProcessType(['chromium', '--type=gpu-process'])).toBe('gpu-process')
    expect(chromiumProcessType(['chromium', '--type=utility', '--utility-sub-type=network.mojom.NetworkService'])).toBe('utility:network')
    expect(chromiumProcessType(['chromium', '--type=utility'])).toBe('utility')
  })
})

describe('process trees', () => {
  const p = (pid: number, ppid: number): ProcInfo => ({ pid, ppid, startTicks: 0, cpuTicks: 0, comm: 'x', state: 'S', cmdline: [] })

  it('collects a root and all its descendants, nothing else', () => {
    const all = [p(1, 0), p(10, 1), p(11, 10), p(12, 10), p(13, 12), p(20, 1), p(21, 20)]
    expect(processTree(10, all).map(x => x.pid).sort()).toEqual([10, 11, 12, 13])
    expect(processTree(99, all)).toEqual([])
  })

  it('measures real CPU and memory of a child process tree, keeping the CPU of a process that exits', async () => {
    // sh -> node busy for 0.6 CPU s (counted in CPU, not wall time: a loaded machine would give a wall-clock loop less
    // than the 0.2 s checked below), then sh sleeps: the busy grandchild exits mid-window.
    const child = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e "const u=()=>{const c=process.cpuUsage();return c.user+c.system};const s=u();while(u()-s<600000);" ; sleep 30`], { stdio: 'ignore' })
    const waitFor = async (what: string, ok: () => boolean): Promise<void> => {
      const deadline = Date.now() + 15_000
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
    const busy = (): ProcInfo | undefined => processTree(child.pid!).find(t => t.cmdline.includes('-e'))
    try {
      const meter = new TreeCpuMeter(child.pid!, t => t.cmdline.includes('-e') ? 'busy' : 'shell')
      meter.start()
      await waitFor('the busy grandchild to use 0.2 CPU s', () => (busy()?.cpuTicks ?? 0) >= 0.2 * clockTicksPerSecond())
      const tree = processTree(child.pid!)
      expect(tree.length).toBe(2)
      const mem = treeMemory(child.pid!, () => 'any')
      expect(mem.processes).toBe(2)
      expect(mem.pssBytes).toBeGreaterThan(0)
      expect(mem.rssBytes).toBeGreaterThanOrEqual(mem.pssBytes)
      meter.sample()
      await waitFor('the busy grandchild to exit', () => busy() === undefined)
      const cpu = meter.stop()
      expect(cpu.byType.busy).toBeGreaterThanOrEqual(0.2)
      expect(cpu.cpuSeconds).toBeCloseTo((cpu.byType.busy ?? 0) + (cpu.byType.shell ?? 0))
      expect(cpu.cores).toBeCloseTo(cpu.cpuSeconds / cpu.wallSeconds)
      // Once stopped, the meter reads nothing more.
      expect(meter.stop().cpuSeconds).toBe(cpu.cpuSeconds)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('keeps the type of a process that exits and lingers unreaped with an empty cmdline', () => {
    const hz = clockTicksPerSecond()
    const proc = (pid: number, ppid: number, cpuTicks: number, cmdline: string[], state = 'S'): ProcInfo => ({ pid, ppid, startTicks: 5, cpuTicks, comm: 'x', state, cmdline })
    let all = [proc(1, 0, 0, ['sh']), proc(2, 1, 0, ['node', '-e'])]
    const meter = new TreeCpuMeter(1, t => t.cmdline.includes('-e') ? 'busy' : 'shell', () => 0, () => all)
    meter.start()
    all = [proc(1, 0, 0, ['sh']), proc(2, 1, hz, ['node', '-e'])]
    meter.sample()
    all = [proc(1, 0, 0, ['sh']), proc(2, 1, 2 * hz, [], 'Z')]
    expect(meter.stop().byType).toEqual({ shell: 0, busy: 2 })
  })

  it('reads this process and a sane USER_HZ', () => {
    expect(readProc(process.pid)?.ppid).toBe(process.ppid)
    expect(clockTicksPerSecond()).toBeGreaterThan(0)
  })
})

describe('parseSystemCpu', () => {
  it('reads busy, idle and steal ticks from the aggregate line, not guest time twice', () => {
    const text = 'cpu  100 10 50 1000 20 3 7 40 15 0\ncpu0 50 5 25 500 10 1 3 20 0 0\nintr 1 2\n'
    expect(parseSystemCpu(text)).toEqual({ busy: 170, idle: 1020, steal: 40 })
    expect(parseSystemCpu('cpu0 1 2 3 4\n')).toBeUndefined()
    expect(parseSystemCpu('cpu  1 x 3 4\n')).toBeUndefined()
  })

  it('turns two readings into cores over the window', () => {
    const hz = clockTicksPerSecond()
    const c = systemCpuCores({ busy: 0, idle: 0, steal: 0 }, { busy: 3 * hz, idle: hz, steal: hz / 2 }, 2)
    expect(c).toEqual({ busyCores: 1.5, idleCores: 0.5, stealCores: 0.25 })
  })
})
