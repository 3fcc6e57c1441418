export { startRelay, loadOrCreateKey, RelayStartError } from './relay.ts'
export type { Relay, RelayOptions } from './relay.ts'
