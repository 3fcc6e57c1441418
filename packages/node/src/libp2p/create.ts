/**
 * The libp2p assembly shared by browser tabs and Node.js nodes: websockets to reach the relay, circuit-relay-v2 to be
 * reachable through it for WebRTC signalling, WebRTC for every tab-to-tab link, noise + yamux, identify, ping,
 * gossipsub, and fedmesh's own services (relay link, peering, heartbeat, election) made by factories like libp2p's
 * own. In memory mode (Node simulations) the transport is libp2p's memory transport and discovery an in-process
 * directory; every service above the transport is the same.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { memory } from '@libp2p/memory'
import { plaintext } from '@libp2p/plaintext'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createLibp2p } from 'libp2p'
import { fastMessageId, idontwantMessageId, messageId } from './message-id.ts'
import { relayLink, type RelayLink } from '../relay-link/relay-link.ts'
import { peering, type Peering } from '../peering/peering.ts'
import { heartbeat, type Heartbeat } from '../heartbeat/heartbeat.ts'
import { linkProbe, type LinkProbe } from '../link-probe/link-probe.ts'
import { election, type ElectionService, type ElectionTimings } from '../election/election.ts'
import { training, MODEL_TOPIC, UPDATES_TOPIC, type TrainingService, type TrainingTuning } from '../training/training.ts'
import { memoryDirectory } from '../memory/memory-directory.ts'
import { MemoryNetwork, yieldBetweenGossipHops } from '../memory/memory-network.ts'
import type { PeerDirectory } from '../peering/peering.ts'
import { HUB_MAX_PEERS, type FedmeshConfig } from '../config.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { PrivateKey } from '@libp2p/interface'

/** gossipsub's second stream per peer, for update and model chunks only (the bulk lane; docs/protocol.md). */
export const BULK_LANE_PROTOCOL = '/fedmesh/meshsub-bulk/1.2.0'

export interface AssemblyOptions {
  config: FedmeshConfig
  ticker: Ticker
  privateKey?: PrivateKey
  hidden?: () => boolean
  /** Memory mode: link over libp2p's memory transport and discover through this in-process network (no relay). */
  memory?: MemoryNetwork
  /** Election timings (docs/election.md); defaults suit 1 s heartbeats. */
  election?: ElectionTimings
  /** Training service settings beyond the configuration (grace, tick, norm bound, randomness). */
  training?: TrainingTuning
}

