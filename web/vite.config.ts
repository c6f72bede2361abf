import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs: the Content-Security-Policy allows 'self' only.
    assetsInlineLimit: 0,
    // No inline module-preload polyfill script either.
    modulePreload: { polyfill: false },
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  // The credit worker imports the module as ES modules (and the .wasm by import.meta.url).
  worker: { format: 'es' },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
