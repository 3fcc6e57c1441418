import { defineConfig } from 'vite'

export default defineConfig({
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
  // the learner worker is a module worker and loads tfjs-backend-wasm with a dynamic import (code splitting)
  worker: { format: 'es' },
  server: { host: '127.0.0.1' }
})
