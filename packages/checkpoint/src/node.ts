/** Node-only: checkpoints as files. Kept out of the main entry so browser bundles never see node:fs. */
export { FileCheckpointStore } from './file-store.ts'
export * from './index.ts'
