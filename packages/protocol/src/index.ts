export { systemClock, manualClock } from './clock.ts'
export type { Clock, ManualClock } from './clock.ts'
export { seededRandom } from './random.ts'

export { WIRE_VERSION, TOPICS, MAX_MESSAGE_BYTES, MAX_ELECTION_BYTES, TOPIC_MAX_BYTES, maxBytesForTopic, isKnownTopic, PEER_TAIL_LENGTH, peerTail, samePeer } from './wire/types.ts'
export type {
  TopicName, TransportName, NeighbourInfo, MetricsSummary, HeartbeatBody, WireMessage, InboundMessage,
  ElectionBody, ElectionKindName, SignedVoteBody, ModelHead
} from './wire/types.ts'
export { encodeHeartbeat, encodeElection, electionVoteSigningBytes, encodeWireMessage, decodeWireMessage, modelHeadProblem, WireDecodeError } from './wire/codec.ts'
export type { HeartbeatToSend, ElectionToSend } from './wire/codec.ts'
export {
  MIN_INTERVAL_MS, MAX_INTERVAL_MS, MAX_NEIGHBOURS, MAX_PEER_ID_LENGTH, MAX_ELECTION_TERM, MAX_CERTIFICATE_VOTES,
  MAX_SIGNATURE_BYTES, MAX_SESSION_LENGTH, MAX_DIGEST_LENGTH, isValidPeerId
} from './wire/schema.ts'
export { MessageValidator } from './wire/validator.ts'
export type { MessageValidatorOptions, ValidationResult } from './wire/validator.ts'
export { RejectCounters, REJECT_REASONS } from './wire/reasons.ts'
export type { RejectReason } from './wire/reasons.ts'
export { ReplayGuard } from './wire/replay-guard.ts'
export type { ReplayGuardOptions } from './wire/replay-guard.ts'

export { PhiAccrualDetector, phiOf } from './membership/phi-accrual.ts'
export type { PhiAccrualOptions, PhiContext } from './membership/phi-accrual.ts'
export { Membership } from './membership/membership.ts'
export type { MemberState, MembershipOptions, MemberView, MembershipChange } from './membership/membership.ts'
export { WireFormatError, WIRE_VARINT, WIRE_FIXED64, WIRE_LEN, WIRE_FIXED32, readVarint, readLength, advance, expectWireType, skipUnknown } from './wire/protobuf-reader.ts'
export type { Cursor } from './wire/protobuf-reader.ts'
