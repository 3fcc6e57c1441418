import { describe, expect, it } from 'vitest'
import { TypedEventEmitter } from 'main-event'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RelayLink, type RelayLinkComponents } from '../src/relay-link/relay-link.ts'
import type { Connection, Libp2pEvents } from '@libp2p/interface'

/** A relay link whose relay connections the test opens and closes; its own dials never finish. */
async function setUp (): Promise<{ link: RelayLink, events: TypedEventEmitter<Libp2pEvents>, relayConn: () => Connection, open: Set<Connection>, dials: { count: number } }> {
  const relay = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const events = new TypedEventEmitter<Libp2pEvents>()
  const open = new Set<Connection>()
  const dials = { count: 0 }
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
  const components: RelayLinkComponents = {
    connectionManager: {
      getConnections: () => [...open],
      openConnection: async () => { dials.count++; return await new Promise<Connection>(() => {}) },
      closeConnections: async () => {}
    },
    events,
    logger: { forComponent: () => log },
    addressManager: { getAddresses: () => [] }
  } as unknown as RelayLinkComponents
  const link = new RelayLink(components, {
    relayAddrs: [`/ip4/127.0.0.1/tcp/9/ws/p2p/${relay.toString()}`],
    backoffBaseMs: 500,
    backoffMaxMs: 5000,
    dialTimeoutMs: 10_000,
    ticker: { every: () => () => {}, stop: () => {} } as any
  })
  const relayConn = (): Connection => ({ remotePeer: relay, status: 'open' }) as unknown as Connection
  return { link, events, relayConn, open, dials }
}

describe('RelayLink', () => {
  it('counts a relay connection that libp2p opened on its own (its redial of a kept-alive relay) as a re-bootstrap', async () => {
    const { link, events, relayConn, open, dials } = await setUp()
    const connected: string[] = []
    link.addEventListener('relay:connected', evt => { connected.push(evt.detail) })
    link.afterStart()
    expect(dials.count).toBe(1) // its own first dial, which never finishes here
    const first = relayConn()
    open.add(first)
    events.safeDispatchEvent('connection:open', { detail: first })
    expect(link.status()).toMatchObject({ connected: true, bootstraps: 1 })
    // the relay goes away, and comes back through a connection this service did not dial
    open.delete(first)
    events.safeDispatchEvent('connection:close', { detail: first })
    await Promise.resolve()
    expect(link.status()).toMatchObject({ connected: false, lastError: 'relay connection closed' })
    const again = relayConn()
    open.add(again)
    events.safeDispatchEvent('connection:open', { detail: again })
    expect(link.status()).toMatchObject({ connected: true, bootstraps: 2 })
    expect(link.status().lastError).toBeUndefined()
    expect(connected).toHaveLength(2)
    link.stop()
  })

  it('does not count connections to other peers', async () => {
    const { link, events } = await setUp()
    link.afterStart()
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    events.safeDispatchEvent('connection:open', { detail: { remotePeer: other, status: 'open' } as unknown as Connection })
    expect(link.status().bootstraps).toBe(0)
    link.stop()
  })
})
