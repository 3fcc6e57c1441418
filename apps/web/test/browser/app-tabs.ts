/**
 * The built app in real Chromium tabs, as the browser tests use it: the real relay process, the app server with the
 * relay's address embedded, and one tab per query string, with the pages' console errors collected.
 */
import { findChromium, launchChromium, openTab } from '@fedmesh/swarm'
import type { LaunchedChromium, Page } from '@fedmesh/swarm'
import type { FedmeshStatus } from '@fedmesh/node'
import { startAppServer } from '../../server/index.ts'
import type { AppServer } from '../../server/index.ts'
import { startRelayProcess } from '../../../../tests/support/relay-process.ts'
import type { RelayProcess } from '../../../../tests/support/relay-process.ts'

export interface AppTabs {
  pages: Page[]
  /** Console errors of every page, as they come. */
  consoleErrors: string[]
  stop: () => Promise<void>
}

/** Start the relay, the app server and Chromium, and open a tab of the app per query string, in order. */
export async function openAppTabs (queries: string[]): Promise<AppTabs> {
  const pages: Page[] = []
  const consoleErrors: string[] = []
  let relay: RelayProcess | undefined
  let app: AppServer | undefined
  let chromium: LaunchedChromium | undefined
  const stop = async (): Promise<void> => {
    await chromium?.close()
    await app?.stop()
    await relay?.stop()
  }
  try {
    relay = await startRelayProcess({})
    app = await startAppServer({ port: 0, config: { relayAddrs: [relay.multiaddrs[0]!] } })
    chromium = await launchChromium({ location: findChromium() })
    for (const query of queries) {
      const { page } = await openTab(chromium.browser)
      page.on('console', msg => { if (msg.type() === 'error') consoleErrors.push(msg.text()) })
      await page.goto(`${app.url}?${query}`)
      pages.push(page)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { pages, consoleErrors, stop }
}

/** The page's `window.fedmesh.status()`, or undefined while the app is not up (loading, reloading). */
export async function statusOf (page: Page): Promise<FedmeshStatus | undefined> {
  return await page.evaluate('globalThis.fedmesh?.status()').catch(() => undefined) as FedmeshStatus | undefined
}
