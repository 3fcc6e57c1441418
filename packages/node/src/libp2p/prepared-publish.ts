import type { PeerId } from '@libp2p/interface'

/** A message gossipsub signed ahead of time (opaque here; the patch does not export its type). */
export interface PreparedMessage { readonly topic: string, readonly msgIdStr: string }

/**
 * Gossipsub with fedmesh's patch (patches/@libp2p__gossipsub@17.1.1.patch): sign now, publish synchronously later. A
 * closing tab is not promised a task after its unload handler, and a WebCrypto signature resolves in a later one, so
 * what a node says on its way out (the election's resign, the heartbeat's leave) is signed ahead with this.
 */
export interface PreparedPublishing {
  prepareMessage?: (topic: string, data: Uint8Array) => Promise<PreparedMessage>
  publishPrepared?: (prepared: PreparedMessage) => { recipients: PeerId[] }
}
