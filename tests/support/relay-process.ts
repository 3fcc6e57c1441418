/**
 * Start the real relay as a child process (`packages/relay/src/cli.ts --json`), read its address, stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

export interface RelayProcess { peerId: string, multiaddrs: string[], port: number, child: ChildProcess, stop: () => Promise<number | null> }

/**
 * Without `keyFile` the relay's key goes to a directory of its own that `stop` removes; pass one to keep the relay's
 * identity across a restart (and remove it yourself).
 */
export async function startRelayProcess (opts: { port?: number, keyFile?: string }): Promise<RelayProcess> {
  const ownDir = opts.keyFile === undefined ? mkdtempSync(join(tmpdir(), 'fedmesh-relay-')) : undefined
  const removeOwnDir = (): void => { if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true }) }
  const keyFile = opts.keyFile ?? join(ownDir!, 'relay.key')
  const child = spawn(process.execPath, ['--import', './scripts/node-env.js', '--import', 'tsx', 'packages/relay/src/cli.ts',
    '--port', String(opts.port ?? 0), '--key-file', keyFile, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d) => { stderr += String(d) })
  const line = await new Promise<string>((ok, fail) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', ok)
    child.once('exit', (code) => { fail(new Error(`relay exited with ${code}: ${stderr}`)) })
    setTimeout(() => { fail(new Error(`relay did not start in 30 s: ${stderr}`)) }, 30_000)
  }).catch((err: unknown) => {
    child.kill('SIGTERM')
    removeOwnDir()
    throw err
  })
  const info = JSON.parse(line) as { peerId: string, multiaddrs: string[] }
  const port = Number(/\/tcp\/(\d+)\//.exec(info.multiaddrs[0] ?? '')?.[1])
  return {
    ...info,
    port,
    child,
    stop: async () => {
      if (child.exitCode == null) {
        const exited = new Promise<void>(ok => child.once('exit', () => { ok() }))
        child.kill('SIGTERM')
        await exited
      }
      removeOwnDir()
      return child.exitCode
    }
  }
}

/** Poll `check` until it returns true or `timeoutMs` passes; returns the elapsed ms or throws with `describe()`. */
export async function waitFor (check: () => boolean, timeoutMs: number, describe: () => string, intervalMs = 100): Promise<number> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`)
    await new Promise(r => setTimeout(r, intervalMs))
  }
  return Date.now() - start
}
