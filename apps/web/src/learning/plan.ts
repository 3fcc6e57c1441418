/**
 * What a tab learns, derived from its configuration: the model spec of the session, the checkpoint key and, for
 * mnist, this tab's share of the digits. Pure: the same inputs give the same plan on every tab.
 */
import { linkHealthModelSpec, mixSeed, mnistModelSpec, mnistSplit, seededRandom } from '@fedmesh/learner'
import type { LocalData, ModelSpec } from '@fedmesh/learner'
import type { AttackName, LearningTask } from '@fedmesh/node'

/** Session seed until sessions are negotiated: every tab derives the same version-0 model from it. */
export const DEFAULT_SESSION_SEED = 1
/** Images per tab for mnist before the training service assigns partitions. */
export const MNIST_LOCAL_IMAGES = 600

export interface LearningPlan {
  spec: ModelSpec
  /** The federated session this model belongs to. */
  session: string
  /** This tab's checkpoint: the session plus the tab's id, so tabs sharing an origin keep their own local models. */
  checkpointKey: string
  mnistData?: LocalData
}

/** FNV-1a: a stable 32-bit seed from a string id. */
export function hashSeed (id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0
  return h
}

export function learningPlan (o: { task: LearningTask, attack: AttackName, tabId: string, seed?: number, localSteps?: number }): LearningPlan {
  const seed = o.seed ?? DEFAULT_SESSION_SEED
  // 0 or absent: the spec's epochs, uncapped
  const steps = o.localSteps !== undefined && o.localSteps > 0 ? { maxLocalSteps: o.localSteps } : {}
  const spec = o.task === 'mnist' ? mnistModelSpec({ seed, ...steps }) : linkHealthModelSpec({ seed, ...steps })
  const session = `${o.task}/${seed}`
  const plan: LearningPlan = { spec, session, checkpointKey: `${session}#${o.tabId}` }
  if (o.task === 'mnist' && spec.task.name === 'mnist') {
    const { train } = mnistSplit({ seed, testSize: spec.task.testSize })
    // a seeded sample of the training split, stable across reloads of this tab (its id survives a reload)
    const random = seededRandom(mixSeed(seed, hashSeed(o.tabId)))
    const pool = Array.from(train)
    const indices: number[] = []
    for (let i = 0; i < MNIST_LOCAL_IMAGES && pool.length > 0; i++) {
      const k = Math.floor(random() * pool.length)
      indices.push(pool[k]!)
      pool[k] = pool[pool.length - 1]!
      pool.pop()
    }
    plan.mnistData = o.attack === 'label-flip' ? { task: 'mnist', indices, labelFlip: { kind: 'reverse' } } : { task: 'mnist', indices }
  }
  return plan
}
