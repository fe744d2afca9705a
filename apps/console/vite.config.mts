import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console builds to dist/apps/console, which `bulkhead serve` serves at `/`. Hashed file
 * names under assets/ are cached forever by the server; index.html is never cached. No inline
 * script anywhere (the server's Content-Security-Policy has no 'unsafe-inline'), so Vite's
 * inline module-preload polyfill is off: every browser the console supports has modulepreload.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
    target: 'es2022',
  },
});
