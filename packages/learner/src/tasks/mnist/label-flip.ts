import { MNIST_CLASSES } from './dataset.ts'

/**
 * Label-flipping attack on a node's local dataset (a data-poisoning Byzantine behaviour):
 * - reverse: l -> (classes - 1 - l), the untargeted flip of Fang et al. 2020 / Tolpegin et al. 2020;
 * - targeted: only `from` becomes `to` (e.g. 7 -> 1);
 * - shift: l -> (l + by) mod classes.
 */
export type LabelFlip =
  | { kind: 'reverse' }
  | { kind: 'targeted', from: number, to: number }
  | { kind: 'shift', by: number }

export function flipLabel (label: number, flip: LabelFlip, classes = MNIST_CLASSES): number {
  switch (flip.kind) {
    case 'reverse': return classes - 1 - label
    case 'targeted': return label === flip.from ? flip.to : label
    case 'shift': return (((label + flip.by) % classes) + classes) % classes
    default: throw new RangeError(`unknown label flip ${JSON.stringify(flip)}; use reverse, targeted or shift`)
  }
}

/** A relabelling function for `flip`, after checking it names valid classes. */
export function labelFlipper (flip: LabelFlip, classes = MNIST_CLASSES): (label: number) => number {
  const isClass = (x: number): boolean => Number.isInteger(x) && x >= 0 && x < classes
  if (flip.kind === 'targeted' && (!isClass(flip.from) || !isClass(flip.to))) {
    throw new RangeError(`targeted label flip needs classes in [0, ${classes}), got ${flip.from} -> ${flip.to}`)
  }
  if (flip.kind === 'shift' && !Number.isInteger(flip.by)) throw new RangeError(`shift label flip needs an integer, got ${flip.by}`)
  return label => flipLabel(label, flip, classes)
}

/** A flipped copy of `labels`. */
export function flipLabels (labels: ArrayLike<number>, flip: LabelFlip, classes = MNIST_CLASSES): Int32Array {
  const relabel = labelFlipper(flip, classes)
  return Int32Array.from({ length: labels.length }, (_, i) => relabel(labels[i]!))
}
