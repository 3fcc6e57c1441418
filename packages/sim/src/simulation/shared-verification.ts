/**
 * In a tab every node checks the signature of every gossip message it receives once (gossipsub StrictSign, and the
 * vote signatures of the election). In a simulation all N nodes share one process, so the same (key, signature,
 * bytes) is checked N times: at 100 nodes that was a quarter of the CPU. This memoises Ed25519 verification
 * process-wide: the first node's check is real, the others reuse its result. The cache is exact (it compares the
 * key, the signature and the signed bytes), so a forged or altered message is still refused.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PublicKey } from '@libp2p/interface'

const CAPACITY = 50_000
let installed = false

/** Memoise Ed25519 signature checks for the whole process (idempotent). */
export async function shareSignatureChecks (): Promise<void> {
  if (installed) return
  installed = true
  const sample = (await generateKeyPair('Ed25519')).publicKey
  const proto = Object.getPrototypeOf(sample) as { verify: PublicKey['verify'] }
  const original = proto.verify
  const cache = new Map<string, { data: Uint8Array, ok: boolean }>()
  proto.verify = function (this: PublicKey & { raw: Uint8Array }, data, sig, options) {
    const bytes = data instanceof Uint8Array ? data : data.subarray()
    const key = hex(this.raw) + hex(sig)
    const hit = cache.get(key)
    if (hit !== undefined && equal(hit.data, bytes)) return hit.ok
    const result = original.call(this, bytes, sig, options)
    const remember = (ok: boolean): boolean => {
      if (cache.size >= CAPACITY) cache.delete(cache.keys().next().value as string)
      cache.set(key, { data: bytes.slice(), ok })
      return ok
    }
    return result instanceof Promise ? result.then(remember) : remember(result)
  }
}

function hex (b: Uint8Array): string { return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') }

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}
