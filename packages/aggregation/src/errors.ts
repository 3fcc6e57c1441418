/** Base class so callers can catch every aggregation failure with one instanceof check. */
export class AggregationError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'AggregationError'
  }
}

/** The number of updates or the spec's parameters do not satisfy the rule's theoretical requirements. */
export class AggregationPreconditionError extends AggregationError {
  constructor (message: string) {
    super(message)
    this.name = 'AggregationPreconditionError'
  }
}

/**
 * An input is malformed (wrong length, non-finite value, duplicate id, bad sample count).
 * `updateId` names the offending update, if any, so a coordinator can drop it and aggregate the rest.
 */
export class AggregationInputError extends AggregationError {
  readonly updateId: string | undefined

  constructor (message: string, updateId?: string) {
    super(message)
    this.name = 'AggregationInputError'
    this.updateId = updateId
  }
}
