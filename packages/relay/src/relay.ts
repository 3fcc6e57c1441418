/**
 * The relay: a Node.js libp2p process that only bootstraps and signals. Tabs reach it over websockets, hold a
 * circuit-relay-v2 reservation so others can reach them for WebRTC signalling, and ask it (rendezvous) which tabs
 * exist. It does not run gossipsub: tab-to-tab traffic goes over direct WebRTC.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { lpStream } from '@libp2p/utils'
import { RENDEZVOUS_PROTOCOL, decodeRequest, encodeJson, sample, RENDEZVOUS_VERSION, MAX_RENDEZVOUS_BYTES } from '@fedmesh/node'
import type { PrivateKey, Stream, Connection } from '@libp2p/interface'

export interface RelayOptions {
  host?: string
  port?: number
  /** Addresses to announce instead of the listen addresses (e.g. a public wss address behind a TLS proxy). */
  announce?: string[]
  /** File holding the relay's private key, so its peer id (and so its multiaddr) survives restarts. */
  keyFile?: string
  /** Tabs that can hold a reservation at once. */
  maxReservations?: number
}

export interface Relay {
  peerId: string
  multiaddrs: string[]
  reservations: () => number
  stop: () => Promise<void>
}

export class RelayStartError extends Error {
  override name = 'RelayStartError'
}

export async function loadOrCreateKey (keyFile?: string): Promise<PrivateKey> {
  if (keyFile == null) return generateKeyPair('Ed25519')
  try {
    const text = await readFile(keyFile, 'utf8')
    return privateKeyFromProtobuf(Buffer.from(text.trim(), 'base64'))
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw new RelayStartError(`cannot read relay key file ${keyFile}: ${err?.message ?? err}`)
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(dirname(keyFile), { recursive: true })
  await writeFile(keyFile, Buffer.from(privateKeyToProtobuf(key)).toString('base64') + '\n', { mode: 0o600 })
  return key
}

export async function startRelay (options: RelayOptions = {}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 9090
  const maxReservations = options.maxReservations ?? 1024
  const privateKey = await loadOrCreateKey(options.keyFile)
  const listen = `/${host.includes(':') ? 'ip6' : 'ip4'}/${host}/tcp/${port}/ws`

  let node
  try {
    node = await createLibp2p({
      privateKey,
      addresses: { listen: [listen], announce: options.announce ?? [] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialMultiaddr: () => false },
      connectionManager: {
        // every tab on a machine shares one IP: the per-IP inbound rate limit would refuse tab 6+
        inboundConnectionThreshold: 100_000,
        maxIncomingPendingConnections: 1_000,
        maxConnections: maxReservations * 2 + 64
      },
      // the relay must not drop a busy tab's websocket because one ping was slow
      connectionMonitor: { enabled: false },
      services: {
        identify: identify(),
        ping: ping(),
        relay: circuitRelayServer({
          reservations: {
            maxReservations,
            // signalling for one WebRTC dial is a few KiB; leave room for retries and ICE restarts
            defaultDataLimit: BigInt(1 << 20),
            defaultDurationLimit: 2 * 60_000
          },
          maxInboundHopStreams: 4096,
          maxOutboundStopStreams: 4096
        })
      }
    })
  } catch (err: any) {
    throw explainStartError(err, host, port)
  }

  const random = Math.random
  await node.handle(RENDEZVOUS_PROTOCOL, async (stream: Stream, connection: Connection) => {
    const lp = lpStream(stream, { maxDataLength: MAX_RENDEZVOUS_BYTES })
    try {
      const request = decodeRequest((await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray())
      const me = connection.remotePeer.toString()
      const reserved = [...node.services.relay.reservations.keys()].map(p => p.toString()).filter(p => p !== me)
      await lp.write(encodeJson({ v: RENDEZVOUS_VERSION, peers: sample(reserved, request.limit, random) }))
      await stream.close()
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, { runOnLimitedConnection: false, maxInboundStreams: 64 })

  const multiaddrs = node.getMultiaddrs().map(ma => ma.toString())
  return {
    peerId: node.peerId.toString(),
    multiaddrs,
    reservations: () => node.services.relay.reservations.size,
    stop: async () => { await node.stop() }
  }
}

function explainStartError (err: any, host: string, port: number): Error {
  const text = `${err?.message ?? err} ${err?.cause?.message ?? ''} ${err?.code ?? ''} ${err?.cause?.code ?? ''}`
  if (/EADDRINUSE|address already in use/i.test(text)) {
    return new RelayStartError(`port ${port} on ${host} is already in use: stop the other process or choose another port with --port <n> (FEDMESH_RELAY_PORT)`)
  }
  if (/EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN|cannot assign/i.test(text)) {
    return new RelayStartError(`cannot listen on ${host}: it is not an address of this machine; use --host 127.0.0.1 or one of this machine's addresses`)
  }
  if (/EACCES/i.test(text)) {
    return new RelayStartError(`not allowed to listen on port ${port}: use a port above 1023 with --port <n>`)
  }
  return err instanceof Error ? err : new Error(String(err))
}
