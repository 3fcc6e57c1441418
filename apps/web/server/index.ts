export { startAppServer, AppServerError, DEFAULT_DIST, type AppServer, type AppServerOptions } from './app-server.ts'
