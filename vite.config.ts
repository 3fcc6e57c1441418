import { defineConfig } from 'vitest/config'

// One vitest configuration, three projects: fast pure-logic unit tests, Node integration tests
// (real libp2p nodes and the real relay process), and browser e2e tests (real Chromium via the swarm harness).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
          environment: 'node',
          // inlined (transformed by vite, not loaded by Node) so vi.mock can replace its internal
          // ../webrtc/index.js import: packages/node/test/webrtc-init-race.test.ts tests our patch this way
          server: { deps: { inline: [/[\\/]@libp2p[\\/]webrtc[\\/]/] } }
        }
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          setupFiles: ['./scripts/node-env.js'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false
        }
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          // tests/e2e/training.test.ts (9 tabs training, ~4 min) is part of `pnpm test` since it passed 7 runs in a row
          // after the split-quarantine stall was fixed (docs/benchmarks.md, sixth session); `pnpm test:e2e:training` runs it alone
          setupFiles: ['./scripts/node-env.js'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false
        }
      }
    ]
  }
})
