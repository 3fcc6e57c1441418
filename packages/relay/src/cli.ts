/**
 * `pnpm relay [--host 127.0.0.1] [--port 9090] [--announce <multiaddr>]... [--key-file F] [--max-reservations N] [--json]`
 * Runs the relay alone until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { startRelay } from './relay.ts'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.FEDMESH_RELAY_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.FEDMESH_RELAY_PORT ?? '9090' },
    announce: { type: 'string', multiple: true },
    'key-file': { type: 'string', default: process.env.FEDMESH_RELAY_KEY_FILE ?? '.fedmesh/relay.key' },
    'max-reservations': { type: 'string', default: '1024' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

if (values.help) {
  console.log(`fedmesh relay: bootstraps tabs and signals WebRTC; never carries gossip.
  --host H               listen address (default 127.0.0.1)
  --port P               websocket port (default 9090; 0 picks a free one)
  --announce MA          address to announce instead (repeatable), e.g. /dns4/relay.example.com/tcp/443/wss
  --key-file F           private key file, keeps the peer id across restarts (default .fedmesh/relay.key)
  --max-reservations N   tabs that can reserve at once (default 1024)
  --json                 print one JSON line when listening`)
  process.exit(0)
}

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`fedmesh relay: --port must be 0..65535, got "${values.port}"`)
  process.exit(2)
}

try {
  const relay = await startRelay({
    host: values.host,
    port,
    announce: values.announce ?? [],
    keyFile: values['key-file'],
    maxReservations: Number(values['max-reservations'])
  })
  if (values.json) {
    console.log(JSON.stringify({ event: 'listening', peerId: relay.peerId, multiaddrs: relay.multiaddrs }))
  } else {
    console.log(`fedmesh relay ${relay.peerId} listening on:`)
    for (const ma of relay.multiaddrs) console.log(`  ${ma}`)
  }
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    if (!values.json) console.log(`fedmesh relay: ${signal}, stopping`)
    relay.stop().then(() => process.exit(0), (err) => { console.error(err); process.exit(1) })
    setTimeout(() => process.exit(0), 3000).unref()
  }
  process.on('SIGINT', () => { stop('SIGINT') })
  process.on('SIGTERM', () => { stop('SIGTERM') })
} catch (err: any) {
  console.error(`fedmesh relay: ${err?.message ?? err}`)
  process.exit(1)
}
