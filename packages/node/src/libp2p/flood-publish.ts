import type { GossipSub, PublishResult } from '@libp2p/gossipsub'

/**
 * GossipSub as it is: its publish takes per-message options (here `floodPublish`: send to every peer subscribed to the
 * topic, not only the mesh), which its public interface leaves out.
 */
export type FloodPublishing = GossipSub & {
  publish: (topic: string, data: Uint8Array, opts?: { floodPublish?: boolean }) => Promise<PublishResult>
}
