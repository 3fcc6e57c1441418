/**
 * Node-only helpers ('@fedmesh/learner/node'), kept out of the main entry so browser bundles never see node:fs;
 * re-exports the tfjs engine so Node code has one import.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { parseDigitFile } from './tasks/mnist/dataset.ts'
import type { MnistSource } from './tasks/mnist/dataset.ts'

let packageSource: MnistSource | undefined

/**
 * Reads the digits straight from the installed mnist package. Always the same function, so loadMnist's cache
 * makes every in-process learner share one dataset.
 */
export function mnistPackageSource (): MnistSource {
  packageSource ??= async (digit: number) => {
    const path = createRequire(import.meta.url).resolve(`mnist/src/digits/${digit}.json`)
    return parseDigitFile(await readFile(path))
  }
  return packageSource
}

export * from './engine.ts'
