import { defineConfig } from 'vitest/config'

// Tests that launch the real headless Chromium (with stand-in relay and app servers from test/fixtures). They take
// tens of seconds, so they are not in the root `unit` project:
//   npx vitest run --config packages/swarm/vitest.browser.config.ts
export default defineConfig({
  test: {
    name: 'swarm-browser',
    root: new URL('.', import.meta.url).pathname,
    include: ['test/browser/**/*.browser-test.ts'],
    setupFiles: ['../../scripts/node-env.js'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false
  }
})
