export { Election } from './election/election.ts'
export { MAX_TERM } from './election/config.ts'
export { quorum, rank, preferred, outranks, certify } from './election/quorum.ts'
export type { ElectionStatus, Recognition } from './election/election.ts'
export type { CertificateCheck } from './election/quorum.ts'
export type {
  PeerId, PreClaimMessage, PreVoteMessage, ClaimMessage, VoteMessage, LeadMessage, ResignMessage, FenceMessage, ElectionMessage, Role, StepDownReason,
  ElectionEvent, Output, Clock, ElectionConfig
} from './election/types.ts'
export { StallClock } from './election/stall-clock.ts'
