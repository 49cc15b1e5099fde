import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { packageRoot } from './packageRoot.js';

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
