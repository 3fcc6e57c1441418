import { CheckpointCorruptError, CheckpointStoreError } from './checkpoint.ts'
import type { Checkpoint, CheckpointStore } from './checkpoint.ts'
import { decodeCheckpoint, encodeCheckpoint, savedAtOf } from './codec.ts'

export interface IndexedDbStoreOptions {
  /** Database name (default 'fedmesh-checkpoints'). */
  dbName?: string
  /** The IndexedDB factory (default globalThis.indexedDB; fake-indexeddb in Node tests). */
  indexedDB?: IDBFactory
}

const STORE = 'checkpoints'
const DB_VERSION = 1

/** The stored record: the session as key and the encoded checkpoint (checksummed, see codec.ts). */
interface CheckpointRecord {
  session: string
  version: number
  savedAt: number
  bytes: ArrayBuffer
}

function requestResult<T> (request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'))
  })
}

function transactionDone (tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'))
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'))
  })
}

function messageOf (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

/**
 * Checkpoints in the tab's IndexedDB, one record per session. A save is one readwrite transaction, so a tab closed
 * mid-save keeps the previous checkpoint. The connection closes itself when another tab upgrades the database.
 */
export class IndexedDbCheckpointStore implements CheckpointStore {
  private readonly dbName: string
  private readonly factory: IDBFactory | undefined
  private db: Promise<IDBDatabase> | undefined

  constructor (options: IndexedDbStoreOptions = {}) {
    this.dbName = options.dbName ?? 'fedmesh-checkpoints'
    this.factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  }

  async load (session: string): Promise<Checkpoint | undefined> {
    const db = await this.open()
    const tx = db.transaction(STORE, 'readonly')
    const record = await this.wrap('read', requestResult(tx.objectStore(STORE).get(session)))
    if (record === undefined) return undefined
    const bytes: unknown = (record as Partial<CheckpointRecord> | null)?.bytes
    if (!(bytes instanceof ArrayBuffer) && !(bytes instanceof Uint8Array)) {
      throw new CheckpointCorruptError(`stored checkpoint is corrupt: the record for session '${session}' holds no checkpoint bytes`)
    }
    const checkpoint = decodeCheckpoint(bytes)
    if (checkpoint.session !== session) {
      throw new CheckpointCorruptError(`stored checkpoint is corrupt: the record for session '${session}' holds session '${checkpoint.session}'`)
    }
    return checkpoint
  }

  async save (checkpoint: Checkpoint): Promise<void> {
    const encoded = encodeCheckpoint(checkpoint)
    const record: CheckpointRecord = {
      session: checkpoint.session,
      version: checkpoint.version,
      savedAt: checkpoint.savedAt,
      bytes: encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength) as ArrayBuffer
    }
    const db = await this.open()
    const tx = db.transaction(STORE, 'readwrite')
    tx.objectStore(STORE).put(record)
    await this.wrap('write', transactionDone(tx))
  }

  async clear (session?: string): Promise<void> {
    const db = await this.open()
    const tx = db.transaction(STORE, 'readwrite')
    if (session === undefined) tx.objectStore(STORE).clear()
    else tx.objectStore(STORE).delete(session)
    await this.wrap('clear', transactionDone(tx))
  }

  /** One readwrite transaction over every record; the saved time is read from the (checksummed) checkpoint itself. */
  async prune (olderThan: number, keep: readonly string[] = []): Promise<number> {
    const db = await this.open()
    const tx = db.transaction(STORE, 'readwrite')
    let removed = 0
    const cursor = tx.objectStore(STORE).openCursor()
    cursor.onsuccess = () => {
      const c = cursor.result
      if (c === null) return
      const record = c.value as Partial<CheckpointRecord> | null
      if (typeof record?.session === 'string' && !keep.includes(record.session) && (savedAtOf(record.bytes) ?? Infinity) < olderThan) {
        c.delete()
        removed++
      }
      c.continue()
    }
    await this.wrap('prune', transactionDone(tx))
    return removed
  }

  async close (): Promise<void> {
    const db = this.db
    this.db = undefined
    if (db !== undefined) (await db.catch(() => undefined))?.close()
  }

  private open (): Promise<IDBDatabase> {
    this.db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (this.factory === undefined) {
        reject(new CheckpointStoreError('IndexedDB is not available in this environment; checkpoints cannot be kept'))
        return
      }
      let request: IDBOpenDBRequest
      try {
        request = this.factory.open(this.dbName, DB_VERSION)
      } catch (err) {
        reject(new CheckpointStoreError(`cannot open IndexedDB '${this.dbName}': ${messageOf(err)}`))
        return
      }
      request.onupgradeneeded = () => {
        const db = request.result
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'session' })
      }
      request.onsuccess = () => {
        const db = request.result
        db.onversionchange = () => { db.close(); this.db = undefined }
        resolve(db)
      }
      request.onerror = () => reject(new CheckpointStoreError(`cannot open IndexedDB '${this.dbName}': ${messageOf(request.error)}`))
      request.onblocked = () => reject(new CheckpointStoreError(`IndexedDB '${this.dbName}' is blocked by another tab holding an older version open`))
    })
    // a failed open is not cached: storage may come back (e.g. after quota is freed)
    this.db.catch(() => { this.db = undefined })
    return this.db
  }

  private async wrap<T> (what: string, p: Promise<T>): Promise<T> {
    try {
      return await p
    } catch (err) {
      throw new CheckpointStoreError(`IndexedDB ${what} failed in '${this.dbName}': ${messageOf(err)}`)
    }
  }
}
