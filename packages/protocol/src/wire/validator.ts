import type { Clock } from '../clock.ts'
import { decodeEnvelope, errorText } from './codec.ts'
import type { DecodedEnvelope } from './codec.ts'
import { RejectCounters } from './reasons.ts'
import type { RejectReason } from './reasons.ts'
import { ReplayGuard } from './replay-guard.ts'
import { envelopeToWireMessage } from './schema.ts'
import { isKnownTopic, maxBytesForTopic, WIRE_VERSION } from './types.ts'
import type { InboundMessage, WireMessage } from './types.ts'

export type ValidationResult =
  | { ok: true, message: WireMessage }
  | { ok: false, reason: RejectReason, detail: string }

export interface MessageValidatorOptions {
  clock: Clock
  /** Reject messages whose sentAtMs is older than this by our wall clock; default 60_000. */
  maxAgeMs?: number
  /** Reject messages dated further than this into our future (clock skew allowance); default 30_000. */
  maxFutureMs?: number
  /** Replay window per sender, in sequence numbers; default 64. */
  replayWindow?: number
  /** Senders tracked by the replay guard (LRU); default 10_000. */
  maxSenders?: number
}

/**
 * Gatekeeper for everything that arrives over gossipsub. Cheap checks run first (the size cap before any
 * decoding), and the replay check runs last so only otherwise-valid messages advance a sender's window —
 * a forged or malformed message can never burn a legitimate sequence number.
 */
export class MessageValidator {
  readonly rejected = new RejectCounters()
  accepted = 0
  private readonly clock: Clock
  private readonly maxAgeMs: number
  private readonly maxFutureMs: number
  private readonly replay: ReplayGuard

  constructor (opts: MessageValidatorOptions) {
    if (opts?.clock === undefined) throw new TypeError('MessageValidator needs opts.clock ({ now(), wallNow() })')
    this.clock = opts.clock
    this.maxAgeMs = opts.maxAgeMs ?? 60_000
    this.maxFutureMs = opts.maxFutureMs ?? 30_000
    this.replay = new ReplayGuard({ window: opts.replayWindow ?? 64, maxSenders: opts.maxSenders ?? 10_000 })
  }

  /** Never throws, whatever the input. */
  validate (msg: InboundMessage): ValidationResult {
    try {
      const result = this.check(msg)
      if (result.ok) this.accepted++
      else this.rejected.count(result.reason)
      return result
    } catch (err) {
      // Only reachable through a bug or a hostile non-InboundMessage argument; still count it.
      this.rejected.count('malformed')
      return { ok: false, reason: 'malformed', detail: `unexpected error: ${errorText(err)}` }
    }
  }

  private check (msg: InboundMessage): ValidationResult {
    const data = msg.data
    if (!(data instanceof Uint8Array)) return reject('malformed', 'data is not a Uint8Array')
    const cap = maxBytesForTopic(msg.topic)
    if (data.length > cap) return reject('oversized', `${data.length} bytes, cap for '${msg.topic}' is ${cap}`)

    let decoded: DecodedEnvelope
    try {
      decoded = decodeEnvelope(data)
    } catch (err) {
      return reject('malformed', errorText(err))
    }
    const env = decoded.envelope

    if (env.version !== WIRE_VERSION) return reject('unsupported-version', `version ${env.version}, expected ${WIRE_VERSION}`)
    if (!isKnownTopic(msg.topic)) return reject('unknown-topic', `arrived on unknown topic '${msg.topic}'`)
    if (env.topic !== msg.topic) return reject('wrong-topic', `envelope says '${env.topic}' but arrived on '${msg.topic}'`)
    if (!msg.signed || msg.from === undefined || msg.from === '') return reject('unsigned', 'message is not signed by a verified author')
    if (env.sender !== msg.from) return reject('sender-mismatch', `envelope sender '${env.sender}' is not the signing peer '${msg.from}'`)

    let message: WireMessage
    try {
      message = envelopeToWireMessage(env, decoded.structure.bodyFields)
    } catch (err) {
      return reject('schema', errorText(err))
    }

    const now = this.clock.wallNow()
    if (now - message.sentAtMs > this.maxAgeMs) return reject('stale', `sent ${now - message.sentAtMs} ms ago, limit ${this.maxAgeMs} ms`)
    if (message.sentAtMs - now > this.maxFutureMs) return reject('future', `sent ${message.sentAtMs - now} ms in the future, limit ${this.maxFutureMs} ms`)

    if (!this.replay.check(message.sender, message.seq, message.sentAtMs)) {
      return reject('replayed', `seq ${message.seq} from ${message.sender} already seen or below the window (highest ${this.replay.highest(message.sender)})`)
    }
    return { ok: true, message }
  }
}

function reject (reason: RejectReason, detail: string): ValidationResult {
  return { ok: false, reason, detail }
}
