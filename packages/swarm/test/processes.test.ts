import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { assertPortFree, isPortFree, pickFreePort, PortInUseError, relayMultiaddr, ServiceProcess, splitCommand } from '../src/processes.ts'

const fakeRelay = fileURLToPath(new URL('./fixtures/fake-relay.mjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'swarm-processes-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const started: ServiceProcess[] = []
afterEach(async () => { await Promise.all(started.splice(0).map(async s => await s.stop(1000))) })

async function occupy (port = 0): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen({ host: '127.0.0.1', port }, resolve))
  return { server, port: (server.address() as { port: number }).port }
}

const relaySpec = (port: number, keyFile: string) => ({
  name: 'relay',
  argv: [process.execPath, fakeRelay, '--host', '127.0.0.1', '--port', String(port), '--key-file', keyFile, '--json'],
  cwd: dir,
  readyTimeoutMs: 20_000,
  port: { host: '127.0.0.1', port, option: '--relay-port' }
})

describe('ports', () => {
  it('tells a busy port from a free one and names the option in the error', async () => {
    const { server, port } = await occupy()
    try {
      expect(await isPortFree('127.0.0.1', port)).toBe(false)
      const err = await assertPortFree('127.0.0.1', port, '--relay-port').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PortInUseError)
      expect((err as Error).message).toBe(`port ${port} on 127.0.0.1 is already in use: choose another with --relay-port PORT, or --relay-port 0 to pick a free one`)
    } finally {
      server.close()
    }
    const free = await pickFreePort('127.0.0.1')
    expect(free).toBeGreaterThan(0)
    expect(await isPortFree('127.0.0.1', free)).toBe(true)
  })
})

describe('ServiceProcess', () => {
  it('waits for the listening line, stops with SIGTERM, and a restart with the same key keeps the peer id', async () => {
    const port = await pickFreePort('127.0.0.1')
    const keyFile = join(dir, 'relay.key')
    const first = await ServiceProcess.start(relaySpec(port, keyFile))
    started.push(first)
    expect(first.ready.event).toBe('listening')
    const addr = relayMultiaddr(first.ready)
    expect(addr).toBe(`/ip4/127.0.0.1/tcp/${port}/ws/p2p/${String(first.ready.peerId)}`)
    expect(first.stopRequested).toBe(false)
    expect(await first.stop()).toBe(0)
    expect(first.stopRequested).toBe(true)

    const second = await ServiceProcess.start(relaySpec(port, keyFile))
    started.push(second)
    expect(second.ready.peerId).toBe(first.ready.peerId)
    expect(relayMultiaddr(second.ready)).toBe(addr)
  })

  it('turns EADDRINUSE from the child into a message naming the port and option', async () => {
    const { server, port } = await occupy()
    try {
      const err = await ServiceProcess.start(relaySpec(port, join(dir, 'k2'))).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PortInUseError)
      expect((err as Error).message).toContain(`port ${port}`)
      expect((err as Error).message).toContain('--relay-port')
    } finally {
      server.close()
    }
  })

  it('reports the output of a process that exits before listening', async () => {
    const err = await ServiceProcess.start({
      name: 'app server',
      argv: [process.execPath, '-e', 'console.log("booting"); console.error("fedmesh app: apps/web/dist is missing"); process.exit(3)'],
      cwd: dir
    }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/^app server exited with 3 before it was listening .*; its last output:\n {2}booting\n {2}fedmesh app: apps\/web\/dist is missing$/s)
  })

  it('gives up on a process that never prints its listening line', async () => {
    const err = await ServiceProcess.start({
      name: 'relay', argv: [process.execPath, '-e', 'console.log("{\\"event\\":\\"starting\\"}"); setTimeout(() => {}, 60000)'], cwd: dir, readyTimeoutMs: 500
    }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/^relay did not print its listening line within 0.5 s/)
  })

  it('says so when the command does not exist', async () => {
    const err = await ServiceProcess.start({ name: 'relay', argv: ['/nonexistent/relay-binary'], cwd: dir }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/^relay could not be started \(\/nonexistent\/relay-binary\): .*ENOENT/)
  })
})

describe('relayMultiaddr', () => {
  it('prefers a loopback websocket address', () => {
    expect(relayMultiaddr({ event: 'listening', multiaddrs: ['/ip4/10.0.0.2/tcp/1/ws/p2p/X', '/ip4/127.0.0.1/tcp/1/tcp/2/p2p/X', '/ip4/127.0.0.1/tcp/1/ws/p2p/X'] }))
      .toBe('/ip4/127.0.0.1/tcp/1/ws/p2p/X')
    expect(relayMultiaddr({ event: 'listening', multiaddrs: ['/dns4/relay.example/tcp/443/wss/p2p/X'] })).toBe('/dns4/relay.example/tcp/443/wss/p2p/X')
    expect(() => relayMultiaddr({ event: 'listening' })).toThrow(/no multiaddrs/)
  })
})

describe('splitCommand', () => {
  it('splits on whitespace', () => {
    expect(splitCommand('  node  test/fake.mjs --x 1 ')).toEqual(['node', 'test/fake.mjs', '--x', '1'])
  })
})
