import { describe, expect, it } from 'vitest'
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

function setUp (): { peering: Peering, directory: FakeDirectory, dialled: string[] } {
  const dialled: string[] = []
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
  const components: PeeringComponents = {
    peerId: { toString: () => 'self' } as unknown as PeerId,
    connectionManager: {
      getConnections: () => [],
      openConnection: async (target: Multiaddr) => {
        dialled.push(target.toString().split('/p2p/').at(-1) as string)
        return await new Promise<Connection>(() => {}) // dials stay in flight: only who is dialled matters here
      },
      closeConnections: async () => {}
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
    relayLink: () => directory
  })
  return { peering, directory, dialled }
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
