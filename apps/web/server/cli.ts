/**
 * Serve the built app alone: `node --import ./scripts/node-env.js --import tsx apps/web/server/cli.ts --relay <multiaddr> [--port 8080] [--json]`
 */
import { parseArgs } from 'node:util'
import { startAppServer } from './app-server.ts'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: process.env.FEDMESH_APP_PORT ?? '8080' },
    relay: { type: 'string', multiple: true },
    'heartbeat-ms': { type: 'string' },
    'target-peers': { type: 'string' },
    json: { type: 'boolean', default: false }
  }
})
try {
  const server = await startAppServer({
    host: values.host,
    port: Number(values.port),
    config: {
      relayAddrs: values.relay ?? [],
      ...(values['heartbeat-ms'] != null ? { heartbeatMs: Number(values['heartbeat-ms']) } : {}),
      ...(values['target-peers'] != null ? { targetPeers: Number(values['target-peers']) } : {})
    }
  })
  console.log(values.json ? JSON.stringify({ event: 'listening', url: server.url }) : `fedmesh app on ${server.url}`)
  const stop = (): void => { server.stop().then(() => process.exit(0), () => process.exit(1)); setTimeout(() => process.exit(0), 2000).unref() }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} catch (err: any) {
  console.error(`fedmesh app: ${err?.message ?? err}`)
  process.exit(1)
}
