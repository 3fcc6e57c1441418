import type { WeightSlot } from '@fedmesh/learner'
import { CheckpointCorruptError, layoutMismatch } from './checkpoint.ts'
import type { Checkpoint, CheckpointStore } from './checkpoint.ts'

export interface ResumeResult {
  /** The checkpoint to resume from; undefined means start fresh. */
  checkpoint?: Checkpoint
  /** Why a stored checkpoint was not used (corrupt, another model, store unavailable); absent if none was stored. */
  problem?: string
}

/**
 * Load the session's checkpoint for a restart, never throwing: a corrupt checkpoint or one of another model layout
 * is deleted (it would fail the same way on every reload) and reported; a store that cannot be read at all is only
 * reported (the data may be fine). In every problem case the caller starts fresh.
 */
export async function resume (store: CheckpointStore, session: string, layout?: readonly WeightSlot[]): Promise<ResumeResult> {
  let checkpoint: Checkpoint | undefined
  try {
    checkpoint = await store.load(session)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (!(err instanceof CheckpointCorruptError)) return { problem: `could not read the checkpoint, starting fresh: ${message}` }
    return { problem: `${message}; deleted it, starting fresh${await clearNote(store, session)}` }
  }
  if (checkpoint === undefined) return {}
  const mismatch = layout === undefined ? undefined : layoutMismatch(checkpoint, layout)
  if (mismatch !== undefined) {
    return { problem: `the checkpoint of session '${session}' does not fit this model (${mismatch}); deleted it, starting fresh${await clearNote(store, session)}` }
  }
  return { checkpoint }
}

async function clearNote (store: CheckpointStore, session: string): Promise<string> {
  try {
    await store.clear(session)
    return ''
  } catch (err) {
    return ` (deleting it failed too: ${err instanceof Error ? err.message : String(err)})`
  }
}
