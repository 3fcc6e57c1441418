/**
 * Heartbeats and membership: every `heartbeatMs` this node publishes a heartbeat on gossipsub (its neighbours and a
 * measured metrics summary); every received one passes the wire validator (size, schema, signature, sender, freshness,
 * replay) inside gossipsub's topic validation, so invalid messages are neither delivered nor forwarded, and every
 * rejection is counted by reason. Accepted heartbeats feed the phi-accrual membership view.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import {
  MessageValidator, Membership, encodeHeartbeat, TOPICS, systemClock, modelHeadProblem,
  type Clock, type HeartbeatBody, type MembershipChange, type ModelHead, type WireMessage, type RejectReason
} from '@fedmesh/protocol'
import { EventLoopLag, TrafficCounters, heapUsedBytes } from '../metrics/node-metrics.ts'
import type { LinkStats } from '../metrics/link-stats.ts'
import type { Peering } from '../peering/peering.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { ComponentLogger, PeerId, Startable, Logger } from '@libp2p/interface'
import { TypedEventEmitter } from 'main-event'

export interface HeartbeatInit {
  heartbeatMs: number
  ticker: Ticker
  peering: () => Peering
  /** Link quality per neighbour (from the link-probe service). */
  links: () => LinkStats
  clock?: Clock
  /** Is the tab hidden (its timers may be throttled)? Advertised so receivers tolerate longer gaps. */
  hidden?: () => boolean
  /** The global model this node holds (the training service's head), advertised so nodes that missed one catch up. */
  modelHead?: () => ModelHead | undefined
}

export interface HeartbeatComponents {
  peerId: PeerId
  logger: ComponentLogger
  pubsub: GossipSub
}

/** This node's own measurements, exactly as its heartbeat advertises them: the link-health task learns from these. */
export interface SelfMetrics {
  /** Monotonic ms (the heartbeat's clock) when they were taken. */
  atMs: number
  body: HeartbeatBody
}

export interface HeartbeatEvents {
  'membership:change': CustomEvent<MembershipChange>
  /** A live member's heartbeats now say its tab is hidden, or shown again (no state change: it stays alive). */
  'membership:hidden': CustomEvent<{ peerId: string, hidden: boolean }>
  heartbeat: CustomEvent<WireMessage>
  /** Once per heartbeat period, before publishing (even if the publish then fails). */
  'self:metrics': CustomEvent<SelfMetrics>
}

export class Heartbeat extends TypedEventEmitter<HeartbeatEvents> implements Startable {
  readonly membership: Membership
  readonly validator: MessageValidator
  readonly traffic = new TrafficCounters()
  readonly counters = { heartbeatsSent: 0, heartbeatsReceived: 0, publishErrors: 0 }
  /** Gossipsub-level rejections (unsigned, bad signature) that never reach the topic validator. */
  readonly transportRejections: Record<string, number> = {}
  private readonly log: Logger
  private readonly clock: Clock
  private readonly lag = new EventLoopLag(500)
  private readonly accepted = new WeakMap<Message, WireMessage>()
  private readonly receivedTimes: number[] = []
  private seq = 0
  private leaving = false
  private stops: Array<() => void> = []
  private pingCursor = 0

  constructor (private readonly components: HeartbeatComponents, private readonly init: HeartbeatInit) {
    super()
    this.log = components.logger.forComponent('fedmesh:heartbeat')
    this.clock = init.clock ?? systemClock
    this.validator = new MessageValidator({ clock: this.clock })
    this.membership = new Membership(components.peerId.toString(), { clock: this.clock, evaluationPeriodMs: init.heartbeatMs })
    this.onMessage = this.onMessage.bind(this)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
  }

  private lastEagerPublish = 0

