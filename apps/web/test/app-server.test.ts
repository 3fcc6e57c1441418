import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppServerError, CONFIG_ELEMENT_ID, startAppServer, withEmbeddedConfig } from '../server/app-server.ts'

const HTML = '<!doctype html><html><head><title>t</title></head><body><script type="module" src="/a.js"></script></body></html>'

describe('withEmbeddedConfig', () => {
  it('puts the configuration in <head>, before the module script runs', () => {
    const html = withEmbeddedConfig(HTML, JSON.stringify({ relayAddrs: ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'] }))
    const at = html.indexOf(`<script id="${CONFIG_ELEMENT_ID}" type="application/json">`)
    expect(at).toBeGreaterThan(0)
    expect(at).toBeLessThan(html.indexOf('</head>'))
    expect(html.indexOf('/a.js')).toBeGreaterThan(html.indexOf('</head>'))
  })

  it('escapes < so a value cannot close the element', () => {
    const config = { relayAddrs: ['</script><script>alert(1)</script>'] }
    const html = withEmbeddedConfig(HTML, JSON.stringify(config))
    const body = html.slice(html.indexOf('application/json">') + 'application/json">'.length, html.indexOf('</script>', html.indexOf(CONFIG_ELEMENT_ID)))
    expect(body).not.toContain('<')
    expect(JSON.parse(body)).toEqual(config)
  })

  it('refuses a page without a head', () => {
    expect(() => withEmbeddedConfig('<html><body></body></html>', '{}')).toThrow(AppServerError)
  })
})

describe('startAppServer', () => {
  let stop: (() => Promise<void>) | undefined
  let dist: string | undefined
  afterEach(async () => {
    await stop?.()
    stop = undefined
    if (dist !== undefined) await rm(dist, { recursive: true, force: true })
    dist = undefined
  })

  it('serves index.html with the configuration embedded, and /config.json', async () => {
    dist = await mkdtemp(join(tmpdir(), 'fedmesh-app-'))
    await writeFile(join(dist, 'index.html'), HTML)
    await writeFile(join(dist, 'a.js'), 'export {}')
    const config = { relayAddrs: ['/ip4/127.0.0.1/tcp/9/ws/p2p/relay'], heartbeatMs: 500 }
    const server = await startAppServer({ port: 0, distDir: dist, config })
    stop = server.stop
    for (const path of ['', 'index.html']) {
      const html = await (await fetch(server.url + path)).text()
      const json = html.match(new RegExp(`<script id="${CONFIG_ELEMENT_ID}" type="application/json">(.*?)</script>`))?.[1]
      expect(JSON.parse(json!)).toEqual(config)
    }
    expect(await (await fetch(server.url + 'config.json')).json()).toEqual(config)
    expect(await (await fetch(server.url + 'a.js')).text()).toBe('export {}')
    expect((await fetch(server.url + 'missing.js')).status).toBe(404)
  })
})