export async function createFedmeshLibp2p (options: AssemblyOptions) {
  const { config, ticker, hidden, memory: network } = options
  // memory mode needs the peer id up front: it is the listen address, and partitions gate dials by it
  const privateKey = options.privateKey ?? (network != null ? await generateKeyPair('Ed25519') : undefined)
  const self = privateKey != null ? peerIdFromPrivateKey(privateKey).toString() : undefined
  const longestDialMs = Math.max(config.dialTimeoutMs, config.peerDialTimeoutMs)
  // with leaderLinks the coordinator and its successor hold a link to every member (up to HUB_MAX_PEERS)
  const mostPeers = config.leaderLinks ? Math.max(config.maxPeers, HUB_MAX_PEERS) : config.maxPeers
  // services reach each other lazily through the node, which exists once createLibp2p returns
  let selfId: string | undefined
  let services: { relayLink: PeerDirectory, peering: Peering, heartbeat: Heartbeat, linkProbe: LinkProbe, election: ElectionService, training: TrainingService } | undefined
  const alivePeers = (): string[] => services?.heartbeat.membership.list().filter(m => m.state === 'alive').map(m => m.peerId) ?? []
  const get = <T>(pick: (s: NonNullable<typeof services>) => T): (() => T) => () => {
    if (services == null) throw new Error('fedmesh node not assembled yet')
    return pick(services)
  }

  const node = await createLibp2p({
    ...(privateKey != null ? { privateKey } : {}),
    start: false,
    addresses: { listen: network != null && self != null ? [MemoryNetwork.addressOf(self)] : ['/p2p-circuit', '/webrtc'] },
    transports: network != null
      ? [memory({ latency: network.latencyMs })]
      : [
          webSockets(),
          circuitRelayTransport({ reservationCompletionTimeout: 20_000 }),
          webRTC({ rtcConfiguration: { iceServers: config.iceServers } })
        ],
    // In-process memory links carry nothing to hide, and noise's JS ChaCha20-Poly1305 was a sixth of a 20-node
    // simulation's CPU. Messages stay signed (StrictSign, signed votes), so authentication is as in a tab.
    connectionEncrypters: network != null ? [plaintext()] : [noise()],
    streamMuxers: [yamux()],
    // the browser default refuses private addresses and ws://, which a loopback or LAN relay needs
    connectionGater: {
      denyDialMultiaddr: () => false,
      // memory-mode partitions: no links across sides
      ...(network != null && self != null
        ? {
            denyDialPeer: (peer: { toString: () => string }) => !network.reachable(self, peer.toString()),
            denyInboundEncryptedConnection: (peer: { toString: () => string }) => !network.reachable(self, peer.toString())
          }
        : {})
    },
    connectionManager: {
      maxConnections: mostPeers * 2 + 8,
      maxParallelDials: config.dialConcurrency * 2 + 2,
      // the longer of the two: the relay link and peering each bound their own dials with a signal
      dialTimeout: longestDialMs,
      addressDialTimeout: longestDialMs,
      inboundConnectionThreshold: 1000,
      // The answering side of a dial must wait as long as the dialler does. libp2p's default inbound upgrade timeout
      // (10 s) also bounds @libp2p/webrtc's inbound signalling; on a loaded machine a WebRTC dial takes 6-20 s, so the
      // answerer gave up first and the dialler saw "Unexpected EOF" or "The stream has been reset" after 10-20 s:
      // two thirds of the failed dials of a 20-tab start-up, each after most of the work was done
      inboundUpgradeTimeout: config.peerDialTimeoutMs
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
        // A tab's CPU follows the data-channel messages (SCTP packets) it sends and receives (docs/benchmarks.md), and
        // every mesh peer forwards each message once: a mesh degree of 3, at most 5 (of ~6 direct links), keeps the
        // copies of each message low while IHAVE gossip to 3 other links repairs what the mesh misses. Incoming grafts
        // fill meshes towards Dhi (tab 0 of 12 forwarded each heartbeat 4.3 times); Dhi 3 halved that, but then a node
        // that had just joined missed a model message in an integration test (4 of 8 runs; most likely pruned from
        // meshes that were already full), so Dhi stays 5.
        D: Math.min(3, config.targetPeers),
        Dlo: Math.min(2, config.targetPeers),
        Dhi: Math.max(Math.min(3, config.targetPeers), Math.min(5, config.maxPeers)),
        Dout: 1,
        // (patched, patches/@libp2p__gossipsub@17.1.1.patch) RPCs to one peer in the same task are one write: with
        // heartbeats published on aligned ticks a burst of forwards to a peer becomes one data-channel message
        batchOutboundRpcs: true,
        // own messages go to the mesh, not to every subscribed peer
        floodPublish: false,
        // IDONTWANT costs one extra send per message per mesh peer; worth it only for large messages (model updates).
        // (patched) Sent on receipt, before the signature check: at 20 tabs each update reached a tab about twice.
        idontwantMinDataSize: 16 * 1024,
        idontwantMsgIdFn: idontwantMessageId,
        // gossipsub's own heartbeat (mesh upkeep, IHAVE gossip) need not match ours: every 2 s halves its cost
        heartbeatInterval: 2000,
        Dlazy: 3,
        // 16-byte ids instead of 44 (./message-id.ts): an IHAVE names every message of the last 3 gossipsub heartbeats
        // (6 s), so at 20 tabs it carried several KiB of ids. (mcacheGossip 1 would advertise each id once instead of
        // three times; it was only tried together with Dhi 3, so it is left at the default.)
        msgIdFn: messageId,
        // (patched) Update and model chunks go to each peer on a stream of their own: sharing one stream (one data
        // channel) with everything else, votes, Leads and IDONTWANTs waited behind queued chunks. At 20 tabs the lane
        // cut the round overhead from 1.41 to 1.21 s and claims' delay from 1.2 to 0.7 s (docs/benchmarks.md,
        // sixteenth session).
        ...(config.bulkLane ? { bulkLane: { protocol: BULK_LANE_PROTOCOL, topics: [UPDATES_TOPIC, MODEL_TOPIC] } } : {}),
        fastMsgIdFn: fastMessageId
      }),
      // the peer directory: the relay link in a tab, the in-process network in memory mode
      relayLink: (network != null
        ? memoryDirectory({ network })
        : relayLink({ ...config, backoffMaxMs: config.relayBackoffMaxMs, ticker })) as (components: any) => PeerDirectory & RelayLinkLike,
      peering: peering({
        ...config,
        dialTimeoutMs: config.peerDialTimeoutMs,
        ticker,
        relayLink: get(s => s.relayLink),
        gossipCandidates: alivePeers,
        advertisedDegree: (peerId: string) => services?.heartbeat.membership.get(peerId)?.last?.metrics.directPeers,
        ...(config.leaderLinks
          ? {
              // beyond what a hub can hold, members would only be pruned by it and redial: no pins then
              pinned: () => services !== undefined && alivePeers().length < mostPeers ? services.election.hubs() : [],
              hubCapacity: () => selfId !== undefined && services?.election.hubs().includes(selfId) === true ? mostPeers : undefined
            }
          : config.successorLink
            ? {
                // only the two hubs pin each other: the closing coordinator's resign (written to its direct links)
                // reaches the successor without a forwarding hop (NodeConfig.successorLink)
                pinned: () => selfId !== undefined && services?.election.hubs().includes(selfId) === true ? services.election.hubs() : []
              }
            : {})
      }),
      linkProbe: linkProbe({ intervalMs: config.pingIntervalMs, ticker, neighbours: () => services?.peering.directPeers() ?? [] }),
      heartbeat: heartbeat({
        heartbeatMs: config.heartbeatMs,
        ticker,
        peering: get(s => s.peering),
        links: get(s => s.linkProbe.stats),
        modelHead: () => services?.training.head(),
        leaves: config.leaves,
        ...(hidden != null ? { hidden } : {})
      }),
      election: election({
        ticker,
        heartbeat: get(s => s.heartbeat),
        timings: { ...options.election, pledge: config.pledges },
        floodLeads: config.leaderFlood,
        ...(hidden != null ? { hidden } : {})
      }),
      // federated rounds: idle until the app (or a simulation) hands it a model and a learner (TrainingService.begin)
      training: training({
        ticker,
        heartbeat: get(s => s.heartbeat),
        election: get(s => s.election),
        neighbours: () => services?.peering.directPeers() ?? [],
        attack: config.attack,
        aggregator: { rule: config.rule, f: config.f },
        minParticipants: config.minParticipants,
        deadlineMs: config.roundDeadlineMs,
        maxRounds: config.rounds,
        paceMs: config.learnEveryMs,
        trainAfterModelMs: config.trainAfterModelMs,
        takeoverLastFWaitMs: config.takeoverLastFWaitMs,
        floodModelTopic: config.leaderFlood,
        updatesToHubs: config.leaderLinks,
        compressUpdates: config.compressUpdates,
        ...options.training
      })
    }
  })
  services = node.services
  selfId = node.peerId.toString()
  if (network != null) yieldBetweenGossipHops(node.services.pubsub)
  return node
}

/** What the node needs of its peer directory besides peering's part: start-up events and status. */
type RelayLinkLike = Pick<RelayLink, 'status' | 'addEventListener' | 'removeEventListener'>

export type FedmeshLibp2p = Awaited<ReturnType<typeof createFedmeshLibp2p>>
