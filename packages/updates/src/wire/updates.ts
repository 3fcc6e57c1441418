import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Scheme {
  SCHEME_UNKNOWN = 'SCHEME_UNKNOWN',
  FLOAT32 = 'FLOAT32',
  INT8 = 'INT8',
  INT8_TOPK = 'INT8_TOPK',
  INT8_DEFLATE = 'INT8_DEFLATE'
}

enum __SchemeValues {
  SCHEME_UNKNOWN = 0,
  FLOAT32 = 1,
  INT8 = 2,
  INT8_TOPK = 3,
  INT8_DEFLATE = 4
}

export namespace Scheme {
  export const codec = (): Codec<Scheme> => {
    return enumeration<Scheme>(__SchemeValues)
  }
}

export interface TensorData {
  name: string
  shape: number[]
  scheme: Scheme
  scale: number
  values: Uint8Array<ArrayBuffer>
  indices: Uint8Array<ArrayBuffer>
}

export namespace TensorData {
  let _codec: Codec<TensorData>

  export const codec = (): Codec<TensorData> => {
    if (_codec == null) {
      _codec = message<TensorData>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.shape != null && obj.shape.length > 0) {
          for (const value of obj.shape) {
            w.uint32(16)
            w.uint32(value)
          }
        }

        if (obj.scheme != null && __SchemeValues[obj.scheme] !== 0) {
          w.uint32(24)
          Scheme.codec().encode(obj.scheme, w)
        }

        if ((obj.scale != null && obj.scale !== 0)) {
          w.uint32(37)
          w.float(obj.scale)
        }

        if ((obj.values != null && obj.values.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.values)
        }

        if ((obj.indices != null && obj.indices.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.indices)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          shape: [],
          scheme: Scheme.SCHEME_UNKNOWN,
          scale: 0,
          values: uint8ArrayAlloc(0),
          indices: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              if (opts.limits?.shape != null && obj.shape.length === opts.limits.shape) {
                throw new MaxLengthError('Decode error - repeated field "shape" had too many elements')
              }

              obj.shape.push(reader.uint32())
              break
            }
            case 3: {
              obj.scheme = Scheme.codec().decode(reader)
              break
            }
            case 4: {
              obj.scale = reader.float()
              break
            }
            case 5: {
              obj.values = reader.bytes()
              break
            }
            case 6: {
              obj.indices = reader.bytes()
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
          shape: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              if (opts.limits?.shape != null && obj.shape === opts.limits.shape) {
                throw new MaxLengthError('Streaming decode error - repeated field "shape" had too many elements')
              }

              yield {
                field: `${prefix}.shape[]`,
                index: obj.shape,
                value: reader.uint32()
              }

              obj.shape++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.scheme`,
                value: Scheme.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.scale`,
                value: reader.float()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.values`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.indices`,
                value: reader.bytes()
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

  export interface TensorDataNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface TensorDataShapeFieldEvent {
    field: '$.shape[]'
    index: number
    value: number
  }

  export interface TensorDataSchemeFieldEvent {
    field: '$.scheme'
    value: Scheme
  }

  export interface TensorDataScaleFieldEvent {
    field: '$.scale'
    value: number
  }

  export interface TensorDataValuesFieldEvent {
    field: '$.values'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TensorDataIndicesFieldEvent {
    field: '$.indices'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<TensorData>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TensorData.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TensorData>): TensorData {
    return decodeMessage(buf, TensorData.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TensorData>): Generator<TensorDataNameFieldEvent | TensorDataShapeFieldEvent | TensorDataSchemeFieldEvent | TensorDataScaleFieldEvent | TensorDataValuesFieldEvent | TensorDataIndicesFieldEvent> {
    return streamMessage(buf, TensorData.codec(), opts)
  }
}

export interface ModelUpdate {
  version: number
  session: string
  round: number
  term: number
  baseVersion: number
  samples: number
  sender: string
  tensors: TensorData[]
}

export namespace ModelUpdate {
  let _codec: Codec<ModelUpdate>

  export const codec = (): Codec<ModelUpdate> => {
    if (_codec == null) {
      _codec = message<ModelUpdate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.session != null && obj.session !== '')) {
          w.uint32(18)
          w.string(obj.session)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(24)
          w.uint32(obj.round)
        }

        if ((obj.term != null && obj.term !== 0)) {
          w.uint32(32)
          w.uint32(obj.term)
        }

        if ((obj.baseVersion != null && obj.baseVersion !== 0)) {
          w.uint32(40)
          w.uint32(obj.baseVersion)
        }

        if ((obj.samples != null && obj.samples !== 0)) {
          w.uint32(48)
          w.uint32(obj.samples)
        }

        if ((obj.sender != null && obj.sender !== '')) {
          w.uint32(58)
          w.string(obj.sender)
        }

        if (obj.tensors != null && obj.tensors.length > 0) {
          for (const value of obj.tensors) {
            w.uint32(66)
            TensorData.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          session: '',
          round: 0,
          term: 0,
          baseVersion: 0,
          samples: 0,
          sender: '',
          tensors: []
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
              obj.session = reader.string()
              break
            }
            case 3: {
              obj.round = reader.uint32()
              break
            }
            case 4: {
              obj.term = reader.uint32()
              break
            }
            case 5: {
              obj.baseVersion = reader.uint32()
              break
            }
            case 6: {
              obj.samples = reader.uint32()
              break
            }
            case 7: {
              obj.sender = reader.string()
              break
            }
            case 8: {
              if (opts.limits?.tensors != null && obj.tensors.length === opts.limits.tensors) {
                throw new MaxLengthError('Decode error - repeated field "tensors" had too many elements')
              }

              obj.tensors.push(TensorData.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.tensors$
              }))
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
          tensors: 0
        }

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
                field: `${prefix}.session`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.baseVersion`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.samples`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.sender`,
                value: reader.string()
              }
              break
            }
            case 8: {
              if (opts.limits?.tensors != null && obj.tensors === opts.limits.tensors) {
                throw new MaxLengthError('Streaming decode error - repeated field "tensors" had too many elements')
              }

              for (const evt of TensorData.codec().stream(reader, reader.uint32(), `${prefix}.tensors[]`, {
                limits: opts.limits?.tensors$
              })) {
                yield {
                  ...evt,
                  index: obj.tensors
                }
              }

              obj.tensors++

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

  export interface ModelUpdateVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface ModelUpdateSessionFieldEvent {
    field: '$.session'
    value: string
  }

  export interface ModelUpdateRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface ModelUpdateTermFieldEvent {
    field: '$.term'
    value: number
  }

  export interface ModelUpdateBaseVersionFieldEvent {
    field: '$.baseVersion'
    value: number
  }

  export interface ModelUpdateSamplesFieldEvent {
    field: '$.samples'
    value: number
  }

  export interface ModelUpdateSenderFieldEvent {
    field: '$.sender'
    value: string
  }

  export interface ModelUpdateTensorsNameFieldEvent {
    field: '$.tensors[].name'
    value: string
    index: number
  }

  export interface ModelUpdateTensorsShapeFieldEvent {
    field: '$.tensors[].shape[]'
    index: number
    value: number
  }

  export interface ModelUpdateTensorsSchemeFieldEvent {
    field: '$.tensors[].scheme'
    value: Scheme
    index: number
  }

  export interface ModelUpdateTensorsScaleFieldEvent {
    field: '$.tensors[].scale'
    value: number
    index: number
  }

  export interface ModelUpdateTensorsValuesFieldEvent {
    field: '$.tensors[].values'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ModelUpdateTensorsIndicesFieldEvent {
    field: '$.tensors[].indices'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<ModelUpdate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ModelUpdate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ModelUpdate>): ModelUpdate {
    return decodeMessage(buf, ModelUpdate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ModelUpdate>): Generator<ModelUpdateVersionFieldEvent | ModelUpdateSessionFieldEvent | ModelUpdateRoundFieldEvent | ModelUpdateTermFieldEvent | ModelUpdateBaseVersionFieldEvent | ModelUpdateSamplesFieldEvent | ModelUpdateSenderFieldEvent | ModelUpdateTensorsNameFieldEvent | ModelUpdateTensorsShapeFieldEvent | ModelUpdateTensorsSchemeFieldEvent | ModelUpdateTensorsScaleFieldEvent | ModelUpdateTensorsValuesFieldEvent | ModelUpdateTensorsIndicesFieldEvent> {
    return streamMessage(buf, ModelUpdate.codec(), opts)
  }
}

export interface GlobalModel {
  version: number
  session: string
  round: number
  term: number
  modelVersion: number
  coordinator: string
  includedDigests: Uint8Array<ArrayBuffer>[]
  scores: number[]
  rule: string
  tensors: TensorData[]
  weightsDigest: Uint8Array<ArrayBuffer>
}

export namespace GlobalModel {
  let _codec: Codec<GlobalModel>

  export const codec = (): Codec<GlobalModel> => {
    if (_codec == null) {
      _codec = message<GlobalModel>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.session != null && obj.session !== '')) {
          w.uint32(18)
          w.string(obj.session)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(24)
          w.uint32(obj.round)
        }

        if ((obj.term != null && obj.term !== 0)) {
          w.uint32(32)
          w.uint32(obj.term)
        }

        if ((obj.modelVersion != null && obj.modelVersion !== 0)) {
          w.uint32(40)
          w.uint32(obj.modelVersion)
        }

        if ((obj.coordinator != null && obj.coordinator !== '')) {
          w.uint32(50)
          w.string(obj.coordinator)
        }

        if (obj.includedDigests != null && obj.includedDigests.length > 0) {
          for (const value of obj.includedDigests) {
            w.uint32(58)
            w.bytes(value)
          }
        }

        if (obj.scores != null && obj.scores.length > 0) {
          for (const value of obj.scores) {
            w.uint32(65)
            w.double(value)
          }
        }

        if ((obj.rule != null && obj.rule !== '')) {
          w.uint32(74)
          w.string(obj.rule)
        }

        if (obj.tensors != null && obj.tensors.length > 0) {
          for (const value of obj.tensors) {
            w.uint32(82)
            TensorData.codec().encode(value, w)
          }
        }

        if ((obj.weightsDigest != null && obj.weightsDigest.byteLength > 0)) {
          w.uint32(90)
          w.bytes(obj.weightsDigest)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          session: '',
          round: 0,
          term: 0,
          modelVersion: 0,
          coordinator: '',
          includedDigests: [],
          scores: [],
          rule: '',
          tensors: [],
          weightsDigest: uint8ArrayAlloc(0)
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
              obj.session = reader.string()
              break
            }
            case 3: {
              obj.round = reader.uint32()
              break
            }
            case 4: {
              obj.term = reader.uint32()
              break
            }
            case 5: {
              obj.modelVersion = reader.uint32()
              break
            }
            case 6: {
              obj.coordinator = reader.string()
              break
            }
            case 7: {
              if (opts.limits?.includedDigests != null && obj.includedDigests.length === opts.limits.includedDigests) {
                throw new MaxLengthError('Decode error - repeated field "includedDigests" had too many elements')
              }

              obj.includedDigests.push(reader.bytes())
              break
            }
            case 8: {
              if (opts.limits?.scores != null && obj.scores.length === opts.limits.scores) {
                throw new MaxLengthError('Decode error - repeated field "scores" had too many elements')
              }

              obj.scores.push(reader.double())
              break
            }
            case 9: {
              obj.rule = reader.string()
              break
            }
            case 10: {
              if (opts.limits?.tensors != null && obj.tensors.length === opts.limits.tensors) {
                throw new MaxLengthError('Decode error - repeated field "tensors" had too many elements')
              }

              obj.tensors.push(TensorData.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.tensors$
              }))
              break
            }
            case 11: {
              obj.weightsDigest = reader.bytes()
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
          includedDigests: 0,
          scores: 0,
          tensors: 0
        }

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
                field: `${prefix}.session`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.modelVersion`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.coordinator`,
                value: reader.string()
              }
              break
            }
            case 7: {
              if (opts.limits?.includedDigests != null && obj.includedDigests === opts.limits.includedDigests) {
                throw new MaxLengthError('Streaming decode error - repeated field "includedDigests" had too many elements')
              }

              yield {
                field: `${prefix}.includedDigests[]`,
                index: obj.includedDigests,
                value: reader.bytes()
              }

              obj.includedDigests++

              break
            }
            case 8: {
              if (opts.limits?.scores != null && obj.scores === opts.limits.scores) {
                throw new MaxLengthError('Streaming decode error - repeated field "scores" had too many elements')
              }

              yield {
                field: `${prefix}.scores[]`,
                index: obj.scores,
                value: reader.double()
              }

              obj.scores++

              break
            }
            case 9: {
              yield {
                field: `${prefix}.rule`,
                value: reader.string()
              }
              break
            }
            case 10: {
              if (opts.limits?.tensors != null && obj.tensors === opts.limits.tensors) {
                throw new MaxLengthError('Streaming decode error - repeated field "tensors" had too many elements')
              }

              for (const evt of TensorData.codec().stream(reader, reader.uint32(), `${prefix}.tensors[]`, {
                limits: opts.limits?.tensors$
              })) {
                yield {
                  ...evt,
                  index: obj.tensors
                }
              }

              obj.tensors++

              break
            }
            case 11: {
              yield {
                field: `${prefix}.weightsDigest`,
                value: reader.bytes()
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

  export interface GlobalModelVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface GlobalModelSessionFieldEvent {
    field: '$.session'
    value: string
  }

  export interface GlobalModelRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface GlobalModelTermFieldEvent {
    field: '$.term'
    value: number
  }

  export interface GlobalModelModelVersionFieldEvent {
    field: '$.modelVersion'
    value: number
  }

  export interface GlobalModelCoordinatorFieldEvent {
    field: '$.coordinator'
    value: string
  }

  export interface GlobalModelIncludedDigestsFieldEvent {
    field: '$.includedDigests[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface GlobalModelScoresFieldEvent {
    field: '$.scores[]'
    index: number
    value: number
  }

  export interface GlobalModelRuleFieldEvent {
    field: '$.rule'
    value: string
  }

  export interface GlobalModelTensorsNameFieldEvent {
    field: '$.tensors[].name'
    value: string
    index: number
  }

  export interface GlobalModelTensorsShapeFieldEvent {
    field: '$.tensors[].shape[]'
    index: number
    value: number
  }

  export interface GlobalModelTensorsSchemeFieldEvent {
    field: '$.tensors[].scheme'
    value: Scheme
    index: number
  }

  export interface GlobalModelTensorsScaleFieldEvent {
    field: '$.tensors[].scale'
    value: number
    index: number
  }

  export interface GlobalModelTensorsValuesFieldEvent {
    field: '$.tensors[].values'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GlobalModelTensorsIndicesFieldEvent {
    field: '$.tensors[].indices'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface GlobalModelWeightsDigestFieldEvent {
    field: '$.weightsDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<GlobalModel>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, GlobalModel.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GlobalModel>): GlobalModel {
    return decodeMessage(buf, GlobalModel.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<GlobalModel>): Generator<GlobalModelVersionFieldEvent | GlobalModelSessionFieldEvent | GlobalModelRoundFieldEvent | GlobalModelTermFieldEvent | GlobalModelModelVersionFieldEvent | GlobalModelCoordinatorFieldEvent | GlobalModelIncludedDigestsFieldEvent | GlobalModelScoresFieldEvent | GlobalModelRuleFieldEvent | GlobalModelTensorsNameFieldEvent | GlobalModelTensorsShapeFieldEvent | GlobalModelTensorsSchemeFieldEvent | GlobalModelTensorsScaleFieldEvent | GlobalModelTensorsValuesFieldEvent | GlobalModelTensorsIndicesFieldEvent | GlobalModelWeightsDigestFieldEvent> {
    return streamMessage(buf, GlobalModel.codec(), opts)
  }
}

export interface AggregatorSpec {
  rule: string
  f: number
  m: number
  trim: number
  clipRadius: number
  clipIterations: number
  nnm: boolean
}

export namespace AggregatorSpec {
  let _codec: Codec<AggregatorSpec>

  export const codec = (): Codec<AggregatorSpec> => {
    if (_codec == null) {
      _codec = message<AggregatorSpec>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.rule != null && obj.rule !== '')) {
          w.uint32(10)
          w.string(obj.rule)
        }

        if ((obj.f != null && obj.f !== 0)) {
          w.uint32(16)
          w.uint32(obj.f)
        }

        if ((obj.m != null && obj.m !== 0)) {
          w.uint32(24)
          w.uint32(obj.m)
        }

        if ((obj.trim != null && obj.trim !== 0)) {
          w.uint32(32)
          w.uint32(obj.trim)
        }

        if ((obj.clipRadius != null && obj.clipRadius !== 0)) {
          w.uint32(41)
          w.double(obj.clipRadius)
        }

        if ((obj.clipIterations != null && obj.clipIterations !== 0)) {
          w.uint32(48)
          w.uint32(obj.clipIterations)
        }

        if ((obj.nnm != null && obj.nnm !== false)) {
          w.uint32(56)
          w.bool(obj.nnm)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          rule: '',
          f: 0,
          m: 0,
          trim: 0,
          clipRadius: 0,
          clipIterations: 0,
          nnm: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.rule = reader.string()
              break
            }
            case 2: {
              obj.f = reader.uint32()
              break
            }
            case 3: {
              obj.m = reader.uint32()
              break
            }
            case 4: {
              obj.trim = reader.uint32()
              break
            }
            case 5: {
              obj.clipRadius = reader.double()
              break
            }
            case 6: {
              obj.clipIterations = reader.uint32()
              break
            }
            case 7: {
              obj.nnm = reader.bool()
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
                field: `${prefix}.rule`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.f`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.m`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.trim`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.clipRadius`,
                value: reader.double()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.clipIterations`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.nnm`,
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

  export interface AggregatorSpecRuleFieldEvent {
    field: '$.rule'
    value: string
  }

  export interface AggregatorSpecFFieldEvent {
    field: '$.f'
    value: number
  }

  export interface AggregatorSpecMFieldEvent {
    field: '$.m'
    value: number
  }

  export interface AggregatorSpecTrimFieldEvent {
    field: '$.trim'
    value: number
  }

  export interface AggregatorSpecClipRadiusFieldEvent {
    field: '$.clipRadius'
    value: number
  }

  export interface AggregatorSpecClipIterationsFieldEvent {
    field: '$.clipIterations'
    value: number
  }

  export interface AggregatorSpecNnmFieldEvent {
    field: '$.nnm'
    value: boolean
  }

  export function encode (obj: Partial<AggregatorSpec>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AggregatorSpec.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AggregatorSpec>): AggregatorSpec {
    return decodeMessage(buf, AggregatorSpec.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AggregatorSpec>): Generator<AggregatorSpecRuleFieldEvent | AggregatorSpecFFieldEvent | AggregatorSpecMFieldEvent | AggregatorSpecTrimFieldEvent | AggregatorSpecClipRadiusFieldEvent | AggregatorSpecClipIterationsFieldEvent | AggregatorSpecNnmFieldEvent> {
    return streamMessage(buf, AggregatorSpec.codec(), opts)
  }
}

export interface RoundOpen {
  version: number
  session: string
  round: number
  term: number
  coordinator: string
  baseVersion: number
  baseDigest: Uint8Array<ArrayBuffer>
  deadlineMs: number
  minParticipants: number
  aggregator?: AggregatorSpec
  held: Uint8Array<ArrayBuffer>[]
}

export namespace RoundOpen {
  let _codec: Codec<RoundOpen>

  export const codec = (): Codec<RoundOpen> => {
    if (_codec == null) {
      _codec = message<RoundOpen>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.session != null && obj.session !== '')) {
          w.uint32(18)
          w.string(obj.session)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(24)
          w.uint32(obj.round)
        }

        if ((obj.term != null && obj.term !== 0)) {
          w.uint32(32)
          w.uint32(obj.term)
        }

        if ((obj.coordinator != null && obj.coordinator !== '')) {
          w.uint32(42)
          w.string(obj.coordinator)
        }

        if ((obj.baseVersion != null && obj.baseVersion !== 0)) {
          w.uint32(48)
          w.uint32(obj.baseVersion)
        }

        if ((obj.baseDigest != null && obj.baseDigest.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.baseDigest)
        }

        if ((obj.deadlineMs != null && obj.deadlineMs !== 0)) {
          w.uint32(64)
          w.uint32(obj.deadlineMs)
        }

        if ((obj.minParticipants != null && obj.minParticipants !== 0)) {
          w.uint32(72)
          w.uint32(obj.minParticipants)
        }

        if (obj.aggregator != null) {
          w.uint32(82)
          AggregatorSpec.codec().encode(obj.aggregator, w)
        }

        if (obj.held != null && obj.held.length > 0) {
          for (const value of obj.held) {
            w.uint32(90)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          session: '',
          round: 0,
          term: 0,
          coordinator: '',
          baseVersion: 0,
          baseDigest: uint8ArrayAlloc(0),
          deadlineMs: 0,
          minParticipants: 0,
          held: []
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
              obj.session = reader.string()
              break
            }
            case 3: {
              obj.round = reader.uint32()
              break
            }
            case 4: {
              obj.term = reader.uint32()
              break
            }
            case 5: {
              obj.coordinator = reader.string()
              break
            }
            case 6: {
              obj.baseVersion = reader.uint32()
              break
            }
            case 7: {
              obj.baseDigest = reader.bytes()
              break
            }
            case 8: {
              obj.deadlineMs = reader.uint32()
              break
            }
            case 9: {
              obj.minParticipants = reader.uint32()
              break
            }
            case 10: {
              obj.aggregator = AggregatorSpec.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.aggregator
              })
              break
            }
            case 11: {
              if (opts.limits?.held != null && obj.held.length === opts.limits.held) {
                throw new MaxLengthError('Decode error - repeated field "held" had too many elements')
              }

              obj.held.push(reader.bytes())
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
          held: 0
        }

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
                field: `${prefix}.session`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.coordinator`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.baseVersion`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.baseDigest`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.deadlineMs`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.minParticipants`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield * AggregatorSpec.codec().stream(reader, reader.uint32(), `${prefix}.aggregator`, {
                limits: opts.limits?.aggregator
              })

              break
            }
            case 11: {
              if (opts.limits?.held != null && obj.held === opts.limits.held) {
                throw new MaxLengthError('Streaming decode error - repeated field "held" had too many elements')
              }

              yield {
                field: `${prefix}.held[]`,
                index: obj.held,
                value: reader.bytes()
              }

              obj.held++

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

  export interface RoundOpenVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface RoundOpenSessionFieldEvent {
    field: '$.session'
    value: string
  }

  export interface RoundOpenRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface RoundOpenTermFieldEvent {
    field: '$.term'
    value: number
  }

  export interface RoundOpenCoordinatorFieldEvent {
    field: '$.coordinator'
    value: string
  }

  export interface RoundOpenBaseVersionFieldEvent {
    field: '$.baseVersion'
    value: number
  }

  export interface RoundOpenBaseDigestFieldEvent {
    field: '$.baseDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RoundOpenDeadlineMsFieldEvent {
    field: '$.deadlineMs'
    value: number
  }

  export interface RoundOpenMinParticipantsFieldEvent {
    field: '$.minParticipants'
    value: number
  }

  export interface RoundOpenAggregatorRuleFieldEvent {
    field: '$.aggregator.rule'
    value: string
  }

  export interface RoundOpenAggregatorFFieldEvent {
    field: '$.aggregator.f'
    value: number
  }

  export interface RoundOpenAggregatorMFieldEvent {
    field: '$.aggregator.m'
    value: number
  }

  export interface RoundOpenAggregatorTrimFieldEvent {
    field: '$.aggregator.trim'
    value: number
  }

  export interface RoundOpenAggregatorClipRadiusFieldEvent {
    field: '$.aggregator.clipRadius'
    value: number
  }

  export interface RoundOpenAggregatorClipIterationsFieldEvent {
    field: '$.aggregator.clipIterations'
    value: number
  }

  export interface RoundOpenAggregatorNnmFieldEvent {
    field: '$.aggregator.nnm'
    value: boolean
  }

  export interface RoundOpenHeldFieldEvent {
    field: '$.held[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<RoundOpen>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RoundOpen.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RoundOpen>): RoundOpen {
    return decodeMessage(buf, RoundOpen.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RoundOpen>): Generator<RoundOpenVersionFieldEvent | RoundOpenSessionFieldEvent | RoundOpenRoundFieldEvent | RoundOpenTermFieldEvent | RoundOpenCoordinatorFieldEvent | RoundOpenBaseVersionFieldEvent | RoundOpenBaseDigestFieldEvent | RoundOpenDeadlineMsFieldEvent | RoundOpenMinParticipantsFieldEvent | RoundOpenAggregatorRuleFieldEvent | RoundOpenAggregatorFFieldEvent | RoundOpenAggregatorMFieldEvent | RoundOpenAggregatorTrimFieldEvent | RoundOpenAggregatorClipRadiusFieldEvent | RoundOpenAggregatorClipIterationsFieldEvent | RoundOpenAggregatorNnmFieldEvent | RoundOpenHeldFieldEvent> {
    return streamMessage(buf, RoundOpen.codec(), opts)
  }
}

export enum PayloadKind {
  PAYLOAD_UNKNOWN = 'PAYLOAD_UNKNOWN',
  MODEL_UPDATE = 'MODEL_UPDATE',
  GLOBAL_MODEL = 'GLOBAL_MODEL',
  ROUND_OPEN = 'ROUND_OPEN'
}

enum __PayloadKindValues {
  PAYLOAD_UNKNOWN = 0,
  MODEL_UPDATE = 1,
  GLOBAL_MODEL = 2,
  ROUND_OPEN = 3
}

export namespace PayloadKind {
  export const codec = (): Codec<PayloadKind> => {
    return enumeration<PayloadKind>(__PayloadKindValues)
  }
}

export interface Chunk {
  version: number
  kind: PayloadKind
  payloadDigest: Uint8Array<ArrayBuffer>
  index: number
  count: number
  totalBytes: number
  session: string
  round: number
  term: number
  data: Uint8Array<ArrayBuffer>
}

export namespace Chunk {
  let _codec: Codec<Chunk>

  export const codec = (): Codec<Chunk> => {
    if (_codec == null) {
      _codec = message<Chunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.kind != null && __PayloadKindValues[obj.kind] !== 0) {
          w.uint32(16)
          PayloadKind.codec().encode(obj.kind, w)
        }

        if ((obj.payloadDigest != null && obj.payloadDigest.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.payloadDigest)
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(32)
          w.uint32(obj.index)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(40)
          w.uint32(obj.count)
        }

        if ((obj.totalBytes != null && obj.totalBytes !== 0)) {
          w.uint32(48)
          w.uint32(obj.totalBytes)
        }

        if ((obj.session != null && obj.session !== '')) {
          w.uint32(58)
          w.string(obj.session)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(64)
          w.uint32(obj.round)
        }

        if ((obj.term != null && obj.term !== 0)) {
          w.uint32(72)
          w.uint32(obj.term)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          kind: PayloadKind.PAYLOAD_UNKNOWN,
          payloadDigest: uint8ArrayAlloc(0),
          index: 0,
          count: 0,
          totalBytes: 0,
          session: '',
          round: 0,
          term: 0,
          data: uint8ArrayAlloc(0)
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
              obj.kind = PayloadKind.codec().decode(reader)
              break
            }
            case 3: {
              obj.payloadDigest = reader.bytes()
              break
            }
            case 4: {
              obj.index = reader.uint32()
              break
            }
            case 5: {
              obj.count = reader.uint32()
              break
            }
            case 6: {
              obj.totalBytes = reader.uint32()
              break
            }
            case 7: {
              obj.session = reader.string()
              break
            }
            case 8: {
              obj.round = reader.uint32()
              break
            }
            case 9: {
              obj.term = reader.uint32()
              break
            }
            case 10: {
              obj.data = reader.bytes()
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
                field: `${prefix}.kind`,
                value: PayloadKind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.payloadDigest`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.totalBytes`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.session`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.term`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
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

  export interface ChunkVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface ChunkKindFieldEvent {
    field: '$.kind'
    value: PayloadKind
  }

  export interface ChunkPayloadDigestFieldEvent {
    field: '$.payloadDigest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChunkIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface ChunkCountFieldEvent {
    field: '$.count'
    value: number
  }

  export interface ChunkTotalBytesFieldEvent {
    field: '$.totalBytes'
    value: number
  }

  export interface ChunkSessionFieldEvent {
    field: '$.session'
    value: string
  }

  export interface ChunkRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface ChunkTermFieldEvent {
    field: '$.term'
    value: number
  }

  export interface ChunkDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Chunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Chunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Chunk {
    return decodeMessage(buf, Chunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Generator<ChunkVersionFieldEvent | ChunkKindFieldEvent | ChunkPayloadDigestFieldEvent | ChunkIndexFieldEvent | ChunkCountFieldEvent | ChunkTotalBytesFieldEvent | ChunkSessionFieldEvent | ChunkRoundFieldEvent | ChunkTermFieldEvent | ChunkDataFieldEvent> {
    return streamMessage(buf, Chunk.codec(), opts)
  }
}
