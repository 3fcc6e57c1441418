/**
 * Proves that our pnpm patch of @libp2p/webrtc 6.0.33 (patches/@libp2p__webrtc@6.0.33.patch) fixes the
 * init-channel race in `initiateConnection`: the receiving side may close the `init` data channel before the
 * dialling side has seen `connectionState === 'connected'`. Unpatched, the dialler then waits for `open` on a
 * channel that is already closing/closed and hangs until its dial signal aborts.
 *
 * The real `initiateConnection` runs against a fake RTCPeerConnection (its `../webrtc/index.js` import is
 * mocked) and a fake answerer speaking the real signalling protobuf over an in-memory stream pair, so the
 * channel/connection event order can be scripted exactly.
 *
 * To re-check that these tests fail without the patch, point WEBRTC_INIT_RACE_PACKAGE_DIR at an unpatched
 * copy of the package (a directory whose `dist/src/...` layout matches @libp2p/webrtc and whose bare imports
 * resolve); the race cases then reject with the dial signal's timeout.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pbStream, streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

// Node 20 lacks Promise.withResolvers, which @libp2p/utils streams and initiateConnection use (the integration
// project gets it from scripts/node-env.js; the unit project has no setup file).
interface Resolvers { promise: Promise<unknown>, resolve: (value: unknown) => void, reject: (reason?: unknown) => void }
const PromiseWithResolvers = Promise as unknown as { withResolvers?: () => Resolvers }
if (typeof PromiseWithResolvers.withResolvers !== 'function') {
  PromiseWithResolvers.withResolvers = (): Resolvers => {
    let resolve!: Resolvers['resolve']
    let reject!: Resolvers['reject']
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

// Long enough that a passing run never comes close, short enough that an unpatched run fails quickly.
const DIAL_TIMEOUT_MS = 4_000
const TEST_TIMEOUT_MS = DIAL_TIMEOUT_MS + 6_000

/** Root of the @libp2p/webrtc package under test: the installed (patched) one unless overridden. */
function webrtcPackageDir (): string {
  const override = process.env.WEBRTC_INIT_RACE_PACKAGE_DIR
  if (override != null && override !== '') return override
  // resolves to <pkg>/dist/src/index.js; resolving from this file keeps the pnpm patch hash out of the test
  const entry = createRequire(import.meta.url).resolve('@libp2p/webrtc')
  return join(dirname(entry), '..', '..')
}

const PACKAGE_DIR = webrtcPackageDir()
const SRC_DIR = join(PACKAGE_DIR, 'dist', 'src')

// ---------------------------------------------------------------------------------------------------------
// Fake WebRTC: just enough RTCPeerConnection / RTCDataChannel for initiateConnection and the muxer factory.
// ---------------------------------------------------------------------------------------------------------

type ChannelState = 'connecting' | 'open' | 'closing' | 'closed'

class FakeDataChannel extends EventTarget {
  readonly label: string
  readonly id = 0
  readyState: ChannelState = 'connecting'
  binaryType = 'arraybuffer'
  onmessage: ((evt: MessageEvent) => void) | null = null
  /** How often the code under test called close(). */
  closeCalls = 0

  constructor (label: string) {
    super()
    this.label = label
  }

  /** Local close, as RTCDataChannel does it: closing now, closed (+ 'close' event) asynchronously. */
  close (): void {
    this.closeCalls++
    if (this.readyState === 'closing' || this.readyState === 'closed') return
    this.readyState = 'closing'
    setTimeout(() => { this.finishClosing() }, 1)
  }

  /** The remote side opened the channel. */
  remoteOpen (): void {
    this.readyState = 'open'
    this.dispatchEvent(new Event('open'))
  }

  /** The remote side started closing the channel (the 'close' event comes later, via finishClosing). */
  remoteStartClosing (): void {
    this.readyState = 'closing'
  }

  finishClosing (): void {
    if (this.readyState === 'closed') return
    this.readyState = 'closed'
    this.dispatchEvent(new Event('close'))
  }
}

type ConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed'

class FakePeerConnection extends EventTarget {
  connectionState: ConnectionState = 'new'
  onconnectionstatechange: ((evt: Event) => void) | null = null
  onicecandidate: ((evt: { candidate: unknown }) => void) | null = null
  onicecandidateerror: ((evt: Event) => void) | null = null
  ondatachannel: ((evt: { channel: FakeDataChannel }) => void) | null = null
  readonly channels: FakeDataChannel[] = []
  remoteDescription: FakeSessionDescription | null = null

