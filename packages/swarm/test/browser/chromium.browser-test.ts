import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChromium, launchChromium, openTab } from '../../src/chromium.ts'
import type { LaunchedChromium } from '../../src/chromium.ts'
import { chromiumProcessType, processTree, readProc, treeMemory, TreeCpuMeter } from '../../src/procfs.ts'

describe('headless Chromium', () => {
  let chromium: LaunchedChromium

  beforeAll(async () => {
    chromium = await launchChromium({ location: findChromium() })
  })
  afterAll(async () => {
    await chromium?.close()
  })

  it('finds the browser process in /proc as a child of this process', () => {
    const me = readProc(chromium.pid)
    expect(me?.ppid).toBe(process.pid)
    expect(chromiumProcessType(me!.cmdline)).toBe('browser')
    expect(chromium.version).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
  })

  it('offers a 127.0.0.1 ICE candidate in a tab (loopback flag + camera/mic permission)', async () => {
    const { context, page } = await openTab(chromium.browser)
    await page.setContent('<p>ice</p>')
    const candidates = await page.evaluate(`(async () => {
      const pc = new RTCPeerConnection({ iceServers: [] })
      pc.createDataChannel('probe')
      const found = []
      pc.onicecandidate = e => { if (e.candidate) found.push(e.candidate.candidate) }
      await pc.setLocalDescription(await pc.createOffer())
      await new Promise(resolve => {
        pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve() }
        setTimeout(resolve, 5000)
      })
      pc.close()
      return found
    })()`) as string[]
    expect(candidates.some(c => / 127\.0\.0\.1 \d+ typ host/.test(c))).toBe(true)
    expect(candidates.some(c => /\.local /.test(c))).toBe(false)
    await context.close()
  })

  it('measures renderer CPU and the tree memory of a busy tab', async () => {
    const { context, page } = await openTab(chromium.browser)
    await page.setContent('<p>busy</p>')
    const meter = new TreeCpuMeter(chromium.pid)
    meter.start()
    // About a second of pure JavaScript in the renderer.
    await page.evaluate(`(() => { const end = Date.now() + 1000; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1); return x })()`)
    const cpu = meter.stop()
    expect(cpu.byType.renderer ?? 0).toBeGreaterThan(0.3)
    expect(cpu.cpuSeconds).toBeGreaterThanOrEqual(cpu.byType.renderer!)

    const types = new Set(processTree(chromium.pid).map(p => chromiumProcessType(p.cmdline)))
    expect(types.has('browser')).toBe(true)
    expect(types.has('renderer')).toBe(true)
    const mem = treeMemory(chromium.pid)
    expect(mem.processes).toBeGreaterThanOrEqual(3)
    expect(mem.pssBytes).toBeGreaterThan(0)
    expect(mem.pssBytes).toBeLessThanOrEqual(mem.rssBytes)
    expect(mem.byType.renderer!.pssBytes).toBeGreaterThan(0)
    await context.close()
  })

  it('leaves no Chromium process behind after close', async () => {
    const other = await launchChromium({ location: findChromium() })
    const tree = processTree(other.pid)
    expect(tree.length).toBeGreaterThan(1)
    await other.close()
    // The same pid with the same start time is the same process (pids can be reused); zombies count as gone.
    const stillRunning = (): number[] => tree.filter(p => {
      const now = readProc(p.pid)
      return now !== undefined && now.startTicks === p.startTicks && now.state !== 'Z'
    }).map(p => p.pid)
    const deadline = Date.now() + 10_000
    while (stillRunning().length > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 200))
    expect(stillRunning()).toEqual([])
  })
})
