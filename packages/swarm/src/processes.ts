/**
 * The relay and the app server as child processes: start, wait for the one JSON line they print when listening,
 * stop with SIGTERM (SIGKILL if they hang), restart the relay on the same port and key file.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'

export class PortInUseError extends Error {
  constructor (readonly host: string, readonly port: number, readonly option: string) {
    super(`port ${port} on ${host} is already in use: choose another with ${option} PORT, or ${option} 0 to pick a free one`)
    this.name = 'PortInUseError'
  }
}

/** Resolves true if `port` can be bound on `host` right now. */
export async function isPortFree (host: string, port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen({ host, port, exclusive: true }, () => { server.close(() => { resolve(true) }) })
  })
}

export async function assertPortFree (host: string, port: number, option: string): Promise<void> {
  if (!(await isPortFree(host, port))) throw new PortInUseError(host, port, option)
}

/**
 * A free port, chosen now. The relay needs a fixed port rather than 0 so a restarted relay comes back at the
 * address the tabs bootstrap from.
 */
export async function pickFreePort (host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ host, port: 0 }, () => {
      const addr = server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

export interface ServiceSpec {
  /** For messages: "relay", "app server". */
  name: string
  /** argv[0] and its arguments. */
  argv: string[]
  cwd: string
  env?: NodeJS.ProcessEnv
  /** How long to wait for the listening line. */
  readyTimeoutMs?: number
  /** The port this service was told to use and the option that sets it, to name both when the port is taken. */
  port?: { host: string, port: number, option: string }
  /** Called with every output line after the listening line (and every stderr line), e.g. for --verbose. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
}

export interface ListeningLine {
  event: 'listening'
  [key: string]: unknown
}

const TAIL_LINES = 40

/** A child process that prints `{"event":"listening",...}` on stdout once ready. */
export class ServiceProcess {
  readonly ready: ListeningLine
  readonly startedAt: number
  readonly listeningAt: number
  /** Resolves with the exit code (or signal name) when the process exits, for whatever reason. */
  readonly exited: Promise<number | string>
  private stopping = false
  private readonly tail: string[]

  private constructor (readonly spec: ServiceSpec, private readonly child: ChildProcess, ready: ListeningLine, startedAt: number, tail: string[], exited: Promise<number | string>) {
    this.ready = ready
    this.startedAt = startedAt
    this.listeningAt = Date.now()
    this.tail = tail
    this.exited = exited
  }

  get pid (): number { return this.child.pid ?? -1 }
  /** True once stop() was called: an exit after that is expected. */
  get stopRequested (): boolean { return this.stopping }
  /** The last lines the process printed, for error messages. */
  outputTail (): string { return this.tail.join('\n') }

  static async start (spec: ServiceSpec): Promise<ServiceProcess> {
    const [command, ...args] = spec.argv
    if (command === undefined) throw new Error(`${spec.name}: empty command`)
    const startedAt = Date.now()
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const tail: string[] = []
    const remember = (line: string): void => {
      tail.push(line)
      if (tail.length > TAIL_LINES) tail.shift()
    }
    let spawnError: Error | undefined
    // A command that cannot be spawned emits 'error' and never 'exit'.
    const exited = new Promise<number | string>(resolve => {
      child.once('exit', (code, signal) => { resolve(code ?? signal ?? 'unknown') })
      child.once('error', err => {
        spawnError = err
        if (child.pid === undefined) resolve('not started')
      })
    })

    const ready = await new Promise<ListeningLine>((resolve, reject) => {
      let settled = false
      const settle = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        fn()
      }
      const timeoutMs = spec.readyTimeoutMs ?? 60_000
      const timer = setTimeout(() => {
        settle(() => {
          child.kill('SIGKILL')
          reject(new Error(`${spec.name} did not print its listening line within ${timeoutMs / 1000} s (${spec.argv.join(' ')})${describeTail(tail)}`))
        })
      }, timeoutMs)
      createInterface({ input: child.stdout! }).on('line', line => {
        remember(line)
        if (settled) { spec.onLine?.(line, 'stdout'); return }
        if (!line.trimStart().startsWith('{')) return
        try {
          const parsed = JSON.parse(line) as { event?: unknown }
          if (parsed.event === 'listening') settle(() => { resolve(parsed as ListeningLine) })
        } catch {
          // not the JSON line; keep waiting
        }
      })
      createInterface({ input: child.stderr! }).on('line', line => {
        remember(line)
        spec.onLine?.(line, 'stderr')
      })
      void exited.then(code => {
        settle(() => {
          const text = tail.join('\n')
          if (spec.port !== undefined && /EADDRINUSE|address already in use/i.test(text)) {
            reject(new PortInUseError(spec.port.host, spec.port.port, spec.port.option))
          } else if (spawnError !== undefined) {
            reject(new Error(`${spec.name} could not be started (${spec.argv.join(' ')}): ${spawnError.message}`))
          } else {
            reject(new Error(`${spec.name} exited with ${code} before it was listening (${spec.argv.join(' ')})${describeTail(tail)}`))
          }
        })
      })
    })
    return new ServiceProcess(spec, child, ready, startedAt, tail, exited)
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code or signal. */
  async stop (graceMs = 5000): Promise<number | string> {
    this.stopping = true
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => { this.child.kill('SIGKILL') }, graceMs)
      try {
        return await this.exited
      } finally {
        clearTimeout(timer)
      }
    }
    return await this.exited
  }
}

function describeTail (tail: string[]): string {
  return tail.length === 0 ? '; it printed nothing' : `; its last output:\n  ${tail.slice(-15).join('\n  ')}`
}

/** The first websocket multiaddr in the relay's listening line, preferring loopback. */
export function relayMultiaddr (ready: ListeningLine): string {
  const addrs = Array.isArray(ready.multiaddrs) ? ready.multiaddrs.filter((a): a is string => typeof a === 'string') : []
  const ws = addrs.filter(a => /\/wss?(\/|$)/.test(a))
  const pick = ws.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? ws[0] ?? addrs[0]
  if (pick === undefined) throw new Error(`the relay's listening line has no multiaddrs: ${JSON.stringify(ready)}`)
  return pick
}

/** Split a command given on the command line ("node path/to/fake.mjs") into argv. No quoting: paths without spaces. */
export function splitCommand (command: string): string[] {
  return command.trim().split(/\s+/).filter(s => s !== '')
}
