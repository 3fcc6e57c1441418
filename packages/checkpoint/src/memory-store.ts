import { CheckpointCorruptError } from './checkpoint.ts'
import { encodeCheckpoint, decodeCheckpoint, savedAtOf } from './codec.ts'
import type { Checkpoint, CheckpointStore } from './checkpoint.ts'

/**
 * In-memory store (Node simulations, tests). Keeps encoded bytes, exactly like the persistent stores, so what
 * goes in is checked the same way and callers never share arrays with it.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, Uint8Array>()

  async load (session: string): Promise<Checkpoint | undefined> {
    const bytes = this.entries.get(session)
    if (bytes === undefined) return undefined
    const checkpoint = decodeCheckpoint(bytes)
    if (checkpoint.session !== session) {
      throw new CheckpointCorruptError(`stored checkpoint is corrupt: the entry for session '${session}' holds session '${checkpoint.session}'`)
    }
    return checkpoint
  }

  async save (checkpoint: Checkpoint): Promise<void> {
    this.entries.set(checkpoint.session, encodeCheckpoint(checkpoint))
  }

  async clear (session?: string): Promise<void> {
    if (session === undefined) this.entries.clear()
    else this.entries.delete(session)
  }

  async prune (olderThan: number, keep: readonly string[] = []): Promise<number> {
    let removed = 0
    for (const [session, bytes] of this.entries) {
      if (!keep.includes(session) && (savedAtOf(bytes) ?? Infinity) < olderThan && this.entries.delete(session)) removed++
    }
    return removed
  }

  /** Test hook: replace the stored bytes of a session (e.g. to simulate damage). */
  setRaw (session: string, bytes: Uint8Array): void {
    this.entries.set(session, bytes)
  }
}
