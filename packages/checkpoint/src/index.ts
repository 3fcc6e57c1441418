/**
 * @fedmesh/checkpoint: what a node keeps across restarts (model weights, version, round, term) and where:
 * IndexedDB in a tab, memory anywhere. The file store (node:fs) is '@fedmesh/checkpoint/node'.
 */
export { CheckpointCorruptError, CheckpointStoreError, validateCheckpoint, layoutMismatch, cloneCheckpoint } from './checkpoint.ts'
export type { Checkpoint, CheckpointStore } from './checkpoint.ts'
export { encodeCheckpoint, decodeCheckpoint, crc32 } from './codec.ts'
export { MemoryCheckpointStore } from './memory-store.ts'
export { IndexedDbCheckpointStore } from './indexeddb-store.ts'
export type { IndexedDbStoreOptions } from './indexeddb-store.ts'
export { resume } from './resume.ts'
export type { ResumeResult } from './resume.ts'
