import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory } from 'fake-indexeddb'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CheckpointCorruptError, CheckpointStoreError, FileCheckpointStore, IndexedDbCheckpointStore, MemoryCheckpointStore, encodeCheckpoint
} from '../src/node.ts'
import type { CheckpointStore } from '../src/index.ts'
import { checkpoint } from './helpers.ts'

const dirs: string[] = []
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })
function tempDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'fedmesh-checkpoint-'))
  dirs.push(dir)
  return dir
}

/** Write raw bytes where the store keeps a session's checkpoint, bypassing the store's own checks. */
type Damage = (session: string, bytes: Uint8Array | unknown) => Promise<void>

const stores: Array<{ name: string, make: () => { store: CheckpointStore, damage: Damage, reopen: () => CheckpointStore } }> = [
  {
    name: 'memory',
    make: () => {
      const store = new MemoryCheckpointStore()
      return { store, damage: async (s, b) => { store.setRaw(s, b as Uint8Array) }, reopen: () => store }
    }
  },
  {
    name: 'file',
    make: () => {
      const dir = tempDir()
      const store = new FileCheckpointStore(dir)
      return { store, damage: async (s, b) => { writeFileSync(store.pathOf(s), b as Uint8Array) }, reopen: () => new FileCheckpointStore(dir) }
    }
  },
  {
    name: 'indexeddb',
    make: () => {
      const factory = new IDBFactory()
      const store = new IndexedDbCheckpointStore({ indexedDB: factory, dbName: 'test' })
      const damage: Damage = async (session, value) => {
        await store.close()
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = factory.open('test', 1)
          r.onsuccess = () => resolve(r.result)
          r.onerror = () => reject(r.error)
        })
        const record = value instanceof Uint8Array ? { session, version: 1, savedAt: 0, bytes: value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) } : value
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('checkpoints', 'readwrite')
          tx.objectStore('checkpoints').put(record)
          tx.oncomplete = () => resolve()
          tx.onerror = () => reject(tx.error)
        })
        db.close()
      }
      return { store, damage, reopen: () => new IndexedDbCheckpointStore({ indexedDB: factory, dbName: 'test' }) }
    }
  }
]

describe.each(stores)('$name checkpoint store', ({ make }) => {
  it('saves, loads back (also from a new instance), replaces, and clears per session or all', async () => {
    const { store, reopen } = make()
    expect(await store.load('link-health/7')).toBeUndefined()
    const cp = checkpoint()
    await store.save(cp)
    cp.weights[0]!.data[0] = 99 // the store kept its own copy
    const loaded = await reopen().load('link-health/7')
    expect(loaded?.weights[0]!.data[0]).not.toBe(99)
    expect(loaded).toEqual({ ...checkpoint() })

    await store.save(checkpoint({ version: 4, round: 6 }))
    await store.save(checkpoint({ session: 'mnist/7', version: 1 }))
    expect((await store.load('link-health/7'))?.version).toBe(4)
    expect((await store.load('mnist/7'))?.version).toBe(1)
    await store.clear('link-health/7')
    expect(await store.load('link-health/7')).toBeUndefined()
    expect((await store.load('mnist/7'))?.version).toBe(1)
    await store.clear()
    expect(await store.load('mnist/7')).toBeUndefined()
    await store.close?.()
  })

  it('prunes checkpoints saved before a time, except those to keep, and leaves unreadable ones to load', async () => {
    const { store, damage } = make()
    await store.save(checkpoint({ session: 'link-health/1#old', savedAt: 1_000 }))
    await store.save(checkpoint({ session: 'link-health/1#mine', savedAt: 1_000 }))
    await store.save(checkpoint({ session: 'link-health/1#recent', savedAt: 5_000 }))
    await damage('link-health/1#broken', new Uint8Array([1, 2, 3]))
    expect(await store.prune?.(2_000, ['link-health/1#mine'])).toBe(1)
    expect(await store.load('link-health/1#old')).toBeUndefined()
    expect((await store.load('link-health/1#mine'))?.savedAt).toBe(1_000)
    expect((await store.load('link-health/1#recent'))?.savedAt).toBe(5_000)
    await expect(store.load('link-health/1#broken')).rejects.toThrow(/corrupt/)
    expect(await store.prune?.(10_000)).toBe(2)
    await store.close?.()
  })

  it('reports damaged data as CheckpointCorruptError with the reason', async () => {
    const { store, damage } = make()
    await store.save(checkpoint())
    const bytes = encodeCheckpoint(checkpoint())
    bytes[40]! ^= 0xff
    await damage('link-health/7', bytes)
    await expect(store.load('link-health/7')).rejects.toThrow(CheckpointCorruptError)
    await expect(store.load('link-health/7')).rejects.toThrow(/checksum mismatch/)
    await damage('link-health/7', new TextEncoder().encode('garbage'))
    await expect(store.load('link-health/7')).rejects.toThrow(/corrupt/)
    // a valid checkpoint of another session stored under this key
    await damage('link-health/7', encodeCheckpoint(checkpoint({ session: 'other' })))
    await expect(store.load('link-health/7')).rejects.toThrow(/holds session 'other'/)
    await store.close?.()
  })

  it('refuses to save an invalid checkpoint', async () => {
    const { store } = make()
    await expect(store.save(checkpoint({ term: 1.5 }))).rejects.toThrow(/term must be an integer/)
    expect(await store.load('link-health/7')).toBeUndefined()
    await store.close?.()
  })
})

describe('IndexedDB store specifics', () => {
  it('reports a record without checkpoint bytes as corrupt', async () => {
    const { store, damage } = stores[2]!.make()
    expect(await store.load('s')).toBeUndefined() // creates the database
    await damage('s', { session: 's', weights: 'not bytes' })
    await expect(store.load('s')).rejects.toThrow(/holds no checkpoint bytes/)
  })

  it('says clearly when IndexedDB is missing', async () => {
    const store = new IndexedDbCheckpointStore({ indexedDB: undefined })
    const saved = (globalThis as { indexedDB?: unknown }).indexedDB
    expect(saved).toBeUndefined() // Node has none: the store must not find one
    await expect(store.load('s')).rejects.toThrow(CheckpointStoreError)
    await expect(store.load('s')).rejects.toThrow(/IndexedDB is not available/)
  })
})

describe('file store specifics', () => {
  it('leaves no temporary files behind and keys files by session safely', async () => {
    const dir = tempDir()
    const store = new FileCheckpointStore(join(dir, 'nested'))
    await store.save(checkpoint({ session: '../escape/attempt' }))
    expect(readdirSync(join(dir, 'nested'))).toEqual(['..%2Fescape%2Fattempt.fmcp'])
    expect((await store.load('../escape/attempt'))?.session).toBe('../escape/attempt')
  })
})