  constructor (readonly config?: unknown) {
    super()
    peerConnections.push(this)
  }

  createDataChannel (label: string): FakeDataChannel {
    const channel = new FakeDataChannel(label)
    this.channels.push(channel)
    return channel
  }

  async createOffer (): Promise<{ type: 'offer', sdp: string }> {
    return { type: 'offer', sdp: FAKE_OFFER_SDP }
  }

  async setLocalDescription (_description: unknown): Promise<void> {}

  async setRemoteDescription (description: FakeSessionDescription): Promise<void> {
    this.remoteDescription = description
  }

  async addIceCandidate (_candidate: unknown): Promise<void> {}

  setConnectionState (state: ConnectionState): void {
    if (this.connectionState === state) return
    this.connectionState = state
    const evt = new Event('connectionstatechange')
    this.dispatchEvent(evt)
    this.onconnectionstatechange?.(evt)
  }

  close (): void {
    // initiateConnection calls close() again from its 'closed' listener; setConnectionState ignores repeats
    this.setConnectionState('closed')
  }
}

class FakeSessionDescription {
  readonly type: string
  readonly sdp: string
  constructor (init: { type: string, sdp?: string }) {
    this.type = init.type
    this.sdp = init.sdp ?? ''
  }
}

class FakeIceCandidate {
  readonly candidate: string
  constructor (init: { candidate?: string }) {
    this.candidate = init.candidate ?? ''
  }

  toJSON (): { candidate: string } {
    return { candidate: this.candidate }
  }
}

const FAKE_OFFER_SDP = 'v=0 fake-offer'
const FAKE_ANSWER_SDP = 'v=0 fake-answer'
const peerConnections: FakePeerConnection[] = []

// ---------------------------------------------------------------------------------------------------------
// The code under test, loaded after the mock is in place.
// ---------------------------------------------------------------------------------------------------------

enum MessageType { SDP_OFFER = 'SDP_OFFER', SDP_ANSWER = 'SDP_ANSWER', ICE_CANDIDATE = 'ICE_CANDIDATE' }
interface SignalingMessage { type?: MessageType, data?: string }
interface MessageCodec {
  encode: (obj: Partial<SignalingMessage>) => Uint8Array
  decode: (buf: Uint8Array | { subarray: () => Uint8Array }) => SignalingMessage
}

interface InitiateConnectionResult { remoteAddress: Multiaddr, peerConnection: unknown, muxerFactory: unknown }
type InitiateConnection = (init: Record<string, unknown>) => Promise<InitiateConnectionResult>

let initiateConnection: InitiateConnection
let Message: MessageCodec

beforeAll(async () => {
  // initiate-connection.js (and util.js) import the WebRTC classes from here; the package must be inlined by
  // vitest (server.deps.inline in vite.config.ts) for this mock to reach those imports.
  vi.doMock(join(SRC_DIR, 'webrtc', 'index.js'), () => ({
    RTCPeerConnection: FakePeerConnection,
    RTCSessionDescription: FakeSessionDescription,
    RTCIceCandidate: FakeIceCandidate
  }))
  const mod = await import(join(SRC_DIR, 'private-to-private', 'initiate-connection.js')) as { initiateConnection: InitiateConnection }
  const pb = await import(join(SRC_DIR, 'private-to-private', 'pb', 'message.js')) as { Message: MessageCodec }
  initiateConnection = mod.initiateConnection
  Message = pb.Message
})

afterEach(() => {
  peerConnections.length = 0
})

// ---------------------------------------------------------------------------------------------------------
// Harness: a dialler (initiateConnection) and a scripted answerer on the other end of a stream pair.
// ---------------------------------------------------------------------------------------------------------

function silentLog (errors: unknown[]): unknown {
  const log = Object.assign((..._args: unknown[]) => {}, {
    enabled: false,
    trace: (..._args: unknown[]) => {},
    error: (...args: unknown[]) => { errors.push(args) }
  })
  return Object.assign(log, { newScope: () => log })
}

/**
 * What the answerer does once it has sent its SDP answer. It gets the dialler's peer connection and init
 * channel, standing in for the remote side's effect on them.
 */
type AfterAnswer = (pc: FakePeerConnection, init: FakeDataChannel) => Promise<void> | void

