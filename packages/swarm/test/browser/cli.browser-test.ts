import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { probeUnshare } from '../../src/netns.ts'

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
const fakes = ['--relay-command', `${process.execPath} ${fixture('fake-relay.mjs')}`, '--app-command', `${process.execPath} ${fixture('fake-app.mjs')}`]

/** Run the CLI the way `pnpm swarm` does. */
async function swarm (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, ['--import', './scripts/node-env.js', '--import', 'tsx', 'packages/swarm/src/cli.ts', ...args], {
    cwd: repoRoot, env: { ...process.env, FEDMESH_NETNS: '', ...env }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  return { code, stdout, stderr }
}

const canNetns = process.getuid?.() === 0 && probeUnshare().ok

describe('swarm CLI', () => {
  it.skipIf(!canNetns)('as root runs the whole swarm in a network namespace with only lo, and prints the report with --json -', async () => {
    const r = await swarm(['--tabs', '2', '--duration', '1', '--heartbeat-ms', '300', '--quiet', '--json', '-', ...fakes])
    expect(r.stderr).toMatch(/\nok\n$/)
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report.ok).toBe(true)
    expect(report.machine.network).toEqual({ mode: 'netns', interfaces: ['lo'] })
    expect(report.convergence.converged).toBe(true)
    expect(report.options.tabs).toBe(2)
  })

  it('names the busy port and the option that sets it', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
    const port = (server.address() as { port: number }).port
    try {
      const r = await swarm(['--no-netns', '--relay-port', String(port), '--quiet', ...fakes])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use: choose another with --relay-port PORT, or --relay-port 0 to pick a free one`)
    } finally {
      server.close()
    }
  })

  it('says how to install Chromium when it is missing', async () => {
    const r = await swarm(['--no-netns', '--quiet', ...fakes], { CHROMIUM_PATH: '/nonexistent/chromium' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('Chromium not found: CHROMIUM_PATH=/nonexistent/chromium is not an executable file')
    expect(r.stderr).toContain('apt-get install chromium')
  })

  it('prints help, and rejects bad usage with exit code 2', async () => {
    const help = await swarm(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^pnpm swarm --tabs N/)
    for (const option of ['--duration', '--json', '--close-tabs', '--stop-relay', '--restart-relay', '--chromium', '--no-netns', '--url-param']) {
      expect(help.stdout).toContain(option)
    }
    const bad = await swarm(['--tabs', '0'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--tabs must be an integer >= 1, got 0')
  })
})
