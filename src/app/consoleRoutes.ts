import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

/** The package root: the nearest directory above this module holding package.json (from src/ or dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tuneledger: cannot find the package root (package.json)');
    dir = parent;
  }
  return dir;
}

/** Where `npm install` (the `prepare` script, `npm run build:console`) writes the web console. */
export const defaultConsoleDir = (): string => join(packageRoot(), 'dist', 'console');

/**
 * Serves the web console's static files at / (mounted after /graphql, /v1, /reports and the health routes,
 * so it never shadows them). Its hashed assets are cached for good; index.html is revalidated on each load.
 * Without a built console, GET / says how to build it instead of a bare 404.
 */
export function mountConsole(app: express.Express, dir: string = defaultConsoleDir()): void {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', (_req, res) => {
      res
        .status(404)
        .type('text/plain')
        .send(
          `The web console is not built (no ${join(dir, 'index.html')}). Run \`npm run build:console\`; GraphQL answers at /graphql.\n`,
        );
    });
    return;
  }
  app.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  app.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders: (res, path) => {
        if (path.endsWith('.html')) res.setHeader('cache-control', 'no-cache');
      },
    }),
  );
}
