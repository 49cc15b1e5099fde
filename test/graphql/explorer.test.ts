import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTROSPECTION_QUERY } from '../../explorer/introspection.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

/** A URL that would make a browser load from another origin: a scheme with `//`, or a protocol-relative `//host`. */
const EXTERNAL_URL = /\b(?:https?|wss?|ftp):\/\/[^\s"'`)<>]*|(?<![\w:])\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi;

/** The same-origin references of an HTML page or a stylesheet: src/href attributes and CSS url(). */
function references(text: string): string[] {
  const attributes = [...text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
  const cssUrls = [...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/gi)].map((m) => m[1]!);
  return [...attributes, ...cssUrls].filter((ref) => !ref.startsWith('data:') && !ref.startsWith('#'));
}

describe('the explorer the platform serves itself', () => {
  let built: string;
  let database: TestDatabase;
  let api: Harness;
  let origin: string;

  beforeAll(async () => {
    built = mkdtempSync(join(tmpdir(), 'tuneledger-explorer-'));
    await build({
      configFile: fileURLToPath(new URL('../../explorer/vite.config.ts', import.meta.url)),
      build: { outDir: built, emptyOutDir: true },
      logLevel: 'silent',
    });
    database = await pgliteTarget.open();
    api = await startHarness(database, { explorerDir: built });
    origin = new URL(api.server.url).origin;
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    await database?.close();
    if (built) rmSync(built, { recursive: true, force: true });
  });

  it('answers a browser at GET /graphql and /explorer with a page whose every asset comes from the platform, none from elsewhere', async () => {
    for (const path of ['/graphql', '/explorer']) {
      const page = await fetch(`${origin}${path}`, {
        headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      });
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('tuneledger GraphQL explorer');
      expect(html.match(EXTERNAL_URL), `${path} names another origin`).toBeNull();

      const seen = new Set<string>();
      const queue = references(html).map((ref) => new URL(ref, `${origin}${path}`).href);
      expect(queue.length, 'the page references its script and stylesheet').toBeGreaterThanOrEqual(2);
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (seen.has(url)) continue;
        seen.add(url);
        expect(new URL(url).origin, url).toBe(origin);
        const asset = await fetch(url);
        expect(asset.status, url).toBe(200);
        const text = await asset.text();
        expect(text.match(EXTERNAL_URL), `${url} names another origin`).toBeNull();
        if (url.endsWith('.css')) queue.push(...references(text).map((ref) => new URL(ref, url).href));
      }
      expect([...seen].some((url) => url.endsWith('.js'))).toBe(true);
    }
  });

  it('browses the schema with the standard introspection query, which the server answers', async () => {
    const introspected = await api.request<{
      __schema: { queryType: { name: string }; types: { name: string }[] };
    }>(INTROSPECTION_QUERY);
    expect(introspected.errors).toBeUndefined();
    expect(introspected.data?.__schema.queryType.name).toBe('Query');
    expect(introspected.data?.__schema.types.map((type) => type.name)).toContain('Dataset');
  });

  it('leaves GET requests that ask for JSON or carry a query to the API', async () => {
    const answer = await fetch(`${api.server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(answer.headers.get('content-type')).toMatch(/json/);
    expect(((await answer.json()) as { data?: unknown }).data).toEqual({ __typename: 'Query' });
  });

  it('serves no page while introspection is off', async () => {
    const closed = await startHarness(database, { explorerDir: built, introspection: false });
    try {
      const page = await fetch(closed.server.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('tuneledger GraphQL explorer');
      const explorer = await fetch(`${new URL(closed.server.url).origin}/explorer`, {
        headers: { accept: 'text/html' },
      });
      expect(explorer.status).toBe(404);
    } finally {
      await closed.close();
    }
  });
});
