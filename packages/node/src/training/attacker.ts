/**
 * A node's attacker mode (configuration `attack=`), applied where docs/protocol.md says each attack acts:
 * model attacks replace the delta before quantisation (ALIE and IPM read the honest updates this node holds for the
 * round: updates are gossiped to all), wire attacks replace the encoded payload (the honest encoder refuses them),
 * label-flip poisons the local data (the learner adapter), lying-coordinator rewrites the global model it publishes,
 * stalling-coordinator publishes nothing on the model topic.
 * Pure: randomness is injected.
 */
import {
  ATTACK_STAGE, deflateBombBytesFor, deflateBombPayload, garbagePayload, isModelAttack, lieAboutAggregate, nonFiniteUpdatePayload, oversizedUpdatePayload, poisonDelta, parseAttack
} from '@fedmesh/attacks'
import type { AttackName, AttackStage } from '@fedmesh/attacks'
import {
  chunkPayload, decodeChunk, decodeGlobalModel, digestWeights, encodeGlobalModel, encodeGlobalModelChunks, flattenTensors, float32PayloadBound, globalModelHeader, unflattenTensors
} from '@fedmesh/updates'
import type { GlobalModel, ModelUpdate, Tensor, TensorSpec } from '@fedmesh/updates'
import type { Publish } from '@fedmesh/rounds'

export class Attacker {
  readonly name: AttackName
  readonly stage: AttackStage
  /** How often each transform acted (status). */
  readonly counts = { poisonedDeltas: 0, wirePayloads: 0, liedModels: 0, stalledMessages: 0, failures: 0 }
  lastError: string | undefined
  private readonly lies = new Map<number, Uint8Array>()

  constructor (name: string, private readonly random: () => number) {
    this.name = parseAttack(name)
    this.stage = ATTACK_STAGE[this.name]
  }

  get honest (): boolean { return this.name === 'none' }

  /**
   * Model attacks: the delta to send instead of `own`. `benign` are the other nodes' deltas held for this round;
   * `n` the updates the aggregator is expected to see. Falls back to the honest delta (counted) when the attack
   * lacks its inputs (ALIE with fewer than two benign updates seen yet).
   */
  poison (own: Float32Array, benign: readonly Float32Array[], n: number, f: number): Float32Array {
    if (!isModelAttack(this.name)) return own
    try {
      const out = poisonDelta(this.name, { own, benign, n: Math.max(n, benign.length + 1, 2), f: Math.max(1, f), dimension: own.length, random: this.random })
      this.counts.poisonedDeltas++
      return out
    } catch (err) {
      this.counts.failures++
      this.lastError = err instanceof Error ? err.message : String(err)
      return own
    }
  }

  /** Wire attacks: the hostile payload's chunks for `update` (which the honest encoder would have sent). */
  wireChunks (update: ModelUpdate, shapes: readonly TensorSpec[], maxChunkBytes?: number): Uint8Array[] | undefined {
    let payload: Uint8Array
    switch (this.name) {
      case 'garbage': payload = garbagePayload(256 + Math.floor(this.random() * 1024), this.random); break
      case 'nan': payload = nonFiniteUpdatePayload(update, Number.NaN); break
      case 'inf': payload = nonFiniteUpdatePayload(update, Number.POSITIVE_INFINITY); break
      case 'oversized': payload = oversizedUpdatePayload(update, 2 * float32PayloadBound(shapes)); break
      // a stream at most half the size cap long, so that only the decoder's own guard stops it (64 MiB of zeros at most)
      case 'deflate-bomb': payload = deflateBombPayload(update, Math.min(64 * 1024 * 1024, deflateBombBytesFor(float32PayloadBound(shapes) / 2))); break
      default: return undefined
    }
    this.counts.wirePayloads++
    const routing = { kind: 'model-update' as const, session: update.session, round: update.round, term: update.term }
    return chunkPayload(payload, routing, maxChunkBytes === undefined ? {} : { maxChunkBytes }).chunks
  }

