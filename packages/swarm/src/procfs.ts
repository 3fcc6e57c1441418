/**
 * Chromium's CPU and memory, read from /proc. playwright-core 1.65 no longer exposes Browser.process(), so the
 * harness finds the browser process itself (a new child of this Node process) and walks its descendants:
 * zygotes, renderers (one per tab), the GPU and utility processes.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcInfo {
  pid: number
  ppid: number
  /** Start time in clock ticks since boot: with the pid it identifies a process even if the pid is reused. */
  startTicks: number
  /** utime + stime in clock ticks. */
  cpuTicks: number
  comm: string
  /** R running, S sleeping, Z zombie, ... */
  state: string
  cmdline: string[]
}

/** Parse /proc/PID/stat. comm may contain spaces and parentheses, so split after the last ')'. */
export function parseStat (text: string): Omit<ProcInfo, 'cmdline'> | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const fields = text.slice(close + 2).trim().split(/\s+/)
  // fields[0] is field 3 (state) of proc(5): ppid is field 4, utime 14, stime 15, starttime 22.
  const num = (field: number): number => Number(fields[field - 3])
  return {
    pid: Number(text.slice(0, open).trim()),
    state: fields[0] ?? '?',
    ppid: num(4),
    startTicks: num(22),
    cpuTicks: num(14) + num(15),
    comm: text.slice(open + 1, close)
  }
}

/**
 * /proc/PID/cmdline is NUL-separated, but Chromium's child processes rewrite their title (setproctitle) into one
 * space-separated string; split that on spaces so `--type=renderer` is still an argument of its own.
 */
export function parseCmdline (text: string): string[] {
  const args = text.split('\0').filter(s => s !== '')
  return args.length === 1 && args[0]!.includes(' --') ? args[0]!.split(/\s+/).filter(s => s !== '') : args
}

export function readProc (pid: number): ProcInfo | undefined {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    if (stat === undefined) return undefined
    return { ...stat, cmdline: parseCmdline(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) }
  } catch {
    return undefined // the process exited between listing and reading
  }
}

export function listProcesses (): ProcInfo[] {
  const out: ProcInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const p = readProc(Number(name))
    if (p !== undefined) out.push(p)
  }
  return out
}

/** The root and every process below it. */
export function processTree (rootPid: number, all: ProcInfo[] = listProcesses()): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>()
  let root: ProcInfo | undefined
  for (const p of all) {
    if (p.pid === rootPid) root = p
    const list = children.get(p.ppid)
    if (list === undefined) children.set(p.ppid, [p])
    else list.push(p)
  }
  if (root === undefined) return []
  const tree: ProcInfo[] = []
  const stack = [root]
  while (stack.length > 0) {
    const p = stack.pop()!
    tree.push(p)
    stack.push(...(children.get(p.pid) ?? []))
  }
  return tree
}

/** Chromium's role for a process: its --type (utility processes by sub-type), or 'browser' for the main one. */
export function chromiumProcessType (cmdline: string[]): string {
  const arg = (name: string): string | undefined => cmdline.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  const type = arg('type')
  if (type === undefined) return 'browser'
  if (type === 'utility') {
    const sub = arg('utility-sub-type')
    return sub === undefined ? 'utility' : `utility:${sub.replace(/\.mojom\..*$/, '')}`
  }
  return type
}

/** Rss and Pss in bytes from the text of /proc/PID/smaps_rollup. */
export function parseSmapsRollup (text: string): { rssBytes: number, pssBytes: number } | undefined {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
    return m === null ? undefined : Number(m[1]) * 1024
  }
  const rssBytes = kb('Rss')
  const pssBytes = kb('Pss')
  return rssBytes === undefined || pssBytes === undefined ? undefined : { rssBytes, pssBytes }
}

export interface MemoryFigures {
  processes: number
  rssBytes: number
  pssBytes: number
  byType: Record<string, { processes: number, rssBytes: number, pssBytes: number }>
}

/**
 * RSS double-counts pages shared between Chromium's processes; PSS splits them, so PSS sums to what the tree
 * really costs. Reading smaps_rollup walks page tables: call this at the end of a window, not in a tight loop.
 */
