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
import type { PreparedMessage, PreparedPublishing } from '../libp2p/prepared-publish.ts'
import type { GossipSub, Message, PublishResult } from '@libp2p/gossipsub'
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
  /** Say so when going away (leaveNow); default true. false: members find this node gone by silence (comparisons). */
  leaves?: boolean
}

export interface HeartbeatComponents {
  peerId: PeerId
  logger: ComponentLogger
  pubsub: GossipSub & PreparedPublishing
}

/**
 * What leaveNow() did: whether its leave went out at once (the one signed ahead, written to `recipients` peers), is
 * still being signed (a closing tab may never get to send it), or was not sent (not running, or already sent).
 */
export interface HeartbeatLeave { leave: 'prepared' | 'signed-later' | 'none', recipients: number }

/**
 * A leave is numbered this far ahead of the heartbeat before it, so every heartbeat sent until it is re-signed is
 * numbered below it: receivers then know that none of them, arriving late, means the node is back.
 */
const LEAVE_SEQ_RESERVE = 1_000

/** How often the leave kept ready is re-signed: fresh for receivers (60 s), and well inside its reserved numbers. */
const PREPARED_LEAVE_REFRESH_MS = 5_000

/**
 * After leaveNow(), heartbeats pause this long. A tab that is closing is gone by then; one whose unload was cancelled
 * heartbeats again, numbered past its leave, and every member takes it back.
 */
const LEAVE_QUIET_MS = 10_000

