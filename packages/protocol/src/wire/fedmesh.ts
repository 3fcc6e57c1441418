import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Envelope {
  version: number
  topic: string
  sender: string
  seq: bigint
  sentAtMs: bigint
  heartbeat?: Heartbeat
  election?: Election
}

export namespace Envelope {
  let _codec: Codec<Envelope>

  export const codec = (): Codec<Envelope> => {
    if (_codec == null) {
      _codec = message<Envelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.topic != null && obj.topic !== '')) {
          w.uint32(18)
          w.string(obj.topic)
        }

        if ((obj.sender != null && obj.sender !== '')) {
          w.uint32(26)
          w.string(obj.sender)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(32)
          w.uint64(obj.seq)
        }

        if ((obj.sentAtMs != null && obj.sentAtMs !== 0n)) {
          w.uint32(40)
          w.uint64(obj.sentAtMs)
        }

        if (obj.heartbeat != null) {
          w.uint32(82)
          Heartbeat.codec().encode(obj.heartbeat, w)
        }

        if (obj.election != null) {
          w.uint32(90)
          Election.codec().encode(obj.election, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          topic: '',
          sender: '',
          seq: 0n,
          sentAtMs: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.topic = reader.string()
              break
            }
            case 3: {
              obj.sender = reader.string()
              break
            }
            case 4: {
              obj.seq = reader.uint64()
              break
            }
            case 5: {
              obj.sentAtMs = reader.uint64()
              break
            }
            case 10: {
              obj.heartbeat = Heartbeat.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.heartbeat
              })
              break
            }
            case 11: {
              obj.election = Election.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.election
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.topic`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.sender`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.sentAtMs`,
                value: reader.uint64()
              }
              break
            }
            case 10: {
              yield * Heartbeat.codec().stream(reader, reader.uint32(), `${prefix}.heartbeat`, {
                limits: opts.limits?.heartbeat
              })

              break
            }
            case 11: {
              yield * Election.codec().stream(reader, reader.uint32(), `${prefix}.election`, {
                limits: opts.limits?.election
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface EnvelopeVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface EnvelopeTopicFieldEvent {
    field: '$.topic'
    value: string
  }

  export interface EnvelopeSenderFieldEvent {
    field: '$.sender'
    value: string
  }

  export interface EnvelopeSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface EnvelopeSentAtMsFieldEvent {
    field: '$.sentAtMs'
    value: bigint
  }

  export interface EnvelopeHeartbeatIntervalMsFieldEvent {
    field: '$.heartbeat.intervalMs'
    value: number
  }

  export interface EnvelopeHeartbeatHiddenFieldEvent {
    field: '$.heartbeat.hidden'
    value: boolean
  }

  export interface EnvelopeHeartbeatNeighboursPeerTailFieldEvent {
    field: '$.heartbeat.neighbours[].peerTail'
    value: string
    index: number
  }

  export interface EnvelopeHeartbeatNeighboursTransportFieldEvent {
    field: '$.heartbeat.neighbours[].transport'
    value: Transport
    index: number
  }

  export interface EnvelopeHeartbeatNeighboursRttMsFieldEvent {
    field: '$.heartbeat.neighbours[].rttMs'
    value: number
    index: number
  }

  export interface EnvelopeHeartbeatNeighboursLossFieldEvent {
    field: '$.heartbeat.neighbours[].loss'
    value: number
    index: number
  }

  export interface EnvelopeHeartbeatMetricsRttMeanMsFieldEvent {
    field: '$.heartbeat.metrics.rttMeanMs'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsRttMaxMsFieldEvent {
    field: '$.heartbeat.metrics.rttMaxMs'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsLossRatioFieldEvent {
    field: '$.heartbeat.metrics.lossRatio'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsEventLoopLagMsFieldEvent {
    field: '$.heartbeat.metrics.eventLoopLagMs'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsHeapUsedBytesFieldEvent {
    field: '$.heartbeat.metrics.heapUsedBytes'
    value: bigint
  }

  export interface EnvelopeHeartbeatMetricsMsgsInPerSFieldEvent {
    field: '$.heartbeat.metrics.msgsInPerS'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsMsgsOutPerSFieldEvent {
    field: '$.heartbeat.metrics.msgsOutPerS'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsBytesInPerSFieldEvent {
    field: '$.heartbeat.metrics.bytesInPerS'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsBytesOutPerSFieldEvent {
    field: '$.heartbeat.metrics.bytesOutPerS'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsDirectPeersFieldEvent {
    field: '$.heartbeat.metrics.directPeers'
    value: number
  }

  export interface EnvelopeHeartbeatMetricsRelayedPeersFieldEvent {
    field: '$.heartbeat.metrics.relayedPeers'
    value: number
  }

  export interface EnvelopeHeartbeatModelSessionFieldEvent {
    field: '$.heartbeat.model.session'
    value: string
  }

  export interface EnvelopeHeartbeatModelVersionFieldEvent {
    field: '$.heartbeat.model.version'
    value: bigint
  }

  export interface EnvelopeHeartbeatModelTermFieldEvent {
    field: '$.heartbeat.model.term'
    value: bigint
  }

  export interface EnvelopeHeartbeatModelDigestFieldEvent {
    field: '$.heartbeat.model.digest'
    value: string
  }

  export interface EnvelopeHeartbeatModelVerifiedFieldEvent {
    field: '$.heartbeat.model.verified'
    value: boolean
  }

  export interface EnvelopeHeartbeatLeavingFieldEvent {
    field: '$.heartbeat.leaving'
    value: boolean
  }

  export interface EnvelopeElectionKindFieldEvent {
    field: '$.election.kind'
    value: ElectionKind
  }

  export interface EnvelopeElectionTermFieldEvent {
    field: '$.election.term'
    value: bigint
  }

  export interface EnvelopeElectionCandidateFieldEvent {
    field: '$.election.candidate'
    value: string
  }

  export interface EnvelopeElectionElectorateFieldEvent {
    field: '$.election.electorate'
    value: number
  }

  export interface EnvelopeElectionSignatureFieldEvent {
    field: '$.election.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeElectionCertificateFromFieldEvent {
    field: '$.election.certificate[].from'
    value: string
    index: number
  }

  export interface EnvelopeElectionCertificateTermFieldEvent {
    field: '$.election.certificate[].term'
    value: bigint
    index: number
  }

  export interface EnvelopeElectionCertificateCandidateFieldEvent {
    field: '$.election.certificate[].candidate'
    value: string
    index: number
  }

  export interface EnvelopeElectionCertificateElectorateFieldEvent {
    field: '$.election.certificate[].electorate'
    value: number
    index: number
  }

  export interface EnvelopeElectionCertificateSignatureFieldEvent {
    field: '$.election.certificate[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface EnvelopeElectionCertificatePledgeFieldEvent {
    field: '$.election.certificate[].pledge'
    value: boolean
    index: number
  }

  export interface EnvelopeElectionPledgeFieldEvent {
    field: '$.election.pledge'
    value: boolean
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopeVersionFieldEvent | EnvelopeTopicFieldEvent | EnvelopeSenderFieldEvent | EnvelopeSeqFieldEvent | EnvelopeSentAtMsFieldEvent | EnvelopeHeartbeatIntervalMsFieldEvent | EnvelopeHeartbeatHiddenFieldEvent | EnvelopeHeartbeatNeighboursPeerTailFieldEvent | EnvelopeHeartbeatNeighboursTransportFieldEvent | EnvelopeHeartbeatNeighboursRttMsFieldEvent | EnvelopeHeartbeatNeighboursLossFieldEvent | EnvelopeHeartbeatMetricsRttMeanMsFieldEvent | EnvelopeHeartbeatMetricsRttMaxMsFieldEvent | EnvelopeHeartbeatMetricsLossRatioFieldEvent | EnvelopeHeartbeatMetricsEventLoopLagMsFieldEvent | EnvelopeHeartbeatMetricsHeapUsedBytesFieldEvent | EnvelopeHeartbeatMetricsMsgsInPerSFieldEvent | EnvelopeHeartbeatMetricsMsgsOutPerSFieldEvent | EnvelopeHeartbeatMetricsBytesInPerSFieldEvent | EnvelopeHeartbeatMetricsBytesOutPerSFieldEvent | EnvelopeHeartbeatMetricsDirectPeersFieldEvent | EnvelopeHeartbeatMetricsRelayedPeersFieldEvent | EnvelopeHeartbeatModelSessionFieldEvent | EnvelopeHeartbeatModelVersionFieldEvent | EnvelopeHeartbeatModelTermFieldEvent | EnvelopeHeartbeatModelDigestFieldEvent | EnvelopeHeartbeatModelVerifiedFieldEvent | EnvelopeHeartbeatLeavingFieldEvent | EnvelopeElectionKindFieldEvent | EnvelopeElectionTermFieldEvent | EnvelopeElectionCandidateFieldEvent | EnvelopeElectionElectorateFieldEvent | EnvelopeElectionSignatureFieldEvent | EnvelopeElectionCertificateFromFieldEvent | EnvelopeElectionCertificateTermFieldEvent | EnvelopeElectionCertificateCandidateFieldEvent | EnvelopeElectionCertificateElectorateFieldEvent | EnvelopeElectionCertificateSignatureFieldEvent | EnvelopeElectionCertificatePledgeFieldEvent | EnvelopeElectionPledgeFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}

export interface Heartbeat {
  intervalMs: number
  hidden: boolean
  neighbours: Neighbour[]
  metrics?: Metrics
  model?: ModelHead
  leaving: boolean
}

export namespace Heartbeat {
  let _codec: Codec<Heartbeat>

  export const codec = (): Codec<Heartbeat> => {
    if (_codec == null) {
      _codec = message<Heartbeat>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.intervalMs != null && obj.intervalMs !== 0)) {
          w.uint32(8)
          w.uint32(obj.intervalMs)
        }

        if ((obj.hidden != null && obj.hidden !== false)) {
          w.uint32(16)
          w.bool(obj.hidden)
        }

        if (obj.neighbours != null && obj.neighbours.length > 0) {
          for (const value of obj.neighbours) {
            w.uint32(26)
            Neighbour.codec().encode(value, w)
          }
        }

        if (obj.metrics != null) {
          w.uint32(34)
          Metrics.codec().encode(obj.metrics, w)
        }

        if (obj.model != null) {
          w.uint32(42)
          ModelHead.codec().encode(obj.model, w)
        }

        if ((obj.leaving != null && obj.leaving !== false)) {
          w.uint32(48)
          w.bool(obj.leaving)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          intervalMs: 0,
          hidden: false,
          neighbours: [],
          leaving: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.intervalMs = reader.uint32()
              break
            }
            case 2: {
              obj.hidden = reader.bool()
              break
            }
            case 3: {
              if (opts.limits?.neighbours != null && obj.neighbours.length === opts.limits.neighbours) {
                throw new MaxLengthError('Decode error - repeated field "neighbours" had too many elements')
              }

              obj.neighbours.push(Neighbour.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.neighbours$
              }))
              break
            }
            case 4: {
              obj.metrics = Metrics.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.metrics
              })
              break
            }
            case 5: {
              obj.model = ModelHead.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.model
              })
              break
            }
            case 6: {
              obj.leaving = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          neighbours: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.intervalMs`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.hidden`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              if (opts.limits?.neighbours != null && obj.neighbours === opts.limits.neighbours) {
                throw new MaxLengthError('Streaming decode error - repeated field "neighbours" had too many elements')
              }

              for (const evt of Neighbour.codec().stream(reader, reader.uint32(), `${prefix}.neighbours[]`, {
                limits: opts.limits?.neighbours$
              })) {
                yield {
                  ...evt,
                  index: obj.neighbours
                }
              }

              obj.neighbours++

              break
            }
            case 4: {
              yield * Metrics.codec().stream(reader, reader.uint32(), `${prefix}.metrics`, {
                limits: opts.limits?.metrics
              })

              break
            }
            case 5: {
              yield * ModelHead.codec().stream(reader, reader.uint32(), `${prefix}.model`, {
                limits: opts.limits?.model
              })

              break
            }
            case 6: {
              yield {
                field: `${prefix}.leaving`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface HeartbeatIntervalMsFieldEvent {
    field: '$.intervalMs'
    value: number
  }

  export interface HeartbeatHiddenFieldEvent {
    field: '$.hidden'
    value: boolean
  }

  export interface HeartbeatNeighboursPeerTailFieldEvent {
    field: '$.neighbours[].peerTail'
    value: string
    index: number
  }

  export interface HeartbeatNeighboursTransportFieldEvent {
    field: '$.neighbours[].transport'
    value: Transport
    index: number
  }

  export interface HeartbeatNeighboursRttMsFieldEvent {
    field: '$.neighbours[].rttMs'
    value: number
    index: number
  }

  export interface HeartbeatNeighboursLossFieldEvent {
    field: '$.neighbours[].loss'
    value: number
    index: number
  }

  export interface HeartbeatMetricsRttMeanMsFieldEvent {
    field: '$.metrics.rttMeanMs'
    value: number
  }

  export interface HeartbeatMetricsRttMaxMsFieldEvent {
    field: '$.metrics.rttMaxMs'
    value: number
  }

  export interface HeartbeatMetricsLossRatioFieldEvent {
    field: '$.metrics.lossRatio'
    value: number
  }

  export interface HeartbeatMetricsEventLoopLagMsFieldEvent {
    field: '$.metrics.eventLoopLagMs'
    value: number
  }

  export interface HeartbeatMetricsHeapUsedBytesFieldEvent {
    field: '$.metrics.heapUsedBytes'
    value: bigint
  }

  export interface HeartbeatMetricsMsgsInPerSFieldEvent {
    field: '$.metrics.msgsInPerS'
    value: number
  }

  export interface HeartbeatMetricsMsgsOutPerSFieldEvent {
    field: '$.metrics.msgsOutPerS'
    value: number
  }

  export interface HeartbeatMetricsBytesInPerSFieldEvent {
    field: '$.metrics.bytesInPerS'
    value: number
  }

  export interface HeartbeatMetricsBytesOutPerSFieldEvent {
    field: '$.metrics.bytesOutPerS'
    value: number
  }

  export interface HeartbeatMetricsDirectPeersFieldEvent {
    field: '$.metrics.directPeers'
    value: number
  }

  export interface HeartbeatMetricsRelayedPeersFieldEvent {
    field: '$.metrics.relayedPeers'
    value: number
  }

  export interface HeartbeatModelSessionFieldEvent {
    field: '$.model.session'
    value: string
  }

  export interface HeartbeatModelVersionFieldEvent {
    field: '$.model.version'
    value: bigint
  }

  export interface HeartbeatModelTermFieldEvent {
    field: '$.model.term'
    value: bigint
  }

  export interface HeartbeatModelDigestFieldEvent {
    field: '$.model.digest'
    value: string
  }

  export interface HeartbeatModelVerifiedFieldEvent {
    field: '$.model.verified'
    value: boolean
  }

  export interface HeartbeatLeavingFieldEvent {
    field: '$.leaving'
    value: boolean
  }

  export function encode (obj: Partial<Heartbeat>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Heartbeat.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Heartbeat {
    return decodeMessage(buf, Heartbeat.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Generator<HeartbeatIntervalMsFieldEvent | HeartbeatHiddenFieldEvent | HeartbeatNeighboursPeerTailFieldEvent | HeartbeatNeighboursTransportFieldEvent | HeartbeatNeighboursRttMsFieldEvent | HeartbeatNeighboursLossFieldEvent | HeartbeatMetricsRttMeanMsFieldEvent | HeartbeatMetricsRttMaxMsFieldEvent | HeartbeatMetricsLossRatioFieldEvent | HeartbeatMetricsEventLoopLagMsFieldEvent | HeartbeatMetricsHeapUsedBytesFieldEvent | HeartbeatMetricsMsgsInPerSFieldEvent | HeartbeatMetricsMsgsOutPerSFieldEvent | HeartbeatMetricsBytesInPerSFieldEvent | HeartbeatMetricsBytesOutPerSFieldEvent | HeartbeatMetricsDirectPeersFieldEvent | HeartbeatMetricsRelayedPeersFieldEvent | HeartbeatModelSessionFieldEvent | HeartbeatModelVersionFieldEvent | HeartbeatModelTermFieldEvent | HeartbeatModelDigestFieldEvent | HeartbeatModelVerifiedFieldEvent | HeartbeatLeavingFieldEvent> {
    return streamMessage(buf, Heartbeat.codec(), opts)
  }
}

export interface ModelHead {
  session: string
  version: bigint
  term: bigint
  digest: string
  verified: boolean
}

export namespace ModelHead {
  let _codec: Codec<ModelHead>

  export const codec = (): Codec<ModelHead> => {
    if (_codec == null) {
      _codec = message<ModelHead>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.session != null && obj.session !== '')) {
          w.uint32(10)
          w.string(obj.session)
        }

        if ((obj.version != null && obj.version !== 0n)) {
          w.uint32(16)
          w.uint64(obj.version)
        }

        if ((obj.term != null && obj.term !== 0n)) {
          w.uint32(24)
          w.uint64(obj.term)
        }

        if ((obj.digest != null && obj.digest !== '')) {
          w.uint32(34)
          w.string(obj.digest)
        }

        if ((obj.verified != null && obj.verified !== false)) {
          w.uint32(40)
          w.bool(obj.verified)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          session: '',
          version: 0n,
          term: 0n,
          digest: '',
          verified: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.session = reader.string()
              break
            }
            case 2: {
              obj.version = reader.uint64()
              break
            }
            case 3: {
              obj.term = reader.uint64()
              break
            }
            case 4: {
              obj.digest = reader.string()
              break
            }
            case 5: {
              obj.verified = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.session`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.digest`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.verified`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ModelHeadSessionFieldEvent {
    field: '$.session'
    value: string
  }

  export interface ModelHeadVersionFieldEvent {
    field: '$.version'
    value: bigint
  }

  export interface ModelHeadTermFieldEvent {
    field: '$.term'
    value: bigint
  }

  export interface ModelHeadDigestFieldEvent {
    field: '$.digest'
    value: string
  }

  export interface ModelHeadVerifiedFieldEvent {
    field: '$.verified'
    value: boolean
  }

  export function encode (obj: Partial<ModelHead>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ModelHead.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ModelHead>): ModelHead {
    return decodeMessage(buf, ModelHead.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ModelHead>): Generator<ModelHeadSessionFieldEvent | ModelHeadVersionFieldEvent | ModelHeadTermFieldEvent | ModelHeadDigestFieldEvent | ModelHeadVerifiedFieldEvent> {
    return streamMessage(buf, ModelHead.codec(), opts)
  }
}

export enum Transport {
  TRANSPORT_UNKNOWN = 'TRANSPORT_UNKNOWN',
  WEBRTC = 'WEBRTC',
  RELAYED = 'RELAYED',
  WEBSOCKET = 'WEBSOCKET',
  MEMORY = 'MEMORY',
  OTHER = 'OTHER'
}

enum __TransportValues {
  TRANSPORT_UNKNOWN = 0,
  WEBRTC = 1,
  RELAYED = 2,
  WEBSOCKET = 3,
  MEMORY = 4,
  OTHER = 5
}

export namespace Transport {
  export const codec = (): Codec<Transport> => {
    return enumeration<Transport>(__TransportValues)
  }
}

export interface Neighbour {
  peerTail: string
  transport: Transport
  rttMs: number
  loss: number
}

export namespace Neighbour {
  let _codec: Codec<Neighbour>

  export const codec = (): Codec<Neighbour> => {
    if (_codec == null) {
      _codec = message<Neighbour>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerTail != null && obj.peerTail !== '')) {
          w.uint32(10)
          w.string(obj.peerTail)
        }

        if (obj.transport != null && __TransportValues[obj.transport] !== 0) {
          w.uint32(16)
          Transport.codec().encode(obj.transport, w)
        }

        if ((obj.rttMs != null && obj.rttMs !== 0)) {
          w.uint32(29)
          w.float(obj.rttMs)
        }

        if ((obj.loss != null && obj.loss !== 0)) {
          w.uint32(37)
          w.float(obj.loss)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerTail: '',
          transport: Transport.TRANSPORT_UNKNOWN,
          rttMs: 0,
          loss: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerTail = reader.string()
              break
            }
            case 2: {
              obj.transport = Transport.codec().decode(reader)
              break
            }
            case 3: {
              obj.rttMs = reader.float()
              break
            }
            case 4: {
              obj.loss = reader.float()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerTail`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.transport`,
                value: Transport.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.rttMs`,
                value: reader.float()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.loss`,
                value: reader.float()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface NeighbourPeerTailFieldEvent {
    field: '$.peerTail'
    value: string
  }

  export interface NeighbourTransportFieldEvent {
    field: '$.transport'
    value: Transport
  }

  export interface NeighbourRttMsFieldEvent {
    field: '$.rttMs'
    value: number
  }

  export interface NeighbourLossFieldEvent {
    field: '$.loss'
    value: number
  }

  export function encode (obj: Partial<Neighbour>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Neighbour.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Neighbour>): Neighbour {
    return decodeMessage(buf, Neighbour.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Neighbour>): Generator<NeighbourPeerTailFieldEvent | NeighbourTransportFieldEvent | NeighbourRttMsFieldEvent | NeighbourLossFieldEvent> {
    return streamMessage(buf, Neighbour.codec(), opts)
  }
}

export interface Metrics {
  rttMeanMs: number
  rttMaxMs: number
  lossRatio: number
  eventLoopLagMs: number
  heapUsedBytes: bigint
  msgsInPerS: number
  msgsOutPerS: number
  bytesInPerS: number
  bytesOutPerS: number
  directPeers: number
  relayedPeers: number
}

export namespace Metrics {
  let _codec: Codec<Metrics>

  export const codec = (): Codec<Metrics> => {
    if (_codec == null) {
      _codec = message<Metrics>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.rttMeanMs != null && obj.rttMeanMs !== 0)) {
          w.uint32(13)
          w.float(obj.rttMeanMs)
        }

        if ((obj.rttMaxMs != null && obj.rttMaxMs !== 0)) {
          w.uint32(21)
          w.float(obj.rttMaxMs)
        }

        if ((obj.lossRatio != null && obj.lossRatio !== 0)) {
          w.uint32(29)
          w.float(obj.lossRatio)
        }

        if ((obj.eventLoopLagMs != null && obj.eventLoopLagMs !== 0)) {
          w.uint32(37)
          w.float(obj.eventLoopLagMs)
        }

        if ((obj.heapUsedBytes != null && obj.heapUsedBytes !== 0n)) {
          w.uint32(40)
          w.uint64(obj.heapUsedBytes)
        }

        if ((obj.msgsInPerS != null && obj.msgsInPerS !== 0)) {
          w.uint32(53)
          w.float(obj.msgsInPerS)
        }

        if ((obj.msgsOutPerS != null && obj.msgsOutPerS !== 0)) {
          w.uint32(61)
          w.float(obj.msgsOutPerS)
        }

        if ((obj.bytesInPerS != null && obj.bytesInPerS !== 0)) {
          w.uint32(69)
          w.float(obj.bytesInPerS)
        }

        if ((obj.bytesOutPerS != null && obj.bytesOutPerS !== 0)) {
          w.uint32(77)
          w.float(obj.bytesOutPerS)
        }

        if ((obj.directPeers != null && obj.directPeers !== 0)) {
          w.uint32(80)
          w.uint32(obj.directPeers)
        }

        if ((obj.relayedPeers != null && obj.relayedPeers !== 0)) {
          w.uint32(88)
          w.uint32(obj.relayedPeers)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          rttMeanMs: 0,
          rttMaxMs: 0,
          lossRatio: 0,
          eventLoopLagMs: 0,
          heapUsedBytes: 0n,
          msgsInPerS: 0,
          msgsOutPerS: 0,
          bytesInPerS: 0,
          bytesOutPerS: 0,
          directPeers: 0,
          relayedPeers: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.rttMeanMs = reader.float()
              break
            }
            case 2: {
              obj.rttMaxMs = reader.float()
              break
            }
            case 3: {
              obj.lossRatio = reader.float()
              break
            }
            case 4: {
              obj.eventLoopLagMs = reader.float()
              break
            }
            case 5: {
              obj.heapUsedBytes = reader.uint64()
              break
            }
            case 6: {
              obj.msgsInPerS = reader.float()
              break
            }
            case 7: {
              obj.msgsOutPerS = reader.float()
              break
            }
            case 8: {
              obj.bytesInPerS = reader.float()
              break
            }
            case 9: {
              obj.bytesOutPerS = reader.float()
              break
            }
            case 10: {
              obj.directPeers = reader.uint32()
              break
            }
            case 11: {
              obj.relayedPeers = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.rttMeanMs`,
                value: reader.float()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.rttMaxMs`,
                value: reader.float()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.lossRatio`,
                value: reader.float()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.eventLoopLagMs`,
                value: reader.float()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.heapUsedBytes`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.msgsInPerS`,
                value: reader.float()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.msgsOutPerS`,
                value: reader.float()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.bytesInPerS`,
                value: reader.float()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.bytesOutPerS`,
                value: reader.float()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.directPeers`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.relayedPeers`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface MetricsRttMeanMsFieldEvent {
    field: '$.rttMeanMs'
    value: number
  }

  export interface MetricsRttMaxMsFieldEvent {
    field: '$.rttMaxMs'
    value: number
  }

  export interface MetricsLossRatioFieldEvent {
    field: '$.lossRatio'
    value: number
  }

  export interface MetricsEventLoopLagMsFieldEvent {
    field: '$.eventLoopLagMs'
    value: number
  }

  export interface MetricsHeapUsedBytesFieldEvent {
    field: '$.heapUsedBytes'
    value: bigint
  }

  export interface MetricsMsgsInPerSFieldEvent {
    field: '$.msgsInPerS'
    value: number
  }

  export interface MetricsMsgsOutPerSFieldEvent {
    field: '$.msgsOutPerS'
    value: number
  }

  export interface MetricsBytesInPerSFieldEvent {
    field: '$.bytesInPerS'
    value: number
  }

  export interface MetricsBytesOutPerSFieldEvent {
    field: '$.bytesOutPerS'
    value: number
  }

  export interface MetricsDirectPeersFieldEvent {
    field: '$.directPeers'
    value: number
  }

  export interface MetricsRelayedPeersFieldEvent {
    field: '$.relayedPeers'
    value: number
  }

  export function encode (obj: Partial<Metrics>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Metrics.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Metrics>): Metrics {
    return decodeMessage(buf, Metrics.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Metrics>): Generator<MetricsRttMeanMsFieldEvent | MetricsRttMaxMsFieldEvent | MetricsLossRatioFieldEvent | MetricsEventLoopLagMsFieldEvent | MetricsHeapUsedBytesFieldEvent | MetricsMsgsInPerSFieldEvent | MetricsMsgsOutPerSFieldEvent | MetricsBytesInPerSFieldEvent | MetricsBytesOutPerSFieldEvent | MetricsDirectPeersFieldEvent | MetricsRelayedPeersFieldEvent> {
    return streamMessage(buf, Metrics.codec(), opts)
  }
}

export enum ElectionKind {
  ELECTION_UNKNOWN = 'ELECTION_UNKNOWN',
  CLAIM = 'CLAIM',
  VOTE = 'VOTE',
  LEAD = 'LEAD',
  RESIGN = 'RESIGN',
  FENCE = 'FENCE',
  PRE_CLAIM = 'PRE_CLAIM',
  PRE_VOTE = 'PRE_VOTE'
}

enum __ElectionKindValues {
  ELECTION_UNKNOWN = 0,
  CLAIM = 1,
  VOTE = 2,
  LEAD = 3,
  RESIGN = 4,
  FENCE = 5,
  PRE_CLAIM = 6,
  PRE_VOTE = 7
}

export namespace ElectionKind {
  export const codec = (): Codec<ElectionKind> => {
    return enumeration<ElectionKind>(__ElectionKindValues)
  }
}

export interface Election {
  kind: ElectionKind
  term: bigint
  candidate: string
  electorate: number
  signature: Uint8Array<ArrayBuffer>
  certificate: SignedVote[]
  pledge: boolean
}

export namespace Election {
  let _codec: Codec<Election>

  export const codec = (): Codec<Election> => {
    if (_codec == null) {
      _codec = message<Election>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __ElectionKindValues[obj.kind] !== 0) {
          w.uint32(8)
          ElectionKind.codec().encode(obj.kind, w)
        }

        if ((obj.term != null && obj.term !== 0n)) {
          w.uint32(16)
          w.uint64(obj.term)
        }

        if ((obj.candidate != null && obj.candidate !== '')) {
          w.uint32(26)
          w.string(obj.candidate)
        }

        if ((obj.electorate != null && obj.electorate !== 0)) {
          w.uint32(32)
          w.uint32(obj.electorate)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if (obj.certificate != null && obj.certificate.length > 0) {
          for (const value of obj.certificate) {
            w.uint32(50)
            SignedVote.codec().encode(value, w)
          }
        }

        if ((obj.pledge != null && obj.pledge !== false)) {
          w.uint32(56)
          w.bool(obj.pledge)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: ElectionKind.ELECTION_UNKNOWN,
          term: 0n,
          candidate: '',
          electorate: 0,
          signature: uint8ArrayAlloc(0),
          certificate: [],
          pledge: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = ElectionKind.codec().decode(reader)
              break
            }
            case 2: {
              obj.term = reader.uint64()
              break
            }
            case 3: {
              obj.candidate = reader.string()
              break
            }
            case 4: {
              obj.electorate = reader.uint32()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            case 6: {
              if (opts.limits?.certificate != null && obj.certificate.length === opts.limits.certificate) {
                throw new MaxLengthError('Decode error - repeated field "certificate" had too many elements')
              }

              obj.certificate.push(SignedVote.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.certificate$
              }))
              break
            }
            case 7: {
              obj.pledge = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          certificate: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: ElectionKind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.candidate`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.electorate`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              if (opts.limits?.certificate != null && obj.certificate === opts.limits.certificate) {
                throw new MaxLengthError('Streaming decode error - repeated field "certificate" had too many elements')
              }

              for (const evt of SignedVote.codec().stream(reader, reader.uint32(), `${prefix}.certificate[]`, {
                limits: opts.limits?.certificate$
              })) {
                yield {
                  ...evt,
                  index: obj.certificate
                }
              }

              obj.certificate++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.pledge`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ElectionKindFieldEvent {
    field: '$.kind'
    value: ElectionKind
  }

  export interface ElectionTermFieldEvent {
    field: '$.term'
    value: bigint
  }

  export interface ElectionCandidateFieldEvent {
    field: '$.candidate'
    value: string
  }

  export interface ElectionElectorateFieldEvent {
    field: '$.electorate'
    value: number
  }

  export interface ElectionSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ElectionCertificateFromFieldEvent {
    field: '$.certificate[].from'
    value: string
    index: number
  }

  export interface ElectionCertificateTermFieldEvent {
    field: '$.certificate[].term'
    value: bigint
    index: number
  }

  export interface ElectionCertificateCandidateFieldEvent {
    field: '$.certificate[].candidate'
    value: string
    index: number
  }

  export interface ElectionCertificateElectorateFieldEvent {
    field: '$.certificate[].electorate'
    value: number
    index: number
  }

  export interface ElectionCertificateSignatureFieldEvent {
    field: '$.certificate[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ElectionCertificatePledgeFieldEvent {
    field: '$.certificate[].pledge'
    value: boolean
    index: number
  }

  export interface ElectionPledgeFieldEvent {
    field: '$.pledge'
    value: boolean
  }

  export function encode (obj: Partial<Election>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Election.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Election>): Election {
    return decodeMessage(buf, Election.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Election>): Generator<ElectionKindFieldEvent | ElectionTermFieldEvent | ElectionCandidateFieldEvent | ElectionElectorateFieldEvent | ElectionSignatureFieldEvent | ElectionCertificateFromFieldEvent | ElectionCertificateTermFieldEvent | ElectionCertificateCandidateFieldEvent | ElectionCertificateElectorateFieldEvent | ElectionCertificateSignatureFieldEvent | ElectionCertificatePledgeFieldEvent | ElectionPledgeFieldEvent> {
    return streamMessage(buf, Election.codec(), opts)
  }
}

export interface SignedVote {
  from: string
  term: bigint
  candidate: string
  electorate: number
  signature: Uint8Array<ArrayBuffer>
  pledge: boolean
}

export namespace SignedVote {
  let _codec: Codec<SignedVote>

  export const codec = (): Codec<SignedVote> => {
    if (_codec == null) {
      _codec = message<SignedVote>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(10)
          w.string(obj.from)
        }

        if ((obj.term != null && obj.term !== 0n)) {
          w.uint32(16)
          w.uint64(obj.term)
        }

        if ((obj.candidate != null && obj.candidate !== '')) {
          w.uint32(26)
          w.string(obj.candidate)
        }

        if ((obj.electorate != null && obj.electorate !== 0)) {
          w.uint32(32)
          w.uint32(obj.electorate)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if ((obj.pledge != null && obj.pledge !== false)) {
          w.uint32(48)
          w.bool(obj.pledge)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          from: '',
          term: 0n,
          candidate: '',
          electorate: 0,
          signature: uint8ArrayAlloc(0),
          pledge: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.from = reader.string()
              break
            }
            case 2: {
              obj.term = reader.uint64()
              break
            }
            case 3: {
              obj.candidate = reader.string()
              break
            }
            case 4: {
              obj.electorate = reader.uint32()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            case 6: {
              obj.pledge = reader.bool()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.candidate`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.electorate`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.pledge`,
                value: reader.bool()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedVoteFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface SignedVoteTermFieldEvent {
    field: '$.term'
    value: bigint
  }

  export interface SignedVoteCandidateFieldEvent {
    field: '$.candidate'
    value: string
  }

  export interface SignedVoteElectorateFieldEvent {
    field: '$.electorate'
    value: number
  }

  export interface SignedVoteSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedVotePledgeFieldEvent {
    field: '$.pledge'
    value: boolean
  }

  export function encode (obj: Partial<SignedVote>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedVote.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedVote>): SignedVote {
    return decodeMessage(buf, SignedVote.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedVote>): Generator<SignedVoteFromFieldEvent | SignedVoteTermFieldEvent | SignedVoteCandidateFieldEvent | SignedVoteElectorateFieldEvent | SignedVoteSignatureFieldEvent | SignedVotePledgeFieldEvent> {
    return streamMessage(buf, SignedVote.codec(), opts)
  }
}
