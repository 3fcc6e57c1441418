/**
 * Run the real swarm CLI (`pnpm swarm`) as a child process, the way a person would, and read its JSON report.
 * As root the CLI puts relay, app server and Chromium in a network namespace with only `lo`.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { SwarmReport } from '@fedmesh/swarm'

const ROOT = resolve(import.meta.dirname, '../..')

export async function runSwarmCli (args: string[]): Promise<{ code: number | null, report: SwarmReport, output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fedmesh-swarm-'))
  const json = join(dir, 'report.json')
  const child = spawn(process.execPath, ['--import', './scripts/node-env.js', '--import', 'tsx', 'packages/swarm/src/cli.ts', ...args, '--json', json],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => { output += String(d) })
  child.stderr.on('data', (d) => { output += String(d); if (process.env.FEDMESH_E2E_VERBOSE != null) process.stderr.write(d) })
  const code = await new Promise<number | null>(ok => child.once('exit', ok))
  let report: SwarmReport
  try {
    report = JSON.parse(readFileSync(json, 'utf8'))
  } catch (err) {
    throw new Error(`swarm wrote no report (exit ${code}):\n${output.slice(-4000)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { code, report, output }
}