export function treeMemory (rootPid: number, typeOf: (p: ProcInfo) => string = p => chromiumProcessType(p.cmdline)): MemoryFigures {
  const figures: MemoryFigures = { processes: 0, rssBytes: 0, pssBytes: 0, byType: {} }
  for (const p of processTree(rootPid)) {
    let mem: { rssBytes: number, pssBytes: number } | undefined
    try {
      mem = parseSmapsRollup(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'))
    } catch {
      continue // exited, or a kernel thread
    }
    if (mem === undefined) continue
    figures.processes++
    figures.rssBytes += mem.rssBytes
    figures.pssBytes += mem.pssBytes
    const t = typeOf(p)
    const slot = figures.byType[t] ?? (figures.byType[t] = { processes: 0, rssBytes: 0, pssBytes: 0 })
    slot.processes++
    slot.rssBytes += mem.rssBytes
    slot.pssBytes += mem.pssBytes
  }
  return figures
}

/** The whole machine's CPU time from the first line of /proc/stat, in clock ticks summed over all CPUs. */
export interface SystemCpuTicks { busy: number, idle: number, steal: number }

/**
 * Parse /proc/stat's aggregate `cpu` line (user nice system idle iowait irq softirq steal ...). Steal is time the
 * hypervisor gave this VM's virtual CPUs to someone else: on a shared host it says whether a slow run was starved
 * from outside. guest/guest_nice are already inside user/nice and are not added again.
 */
export function parseSystemCpu (text: string): SystemCpuTicks | undefined {
  const line = text.split('\n').find(l => l.startsWith('cpu '))
  if (line === undefined) return undefined
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  if (f.length < 4 || f.some(n => !Number.isFinite(n))) return undefined
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal }
}

export function readSystemCpu (): SystemCpuTicks | undefined {
  try { return parseSystemCpu(readFileSync('/proc/stat', 'utf8')) } catch { return undefined }
}

/** Cores busy, idle and stolen between two readings over wallSeconds. */
export function systemCpuCores (start: SystemCpuTicks, end: SystemCpuTicks, wallSeconds: number): { busyCores: number, idleCores: number, stealCores: number } {
  const per = (ticks: number): number => wallSeconds > 0 ? ticks / clockTicksPerSecond() / wallSeconds : 0
  return { busyCores: per(end.busy - start.busy), idleCores: per(end.idle - start.idle), stealCores: per(end.steal - start.steal) }
}

let ticksPerSecond: number | undefined
/** USER_HZ, the unit of utime/stime; 100 on every Linux this is likely to meet, but ask. */
export function clockTicksPerSecond (): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/**
 * CPU seconds a process tree spends over a window. Processes that start during the window count from zero;
 * processes that exit keep what the last sample() saw of them (call sample() every few seconds to keep that loss
 * small). A process's CPU time is lost to its parent's counters only once reaped, so nothing is counted twice.
 */
export interface CpuWindow {
  cpuSeconds: number
  wallSeconds: number
  /** cpuSeconds / wallSeconds: how many cores the tree kept busy on average. */
  cores: number
  processesSeen: number
  /** CPU seconds by process type (see chromiumProcessType). */
  byType: Record<string, number>
}

export class TreeCpuMeter {
  private readonly baseline = new Map<string, number>()
  private readonly latest = new Map<string, { ticks: number, type: string }>()
  private startedAt = 0
  private stoppedAt: number | undefined

  constructor (
    private readonly rootPid: number,
    private readonly typeOf: (p: ProcInfo) => string = p => chromiumProcessType(p.cmdline),
    private readonly now: () => number = Date.now,
    private readonly list: () => ProcInfo[] = listProcesses
  ) {}

  private read (): Map<string, { ticks: number, type: string }> {
    return new Map(processTree(this.rootPid, this.list()).map(p => {
      const key = `${p.pid}:${p.startTicks}`
      // An exited process not yet reaped (a zombie) has an empty cmdline: it keeps the type it had while running.
      const known = p.cmdline.length === 0 ? this.latest.get(key)?.type : undefined
      return [key, { ticks: p.cpuTicks, type: known ?? this.typeOf(p) }]
    }))
  }

  start (): void {
    this.baseline.clear()
    this.latest.clear()
    for (const [key, v] of this.read()) {
      this.baseline.set(key, v.ticks)
      this.latest.set(key, v)
    }
    this.startedAt = this.now()
    this.stoppedAt = undefined
  }

  sample (): void {
    if (this.stoppedAt !== undefined) return
    for (const [key, v] of this.read()) this.latest.set(key, v)
  }

  stop (): CpuWindow {
    this.sample()
    this.stoppedAt = this.now()
    const hz = clockTicksPerSecond()
    let ticks = 0
    const byType: Record<string, number> = {}
    for (const [key, v] of this.latest) {
      const used = v.ticks - (this.baseline.get(key) ?? 0)
      ticks += used
      byType[v.type] = (byType[v.type] ?? 0) + used / hz
    }
    const cpuSeconds = ticks / hz
    const wallSeconds = (this.stoppedAt - this.startedAt) / 1000
    return { cpuSeconds, wallSeconds, cores: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0, processesSeen: this.latest.size, byType }
  }
}

/** Children of `parentPid` that were not in `before` and match `predicate`: how the harness finds Chromium. */
export function newChildren (parentPid: number, before: ReadonlySet<number>, predicate: (p: ProcInfo) => boolean): ProcInfo[] {
  return listProcesses().filter(p => p.ppid === parentPid && !before.has(p.pid) && predicate(p))
}

export function childPids (parentPid: number): Set<number> {
  return new Set(listProcesses().filter(p => p.ppid === parentPid).map(p => p.pid))
}
