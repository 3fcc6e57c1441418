/**
 * Runs `pnpm swarm` for several tab counts, one after another, and prints a markdown table of the figures:
 *   node --import ./scripts/node-env.js --import tsx packages/swarm/bench/swarm-table.ts [--tabs 2,5,8] [-- extra swarm options]
 * (default swarm options: --duration 20 --settle 5 --url-param learn=0)
 * Every run is a separate CLI process (as root: its own network namespace). The reports are kept in a temp folder.
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
// The mesh figures (issue 2) are taken with the learner off (`learn=0`): heartbeats, links and gossip only. Pass your own
// options after `--` to measure something else, e.g. `-- --duration 20 --settle 5` for the default app with its learner.
const extra = dash === -1 ? ['--duration', '20', '--settle', '5', '--url-param', 'learn=0'] : argv.slice(dash + 1)
const tabsArg = own[own.indexOf('--tabs') + 1]
const tabCounts = (own.includes('--tabs') && tabsArg !== undefined ? tabsArg : '2,5,8').split(',').map(Number)
const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-'))

async function run (tabs: number): Promise<SwarmReport> {
  const file = join(dir, `swarm-${tabs}.json`)
  const args = ['--import', './scripts/node-env.js', '--import', 'tsx', 'packages/swarm/src/cli.ts', '--tabs', String(tabs), '--quiet', '--json', file, ...extra]
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] })
  await new Promise(resolve => child.once('exit', resolve))
  return JSON.parse(readFileSync(file, 'utf8')) as SwarmReport
}

const s = (ms: number | undefined): string => ms === undefined ? '–' : (ms / 1000).toFixed(1)
const gib = (b: number | undefined): string => b === undefined ? '–' : (b / 2 ** 30).toFixed(2)
const rows: string[] = []
let first: SwarmReport | undefined
for (const tabs of tabCounts) {
  process.stderr.write(`--- ${tabs} tabs\n`)
  const r = await run(tabs)
  first ??= r
  const c = r.convergence
  const st = r.steady
  const mean = st?.rates.mean
  rows.push(`| ${tabs} | ${c?.converged === true ? s(c.fromLastTabLoadedMs) : `no (${r.options.timeoutS} s)`} | ${s(c?.fromFirstTabOpenedMs)} | ` +
    `${r.linksAtEnd?.directLinks ?? '–'} (${r.linksAtEnd?.minDirectPerTab ?? '–'}..${r.linksAtEnd?.maxDirectPerTab ?? '–'}) | ${r.linksAtEnd?.relayedLinks ?? '–'} | ` +
    `${st?.cpu.chromium.cores.toFixed(2) ?? '–'} | ${gib(st?.memory?.rssBytes)} / ${gib(st?.memory?.pssBytes)} | ` +
    `${mean === undefined ? '–' : `${mean.messagesInPerSec.toFixed(1)} / ${(mean.bytesInPerSec / 1024).toFixed(1)}`} | ` +
    `${st?.loadAverage[0]?.toFixed(1) ?? "–"} | ${st?.machineCpu === undefined ? '–' : `${st.machineCpu.busyCores.toFixed(2)} / ${st.machineCpu.stealCores.toFixed(2)}`} | ` +
    `${r.ok ? "ok" : `${r.failures.length} failures`} |`)
}
console.log(`Machine: ${cpus().length} CPUs (${first?.machine.cpuModel ?? '?'}), node ${process.version}, Chromium ${first?.machine.chromium?.version ?? '?'}, network ${first?.machine.network.mode ?? '?'}; swarm options: ${extra.join(' ')}`)
console.log('')
console.log('| tabs | converged after last load (s) | after first open (s) | direct links (per tab) | relayed | Chromium cores (steady) | RSS / PSS GiB | msgs in/s / KiB in/s per tab | load avg | machine busy / steal cores | result |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|')
for (const row of rows) console.log(row)
console.log(`\nReports: ${dir}`)
