import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The explorer page, built into dist/explorer and served by the platform under /explorer/. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/explorer/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/explorer', import.meta.url)),
    emptyOutDir: true,
    // Everything inline or same-origin: no preload polyfill fetching from elsewhere, one script, one stylesheet.
    modulePreload: false,
  },
});
