/**
 * `/fedmesh/model/1.0.0`: a late joiner asks a neighbour for the global model over a direct stream instead of
 * gossip (a whole model on a gossip topic would reach every node, only one needs it).
 *
 * Request: one length-prefixed frame, UTF-8 JSON `{"session": string, "version": number}` (at most 256 bytes).
 * Reply: one length-prefixed frame, a status byte then, on 0 (found), the encoded GlobalModel; 1 = not held.
 * Both sides cap sizes and time out; the requester checks the model itself (RoundSession.onFetchedModel).
 */
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'

export const MODEL_FETCH_PROTOCOL = '/fedmesh/model/1.0.0'
export const MAX_REQUEST_BYTES = 256
const FOUND = 0
const NOT_HELD = 1

export interface ModelRequest { session: string, version: number }

export function encodeModelRequest (r: ModelRequest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ session: r.session, version: r.version }))
}

/** Never throws: undefined for anything but a well-formed request. */
export function decodeModelRequest (bytes: Uint8Array): ModelRequest | undefined {
  if (bytes.byteLength > MAX_REQUEST_BYTES) return undefined
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
    if (typeof v !== 'object' || v === null) return undefined
    const { session, version } = v as Record<string, unknown>
    if (typeof session !== 'string' || typeof version !== 'number' || !Number.isInteger(version) || version < 0) return undefined
    return { session, version }
  } catch {
    return undefined
  }
}

/** Serve one request on an inbound stream: `lookup` gives the encoded model, if this node holds it. */
export async function serveModelRequest (stream: Stream, lookup: (r: ModelRequest) => Uint8Array | undefined, timeoutMs: number): Promise<'served' | 'not-held' | 'bad-request'> {
  const signal = AbortSignal.timeout(timeoutMs)
  const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
  try {
    const request = decodeModelRequest((await lp.read({ signal })).subarray())
    if (request === undefined) {
      stream.abort(new Error('bad model request'))
      return 'bad-request'
    }
    const payload = lookup(request)
    const reply = new Uint8Array(1 + (payload?.byteLength ?? 0))
    reply[0] = payload === undefined ? NOT_HELD : FOUND
    if (payload !== undefined) reply.set(payload, 1)
    await lp.write(reply, { signal })
    await stream.close({ signal })
    return payload === undefined ? 'not-held' : 'served'
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

/** Ask `connection`'s peer for a model; resolves to the encoded GlobalModel, or undefined if it does not hold it. */
export async function requestModel (connection: Connection, request: ModelRequest, maxBytes: number, timeoutMs: number): Promise<Uint8Array | undefined> {
  const signal = AbortSignal.timeout(timeoutMs)
  const stream = await connection.newStream(MODEL_FETCH_PROTOCOL, { signal })
  try {
    const lp = lpStream(stream, { maxDataLength: maxBytes + 1 })
    await lp.write(encodeModelRequest(request), { signal })
    const reply = (await lp.read({ signal })).subarray()
    await stream.close({ signal }).catch(() => {})
    if (reply.byteLength === 0) throw new Error('empty model reply')
    if (reply[0] === NOT_HELD) return undefined
    if (reply[0] !== FOUND) throw new Error(`unknown model reply status ${String(reply[0])}`)
    return reply.subarray(1)
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
