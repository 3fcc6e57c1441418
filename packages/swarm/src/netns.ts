/**
 * Keeping a swarm run on loopback. As root, the CLI re-executes itself under `unshare -n` in a fresh network
 * namespace whose only interface is `lo`: relay, app server and Chromium then cannot reach or be reached from
 * anything else, and Chromium has no other address to offer as an ICE candidate.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { constants } from 'node:os'

/** Set in the re-executed process so it does not try again. */
export const NETNS_ENV = 'FEDMESH_NETNS'

export type NetnsAction =
  | { action: 'reexec' }
  | { action: 'inside' }
  | { action: 'host', reason: string }

export interface NetnsInputs {
  isRoot: boolean
  /** The FEDMESH_NETNS environment variable. */
  marker: string | undefined
  /** --no-netns */
  disabled: boolean
}

export function decideNetns (inputs: NetnsInputs): NetnsAction {
  if (inputs.marker === '1') return { action: 'inside' }
  if (inputs.disabled) return { action: 'host', reason: '--no-netns was given' }
  if (!inputs.isRoot) return { action: 'host', reason: 'not running as root, so no private network namespace (unshare -n needs root)' }
  return { action: 'reexec' }
}

/** Can this process create a network namespace and bring `lo` up in it? Returns the error text if not. */
export function probeUnshare (): { ok: true } | { ok: false, error: string } {
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8', timeout: 10_000 })
  if (r.error !== undefined) return { ok: false, error: r.error.message }
  if (r.status !== 0) return { ok: false, error: (r.stderr || r.stdout || `exit ${r.status}`).trim() }
  return { ok: true }
}

/** The command that re-runs this very process inside a new network namespace with `lo` up. */
export function netnsCommand (argv: string[]): string[] {
  // "$0" "$@" re-quotes the original argv exactly; nothing passes through the shell's word splitting.
  return ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', ...argv]
}

/**
 * Run this same command again inside a new network namespace and resolve with its exit code. SIGINT/SIGTERM are
 * passed on, so Ctrl-C stops the inner run (which then cleans up and writes its report) rather than orphaning it.
 */
export async function reexecInNetns (): Promise<number> {
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)]
  const [command, ...args] = netnsCommand(argv)
  const child = spawn(command!, args, { stdio: 'inherit', env: { ...process.env, [NETNS_ENV]: '1' } })
  const forward = (signal: NodeJS.Signals): void => { child.kill(signal) }
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code, signal) => { resolve(code ?? (signal === null ? 1 : 128 + (signalNumber(signal) ?? 0))) })
    })
  } finally {
    process.off('SIGINT', forward)
    process.off('SIGTERM', forward)
  }
}

function signalNumber (signal: NodeJS.Signals): number | undefined {
  return constants.signals[signal]
}

/**
 * Network interfaces of this process's namespace, e.g. ['lo'] inside it. Read from /proc/self/net/dev, which follows
 * the current network namespace; /sys/class/net would still show the host's interfaces after `unshare -n`.
 */
export function networkInterfaces (): string[] {
  try {
    return parseNetDev(readFileSync('/proc/self/net/dev', 'utf8'))
  } catch {
    return []
  }
}

export function parseNetDev (text: string): string[] {
  return text.split('\n').slice(2).map(l => l.split(':')[0]!.trim()).filter(n => n !== '').sort()
}
