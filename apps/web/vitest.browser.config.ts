import { defineConfig } from 'vitest/config'

// The built app in real headless Chromium tabs (the real relay process, the app server, WebRTC on loopback):
// learning in the worker and IndexedDB checkpoints across reloads. Needs `pnpm build` first; not in the `unit`
// project because it takes tens of seconds:  pnpm --filter @fedmesh/web test:browser
export default defineConfig({
  test: {
    name: 'web-browser',
    root: new URL('.', import.meta.url).pathname,
    include: ['test/browser/**/*.browser-test.ts'],
    setupFiles: ['../../scripts/node-env.js'],
    testTimeout: 180_000,
    hookTimeout: 90_000,
    fileParallelism: false
  }
})
