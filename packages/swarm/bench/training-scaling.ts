/**
 * Runs the mnist training benchmark (the swarm options of `pnpm bench:training:mnist`, read from package.json) for
 * several tab counts on this machine, one after another, and prints a markdown table of the round overhead, the
 * failover and what the cores were doing:
 *   node --import ./scripts/node-env.js --import tsx packages/swarm/bench/training-scaling.ts [--tabs 8,12,16,20] [-- extra swarm options]
 * Why: the 20-tab figures depend on how loaded the machine is; the same session at fewer tabs shows where the load
 * starts to set them (docs/benchmarks.md, twenty-fifth session).
 * Krum's f and the minimum participants follow the tab count: 20 tabs use the benchmark's f = 2 and 12 (60 %); fewer
 * tabs keep 60 % but at least 2f + 3, and f drops to 1 below 9 tabs, because after the close and with the garbage
 * sender dropped at the first hop only tabs - 2 updates can arrive. Every run is a separate CLI process.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SwarmReport } from '../src/harness.ts'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const argv = process.argv.slice(2)
const dash = argv.indexOf('--')
const own = dash === -1 ? argv : argv.slice(0, dash)
const extra = dash === -1 ? [] : argv.slice(dash + 1)
const tabsArg = own[own.indexOf('--tabs') + 1]
const tabCounts = (own.includes('--tabs') && tabsArg !== undefined ? tabsArg : '8,12,16,20').split(',').map(Number)
if (tabCounts.some(n => !Number.isInteger(n) || n < 7)) {
  console.error('--tabs: a comma-separated list of tab counts of at least 7 (Krum with f = 1 needs 5 updates after the close)')
  process.exit(2)
}
const dir = mkdtempSync(join(tmpdir(), 'training-scaling-'))

/** The swarm CLI's options in the mnist benchmark's script; the options added per run come later and win. */
function mnistBenchmarkOptions (): string[] {
  const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  const words = (scripts['bench:training:mnist'] ?? '').trim().split(/\s+/)
  const cli = words.indexOf('packages/swarm/src/cli.ts')
  if (cli === -1) throw new Error('package.json: the script bench:training:mnist no longer runs packages/swarm/src/cli.ts; update this benchmark')
  return words.slice(cli + 1)
}
const benchmarkOptions = mnistBenchmarkOptions()

function sessionFor (tabs: number): { f: number, minParticipants: number } {
  const f = tabs - 2 >= 7 ? 2 : 1
  return { f, minParticipants: Math.min(tabs - 2, Math.max(2 * f + 3, Math.round(0.6 * tabs))) }
}

/** Busy and total jiffies of the whole machine (/proc/stat), or undefined off Linux. */
function cpuTimes (): { busy: number, total: number } | undefined {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number)
    const total = v.reduce((a, b) => a + b, 0)
    return { busy: total - v[3]! - v[4]!, total }
  } catch { return undefined }
}

async function run (tabs: number, f: number, minParticipants: number): Promise<{ report?: SwarmReport, exit?: number | null, busyCores?: number }> {
  const file = join(dir, `training-${tabs}.json`)
  const args = ['--import', './scripts/node-env.js', '--import', 'tsx', 'packages/swarm/src/cli.ts', ...benchmarkOptions,
    '--tabs', String(tabs), '--f', String(f), '--min-participants', String(minParticipants), '--quiet', '--json', file, ...extra]
  const before = cpuTimes()
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] })
  const exit = await new Promise<number | null>(resolve => child.once('exit', resolve))
  const after = cpuTimes()
  let report: SwarmReport
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as SwarmReport
  } catch {
    // the CLI said why (a missing Chromium, a busy port, ...); the other tab counts still run
    return { exit }
  }
  if (before === undefined || after === undefined || after.total <= before.total) return { report }
  // jiffies of all CPUs over the run's wall time: busy cores on average
  return { report, busyCores: (after.busy - before.busy) / (after.total - before.total) * cpus().length }
}

const s = (ms: number | undefined): string => ms === undefined ? '–' : (ms / 1000).toFixed(1)
const rows: string[] = []
let first: SwarmReport | undefined
for (const tabs of tabCounts) {
  process.stderr.write(`--- ${tabs} tabs\n`)
  const { f, minParticipants } = sessionFor(tabs)
  const { report: r, exit, busyCores } = await run(tabs, f, minParticipants)
  if (r === undefined) {
    rows.push(`| ${tabs} | ${f} / ${minParticipants} | no report: the swarm CLI exited with ${exit} (its output above says why) |`)
    continue
  }
  first ??= r
  const t = r.training
  const sh = t?.overhead.sentToHeld
  const fo = t?.failover
  const lt = t?.localTrainingMs
  rows.push(`| ${tabs} | ${f} / ${minParticipants} | ${t === undefined ? '–' : `${t.reachedVersion} of ${t.targetRounds}`} | ` +
    `**${s(sh?.medianMs)}** / ${s(sh?.maxMs)} | ${s(sh?.toCoordinatorMedianMs)} | ${s(sh?.toMedianTabMedianMs)} | ${s(fo?.roundTabClocksMs)} | ` +
    `${s(lt?.medianMs)} / ${s(lt?.p90Ms)} | **${s(fo?.failoverTabClocksMs)}**${fo?.failoverAfterLeftTabClocksMs === undefined ? '' : ` [${s(fo.failoverAfterLeftTabClocksMs)}]`} | ` +
    `${busyCores === undefined ? '–' : busyCores.toFixed(2)} | ${t?.honestQuarantined ?? '–'} | ${r.ok ? 'pass' : `${r.failures.length} failures`} |`)
}
console.log(`Machine: ${cpus().length} CPUs (${first?.machine.cpuModel ?? '?'}), node ${process.version}, Chromium ${first?.machine.chromium?.version ?? '?'}, network ${first?.machine.network.mode ?? '?'}` +
  `${extra.length > 0 ? `; extra swarm options: ${extra.join(' ')}` : ''}`)
console.log('')
console.log('| tabs | Krum f / min participants | versions | round overhead, last update sent -> held everywhere, median / max (s) | coordinator\'s model out (s, median) | median tab holds it (s, median) | a round (s, median) | local training median / p90 (s) | failover [after the closed tab\'s pagehide] (s) | machine busy cores (run mean) | honest quarantined | result |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
for (const row of rows) console.log(row)
console.log('\nTimes are the tabs\' own clocks (one machine, one clock); the round overhead is the median over the rounds no takeover ended.')
console.log(`Reports: ${dir}`)
