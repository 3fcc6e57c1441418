import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, ChromiumNotFoundError, findChromium } from '../src/chromium.ts'

const dir = mkdtempSync(join(tmpdir(), 'swarm-chromium-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })
const fakeBinary = join(dir, 'chrome')
writeFileSync(fakeBinary, '\x7fELF fake')
chmodSync(fakeBinary, 0o755)
const notExecutable = join(dir, 'plain')
writeFileSync(notExecutable, 'x')

describe('findChromium', () => {
  it('takes --chromium first, then CHROMIUM_PATH', () => {
    expect(findChromium(fakeBinary, { CHROMIUM_PATH: '/nope' })).toEqual({ path: fakeBinary, requested: fakeBinary, source: 'option' })
    expect(findChromium(undefined, { CHROMIUM_PATH: fakeBinary })).toEqual({ path: fakeBinary, requested: fakeBinary, source: 'env' })
  })

  it('says how to install Chromium when the given path is unusable', () => {
    for (const [explicit, env] of [[join(dir, 'missing'), {}], [undefined, { CHROMIUM_PATH: notExecutable }]] as const) {
      let err: unknown
      try { findChromium(explicit, env) } catch (e) { err = e }
      expect(err).toBeInstanceOf(ChromiumNotFoundError)
      expect((err as Error).message).toContain('apt-get install chromium')
      expect((err as Error).message).toContain('--chromium PATH')
      expect((err as Error).message).toContain('CHROMIUM_PATH')
    }
  })

  const debianWrapper = existsSync('/usr/bin/chromium') && readFileSync('/usr/bin/chromium', 'latin1').startsWith('#!') &&
    existsSync('/usr/lib/chromium/chromium')
  it.skipIf(!debianWrapper)('skips Debian\'s /usr/bin/chromium wrapper script for the binary behind it', () => {
    expect(findChromium('/usr/bin/chromium', {})).toEqual({ path: '/usr/lib/chromium/chromium', requested: '/usr/bin/chromium', source: 'option' })
    expect(findChromium(undefined, {})).toEqual({ path: '/usr/lib/chromium/chromium', requested: '/usr/bin/chromium', source: 'default' })
  })
})

describe('CHROMIUM_ARGS', () => {
  it('has the flags loopback WebRTC and unthrottled background tabs need', () => {
    for (const flag of ['--allow-loopback-in-peer-connection', '--use-fake-ui-for-media-stream', '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows', '--no-sandbox']) {
      expect(CHROMIUM_ARGS).toContain(flag)
    }
  })
})