  /**
   * A new neighbour joined the heartbeat topic: send a heartbeat now instead of up to one interval later, so a new
   * link makes both sides members at once. Rate-limited so a burst of joins costs one extra heartbeat.
   */
  private onSubscriptionChange (evt: CustomEvent<{ subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void {
    if (!evt.detail.subscriptions.some(s => s.topic === TOPICS.heartbeat && s.subscribe)) return
    const now = this.clock.now()
    if (now - this.lastEagerPublish < 200) return
    this.lastEagerPublish = now
    setTimeout(() => { void this.publish() }, 20)
  }

  readonly [Symbol.toStringTag] = '@fedmesh/heartbeat'

  start (): void {
    this.leaving = false
  }

  /**
   * Stopping: publish nothing more, even while other services linger in their beforeStop (the election's resign).
   * A closing tab is already `hidden` (pagehide), and one more heartbeat saying so would make every receiver grant
   * it a hidden tab's silence (hiddenPauseMs, 65 s) instead of declaring it dead in seconds.
   */
  beforeStop (): void {
    this.leaving = true
  }

  afterStart (): void {
    const pubsub = this.components.pubsub
    pubsub.topicValidators.set(TOPICS.heartbeat, (_from, msg) => this.validate(msg))
    countTransportRejections(pubsub, this.transportRejections)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(TOPICS.heartbeat)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.lag.start()
    // aligned to the wall clock: see TickOptions.aligned (bursts of heartbeats batch into fewer data-channel messages)
    this.stops.push(this.init.ticker.every(this.init.heartbeatMs, () => { void this.publish() }, { aligned: true }))
    // evaluate once per heartbeat: a tab's CPU is the scarce resource, and detection needs seconds of silence anyway
    this.stops.push(this.init.ticker.every(this.init.heartbeatMs, () => { this.evaluate() }))
  }

  stop (): void {
    for (const s of this.stops) s()
    this.stops = []
    this.lag.stop()
    this.components.pubsub.removeEventListener('message', this.onMessage)
    this.components.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.components.pubsub.topicValidators.delete(TOPICS.heartbeat)
  }

  /** Heartbeats received per second over the last 10 s. */
  receiveRate (): number {
    const now = this.clock.now()
    while (this.receivedTimes.length > 0 && (this.receivedTimes[0] as number) < now - 10_000) this.receivedTimes.shift()
    return this.receivedTimes.length / 10
  }

  rejected (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [reason, n] of Object.entries(this.validator.rejected.snapshot())) if (n > 0) out[reason] = n
    for (const [reason, n] of Object.entries(this.transportRejections)) out[reason] = (out[reason] ?? 0) + n
    return out
  }

  private validate (msg: Message): TopicValidatorResult {
    this.traffic.messagesIn++
    this.traffic.bytesIn += msg.data.byteLength
    const result = this.validator.validate({
      topic: msg.topic,
      data: msg.data,
      ...(msg.type === 'signed' ? { from: msg.from.toString() } : {}),
      signed: msg.type === 'signed'
    })
    if (result.ok) {
      this.accepted.set(msg, result.message)
      return TopicValidatorResult.Accept
    }
    // stale or replayed copies may be honest late deliveries: drop without penalising the forwarding peer
    return ignorable(result.reason) ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
  }

  private onMessage (evt: CustomEvent<Message>): void {
    const message = this.accepted.get(evt.detail)
    if (message?.heartbeat == null) return
    this.counters.heartbeatsReceived++
    this.receivedTimes.push(this.clock.now())
    const wasHidden = this.membership.get(message.sender)?.hidden
    const change = this.membership.observe(message)
    if (change != null) this.safeDispatch('membership:change', change)
    const hidden = this.membership.get(message.sender)?.hidden
    if (wasHidden !== undefined && hidden !== undefined && hidden !== wasHidden) this.safeDispatch('membership:hidden', { peerId: message.sender, hidden })
    this.safeDispatch('heartbeat', message)
  }

  private evaluate (): void {
    for (const change of this.membership.evaluate()) this.safeDispatch('membership:change', change)
  }

  private safeDispatch<K extends keyof HeartbeatEvents> (type: K, detail: HeartbeatEvents[K]['detail']): void {
    try {
      this.safeDispatchEvent(type, { detail })
    } catch (err) {
      this.log.error('listener for %s threw - %e', type, err)
    }
  }

  /** Build the body from live measurements. */
  body (): HeartbeatBody {
    const peering = this.init.peering()
    const neighbours = peering.neighbours()
    const rates = this.traffic.sample(this.clock.now())
    const rtts: number[] = []
    let loss = 0
    let lossLinks = 0
    const infos = neighbours.slice(0, 64).map(n => {
      const q = this.init.links().get(n.peerId)
      if (q.rttMs != null) rtts.push(q.rttMs)
      if (q.pings > 0) { loss += q.loss; lossLinks++ }
      return { peerId: n.peerId, transport: n.transport, rttMs: q.rttMs ?? 0, loss: q.loss }
    })
    // a NaN or negative reading must not make encodeHeartbeat refuse (and so silence) this node: clamp, don't drop
    return {
      intervalMs: this.init.heartbeatMs,
      hidden: this.init.hidden?.() ?? false,
      neighbours: infos.map(n => ({ ...n, rttMs: sane(n.rttMs), loss: Math.min(1, sane(n.loss)) })),
      metrics: saneAll({
        rttMeanMs: rtts.length === 0 ? 0 : rtts.reduce((a, b) => a + b, 0) / rtts.length,
        rttMaxMs: rtts.length === 0 ? 0 : Math.max(...rtts),
        lossRatio: lossLinks === 0 ? 0 : loss / lossLinks,
        eventLoopLagMs: this.lag.read(),
        heapUsedBytes: heapUsedBytes(),
        msgsInPerS: rates.msgsInPerS,
        msgsOutPerS: rates.msgsOutPerS,
        bytesInPerS: rates.bytesInPerS,
        bytesOutPerS: rates.bytesOutPerS,
        directPeers: neighbours.filter(n => n.transport === 'webrtc' || n.transport === 'memory').length,
        relayedPeers: neighbours.filter(n => n.transport === 'relayed').length
      }),
      ...modelHeadOf(this.init.modelHead)
    }
  }

  async publish (): Promise<void> {
    if (this.leaving) return
    try {
      // body() reads and resets the lag and rate samplers: build it once and share it with local listeners
      const body = this.body()
      this.safeDispatch('self:metrics', { atMs: this.clock.now(), body })
      const data = encodeHeartbeat({ sender: this.components.peerId.toString(), seq: ++this.seq, sentAtMs: this.clock.wallNow(), heartbeat: body })
      const result = await this.components.pubsub.publish(TOPICS.heartbeat, data)
      this.counters.heartbeatsSent++
      this.traffic.messagesOut += result.recipients.length
      this.traffic.bytesOut += data.byteLength * result.recipients.length
    } catch (err: any) {
      this.counters.publishErrors++
      this.log('heartbeat publish failed: %s', err?.message ?? err)
    }
  }

}

function sane (x: number): number { return Number.isFinite(x) && x > 0 ? Math.min(x, 3e38) : 0 }
function saneAll<T extends Record<string, number>> (m: T): T {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(sane(v) * 1000) / 1000])) as T
}

