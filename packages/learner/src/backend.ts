import * as tf from '@tensorflow/tfjs'

/** Where the tfjs-backend-wasm binaries are: a URL prefix, or one URL per binary (as vite's `?url` imports give). */
export type WasmPaths = string | {
  'tfjs-backend-wasm.wasm'?: string
  'tfjs-backend-wasm-simd.wasm'?: string
  'tfjs-backend-wasm-threaded-simd.wasm'?: string
}

export interface BackendFallback {
  backend: string
  reason: string
}

/** Which tfjs backend is active, what was asked for, and why each earlier preference was skipped. */
export interface BackendReport {
  active: string
  requested: string[]
  fallbacks: BackendFallback[]
}

export interface SelectBackendOptions {
  /** Needed for 'wasm' in a browser bundle (see WasmPaths); Node finds the binaries next to the package. */
  wasmPaths?: WasmPaths
}

export class BackendUnavailableError extends Error {
  readonly fallbacks: BackendFallback[]
  constructor (fallbacks: BackendFallback[]) {
    super(`no TensorFlow.js backend could start: ${fallbacks.map(f => `${f.backend}: ${f.reason}`).join('; ')}`)
    this.name = 'BackendUnavailableError'
    this.fallbacks = fallbacks
  }
}

let wasmImport: Promise<void> | undefined

/** tfjs-backend-wasm is loaded only when asked for, so cpu-only runs never download or compile it. */
async function registerWasm (paths: WasmPaths | undefined): Promise<void> {
  wasmImport ??= import('@tensorflow/tfjs-backend-wasm').then(wasm => {
    if (paths !== undefined) wasm.setWasmPaths(paths as Parameters<typeof wasm.setWasmPaths>[0])
  })
  try {
    await wasmImport
  } catch (err) {
    wasmImport = undefined
    throw err
  }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * tfjs reports a failed backend start only as two console warnings ("Initialization of backend X failed", then the
 * error). Watch console.warn while it starts (everything is still printed) to turn the warning after that marker
 * into the fallback reason.
 */
async function setBackendCapturingReason (name: string): Promise<{ ok: boolean, reason?: string }> {
  const original = console.warn
  let sawMarker = false
  let reason: string | undefined
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ')
    if (sawMarker && reason === undefined) reason = text.split('\n')[0]
    if (text.includes(`Initialization of backend ${name} failed`)) sawMarker = true
    original.apply(console, args)
  }
  try {
    const ok = await tf.setBackend(name)
    return reason === undefined ? { ok } : { ok, reason }
  } finally {
    console.warn = original
  }
}

/**
 * Make the first backend of `preferred` that starts the active tfjs backend (for the whole realm: a worker or a
 * Node process). Falls back along the list and reports why; throws BackendUnavailableError if none starts.
 */
export async function selectBackend (preferred: readonly string[] = ['wasm', 'cpu'], options: SelectBackendOptions = {}): Promise<BackendReport> {
  if (preferred.length === 0) throw new RangeError('selectBackend needs at least one backend name, e.g. [\'wasm\', \'cpu\']')
  const fallbacks: BackendFallback[] = []
  for (const name of preferred) {
    if (name === 'wasm' && tf.findBackendFactory('wasm') === null) {
      try {
        await registerWasm(options.wasmPaths)
      } catch (err) {
        fallbacks.push({ backend: name, reason: `could not load @tensorflow/tfjs-backend-wasm: ${messageOf(err)}` })
        continue
      }
    }
    if (tf.findBackendFactory(name) === null) {
      fallbacks.push({ backend: name, reason: `not registered in this build (registered: ${Object.keys(tf.engine().registryFactory).join(', ')})` })
      continue
    }
    try {
      const { ok, reason } = await setBackendCapturingReason(name)
      if (ok) {
        await tf.ready()
        return { active: tf.getBackend(), requested: [...preferred], fallbacks }
      }
      fallbacks.push({ backend: name, reason: `failed to initialise${reason === undefined ? '' : `: ${reason}`}` })
    } catch (err) {
      fallbacks.push({ backend: name, reason: `failed to initialise: ${messageOf(err)}` })
    }
  }
  throw new BackendUnavailableError(fallbacks)
}
