import type { GossipSub, PublishResult } from '@libp2p/gossipsub'

/**
 * GossipSub as it is, and as patched: its publish takes per-message options (`floodPublish`: send to every peer
 * subscribed to the topic, not only the mesh), which its public interface leaves out, and the patch's `alsoTo`
 * (send also to these peers, when connected and subscribed).
 */
export type FloodPublishing = GossipSub & {
  publish: (topic: string, data: Uint8Array, opts?: { floodPublish?: boolean, alsoTo?: string[] }) => Promise<PublishResult>
}