  /**
   * Lying coordinator: rewrites the global-model chunks among `publish` into a consistent lie (weights shifted, the
   * weights digest matching them), which verifiers detect as a digest mismatch. Other messages pass unchanged.
   * Gossiped models are headers: `weightsOf` gives the honest weights of a version (the session's own model) to shift.
   */
  lie (publish: readonly Publish[], maxChunkBytes?: number, weightsOf: (version: number) => readonly Tensor[] | undefined = () => undefined): Publish[] {
    if (this.name === 'stalling-coordinator') {
      // keeps its lease (the election service still sends Leads) but never announces a round nor publishes a model
      const kept = publish.filter(p => p.topic !== 'model')
      this.counts.stalledMessages += publish.length - kept.length
      return kept
    }
    if (this.name !== 'lying-coordinator' && this.name !== 'hidden-input-coordinator') return [...publish]
    // chunks of each global model, in publish order; the lie takes the place of the first chunk (order matters: the
    // next round's announcement follows the model, and receivers must see the model first)
    const parts = new Map<string, Array<{ index: number, count: number, data: Uint8Array }>>()
    const slots: Array<Publish | string> = []
    for (const p of publish) {
      const c = p.topic === 'model' ? decodeChunk(p.data) : undefined
      if (c?.ok !== true || c.value.kind !== 'global-model') { slots.push(p); continue }
      let list = parts.get(c.value.digest)
      if (list === undefined) {
        list = []
        parts.set(c.value.digest, list)
        slots.push(c.value.digest)
      }
      list.push({ index: c.value.index, count: c.value.count, data: c.value.data })
    }
    const out: Publish[] = []
    for (const slot of slots) {
      if (typeof slot !== 'string') { out.push(slot); continue }
      const list = parts.get(slot) ?? []
      list.sort((a, b) => a.index - b.index)
      const payload = new Uint8Array(list.reduce((s, x) => s + x.data.byteLength, 0))
      let at = 0
      for (const x of list) { payload.set(x.data, at); at += x.data.byteLength }
      const decoded = list.length === list[0]?.count ? decodeGlobalModel(payload) : undefined
      if (decoded?.ok !== true) { this.counts.failures++; continue }
      const model = decoded.value
      const honest = model.tensors.length > 0 ? model.tensors : weightsOf(model.version)
      if (honest === undefined || honest.length === 0) { this.counts.failures++; continue }
      const flat = lieAboutAggregate(flattenTensors(honest), { kind: 'shift', norm: 1, random: this.random })
      const tensors: Tensor[] = unflattenTensors(flat, honest.map(t => ({ name: t.name, shape: t.shape })))
      const lie: GlobalModel = { ...model, tensors, weightsDigest: digestWeights(tensors), ...(this.name === 'hidden-input-coordinator' ? this.hiddenInput(model) : {}) }
      // a consistent liar serves the same lie to nodes that fetch the model
      this.lies.set(model.version, encodeGlobalModel(lie))
      for (const v of [...this.lies.keys()]) if (v < model.version - 2) this.lies.delete(v)
      this.counts.liedModels++
      const gossiped = model.tensors.length > 0 ? lie : globalModelHeader(lie)
      for (const data of encodeGlobalModelChunks(gossiped, maxChunkBytes === undefined ? {} : { maxChunkBytes }).chunks) out.push({ topic: 'model', data })
    }
    return out
  }

  /**
   * An extra included update that was never published (a random digest in its sorted place, score 0): every verifier
   * misses an input, so the lie cannot be disproved, only not verified. Only f + 1 vouchers let a node adopt a model
   * it did not verify, so nobody adopts this one (docs/protocol.md, "Adopting a model without verifying it").
   */
  private hiddenInput (model: GlobalModel): Pick<GlobalModel, 'includedDigests' | 'scores'> {
    const phantom = Array.from({ length: 32 }, () => Math.floor(this.random() * 256).toString(16).padStart(2, '0')).join('')
    const at = model.includedDigests.findIndex(d => d > phantom)
    const index = at < 0 ? model.includedDigests.length : at
    return {
      includedDigests: [...model.includedDigests.slice(0, index), phantom, ...model.includedDigests.slice(index)],
      scores: [...model.scores.slice(0, index), 0, ...model.scores.slice(index)]
    }
  }

  /** The encoded lie told about `version`, if any (served over /fedmesh/model/1.0.0 instead of the honest model). */
  lieAbout (version: number): Uint8Array | undefined {
    return this.lies.get(version)
  }
}
