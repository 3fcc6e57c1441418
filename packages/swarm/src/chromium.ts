/**
 * Finding and launching Debian's Chromium through playwright-core (no browser downloads work here).
 */
import { accessSync, constants, openSync, readSync, closeSync, realpathSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { childPids, newChildren } from './procfs.ts'

export const CHROMIUM_INSTALL_HINT =
  'Install Debian\'s Chromium with `apt-get install chromium` (as root), or point the harness at a Chromium or Chrome ' +
  'binary with --chromium PATH or the CHROMIUM_PATH environment variable.'

export class ChromiumNotFoundError extends Error {
  constructor (detail: string) {
    super(`Chromium not found: ${detail}. ${CHROMIUM_INSTALL_HINT}`)
    this.name = 'ChromiumNotFoundError'
  }
}

export const DEFAULT_CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome'
]

/** Debian's /usr/bin/chromium is a shell wrapper around this binary. */
const DEBIAN_CHROMIUM_BINARY = '/usr/lib/chromium/chromium'

function isExecutable (path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function isShellScript (path: string): boolean {
  const buf = Buffer.alloc(2)
  const fd = openSync(path, 'r')
  try {
    readSync(fd, buf, 0, 2, 0)
  } finally {
    closeSync(fd)
  }
  return buf.toString('latin1') === '#!'
}

export interface ChromiumLocation {
  /** What to execute. */
  path: string
  /** Where it came from. */
  source: 'option' | 'env' | 'default'
  /** The path as given or found, before skipping Debian's wrapper script. */
  requested: string
}

/**
 * --chromium PATH, then $CHROMIUM_PATH, then the usual install locations. Debian's wrapper script is skipped for
 * the binary it wraps: the wrapper sources /etc/chromium.d (extension and GPU flags the harness does not want, and a
 * /dev/shm check that prints shell errors on this machine) and adds nothing a headless run needs.
 */
export function findChromium (explicit?: string, env: NodeJS.ProcessEnv = process.env): ChromiumLocation {
  let requested: string
  let source: ChromiumLocation['source']
  if (explicit !== undefined && explicit !== '') {
    requested = explicit
    source = 'option'
    if (!isExecutable(requested)) throw new ChromiumNotFoundError(`--chromium ${requested} is not an executable file`)
  } else if (env.CHROMIUM_PATH !== undefined && env.CHROMIUM_PATH !== '') {
    requested = env.CHROMIUM_PATH
    source = 'env'
    if (!isExecutable(requested)) throw new ChromiumNotFoundError(`CHROMIUM_PATH=${requested} is not an executable file`)
  } else {
    const found = DEFAULT_CHROMIUM_CANDIDATES.find(isExecutable)
    if (found === undefined) throw new ChromiumNotFoundError(`none of ${DEFAULT_CHROMIUM_CANDIDATES.join(', ')} exists`)
    requested = found
    source = 'default'
  }
  let path = requested
  if (realpathSync(requested) === '/usr/bin/chromium' && isShellScript(requested) && isExecutable(DEBIAN_CHROMIUM_BINARY)) {
    path = DEBIAN_CHROMIUM_BINARY
  }
  return { path, source, requested }
}

/**
 * Flags measured to work as root in headless Debian Chromium. Loopback ICE candidates (127.0.0.1) are gathered only
 * with --allow-loopback-in-peer-connection plus camera/microphone permission; the throttling flags keep timers in
 * background tabs running at full rate, or heartbeats from hidden tabs would look like failures.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows'
]

export interface LaunchedChromium {
  browser: Browser
  /** The browser (main) process; its descendants are the rest of Chromium. */
  pid: number
  version: string
  location: ChromiumLocation
  close: () => Promise<void>
}

export interface LaunchOptions {
  location: ChromiumLocation
  extraArgs?: string[]
  /** Playwright's launch timeout. */
  timeoutMs?: number
}

/** Launch one headless Chromium and find its main process in /proc (Browser.process() is gone in 1.65). */
export async function launchChromium (opts: LaunchOptions): Promise<LaunchedChromium> {
  const before = childPids(process.pid)
  const browser = await chromium.launch({
    executablePath: opts.location.path,
    headless: true,
    chromiumSandbox: false,
    args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])],
    timeout: opts.timeoutMs ?? 60_000,
    // Playwright's own handlers would kill the browser and exit(130) on Ctrl-C, skipping the harness's cleanup
    // of the relay and app server and its report. The harness closes the browser itself.
    handleSIGINT: false,
    handleSIGTERM: false
  })
  const candidates = newChildren(process.pid, before, p =>
    !p.cmdline.some(a => a.startsWith('--type=')) && p.cmdline.includes('--remote-debugging-pipe'))
  if (candidates.length !== 1) {
    await browser.close()
    throw new Error(`launched Chromium but found ${candidates.length} new browser processes under pid ${process.pid} in /proc, expected 1`)
  }
  return {
    browser,
    pid: candidates[0]!.pid,
    version: browser.version(),
    location: opts.location,
    close: async () => { await browser.close() }
  }
}

export interface Tab {
  context: BrowserContext
  page: Page
}

/**
 * A tab in its own browser context: tabs must not share storage, or they could share one persisted peer identity.
 * Camera/microphone permission is what makes Chromium offer 127.0.0.1 ICE candidates.
 */
export async function openTab (browser: Browser, shared?: BrowserContext): Promise<Tab> {
  // One context for all tabs, like a person opening tabs in one window: a context per tab costs each tab its
  // own storage partition and network context. Identities are not stored, so tabs never share one.
  const context = shared ?? await browser.newContext()
  if (shared == null) await context.grantPermissions(['camera', 'microphone'])
  const page = await context.newPage()
  return { context, page }
}

export async function sharedContext (browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext()
  await context.grantPermissions(['camera', 'microphone'])
  return context
}
