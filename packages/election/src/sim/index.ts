export { seededRandom, uniform } from './random.ts'
export { Scheduler } from './scheduler.ts'
export { SimulatedNetwork } from './network.ts'
export type { LinkConditions, NetworkStats } from './network.ts'
