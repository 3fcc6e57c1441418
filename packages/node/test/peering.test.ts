import { beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TypedEventEmitter } from 'main-event'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { Peering, type PeerDirectory, type PeeringComponents } from '../src/peering/peering.ts'
import type { RelayLinkEvents, RelayLinkStatus } from '../src/relay-link/relay-link.ts'
import type { Connection, Libp2pEvents, PeerId } from '@libp2p/interface'

const RELAY = '/ip4/127.0.0.1/tcp/9/ws/p2p/12D3KooWRelay'

/** A relay whose rendezvous answers are released by the test, one request at a time. */
class FakeDirectory extends TypedEventEmitter<RelayLinkEvents> implements PeerDirectory {
  readonly requests: Array<(peers: string[]) => void> = []
  relayPeerIds (): Set<string> { return new Set(['12D3KooWRelay']) }
  dialAddress (peer: string): Multiaddr { return multiaddr(`${RELAY}/p2p-circuit/webrtc/p2p/${peer}`) }
  status (): RelayLinkStatus { return { addrs: [RELAY], connected: true, reserved: false, bootstraps: 1, failures: 0 } }
  async discover (): Promise<string[]> { return await new Promise(resolve => { this.requests.push(resolve) }) }
}

interface SetUp { peering: Peering, directory: FakeDirectory, dialled: string[], closed: string[], links: string[] }

/** `links`: peers with an open direct link (mutable); `hub`: the pinned peers and this node's hub capacity. */
function setUp (hub: { pinned?: () => string[], hubCapacity?: () => number | undefined } = {}): SetUp {
  const dialled: string[] = []
  const closed: string[] = []
  const links: string[] = []
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
  const components: PeeringComponents = {
    peerId: { toString: () => 'self' } as unknown as PeerId,
    connectionManager: {
      getConnections: () => links.map((peer, i) => ({
        remotePeer: { toString: () => peer },
        remoteAddr: multiaddr(`${RELAY}/p2p-circuit/webrtc/p2p/${peer}`),
        status: 'open',
        direction: 'inbound',
        timeline: { open: i },
        streams: []
      })),
      openConnection: async (target: Multiaddr) => {
        dialled.push(target.toString().split('/p2p/').at(-1) as string)
        return await new Promise<Connection>(() => {}) // dials stay in flight: only who is dialled matters here
      },
      closeConnections: async (peer: PeerId) => { closed.push(peer.toString()) }
    },
    events: new TypedEventEmitter<Libp2pEvents>(),
    logger: { forComponent: () => log }
  } as unknown as PeeringComponents
  const directory = new FakeDirectory()
  const peering = new Peering(components, {
    targetPeers: 6,
    maxPeers: 9,
    dialConcurrency: 2,
    dialTimeoutMs: 10_000,
    backoffBaseMs: 1000,
    backoffMaxMs: 30_000,
    discoveryIntervalMs: 3000,
    ticker: { every: () => () => {}, stop: () => {} },
    relayLink: () => directory,
    advertisedDegree: () => 8,
    ...hub
  })
  return { peering, directory, dialled, closed, links }
}

const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('Peering discovery', () => {
  it('asks the relay again once reserved, so two nodes that connected at the same moment still find each other', async () => {
    const { peering, directory, dialled } = setUp()
    peering.afterStart()
    directory.dispatchEvent(new CustomEvent('relay:connected', { detail: RELAY }))
    await settle()
    expect(directory.requests).toHaveLength(1)
    // reserved while the first request is out: its answer (nobody yet) cannot include the other node
    directory.dispatchEvent(new CustomEvent('relay:reserved', { detail: [`${RELAY}/p2p-circuit`] }))
    directory.requests[0]!([])
    await settle()
    expect(directory.requests).toHaveLength(2) // well inside the 3 s discovery interval
    directory.requests[1]!(['other'])
    await settle()
    expect(dialled).toEqual(['other'])
    peering.stop()
  })

  it('does not ask twice within the discovery interval otherwise', async () => {
    const { peering, directory } = setUp()
    peering.afterStart()
    directory.dispatchEvent(new CustomEvent('relay:connected', { detail: RELAY }))
    await settle()
    directory.requests[0]!([])
    await settle()
    peering.maintain()
    await settle()
    expect(directory.requests).toHaveLength(1)
    peering.stop()
  })
})

// NodeConfig.leaderLinks: every node links to the coordinator and its successor; those two accept links beyond maxPeers
describe('Peering with hubs (pinned peers)', () => {
  // real peer ids: pruning parses them
  const ids: string[] = []
  beforeAll(async () => {
    for (let i = 0; i < 21; i++) ids.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
  })
  const peers = (n: number): string[] => ids.slice(1, n + 1)
  const leader = (): string => ids[0] as string

  it('dials the pinned peers even with targetPeers links and the dial slots taken', async () => {
    const { peering, dialled, links } = setUp({ pinned: () => [leader(), '12D3KooWSuccessor', 'self'] })
    links.push(...peers(6))
    peering.afterStart()
    await settle()
    expect(dialled.sort()).toEqual([leader(), '12D3KooWSuccessor'].sort())
    peering.maintain() // both still in flight: not dialled twice
    expect(dialled).toHaveLength(2)
    peering.stop()
  })

  it('does not dial a pinned peer it already links to', async () => {
    const { peering, dialled, links } = setUp({ pinned: () => [leader()] })
    links.push(...peers(6), leader())
    peering.afterStart()
    await settle()
    expect(dialled).toEqual([])
    peering.stop()
  })

  it('prunes above maxPeers (its pinned links not counted) but never a pinned peer', async () => {
    const { peering, closed, links } = setUp({ pinned: () => [leader()] })
    links.push(...peers(9), leader())
    peering.afterStart()
    await settle()
    expect(closed).toEqual([]) // 9 links besides the pinned one: none too many
    // one more, opened before the pinned link: that stays the newest inbound one, which pruning would otherwise take first
    links.splice(9, 0, ids[10] as string)
    peering.maintain()
    expect(closed).toHaveLength(1)
    expect(closed).not.toContain(leader())
    peering.stop()
  })

  it('as a hub keeps links up to its capacity, and prunes back to maxPeers once it is not one', async () => {
    let capacity: number | undefined = 40
    const { peering, closed, links } = setUp({ hubCapacity: () => capacity })
    links.push(...peers(19))
    peering.afterStart()
    await settle()
    expect(closed).toEqual([])
    capacity = undefined
    peering.maintain()
    expect(closed).toHaveLength(10)
    peering.stop()
  })
})
