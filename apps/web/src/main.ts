/**
 * Tab entry point: read the embedded configuration (`/config.json`, written by the app server) and URL overrides,
 * start a node, expose the read-only automation API as `window.fedmesh`, and render the status component.
 */
import { FedmeshNode, configFromSearchParams, type FedmeshConfig, type FedmeshStatus } from '@fedmesh/node'
import './fedmesh-node-element.ts'
import type { FedmeshNodeElement } from './fedmesh-node-element.ts'

declare global {
  interface Window {
    fedmesh: { status: () => FedmeshStatus | { state: 'starting' | 'error', error?: string } }
  }
}

async function loadConfig (): Promise<Partial<FedmeshConfig>> {
  let embedded: Partial<FedmeshConfig> = {}
  try {
    const res = await fetch('/config.json', { cache: 'no-store' })
    if (res.ok) embedded = await res.json()
  } catch { /* served without the app server: URL parameters must name the relay */ }
  return { ...embedded, ...configFromSearchParams(new URLSearchParams(location.search)) }
}

async function boot (): Promise<void> {
  const element = document.querySelector<FedmeshNodeElement>('fedmesh-node')
  let failure: string | undefined
  window.fedmesh = { status: () => ({ state: failure == null ? 'starting' : 'error', ...(failure != null ? { error: failure } : {}) }) }
  try {
    const config = await loadConfig()
    if (config.relayAddrs == null || config.relayAddrs.length === 0) {
      throw new Error('no relay address: start the app with `pnpm start`, or add ?relay=/ip4/127.0.0.1/tcp/9090/ws/p2p/<relay id> to the URL')
    }
    const node = await FedmeshNode.create(config, { hidden: () => document.visibilityState === 'hidden' })
    window.fedmesh = { status: () => node.status() }
    // ?ui=0 leaves the page blank (headless swarms, or to measure the node without its rendering)
    if (new URLSearchParams(location.search).get('ui') !== '0') element?.attach(node)
    await node.start()
    addEventListener('pagehide', () => { void node.stop() })
  } catch (err: any) {
    failure = err?.message ?? String(err)
    console.error('fedmesh:', err)
    element?.fail(failure ?? 'unknown error')
  }
}

void boot()
