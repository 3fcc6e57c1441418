/** Test harness: seeded randomness, synthetic models and deltas, and an in-memory gossip network of RoundSessions. */
import type { AggregatorSpec } from '@fedmesh/aggregation'
import { decodeChunk, digestWeights, encodeGlobalModel, quantizeDelta } from '@fedmesh/updates'
import type { ModelUpdate, Tensor } from '@fedmesh/updates'
import { aggregateRound, RoundSession, UpdatePool } from '../src/index.ts'
import type { AggregateFn, HeldUpdate, Output, RoundAggregate, RoundSessionConfig, RoundsEvent, Topic } from '../src/index.ts'

export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function gaussian (random: () => number): number {
  const u = 1 - random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

/** A realistic Ed25519 peer id string, deterministic per index. */
export function peerIdFor (index: number): string {
  const random = seededRandom(index * 7919 + 17)
  let id = '12D3KooW'
  while (id.length < 52) id += BASE58[Math.floor(random() * BASE58.length)]
  return id
}

/** A two-tensor model with `d` weights in all (d >= 2), zero-initialised. */
export function initialModel (d: number): Tensor[] {
  return [
    { name: 'dense/kernel', shape: [d - 1], data: new Float32Array(d - 1) },
    { name: 'dense/bias', shape: [1], data: new Float32Array(1) }
  ]
}

export function manualClock (start = 1_000): { now: () => number, advance: (ms: number) => void, set: (t: number) => void } {
  let t = start
  return { now: () => t, advance: (ms: number) => { t += ms }, set: (v: number) => { t = v } }
}

/** How a simulated node turns a 'train' event into a delta. */
export type Behaviour = (ctx: { round: number, node: number, base: Tensor[], random: () => number }) => Tensor[] | undefined

/**
 * Honest non-IID clients: every delta is the common direction `mean` plus a fixed per-client bias (its data
 * distribution) plus fresh per-round noise.
 */
export function honest (mean: Float32Array, biasScale: number, noiseScale: number, seed: number): Behaviour {
  const biases = new Map<number, Float32Array>()
  return ({ node, base, random }) => {
    let bias = biases.get(node)
    if (bias === undefined) {
      const r = seededRandom(seed * 1000 + node)
      bias = Float32Array.from(mean, () => biasScale * gaussian(r))
      biases.set(node, bias)
    }
    const b = bias
    return splitLike(base, Float32Array.from(mean, (m, i) => m + (b[i] as number) + noiseScale * gaussian(random)))
  }
}

/** Sign flip (Damaskinos et al.): send the honest direction reversed and amplified. */
export function signFlip (mean: Float32Array, factor: number): Behaviour {
  return ({ base, random }) => splitLike(base, Float32Array.from(mean, m => -factor * m + 0.01 * gaussian(random)))
}

export function splitLike (base: readonly Tensor[], flat: Float32Array): Tensor[] {
  let at = 0
  return base.map(t => {
    const data = flat.slice(at, at + t.data.length)
    at += t.data.length
    return { name: t.name, shape: [...t.shape], data }
  })
}

interface Message { topic: Topic, data: Uint8Array, from: string, to: number, validated?: HeldUpdate }

/**
 * aggregateRound memoised on everything its result depends on (base weights digest, input digests, spec): 100
 * simulated nodes verifying the same round compute it once. Semantically transparent, since aggregateRound is a
 * pure function of exactly these inputs; nodes holding different inputs get different keys.
 */
export function memoisedAggregate (): AggregateFn & { hits: number, misses: number } {
  const cache = new Map<string, RoundAggregate>()
  const fn = ((base: readonly Tensor[], updates: readonly HeldUpdate[], spec: AggregatorSpec): RoundAggregate => {
    const key = `${digestWeights(base)}|${updates.map(u => u.digest).sort().join(',')}|${JSON.stringify(spec)}`
    const hit = cache.get(key)
    if (hit !== undefined) { fn.hits++; return hit }
    fn.misses++
    const result = aggregateRound(base, updates, spec)
    cache.set(key, result)
    if (cache.size > 8) cache.delete(cache.keys().next().value as string)
    return result
  }) as AggregateFn & { hits: number, misses: number }
  fn.hits = 0
  fn.misses = 0
  return fn
}

export interface SimOptions {
  nodes: number
  d: number
  behaviours: (index: number) => Behaviour
  seed: number
  config?: Partial<RoundSessionConfig>
  /**
   * Reassemble and validate each gossiped update once (a real UpdatePool on the bytes) and hand the validated
   * update to every node (RoundSession.onValidatedUpdate), and memoise the aggregation: for 100-node, 500-round
   * runs, where the byte pipeline would repeat identical work 100 times (it is exercised by the other tests).
   */
  shared?: boolean
}

/**
 * N RoundSessions on an in-memory broadcast network: every published message is delivered to every other node,
 * in publish order (or shuffled per batch with `shuffle`). Acts as each node's service: runs the behaviour on
 * 'train', answers 'fetch-model' from the named peer, and records every event.
 */
export class Sim {
  readonly clock = manualClock()
  readonly ids: string[]
  readonly sessions: RoundSession[]
  readonly events: Array<{ node: number, event: RoundsEvent }> = []
  readonly behaviours: Behaviour[]
  /** Nodes that are down: they neither send nor receive. */
  readonly down = new Set<number>()
  /** Nodes that train slowly: their 'train' events wait for trainDeferred(). */
  readonly slow = new Set<number>()
  private deferred: Array<{ node: number, event: Extract<RoundsEvent, { type: 'train' }> }> = []
  /** Rewrites what a node publishes (a lying coordinator); return the messages to send instead. */
  tamper: ((node: number, topic: Topic, data: Uint8Array) => Uint8Array) | undefined
  /** Overrides whether f + 1 peers vouch for a model at `node` (undefined: count the other sessions' verified models). */
  vouch: ((node: number, version: number, digest: string) => boolean | undefined) | undefined
  /** Drop messages for which this returns true. */
  filter: ((m: Message) => boolean) | undefined
  delivered = 0
  private queue: Message[] = []
  private head = 0
  private readonly random: () => number
  private readonly observer: UpdatePool | undefined
  readonly aggregate: (AggregateFn & { hits: number, misses: number }) | undefined

  constructor (opts: SimOptions) {
    this.random = seededRandom(opts.seed)
    const d = opts.d
    if (opts.shared === true) {
      this.observer = new UpdatePool({ session: 'sim', shapes: initialModel(d).map(t => ({ name: t.name, shape: t.shape })), clock: this.clock, maxNorm: 1_000 })
      this.aggregate = memoisedAggregate()
    }
    this.ids = Array.from({ length: opts.nodes }, (_, i) => peerIdFor(i + 1))
    this.behaviours = Array.from({ length: opts.nodes }, (_, i) => opts.behaviours(i))
    const tensors = initialModel(opts.d)
    const f = opts.config?.aggregator?.f ?? 0
    this.sessions = this.ids.map((self, node) => new RoundSession({
      self,
      session: 'sim',
      clock: this.clock,
      model: { version: 0, tensors: tensors.map(t => ({ ...t, data: t.data.slice() })) },
      maxNorm: 1_000,
      aggregator: { rule: 'krum', f: 0 },
      minParticipants: 3,
      deadlineMs: 10_000,
      graceMs: 2_000,
      ...(this.aggregate !== undefined ? { aggregate: this.aggregate } : {}),
      // what heartbeats' model heads tell a real node: how many other live nodes hold this model as verified
      vouched: (version, digest) => this.vouch?.(node, version, digest) ??
        this.sessions.filter((s, i) => i !== node && !this.down.has(i) && s.model.version === version && s.model.digest === digest && s.model.verified).length >= f + 1,
      ...opts.config
    }))
  }

  alive (): string[] {
    return this.ids.filter((_, i) => !this.down.has(i))
  }

  membership (): void {
    const alive = this.alive()
    this.sessions.forEach((s, i) => { if (!this.down.has(i)) this.handle(i, s.onMembership(alive)) })
    this.run()
  }

  /** Everyone learns that `leader` leads `term` (the election's job; tested in @fedmesh/election). */
  elect (term: number, leader: number): void {
    this.sessions.forEach((s, i) => { if (!this.down.has(i)) this.handle(i, s.onLeader(term, this.ids[leader])) })
    this.run()
  }

  tick (ms: number): void {
    this.clock.advance(ms)
    this.sessions.forEach((s, i) => { if (!this.down.has(i)) this.handle(i, s.tick()) })
    this.run()
  }

  /** The slow nodes (or those of them `only` picks) finish training now (down nodes never do). */
  trainDeferred (only: (node: number) => boolean = () => true): void {
    const list = this.deferred.filter(d => only(d.node))
    this.deferred = this.deferred.filter(d => !only(d.node))
    for (const { node, event } of list) if (!this.down.has(node)) this.train(node, event)
    this.run()
  }

  handle (node: number, out: Output): void {
    for (const original of out.publish) {
      const p = this.tamper === undefined ? original : { ...original, data: this.tamper(node, original.topic, original.data) }
      if (this.observer !== undefined && p.topic === 'updates') {
        const chunk = decodeChunk(p.data)
        if (chunk.ok) this.observer.setWindow(chunk.value.round)
        const r = this.observer.accept(p.data, this.ids[node])
        if (!r.ok) throw new Error(`the simulation's validator refused an update: ${r.reason} ${r.detail}`)
        if (!r.complete) continue
        for (let to = 0; to < this.sessions.length; to++) {
          if (to !== node) this.queue.push({ topic: p.topic, data: p.data, from: this.ids[node] as string, to, validated: r.held })
        }
        continue
      }
      for (let to = 0; to < this.sessions.length; to++) {
        if (to !== node) this.queue.push({ topic: p.topic, data: p.data, from: this.ids[node] as string, to })
      }
    }
    for (const event of out.events) {
      this.events.push({ node, event })
      if (event.type === 'train') {
        if (this.slow.has(node)) this.deferred.push({ node, event })
        else this.train(node, event)
      }
      if (event.type === 'fetch-model') this.fetch(node, event.version, event.from)
    }
  }

  /** Delivers until the network is quiet. */
  run (): void {
    // an index instead of shift(): shift is linear on long queues (10 000 messages per round at 100 nodes)
    while (this.head < this.queue.length) {
      const m = this.queue[this.head++] as Message
      if (this.head >= 4096) { this.queue = this.queue.slice(this.head); this.head = 0 } // let delivered messages be collected
      if (this.down.has(m.to) || this.down.has(this.ids.indexOf(m.from)) || this.filter?.(m) === true) continue
      const s = this.sessions[m.to] as RoundSession
      this.delivered++
      const v = m.validated
      const r = v !== undefined ? s.onValidatedUpdate(v.update, v.digest, v.flat) : m.topic === 'updates' ? s.onUpdateMessage(m.data, m.from) : s.onModelMessage(m.data, m.from)
      this.handle(m.to, r)
    }
  }

  private train (node: number, e: Extract<RoundsEvent, { type: 'train' }>): void {
    const s = this.sessions[node] as RoundSession
    const delta = (this.behaviours[node] as Behaviour)({ round: e.round, node, base: s.model.tensors, random: this.random })
    if (delta === undefined) return
    const update: ModelUpdate = {
      session: e.session, round: e.round, term: e.term, baseVersion: e.baseVersion, samples: 100, sender: this.ids[node] as string,
      tensors: quantizeDelta(delta, { scheme: 'int8' }).tensors
    }
    this.handle(node, s.submitUpdate(update))
  }

  private fetch (node: number, version: number, from: string): void {
    const source = this.sessions[this.ids.indexOf(from)]
    const g = source?.modelPayload(version)
    if (g === undefined) return
    const s = this.sessions[node] as RoundSession
    this.handle(node, s.onFetchedModel(encodeGlobalModel(g)))
  }

  eventsOf<T extends RoundsEvent['type']> (type: T, node?: number): Array<Extract<RoundsEvent, { type: T }>> {
    return this.events.filter(e => e.event.type === type && (node === undefined || e.node === node)).map(e => e.event as Extract<RoundsEvent, { type: T }>)
  }
}
