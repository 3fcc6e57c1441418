/**
 * Id of the `<script type="application/json">` element in which the app server (server/app-server.ts) writes the
 * embedded configuration into index.html, and from which the tab (main.ts) reads it. Shared, and free of imports, so
 * that both the server and the browser bundle can use it.
 */
export const CONFIG_ELEMENT_ID = 'fedmesh-config'