async function dialWith (afterAnswer: AfterAnswer): Promise<{
  result: InitiateConnectionResult
  pc: FakePeerConnection
  init: FakeDataChannel
  target: Multiaddr
  errors: unknown[]
}> {
  const relayId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const targetId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const target = multiaddr(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${relayId}/p2p-circuit/webrtc/p2p/${targetId}`)

  const [dialerStream, answererStream] = await streamPair()
  const relayConnection = {
    newStream: async (): Promise<Stream> => dialerStream
  }
  const errors: unknown[] = []

  const answerer = (async (): Promise<void> => {
    const messages = pbStream(answererStream).pb(Message)
    const offer = await messages.read()
    expect(offer).toEqual({ type: MessageType.SDP_OFFER, data: FAKE_OFFER_SDP })
    // the dialler creates its peer connection and init channel before it sends the offer
    const pc = peerConnections[0]
    const init = pc?.channels[0]
    if (pc == null || init == null) throw new Error('expected the dialler to create a peer connection with an init channel before sending its offer')
    await messages.write({ type: MessageType.SDP_ANSWER, data: FAKE_ANSWER_SDP })
    await afterAnswer(pc, init)
    // the dialler closes the signalling stream once connected; close ours too
    await answererStream.close()
  })()

  const dial = initiateConnection({
    rtcConfiguration: {},
    dataChannel: {},
    maxEarlyStreams: 10,
    signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
    multiaddr: target,
    connectionManager: {
      getConnections: () => [relayConnection]
    },
    transportManager: {
      dial: async () => { throw new Error('the existing relay connection should be reused, not dialled') }
    },
    log: silentLog(errors),
    logger: { forComponent: () => silentLog(errors) }
  })

  const [result] = await Promise.all([dial, answerer])
  const pc = peerConnections[0]
  const init = pc?.channels[0]
  if (pc == null || init == null) throw new Error('expected a fake peer connection with an init channel')
  return { result, pc, init, target, errors }
}

/** Lets pending promise continuations and 1 ms timers run, so the dialler reaches its next await. */
async function settle (): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, 5))
}

describe('@libp2p/webrtc initiateConnection init-channel race (pnpm patch)', () => {
  it('completes when the remote closed the init channel before the dialler saw "connected"', async () => {
    const { result, pc, init, target, errors } = await dialWith((pc, init) => {
      // the race: the receiver has already closed the init channel ('close' fired, 'open' never did) ...
      init.remoteStartClosing()
      init.finishClosing()
      // ... and only then does the dialler's peer connection report connected
      pc.setConnectionState('connected')
    })

    expect(result.remoteAddress).toBe(target)
    expect(result.peerConnection).toBe(pc)
    expect(init.readyState).toBe('closed')
    expect(init.closeCalls).toBe(0)
    expect(pc.remoteDescription?.sdp).toBe(FAKE_ANSWER_SDP)
    expect(errors).toEqual([])
  }, TEST_TIMEOUT_MS)

  it('completes when the init channel is still closing at "connected" and closes afterwards', async () => {
    const { result, pc, init, errors } = await dialWith(async (pc, init) => {
      init.remoteStartClosing()
      pc.setConnectionState('connected')
      // the dialler now has to wait for 'close' on a channel that will never fire 'open'
      await settle()
      expect(init.readyState).toBe('closing')
      init.finishClosing()
    })

    expect(result.peerConnection).toBe(pc)
    expect(init.readyState).toBe('closed')
    expect(errors).toEqual([])
  }, TEST_TIMEOUT_MS)

  it('still closes the init channel itself when it opens normally after "connected"', async () => {
    const { result, pc, init, errors } = await dialWith(async (pc, init) => {
      pc.setConnectionState('connected')
      await settle()
      // the dialler is waiting for the channel; it must not have touched it yet
      expect(init.closeCalls).toBe(0)
      init.remoteOpen()
    })

    expect(result.peerConnection).toBe(pc)
    expect(init.closeCalls).toBe(1)
    expect(init.readyState).toBe('closed')
    expect(errors).toEqual([])
  }, TEST_TIMEOUT_MS)

  it('closes an init channel that was already open at "connected"', async () => {
    const { result, pc, init, errors } = await dialWith((pc, init) => {
      init.remoteOpen()
      pc.setConnectionState('connected')
    })

    expect(result.peerConnection).toBe(pc)
    expect(init.closeCalls).toBe(1)
    expect(init.readyState).toBe('closed')
    expect(errors).toEqual([])
  }, TEST_TIMEOUT_MS)
})