function ignorable (reason: RejectReason): boolean {
  return reason === 'replayed' || reason === 'stale'
}

/**
 * Gossipsub drops unsigned or badly signed messages (StrictSign) before any topic validator runs and only tells its
 * metrics. Wrap its validation step to count those too, so every dropped message has a counted reason.
 */
function countTransportRejections (pubsub: GossipSub, into: Record<string, number>): void {
  const gs = pubsub as unknown as { validateReceivedMessage?: (...args: any[]) => Promise<any>, __fedmeshCounted?: boolean }
  if (typeof gs.validateReceivedMessage !== 'function' || gs.__fedmeshCounted === true) return
  const original = gs.validateReceivedMessage.bind(pubsub)
  gs.__fedmeshCounted = true
  gs.validateReceivedMessage = async (...args: any[]) => {
    const result = await original(...args)
    if (result?.code === 'invalid' && result.msgIdStr == null) {
      const reason = signatureReason(String(result.error ?? 'invalid'))
      into[reason] = (into[reason] ?? 0) + 1
    }
    return result
  }
}

/** Map gossipsub's ValidateError codes to our reasons. A message without seqno/signature/from is what an unsigned publisher sends. */
function signatureReason (error: string): string {
  switch (error) {
    case 'invalid_seqno': return 'unsigned'
    case 'invalid_signature': return 'bad-signature'
    case 'invalid_peerid': return 'bad-signature'
    case 'transform_failed': return 'malformed'
    default: return `gossipsub-${error}`
  }
}

export function heartbeat (init: HeartbeatInit): (components: HeartbeatComponents) => Heartbeat {
  return (components) => new Heartbeat(components, init)
}

/** The training head if there is a valid one: a bad value must never stop the heartbeat from encoding. */
function modelHeadOf (source: (() => ModelHead | undefined) | undefined): { model?: ModelHead } {
  const h = source?.()
  if (h === undefined) return {}
  return modelHeadProblem(h) === undefined ? { model: h } : {}
}
