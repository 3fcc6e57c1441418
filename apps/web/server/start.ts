/**
 * The main job (`pnpm start`): the relay and the app on localhost with an embedded default configuration.
 * Open the printed URL in several tabs: each tab becomes a mesh node.
 */
import { parseArgs } from 'node:util'
import { startRelay } from '@fedmesh/relay'
import { startAppServer } from './app-server.ts'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.FEDMESH_HOST ?? '127.0.0.1' },
    'relay-port': { type: 'string', default: process.env.FEDMESH_RELAY_PORT ?? '9090' },
    'app-port': { type: 'string', default: process.env.FEDMESH_APP_PORT ?? '8080' },
    'key-file': { type: 'string', default: '.fedmesh/relay.key' },
    announce: { type: 'string', multiple: true }
  }
})

try {
  const relay = await startRelay({ host: values.host, port: Number(values['relay-port']), keyFile: values['key-file'], announce: values.announce ?? [] })
  const app = await startAppServer({ host: values.host, port: Number(values['app-port']), config: { relayAddrs: relay.multiaddrs } }).catch(async (err) => {
    await relay.stop()
    throw err
  })
  console.log(`fedmesh relay ${relay.peerId}\n  ${relay.multiaddrs.join('\n  ')}`)
  console.log(`\nfedmesh app: open ${app.url} in several tabs (each tab is a mesh node). Ctrl-C stops.`)
  const stop = (): void => {
    Promise.all([app.stop(), relay.stop()]).then(() => process.exit(0), () => process.exit(1))
    setTimeout(() => process.exit(0), 3000).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} catch (err: any) {
  console.error(`fedmesh: ${err?.message ?? err}`)
  process.exit(1)
}
