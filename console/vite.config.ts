import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console builds into dist/console, which the platform serves at /. Vite 8 transforms JSX itself (no React
 * plugin); everything is bundled, so the console works offline. `base: './'` keeps asset URLs relative.
 */
export default defineConfig({
  root: here,
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  logLevel: 'warn',
});
