import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CheckpointCorruptError, CheckpointStoreError } from './checkpoint.ts'
import type { Checkpoint, CheckpointStore } from './checkpoint.ts'
import { decodeCheckpoint, encodeCheckpoint, savedAtOf } from './codec.ts'

const SUFFIX = '.fmcp'

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Checkpoints as files in a directory (Node nodes), one `<session>.fmcp` per session, written to a temporary file
 * and renamed over the old one so a crash mid-write never leaves a half-written checkpoint in place.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor (readonly dir: string) {}

  pathOf (session: string): string {
    return join(this.dir, encodeURIComponent(session) + SUFFIX)
  }

  async load (session: string): Promise<Checkpoint | undefined> {
    let bytes: Uint8Array
    try {
      bytes = await readFile(this.pathOf(session))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new CheckpointStoreError(`cannot read checkpoint ${this.pathOf(session)}: ${messageOf(err)}`)
    }
    const checkpoint = decodeCheckpoint(bytes)
    if (checkpoint.session !== session) {
      throw new CheckpointCorruptError(`stored checkpoint is corrupt: ${this.pathOf(session)} holds session '${checkpoint.session}'`)
    }
    return checkpoint
  }

  async save (checkpoint: Checkpoint): Promise<void> {
    const bytes = encodeCheckpoint(checkpoint)
    const path = this.pathOf(checkpoint.session)
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
    try {
      await mkdir(this.dir, { recursive: true })
      await writeFile(tmp, bytes)
      await rename(tmp, path)
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {})
      throw new CheckpointStoreError(`cannot write checkpoint ${path}: ${messageOf(err)}`)
    }
  }

  async clear (session?: string): Promise<void> {
    try {
      if (session !== undefined) {
        await rm(this.pathOf(session), { force: true })
        return
      }
      const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err })
      await Promise.all(names.filter(n => n.endsWith(SUFFIX)).map(n => rm(join(this.dir, n), { force: true })))
    } catch (err) {
      throw new CheckpointStoreError(`cannot clear checkpoints in ${this.dir}: ${messageOf(err)}`)
    }
  }

  async prune (olderThan: number, keep: readonly string[] = []): Promise<number> {
    const kept = new Set(keep.map(s => encodeURIComponent(s) + SUFFIX))
    try {
      const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err })
      let removed = 0
      for (const name of names) {
        if (!name.endsWith(SUFFIX) || kept.has(name)) continue
        const bytes = await readFile(join(this.dir, name)).catch(() => undefined)
        if ((savedAtOf(bytes) ?? Infinity) >= olderThan) continue
        await rm(join(this.dir, name), { force: true })
        removed++
      }
      return removed
    } catch (err) {
      throw new CheckpointStoreError(`cannot prune checkpoints in ${this.dir}: ${messageOf(err)}`)
    }
  }
}
