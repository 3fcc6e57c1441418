/**
 * A small static server for the built app (`apps/web/dist`) that hands tabs the embedded default configuration (the
 * relay's address), so a tab needs nothing but the URL. The configuration is written into index.html (a tab starts
 * its node without another round trip, which cost 0.2 s when two tabs loaded at once) and also served as
 * `/config.json`.
 */
import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FedmeshConfig } from '@fedmesh/node'
import { CONFIG_ELEMENT_ID } from '../src/config-element.ts'

export { CONFIG_ELEMENT_ID }

export const DEFAULT_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../dist')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon'
}

export interface AppServerOptions { host?: string, port?: number, distDir?: string, config: Partial<FedmeshConfig> }
export interface AppServer { url: string, stop: () => Promise<void> }

export class AppServerError extends Error { override name = 'AppServerError' }

export async function startAppServer (options: AppServerOptions): Promise<AppServer> {
  const host = options.host ?? '127.0.0.1'
  const dist = options.distDir ?? DEFAULT_DIST
  try {
    await stat(join(dist, 'index.html'))
  } catch {
    throw new AppServerError(`the app is not built (${join(dist, 'index.html')} is missing): run \`pnpm build\` first`)
  }
  const configJson = JSON.stringify(options.config)
  const indexHtml = withEmbeddedConfig(await readFile(join(dist, 'index.html'), 'utf8'), configJson)
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(configJson)
      return
    }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store' })
      res.end(indexHtml)
      return
    }
    const file = normalize(join(dist, path))
    if (!file.startsWith(dist)) { res.writeHead(403).end(); return }
    readFile(file).then((body) => {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=3600' })
      res.end(body)
    }, () => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    })
  })
  const port = options.port ?? 8080
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: any) => {
      if (err?.code === 'EADDRINUSE') fail(new AppServerError(`port ${port} on ${host} is already in use: stop the other process or choose another port with --app-port <n> (FEDMESH_APP_PORT)`))
      else if (err?.code === 'EADDRNOTAVAIL') fail(new AppServerError(`cannot listen on ${host}: not an address of this machine; use --app-host 127.0.0.1`))
      else fail(err)
    })
    server.listen(port, host, () => { ok() })
  })
  const address = server.address()
  const bound = typeof address === 'object' && address != null ? address.port : port
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    stop: async () => { await new Promise<void>(ok => { server.close(() => { ok() }); server.closeAllConnections() }) }
  }
}

/**
 * index.html with the configuration as a JSON script element at the end of <head>. `<` is escaped so no value
 * (a relay address, say) can close the element early.
 */
export function withEmbeddedConfig (html: string, configJson: string): string {
  const element = `<script id="${CONFIG_ELEMENT_ID}" type="application/json">${configJson.replace(/</g, '\\u003c')}</script>`
  const at = html.indexOf('</head>')
  if (at < 0) throw new AppServerError('the built index.html has no </head>: cannot embed the configuration')
  return html.slice(0, at) + element + '\n' + html.slice(at)
}
