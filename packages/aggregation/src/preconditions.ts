import { AggregationPreconditionError } from './errors.ts'
import type { AggregatorSpec, RuleName } from './types.ts'

export const RULE_NAMES: readonly RuleName[] = ['fedavg', 'krum', 'multi-krum', 'median', 'trimmed-mean', 'bulyan', 'centered-clipping']

/** A spec with every default filled in, after validation against n. */
export interface ResolvedSpec {
  rule: RuleName
  f: number
  /** Multi-Krum only. */
  m: number
  /** Trimmed mean only. */
  trim: number
  /** Centered clipping only. */
  clipRadius: number
  clipIterations: number
  nnm: boolean
}

/**
 * Largest f the rule tolerates with n updates, from the conditions below; -1 if the rule cannot run on n updates at all.
 * Lets a coordinator cap its configured f when fewer updates than expected arrive.
 */
export function maxTolerableByzantine (rule: RuleName, n: number): number {
  switch (rule) {
    case 'fedavg': return n >= 1 ? 0 : -1
    case 'krum':
    case 'multi-krum': return Math.floor((n - 3) / 2)
    case 'bulyan': return Math.floor((n - 3) / 4)
    case 'median':
    case 'trimmed-mean':
    case 'centered-clipping': return Math.floor((n - 1) / 2)
    default: throw unknownRule(rule)
  }
}

/** Throws AggregationPreconditionError with a message saying what is needed unless `spec` can aggregate n updates. */
export function checkPreconditions (n: number, spec: AggregatorSpec): void {
  resolveSpec(n, spec)
}

export function resolveSpec (n: number, spec: AggregatorSpec): ResolvedSpec {
  const rule = spec.rule
  if (!RULE_NAMES.includes(rule)) throw unknownRule(rule)
  if (!Number.isInteger(n) || n < 1) {
    throw new AggregationPreconditionError(`${rule} needs at least one update: got n=${n}`)
  }
  const f = spec.f ?? 0
  if (!Number.isInteger(f) || f < 0) {
    throw new AggregationPreconditionError(`f (the number of Byzantine updates to tolerate) must be an integer >= 0: got ${f}`)
  }
  const resolved: ResolvedSpec = { rule, f, m: 0, trim: 0, clipRadius: 0, clipIterations: 0, nnm: spec.nnm === true }

  switch (rule) {
    case 'fedavg':
      break
    case 'krum':
    case 'multi-krum': {
      // Krum's score sums the n-f-2 nearest neighbours; n > 2f+2 guarantees honest neighbours outnumber Byzantine ones.
      requireAtLeast(rule, 'n > 2f+2', n, 'f', f, 2 * f + 3, maxTolerableByzantine(rule, n))
      if (rule === 'multi-krum') {
        const m = spec.m ?? n - f
        if (!Number.isInteger(m) || m < 1 || m > n - f) {
          throw new AggregationPreconditionError(
            `multi-krum needs an integer m with 1 <= m <= n-f (averaging more than n-f would admit Byzantine updates): got m=${m} with n=${n}, f=${f}; use m <= ${n - f}`)
        }
        resolved.m = m
      }
      break
    }
    case 'median':
      requireAtLeast(rule, 'n > 2f', n, 'f', f, 2 * f + 1, maxTolerableByzantine(rule, n))
      break
    case 'trimmed-mean': {
      const trim = spec.trim ?? f
      if (!Number.isInteger(trim) || trim < 0) {
        throw new AggregationPreconditionError(`trimmed-mean needs trim to be an integer >= 0: got ${trim}`)
      }
      if (trim < f) {
        throw new AggregationPreconditionError(
          `trimmed-mean needs trim >= f so every Byzantine value can be discarded: got trim=${trim}, f=${f}; use trim >= ${f} or omit it`)
      }
      requireAtLeast(rule, 'n > 2*trim', n, 'trim', trim, 2 * trim + 1, Math.floor((n - 1) / 2))
      resolved.trim = trim
      break
    }
    case 'bulyan':
      // Selection keeps theta = n-2f updates, the coordinate phase averages beta = theta-2f >= 3 of them.
      requireAtLeast(rule, 'n >= 4f+3', n, 'f', f, 4 * f + 3, maxTolerableByzantine(rule, n))
      break
    case 'centered-clipping': {
      const clipRadius = spec.clipRadius
      if (clipRadius === undefined || !Number.isFinite(clipRadius) || clipRadius <= 0) {
        throw new AggregationPreconditionError(`centered-clipping needs clipRadius, a finite number > 0: got ${clipRadius}`)
      }
      const clipIterations = spec.clipIterations ?? 1
      if (!Number.isInteger(clipIterations) || clipIterations < 1) {
        throw new AggregationPreconditionError(`centered-clipping needs clipIterations, an integer >= 1: got ${clipIterations}`)
      }
      requireAtLeast(rule, 'n > 2f', n, 'f', f, 2 * f + 1, maxTolerableByzantine(rule, n))
      resolved.clipRadius = clipRadius
      resolved.clipIterations = clipIterations
      break
    }
  }

  if (resolved.nnm) {
    requireAtLeast('nearest-neighbour mixing', 'n > 2f', n, 'f', f, 2 * f + 1, Math.floor((n - 1) / 2))
  }
  return resolved
}

function requireAtLeast (what: string, condition: string, n: number, param: string, value: number, minN: number, maxValue: number): void {
  if (n >= minN) return
  const alternative = maxValue >= 0 ? ` or ${param} <= ${maxValue}` : ''
  throw new AggregationPreconditionError(
    `${what} needs ${condition}: got n=${n}, ${param}=${value}; need at least ${minN} updates${alternative}`)
}

function unknownRule (rule: unknown): AggregationPreconditionError {
  return new AggregationPreconditionError(`unknown aggregation rule ${JSON.stringify(rule)}; expected one of ${RULE_NAMES.join(', ')}`)
}
