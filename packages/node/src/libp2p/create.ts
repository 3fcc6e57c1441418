/**
 * The libp2p assembly shared by browser tabs and Node.js nodes: websockets to reach the relay, circuit-relay-v2 to be
 * reachable through it for WebRTC signalling, WebRTC for every tab-to-tab link, noise + yamux, identify, ping,
 * gossipsub, and fedmesh's own services (relay link, peering, heartbeat) made by factories like libp2p's own.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { toString } from 'uint8arrays/to-string'
import { relayLink, type RelayLink } from '../relay-link/relay-link.ts'
import { peering, type Peering } from '../peering/peering.ts'
import { heartbeat, type Heartbeat } from '../heartbeat/heartbeat.ts'
import { linkProbe, type LinkProbe } from '../link-probe/link-probe.ts'
import type { FedmeshConfig } from '../config.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface AssemblyOptions {
  config: FedmeshConfig
  ticker: Ticker
  privateKey?: PrivateKey
  hidden?: () => boolean
}

export async function createFedmeshLibp2p ({ config, ticker, privateKey, hidden }: AssemblyOptions) {
  // services reach each other lazily through the node, which exists once createLibp2p returns
  let services: { relayLink: RelayLink, peering: Peering, heartbeat: Heartbeat, linkProbe: LinkProbe } | undefined
  const get = <T>(pick: (s: NonNullable<typeof services>) => T): (() => T) => () => {
    if (services == null) throw new Error('fedmesh node not assembled yet')
    return pick(services)
  }

  const node = await createLibp2p({
    ...(privateKey != null ? { privateKey } : {}),
    start: false,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      circuitRelayTransport({ reservationCompletionTimeout: 20_000 }),
      webRTC({ rtcConfiguration: { iceServers: config.iceServers } })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // the browser default refuses private addresses and ws://, which a loopback or LAN relay needs
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: {
      maxConnections: config.maxPeers * 2 + 8,
      maxParallelDials: config.dialConcurrency * 2 + 2,
      dialTimeout: config.dialTimeoutMs,
      addressDialTimeout: config.dialTimeoutMs,
      inboundConnectionThreshold: 1000
    },
    // on a CPU-starved machine one slow ping would abort the relay websocket and every reservation with it;
    // link quality is measured by the heartbeat service's own pings instead
    connectionMonitor: { enabled: false },
    services: {
      // relayed tab-to-tab circuits only carry WebRTC signalling; identifying over them is wasted work
      identify: identify({ runOnLimitedConnection: false }),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // gossip must not ride the relay's limited circuits: only direct links carry it
        runOnLimitedConnection: false,
        // Each gossip write to a peer is a blocking RTCDataChannel.send plus an SCTP message in a tab, the largest CPU
        // cost measured (docs/benchmarks.md): a mesh degree of 3, at most 5 (of ~6 direct links), keeps the copies
        // of each message low while gossip (IHAVE) covers the other links.
        D: Math.min(3, config.targetPeers),
        Dlo: Math.min(2, config.targetPeers),
        Dhi: Math.max(Math.min(3, config.targetPeers), Math.min(5, config.maxPeers)),
        Dout: 1,
        // (patched, patches/@libp2p__gossipsub@17.1.1.patch) RPCs to one peer in the same task are one write: with
        // heartbeats published on aligned ticks a burst of forwards to a peer becomes one data-channel message
        batchOutboundRpcs: true,
        // own messages go to the mesh, not to every subscribed peer
        floodPublish: false,
        // IDONTWANT costs one extra send per message per mesh peer; worth it only for large messages (model updates)
        idontwantMinDataSize: 16 * 1024,
        // gossipsub's own heartbeat (mesh upkeep, IHAVE gossip) need not match ours: every 2 s halves its cost
        heartbeatInterval: 2000,
        Dlazy: 3,
        // Every copy of a message (one per mesh peer) is signature-checked before the seen-cache lookup unless a fast
        // id lets duplicates be dropped first. StrictSign ids are author + seqno, so this id is exact, not a hash.
        fastMsgIdFn: fastMessageId
      }),
      relayLink: relayLink({ ...config, backoffMaxMs: config.relayBackoffMaxMs, ticker }),
      peering: peering({
        ...config,
        ticker,
        relayLink: get(s => s.relayLink),
        gossipCandidates: () => services?.heartbeat.membership.list().filter(m => m.state === 'alive').map(m => m.peerId) ?? [],
        advertisedDegree: (peerId: string) => services?.heartbeat.membership.get(peerId)?.last?.metrics.directPeers
      }),
      linkProbe: linkProbe({ intervalMs: config.pingIntervalMs, ticker, neighbours: () => services?.peering.directPeers() ?? [] }),
      heartbeat: heartbeat({
        heartbeatMs: config.heartbeatMs,
        ticker,
        peering: get(s => s.peering),
        links: get(s => s.linkProbe.stats),
        ...(hidden != null ? { hidden } : {})
      })
    }
  })
  services = node.services
  return node
}

function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array, data?: Uint8Array }): string {
  if (msg.from == null || msg.seqno == null) return `nosig:${msg.data?.byteLength ?? 0}:${Math.random()}`
  return toString(msg.from, 'base64') + toString(msg.seqno, 'base16')
}

export type FedmeshLibp2p = Awaited<ReturnType<typeof createFedmeshLibp2p>>
