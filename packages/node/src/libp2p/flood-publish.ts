import type { GossipSub, PublishResult } from '@libp2p/gossipsub'

/**
 * GossipSub as it is: its publish takes per-message options, which its public interface leaves out: `floodPublish`
 * (send to every peer subscribed to the topic, not only the mesh) and, patched in, `alsoTo` (these subscribed peers
 * get it directly too).
 */
export type FloodPublishing = GossipSub & {
  publish: (topic: string, data: Uint8Array, opts?: { floodPublish?: boolean, alsoTo?: string[] }) => Promise<PublishResult>
}
