import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

/**
 * The explorer built by `npm run build` (explorer/, Vite) into dist/explorer: found from this file, in src/ under
 * the tests or dist/src once compiled, by walking up to the package root.
 */
export function defaultExplorerDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'explorer');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tuneledger GraphQL</title></head>
<body><h1>tuneledger GraphQL</h1><p>The explorer is not built: run <code>npm run build</code> and restart. The API
answers POST /graphql meanwhile.</p></body></html>`;

/**
 * Serves the explorer page at GET /graphql (for a browser: it asks for HTML and sends no query) and at
 * /explorer/, and its assets under /explorer/assets/. Everything comes from `dir`; the page loads nothing from
 * any other origin. A GET that asks for JSON, or carries a query, goes on to the API.
 */
export function mountExplorer(app: express.Express, dir: string): void {
  const indexFile = join(dir, 'index.html');
  const sendPage = (res: express.Response) => {
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('content-security-policy', "default-src 'self'; style-src 'self'; script-src 'self'");
    if (existsSync(indexFile)) res.type('html').send(readFileSync(indexFile, 'utf8'));
    else res.status(503).type('html').send(NOT_BUILT);
  };
  app.get('/graphql', (req, res, next) => {
    const wantsPage =
      req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
    if (wantsPage && req.query['query'] === undefined) sendPage(res);
    else next();
  });
  app.get(['/explorer', '/explorer/'], (_req, res) => sendPage(res));
  app.use(
    '/explorer/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
  );
}
