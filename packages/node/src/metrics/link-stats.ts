/**
 * Per-neighbour link quality from libp2p pings: smoothed RTT, jitter (mean deviation) and loss over the last pings.
 * Pings are spread over the interval so a node with many neighbours doesn't burst.
 */
export interface LinkQuality { rttMs?: number, jitterMs?: number, loss: number, pings: number }

const WINDOW = 20

export class LinkStats {
  private readonly links = new Map<string, { rtt?: number, jitter?: number, outcomes: boolean[] }>()

  record (peerId: string, rttMs: number | undefined): void {
    let link = this.links.get(peerId)
    if (link == null) { link = { outcomes: [] }; this.links.set(peerId, link) }
    link.outcomes.push(rttMs != null)
    if (link.outcomes.length > WINDOW) link.outcomes.shift()
    if (rttMs == null) return
    if (link.rtt == null) {
      link.rtt = rttMs
      link.jitter = 0
    } else {
      // RFC 6298-style smoothing
      link.jitter = 0.75 * (link.jitter ?? 0) + 0.25 * Math.abs(link.rtt - rttMs)
      link.rtt = 0.875 * link.rtt + 0.125 * rttMs
    }
  }

  get (peerId: string): LinkQuality {
    const link = this.links.get(peerId)
    if (link == null) return { loss: 0, pings: 0 }
    const lost = link.outcomes.filter(ok => !ok).length
    return {
      ...(link.rtt != null ? { rttMs: link.rtt } : {}),
      ...(link.jitter != null ? { jitterMs: link.jitter } : {}),
      loss: link.outcomes.length === 0 ? 0 : lost / link.outcomes.length,
      pings: link.outcomes.length
    }
  }

  retain (peers: Set<string>): void {
    for (const p of this.links.keys()) if (!peers.has(p)) this.links.delete(p)
  }
}
