/**
 * @fedmesh/rounds: the federated-learning round protocol (docs/protocol.md, "Rounds"), pure and clock-driven.
 *
 * One RoundSession per node and session. The node service (packages/node `training`) drives it:
 *
 *   const s = new RoundSession({ self, session, clock, model: { version: 0, tensors }, maxNorm, aggregator, minParticipants })
 *   election 'leader-changed'  -> s.onLeader(term, leader)
 *   membership changes         -> s.onMembership(alivePeerIds)
 *   fedmesh/updates/1 message  -> s.onUpdateMessage(data, from)   // returns { verdict, reason } for the topic validator
 *   fedmesh/model/1 message    -> s.onModelMessage(data, from)
 *   timer (e.g. every 250 ms)  -> s.tick()
 *   learner finished           -> s.submitUpdate(quantisedModelUpdate)
 *   /fedmesh/model/1.0.0 reply -> s.onFetchedModel(globalModelBytes); serve requests with s.modelPayload(version)
 *   status API                 -> s.status()
 *
 * Every call returns { publish: [{ topic: 'updates' | 'model', data }], events }: publish each message on its
 * topic, and act on events: 'train' (run the learner from s.model), 'fetch-model' (late joiner), 'model-rejected'
 * (Election.distrust(coordinator): stop following a coordinator whose model failed verification), 'quarantined'.
 *
 * The parts, usable alone: UpdatePool (validated updates of the last closed, open and next round), aggregateRound (the
 * deterministic base + rule(deltas) both coordinator and verifiers compute), verifyGlobalModel, RoundCoordinator
 * (open / decide / extend / close), Admission (who a coordinator waits for), RoundParticipant (term fencing,
 * when to train), SuspicionLedger (decaying evidence scores and quarantine).
 */
export { RoundSession } from './session/round-session.ts'
export type { RoundSessionConfig, AggregateFn } from './session/round-session.ts'
export type { Clock, Topic, Publish, Output, Verdict, InboundResult, RoundsEvent, ExtensionReason, VerificationFailure } from './types.ts'
export type { RoundsStatus } from './status/status.ts'

export { aggregateRound, flatDelta } from './aggregate/round-aggregate.ts'
export type { HeldUpdate, RoundAggregate } from './aggregate/round-aggregate.ts'
export { UpdatePool, isAuthorFault } from './pool/update-pool.ts'
export type { UpdatePoolOptions, PoolResult } from './pool/update-pool.ts'
export { verifyGlobalModel, toSpec, isUnverifiable } from './verification/verify.ts'
export type { BaseModel, VerifyInput, VerifyResult } from './verification/verify.ts'
export { RoundCoordinator, TAKEOVER_LAST_F_WAIT_MS } from './coordinator/coordinator.ts'
export type { CoordinatorConfig, OpenRound, CloseDecision, ClosedRound } from './coordinator/coordinator.ts'
export { Admission } from './coordinator/admission.ts'
export { RoundParticipant } from './participant/participant.ts'
export type { ActiveRound, OpenDecision } from './participant/participant.ts'
export { ModelState, heldModel } from './participant/model-state.ts'
export type { HeldModel } from './participant/model-state.ts'
export { SuspicionLedger, EVIDENCE_KINDS, DEFAULT_EVIDENCE_WEIGHTS } from './suspicion/suspicion.ts'
export type { SuspicionConfig, EvidenceKind, PeerSuspicion, SuspicionChange } from './suspicion/suspicion.ts'
export { ReasonCounters } from './status/reason-counters.ts'
