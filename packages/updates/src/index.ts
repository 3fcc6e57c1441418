export type {
  Tensor, TensorSpec, Scheme, QuantizedTensor, Float32Tensor, Int8Tensor, Int8TopkTensor, QuantizedDelta
} from './quantize/types.ts'
export { SCHEMES, elementCount } from './quantize/types.ts'
export { quantizeDelta, dequantize, dequantizeTensor, flattenTensors, unflattenTensors, DEFAULT_TOPK_FRACTION } from './quantize/quantize.ts'
export type { QuantizeOptions } from './quantize/quantize.ts'
export { INT8_MAX_LEVEL, int8Scale } from './quantize/int8.ts'
export { topkCount, topkIndices } from './quantize/topk.ts'
export { ErrorFeedback } from './quantize/error-feedback.ts'
export { quantizationError } from './quantize/stats.ts'
export type { QuantizationErrorStats } from './quantize/stats.ts'

export { digestUpdate, digestUpdateAsync, digestWeights, toHex, fromHex, isDigestHex, DIGEST_BYTES } from './digest/digest.ts'
export { sha256 } from './digest/sha256.ts'

export type { UpdateHeader, ModelUpdate, GlobalModel, RoundOpen, AggregatorSpecWire, PayloadKind, ChunkRouting, ChunkMessage, DecodeResult } from './wire/types.ts'
export { PAYLOAD_KINDS } from './wire/types.ts'
export {
  encodeModelUpdate, decodeModelUpdate, encodeGlobalModel, decodeGlobalModel, globalModelHeader, encodeRoundOpen, decodeRoundOpen, encodeChunk, decodeChunk, UpdateSchemaError
} from './wire/codec.ts'
export type { UpdateEncoding } from './wire/codec.ts'
export {
  UPDATES_WIRE_VERSION, DEFAULT_MAX_CHUNK_BYTES, DEFAULT_MAX_PAYLOAD_BYTES, MAX_SESSION_BYTES, MAX_TENSOR_NAME_BYTES,
  MAX_RULE_BYTES, MAX_TENSORS, MAX_RANK, MAX_ELEMENTS, MAX_INCLUDED_DIGESTS, MAX_HELD_DIGESTS
} from './wire/limits.ts'

export { chunkPayload, encodeUpdateChunks, encodeGlobalModelChunks, encodeRoundOpenChunks } from './chunking/chunker.ts'
export type { ChunkingOptions, EncodedPayload } from './chunking/chunker.ts'
export { Reassembler } from './chunking/reassembler.ts'
export type {
  ReassemblerOptions, ReassemblerStats, InboundChunk, ChunkAdmission, ChunkResult, CompletedPayload
} from './chunking/reassembler.ts'

export { UPDATE_REJECT_REASONS, UPDATE_REASON_ACTION, UpdateRejectCounters } from './validation/reasons.ts'
export type { UpdateRejectReason, Rejection } from './validation/reasons.ts'
export { UpdateValidator, DEFAULT_MAX_SAMPLES, float32PayloadBound } from './validation/update-validator.ts'
export type { UpdateExpectation, UpdateValidatorOptions, InboundUpdate, UpdateValidationResult } from './validation/update-validator.ts'
export { deltaNorm } from './validation/norm.ts'
export { checkGlobalModel } from './validation/global-model.ts'
export type { GlobalModelExpectation } from './validation/global-model.ts'
export { UpdateReceiver, GlobalModelReceiver } from './validation/receiver.ts'
export type {
  UpdateReceiverOptions, UpdateReceiveResult, GlobalModelReceiverOptions, GlobalModelReceiveResult, ChunkProgress
} from './validation/receiver.ts'