/** After a leave is written, let it leave before the links close. */
const LEAVE_LINGER_MS = 150

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
  readonly counters = { heartbeatsSent: 0, heartbeatsReceived: 0, publishErrors: 0, leavesSent: 0, leavesReceived: 0 }
  /** Gossipsub-level rejections (unsigned, bad signature) that never reach the topic validator. */
  readonly transportRejections: Record<string, number> = {}
  private readonly log: Logger
  private readonly clock: Clock
  private readonly lag = new EventLoopLag(500)
  private readonly accepted = new WeakMap<Message, WireMessage>()
  private readonly receivedTimes: number[] = []
  private seq = 0
  private leaving = false
  private running = false
  /** A leave signed ahead (its number reserved: see LEAVE_SEQ_RESERVE), for leaveNow() to write synchronously. */
  private prepared?: { at: number, seq: number, message: PreparedMessage }
  private preparing = false
  /** leaveNow() ran at `at` (clock.now()): no heartbeats until quietUntil; `sending` while its leave is being signed. */
  private left?: { at: number, quietUntil: number, sending?: Promise<unknown> }
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
    this.left = undefined
  }

  /**
   * Stopping: say so (leaveNow), then publish nothing more, even while other services linger in their beforeStop
   * (the election's resign). A closing tab is already `hidden` (pagehide), and one more heartbeat saying so would make
   * every receiver grant it a hidden tab's silence (hiddenPauseMs, 65 s) instead of declaring it dead in seconds.
   */
  async beforeStop (): Promise<void> {
    this.leaveNow() // FedmeshNode.stop() has usually left already
    this.leaving = true
    const left = this.left
    if (left === undefined) return
    // publish() resolves once the message is queued on the streams; closing the links right away could drop it
    if (left.sending !== undefined) {
      await Promise.race([left.sending, sleep(500)])
      await sleep(LEAVE_LINGER_MS)
    } else {
      await sleep(Math.max(0, left.at + LEAVE_LINGER_MS - this.clock.now()))
    }
  }

  /**
   * The node is going away now: tell the members, so they drop it at once instead of waiting out failure detection
   * (5 s or more), stop counting it in rounds and elections, and stop dialling it. A closing tab (pagehide) is not
   * promised any task after this one, and a signature resolves in a later one, so the leave that goes out here was
   * signed ahead of time (each heartbeat tick keeps one ready) and is written synchronously. Without a ready one it is
   * signed and published as usual. Heartbeats then pause (LEAVE_QUIET_MS). Sent once per leave.
   */
  leaveNow (): HeartbeatLeave {
    if (!this.running || this.leaving || this.left !== undefined || this.init.leaves === false) return { leave: 'none', recipients: 0 }
    const pubsub = this.components.pubsub
    const prepared = this.prepared
    this.prepared = undefined
    const now = this.clock.now()
    this.left = { at: now, quietUntil: now + LEAVE_QUIET_MS }
    if (prepared !== undefined && pubsub.publishPrepared != null) {
      try {
        const result = pubsub.publishPrepared(prepared.message)
        this.seq = Math.max(this.seq, prepared.seq)
        this.counters.leavesSent++
        this.traffic.messagesOut += result.recipients.length
        return { leave: 'prepared', recipients: result.recipients.length }
      } catch (err: any) {
        this.counters.publishErrors++
        this.log('prepared leave failed: %s', err?.message ?? err)
      }
    }
    // numbered above every heartbeat sent so far, so none of them brings this node back
    const data = this.leaveMessage(++this.seq)
    this.left.sending = pubsub.publish(TOPICS.heartbeat, data)
      .then((result: PublishResult) => {
        this.counters.leavesSent++
        this.traffic.messagesOut += result.recipients.length
      })
      .catch((err: any) => {
        this.counters.publishErrors++
        this.log('leave publish failed: %s', err?.message ?? err)
      })
    return { leave: 'signed-later', recipients: 0 }
  }

  /** A leave: what a heartbeat must carry, and `leaving` (receivers use nothing else of it). */
  private leaveMessage (seq: number): Uint8Array {
    const metrics = {
      rttMeanMs: 0, rttMaxMs: 0, lossRatio: 0, eventLoopLagMs: 0, heapUsedBytes: 0, msgsInPerS: 0, msgsOutPerS: 0,
      bytesInPerS: 0, bytesOutPerS: 0, directPeers: 0, relayedPeers: 0
    }
    const body: HeartbeatBody = { intervalMs: this.init.heartbeatMs, hidden: false, neighbours: [], metrics, leaving: true }
    return encodeHeartbeat({ sender: this.components.peerId.toString(), seq, sentAtMs: this.clock.wallNow(), heartbeat: body })
  }

  /** Keep a signed leave ready for leaveNow(), re-signed before receivers would find it stale. */
  private keepLeaveReady (): void {
    const pubsub = this.components.pubsub
    if (this.preparing || pubsub.prepareMessage == null || !this.running || this.leaving || this.left !== undefined || this.init.leaves === false) return
    const now = this.clock.wallNow()
    // publish() drops a ready leave its heartbeats would overtake
    if (this.prepared !== undefined && now - this.prepared.at < PREPARED_LEAVE_REFRESH_MS) return
    this.preparing = true
    const seq = this.seq + LEAVE_SEQ_RESERVE
    pubsub.prepareMessage(TOPICS.heartbeat, this.leaveMessage(seq))
      .then(message => { if (this.running && this.left === undefined) this.prepared = { at: now, seq, message } })
      .catch((err: any) => { this.log('cannot prepare a leave: %s', err?.message ?? err) })
      .finally(() => { this.preparing = false })
  }

  afterStart (): void {
    const pubsub = this.components.pubsub
    pubsub.topicValidators.set(TOPICS.heartbeat, (_from, msg) => this.validate(msg))
    countTransportRejections(pubsub, this.transportRejections)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(TOPICS.heartbeat)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.running = true
    this.lag.start()
    // aligned to the wall clock: see TickOptions.aligned (bursts of heartbeats batch into fewer data-channel messages)
    this.stops.push(this.init.ticker.every(this.init.heartbeatMs, () => { void this.publish() }, { aligned: true }))
    // evaluate once per heartbeat: a tab's CPU is the scarce resource, and detection needs seconds of silence anyway
    this.stops.push(this.init.ticker.every(this.init.heartbeatMs, () => { this.evaluate() }))
  }

  stop (): void {
    this.running = false
    this.prepared = undefined
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
    if (message.heartbeat.leaving === true) {
      // not a heartbeat: only membership reads it
      this.counters.leavesReceived++
      const change = this.membership.observe(message)
      if (change != null) this.safeDispatch('membership:change', change)
      return
    }
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
    if (this.left !== undefined) {
      if (this.clock.now() < this.left.quietUntil) return
      this.left = undefined // still here (the tab's unload was cancelled): heartbeats numbered past the leave
    }
    if (this.prepared !== undefined && this.seq + 1 >= this.prepared.seq) this.prepared = undefined
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
    this.keepLeaveReady()
  }

}

async function sleep (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

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
