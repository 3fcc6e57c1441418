/**
 * Micro-benchmarks for the hot paths. Prints a markdown table.
 * Run: node --import tsx packages/protocol/bench/bench.ts   (from /work/main)
 */
import { encodeHeartbeat, manualClock, Membership, MessageValidator, PhiAccrualDetector, TOPICS } from '../src/index.ts'
import { peerIdFor, sampleHeartbeat, seededRandom } from '../test/fixtures.ts'

interface Row { name: string, ops: number, usPerOp: number }
const rows: Row[] = []

function bench (name: string, fn: (i: number) => void, minMs = 500): void {
  for (let i = 0; i < 200; i++) fn(i) // warm-up
  let ops = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < minMs) {
    for (let k = 0; k < 100; k++) fn(ops++)
    elapsed = performance.now() - start
  }
  rows.push({ name, ops: Math.round(ops / (elapsed / 1000)), usPerOp: (elapsed * 1000) / ops })
}

const clock = manualClock(0)
const sender = peerIdFor(1)
const small = sampleHeartbeat({ neighbours: 6 })
const full = sampleHeartbeat({ neighbours: 64 })
const smallBytes = encodeHeartbeat({ sender, seq: 1, sentAtMs: clock.wallNow(), heartbeat: small })
const fullBytes = encodeHeartbeat({ sender, seq: 1, sentAtMs: clock.wallNow(), heartbeat: full })

bench(`encodeHeartbeat, 6 neighbours (${smallBytes.length} B)`, i => { encodeHeartbeat({ sender, seq: i + 1, sentAtMs: clock.wallNow(), heartbeat: small }) })
bench(`encodeHeartbeat, 64 neighbours (${fullBytes.length} B)`, i => { encodeHeartbeat({ sender, seq: i + 1, sentAtMs: clock.wallNow(), heartbeat: full }) })

// distinct seqs so every message is accepted (pre-encoded: measure validation only)
const smallMsgs = Array.from({ length: 2048 }, (_, i) => encodeHeartbeat({ sender, seq: i + 1, sentAtMs: clock.wallNow(), heartbeat: small }))
const fullMsgs = Array.from({ length: 2048 }, (_, i) => encodeHeartbeat({ sender, seq: i + 1, sentAtMs: clock.wallNow(), heartbeat: full }))
function validateAll (label: string, msgs: Uint8Array[]): void {
  let validator = new MessageValidator({ clock })
  bench(label, i => {
    if (i % msgs.length === 0) validator = new MessageValidator({ clock })
    const r = validator.validate({ topic: TOPICS.heartbeat, data: msgs[i % msgs.length] as Uint8Array, from: sender, signed: true })
    if (!r.ok) throw new Error(`benchmark input rejected: ${r.reason} ${r.detail}`)
  })
}
validateAll('validate, accepted, 6 neighbours', smallMsgs)
validateAll('validate, accepted, 64 neighbours', fullMsgs)

const random = seededRandom(1)
const garbage = Array.from({ length: 1024 }, () => Uint8Array.from({ length: 300 }, () => Math.floor(random() * 256)))
const garbageValidator = new MessageValidator({ clock })
bench('validate, 300 B of random bytes (rejected)', i => { garbageValidator.validate({ topic: TOPICS.heartbeat, data: garbage[i % garbage.length] as Uint8Array, from: sender, signed: true }) })
const huge = new Uint8Array(1024 * 1024)
bench('validate, 1 MiB (rejected: oversized)', () => { garbageValidator.validate({ topic: TOPICS.heartbeat, data: huge, from: sender, signed: true }) })

const detector = new PhiAccrualDetector({ firstHeartbeatEstimateMs: 1000 })
for (let t = 0; t < 100_000; t += 1000) detector.heartbeat(t)
bench('PhiAccrualDetector.phi', i => { detector.phi(100_000 + (i % 5000)) })

const membership = new Membership('self', { clock })
for (let p = 0; p < 100; p++) membership.observe({ version: 1, topic: TOPICS.heartbeat, sender: peerIdFor(1000 + p), seq: 1, sentAtMs: clock.wallNow(), heartbeat: small })
bench('Membership.evaluate, 100 peers', () => { membership.evaluate() })

console.log('| operation | ops/s | µs/op |')
console.log('|---|---:|---:|')
for (const r of rows) console.log(`| ${r.name} | ${r.ops.toLocaleString('en-US')} | ${r.usPerOp.toFixed(2)} |`)
