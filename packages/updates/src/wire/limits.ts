/** Wire version of updates.proto messages; receivers drop any other as 'unsupported-version'. */
export const UPDATES_WIRE_VERSION = 1

// Bounds a decoder enforces before allocating anything, so hostile input cannot make it build huge objects.
export const MAX_SESSION_BYTES = 128
export const MAX_TENSOR_NAME_BYTES = 256
export const MAX_RULE_BYTES = 64
export const MAX_TENSORS = 4096
export const MAX_RANK = 8
/** Total elements across one payload's tensors (2^28 = 268M, 1 GiB as float32). */
export const MAX_ELEMENTS = 2 ** 28
export const MAX_INCLUDED_DIGESTS = 10_000
/**
 * Updates a round announcement lists as already held (RoundOpen.held): 34 bytes each on the wire, so the announcement
 * stays one small chunk. A coordinator holding more lists the first ones; the others' senders publish theirs again.
 */
export const MAX_HELD_DIGESTS = 256

/**
 * Default cap on one encoded chunk message: far under gossipsub's 4 MiB publish limit and few 16 KiB
 * WebRTC frames, so one slow chunk does not hold the data channel for long.
 */
export const DEFAULT_MAX_CHUNK_BYTES = 60 * 1024
/** Default cap on a whole reassembled payload (a 16M-parameter float32 model). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
