import type { Clock, ElectionConfig, PeerId, VoteMessage } from './types.ts'

/** Terms above this are refused outright, so nobody can push the counter towards 2^53 where +1 stops working. */
export const MAX_TERM = 2 ** 48

/** ElectionConfig with every default filled in and every value checked. */
export interface Settings {
  self: PeerId
  clock: Clock
  leaseClock: Clock
  random: () => number
  leadIntervalMs: number
  leaseMs: number
  electionTimeoutMs: readonly [number, number]
  claimRetryMs: number
  preVote: boolean
  pledge: boolean
  pledgeAfterStableMs: number
  memberTtlMs: number
  warmupMs: number
  certificateEveryMs: number
  certificateBurst: number
  faultTolerance: number
  persistedTerm: number
  verifyVote: ((vote: VoteMessage) => boolean) | undefined
}

function positive (name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`ElectionConfig.${name} must be a finite number > 0, got ${value}`)
  return value
}

function nonNegative (name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`ElectionConfig.${name} must be a finite number >= 0, got ${value}`)
  return value
}

export function resolve (config: ElectionConfig): Settings {
  if (typeof config?.self !== 'string' || config.self === '') throw new TypeError('ElectionConfig.self must be this node\'s peer id (a non-empty string)')
  if (typeof config.clock?.now !== 'function') throw new TypeError('ElectionConfig.clock must be { now(): number } (milliseconds)')
  if (config.leaseClock !== undefined && typeof config.leaseClock?.now !== 'function') throw new TypeError('ElectionConfig.leaseClock must be { now(): number } (milliseconds)')
  if (typeof config.random !== 'function') throw new TypeError('ElectionConfig.random must be a function returning a number in [0, 1)')
  const timeout = config.electionTimeoutMs ?? [1_000, 1_500]
  if (timeout.length !== 2 || !(timeout[0] > 0) || !(timeout[1] >= timeout[0]) || !Number.isFinite(timeout[1])) {
    throw new RangeError(`ElectionConfig.electionTimeoutMs must be [min, max] with 0 < min <= max, got [${timeout.join(', ')}]`)
  }
  const leadIntervalMs = positive('leadIntervalMs', config.leadIntervalMs ?? 300)
  const leaseMs = positive('leaseMs', config.leaseMs ?? 1_500)
  if (leaseMs <= leadIntervalMs) throw new RangeError(`ElectionConfig.leaseMs (${leaseMs}) must exceed leadIntervalMs (${leadIntervalMs}), or every lease lapses between renewals`)
  const faultTolerance = config.faultTolerance ?? 0
  if (!Number.isInteger(faultTolerance) || faultTolerance < 0) throw new RangeError(`ElectionConfig.faultTolerance must be an integer >= 0, got ${faultTolerance}`)
  const persistedTerm = config.persistedTerm ?? 0
  if (!validTerm(persistedTerm)) throw new RangeError(`ElectionConfig.persistedTerm must be an integer in [0, ${MAX_TERM}], got ${persistedTerm}`)
  const certificateBurst = config.certificateBurst ?? 10
  if (!Number.isInteger(certificateBurst) || certificateBurst < 1) throw new RangeError(`ElectionConfig.certificateBurst must be an integer >= 1, got ${certificateBurst}`)
  return {
    self: config.self,
    clock: config.clock,
    leaseClock: config.leaseClock ?? config.clock,
    random: config.random,
    leadIntervalMs,
    leaseMs,
    electionTimeoutMs: [timeout[0], timeout[1]],
    claimRetryMs: positive('claimRetryMs', config.claimRetryMs ?? 250),
    preVote: config.preVote ?? true,
    pledge: config.pledge ?? true,
    pledgeAfterStableMs: nonNegative('pledgeAfterStableMs', config.pledgeAfterStableMs ?? 3_000),
    memberTtlMs: nonNegative('memberTtlMs', config.memberTtlMs ?? 15_000),
    warmupMs: nonNegative('warmupMs', config.warmupMs ?? 2_000),
    certificateEveryMs: positive('certificateEveryMs', config.certificateEveryMs ?? 1_000),
    certificateBurst,
    faultTolerance,
    persistedTerm,
    verifyVote: config.verifyVote
  }
}

export function validTerm (term: unknown): term is number {
  return typeof term === 'number' && Number.isInteger(term) && term >= 0 && term <= MAX_TERM
}
