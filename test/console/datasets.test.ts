/**
 * The console's Datasets, Evaluations and Lineage pages in headless Chromium against a real platform (embedded
 * database, in-process workers, the console built from its sources): a dataset ingested through the API shows
 * its revision's PII counts and rejected records; an evaluation done by the real evaluation worker shows its
 * metrics, gate verdict, error taxonomy and failed examples; the lineage graph of that evaluation draws its
 * nodes with Cytoscape, and the asOf slider shows it as it stood earlier. Each page passes axe-core (no serious
 * or critical violations) and is kept as a screenshot.
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
import { unpackTar } from '../../src/workers/index.js';
import { bundle } from '../workers/support.js';
import { buildConsole, launchChromium, screenshot, seriousViolations } from './browser.js';

let dir: string;
let demo: DemoPlatform;
let browser: Browser;
let baseUrl: string;

interface Answer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as Answer<T>;
  if (answer.errors?.length)
    throw new Error(`${answer.errors[0]!.message} (${answer.errors[0]!.extensions?.code})`);
  return answer.data!;
}

async function openConsole(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${baseUrl}/${path}`);
  return page;
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
}

/** As the console's formatNumber writes a metric. */
const shown = (value: number) => Number(value.toPrecision(4)).toString();

/** Records with an e-mail address or a phone number in some, and one line that is not a record. */
function contactRecords(): string {
  const lines = Array.from({ length: 30 }, (_, i) =>
    JSON.stringify({
      instruction: `Who answers question ${i}?`,
      input: i % 3 === 0 ? `Write to clerk${i}@example.com` : i % 5 === 0 ? 'Call +1 415 555 0134' : '',
      output: `Desk ${i % 4}`,
    }),
  );
  lines.splice(7, 0, JSON.stringify({ instruction: 'No answer here' }));
  return lines.join('\n');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tuneledger-console-data-'));
  const consoleDir = join(dir, 'console');
  const [evaluation] = await Promise.all([
    bundle('src/workers/evaluation/evaluationThread.ts', 'evaluationThread'),
    buildConsole(consoleDir),
  ]);
  demo = await startDemoPlatform({
    dataDir: join(dir, 'data'),
    logLevel: 'silent',
    monitor: { autoRollback: false },
    threads: { evaluation, generation: compileGenerationThread() },
    consoleDir,
  });
  await demo.stopTraining();
  baseUrl = demo.servingUrl;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Revision = {
  piiReport: { counts: Record<string, number> };
  qualityReport: { rejected: { line: number; reason: string }[] };
};

describe('the console’s datasets, evaluations and lineage', () => {
  let datasetId: string;

  it('lists an ingested dataset and shows its revision’s PII counts and rejected records', async () => {
    const ingested = await gql<{ ingestDataset: { datasetId: string; revision: number } }>(
      `mutation($input: DatasetIngestInput!) { ingestDataset(input: $input) { datasetId revision } }`,
      { input: { name: 'contacts', format: 'ALPACA', content: contactRecords(), lenient: true } },
    );
    datasetId = ingested.ingestDataset.datasetId;
    const { dataset } = await gql<{ dataset: { revisions: { edges: { node: Revision }[] } } }>(
      `query($id: ID!) { dataset(datasetId: $id) { revisions { edges { node { piiReport qualityReport } } } } }`,
      { id: datasetId },
    );
    const revision = dataset.revisions.edges[0]!.node;
    const counts = revision.piiReport.counts;
    expect(counts.email).toBeGreaterThan(0);
    expect(revision.qualityReport.rejected.length).toBeGreaterThan(0);

    const page = await openConsole('#/datasets');
    await page.getByRole('link', { name: datasetId }).click();
    const card = page.getByRole('article', { name: 'revision 1' });
    await card.waitFor();
    const piiRows = card.getByTestId('pii-count');
    await expect.poll(async () => piiRows.count()).toBe(Object.keys(counts).length);
    for (const [kind, count] of Object.entries(counts)) {
      const row = card.locator(`[data-testid="pii-count"][data-kind="${kind}"]`);
      expect(await row.getByRole('cell').first().textContent()).toBe(String(count));
    }
    const reasons = new Set(revision.qualityReport.rejected.map((r) => r.reason));
    expect(await card.getByTestId('rejected-reason').count()).toBe(reasons.size);
    expect(await card.getByTestId('record-count').textContent()).toMatch(/^\d+$/);
    expect(await card.getByRole('link', { name: 'Lineage of revision 1' }).getAttribute('href')).toBe(
      `#/lineage/${encodeURIComponent(`dataset:${datasetId}@1`)}`,
    );
    await screenshot(page, 'dataset-revisions');
    await expectAccessible(page);
    await page.close();
  }, 120_000);

  it('shows a revision’s records in the record viewer, page by page, as the API reads them, without PII', async () => {
    type RecordsPage = {
      dataset: {
        revision: {
          recordCount: number;
          records: {
            edges: { node: { index: number; messages: { role: string; content: string }[] } }[];
            pageInfo: { endCursor: string };
          };
        };
      };
    };
    const apiPage = async (after: string | null) =>
      (
        await gql<RecordsPage>(
          `query($id: ID!, $after: String) { dataset(datasetId: $id) { revision(revision: 1) { recordCount
            records(first: 20, after: $after) { edges { node { index messages { role content } } } pageInfo { endCursor } } } } }`,
          { id: datasetId, after },
        )
      ).dataset.revision;
    const first = await apiPage(null);
    const second = await apiPage(first.records.pageInfo.endCursor);

    const page = await openConsole('#/datasets');
    await page.getByRole('link', { name: datasetId }).click();
    await page.getByRole('link', { name: 'Records of revision 1' }).click();
    const rows = page.getByTestId('record');
    const shownRows = async () =>
      (await rows.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
    const expected = (edges: RecordsPage['dataset']['revision']['records']['edges']) =>
      edges.map(({ node }) =>
        `${node.index}${node.messages.map((m) => `${m.role}: ${m.content}`).join('')}——`
          .replace(/\s+/g, ' ')
          .trim(),
      );
    await expect.poll(shownRows).toEqual(expected(first.records.edges));
    expect(await page.getByTestId('records-range').textContent()).toBe(
      `Records 1–20 of ${first.recordCount}`,
    );
    // The ingest redacted every e-mail address and phone number: none reaches the page.
    const text = (await page.locator('main, body').first().textContent()) ?? '';
    expect(text).not.toMatch(/clerk\d+@example\.com|555 0134/);
    expect(text).toMatch(/EMAIL/);
    await screenshot(page, 'dataset-records');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(shownRows).toEqual(expected(second.records.edges));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(shownRows).toEqual(expected(first.records.edges));
    await page.close();
  }, 120_000);

  it('shows an evaluation’s metrics, gate verdict, error taxonomy and failed examples, then its lineage as of earlier', async () => {
    const baseDir = join(dir, 'base');
    await writeTinyBase(baseDir);
    const adapterDir = join(dir, 'adapter');
    writeAdapter(adapterDir, 0.01);
    const { services, artifacts } = demo.platform;
    await registerVersions(
      services,
      artifacts,
      { actor: 'eli', roles: ['engineer'] },
      { modelName: 'desk', baseDir, adapters: [adapterDir], datasetHash: 'b'.repeat(64) },
    );
    const { m } = await gql<{ m: { id: string } }>(
      'mutation($input: EvaluationRequestInput!) { m: requestEvaluation(input: $input) { id } }',
      {
        input: {
          model: { name: 'desk', version: 1 },
          dataset: { id: datasetId, revision: 1 },
          suites: ['EXACT_MATCH', 'F1'],
          gate: [{ metric: 'f1', op: 'GTE', value: 0.5 }],
        },
      },
    );
    type Row = {
      status: string;
      gatePassed: boolean | null;
      metrics: Record<string, number>;
      errorTaxonomy: Record<string, number>;
      artifacts: { predictions?: { hash: string }; report?: { hash: string }; heatmap?: { hash: string } };
      failureReason: string | null;
    };
    const read = async () =>
      (
        await gql<{ evaluation: Row }>(
          'query($id: ID!) { evaluation(evaluationId: $id) { status gatePassed metrics errorTaxonomy artifacts failureReason } }',
          { id: m.id },
        )
      ).evaluation;
    await expect
      .poll(async () => (await read()).status, { timeout: 150_000, interval: 500 })
      .not.toBe('REQUESTED');
    const evaluation = await read();
    expect(evaluation.failureReason).toBeNull();
    expect(evaluation.status).toBe('COMPLETED');

    const page = await openConsole('#/evaluations');
    await page.getByRole('link', { name: m.id.slice(0, 8) }).click();
    const metric = (key: string) => page.locator(`[data-testid="metric"][data-metric="${key}"] td`);
    await metric('exactMatch').waitFor();
    expect(await metric('exactMatch').textContent()).toBe(shown(evaluation.metrics.exactMatch!));
    expect(await metric('f1').textContent()).toBe(shown(evaluation.metrics.f1!));
    expect(await page.getByTestId('gate-verdict').textContent()).toBe(
      `Gate ${evaluation.gatePassed ? 'passed' : 'failed'}.`,
    );
    expect(await page.getByTestId('gate-threshold').textContent()).toContain('≥ 0.5');
    const taxonomy = Object.entries(evaluation.errorTaxonomy);
    expect(taxonomy.length).toBeGreaterThan(0);
    for (const [category, count] of taxonomy)
      expect(
        await page.locator(`[data-testid="taxonomy"][data-category="${category}"] td`).first().textContent(),
      ).toBe(String(count));

    // Failed examples come from the predictions artifact: the rows the model did not get right.
    const predictions = await (
      await fetch(`${baseUrl}/artifacts/${evaluation.artifacts.predictions!.hash}`)
    ).text();
    const failed = predictions
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { category: string })
      .filter((row) => row.category !== 'correct' && row.category !== 'unscored');
    await expect
      .poll(async () => page.getByTestId('failed-example').count())
      .toBe(Math.min(50, failed.length));
    // The status badge is coloured: its class is the lower-cased status the style sheet knows.
    const badge = page.locator('.status').first();
    expect(await badge.getAttribute('class')).toBe('status status-completed');
    const background = await badge.evaluate(
      (element) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(element).backgroundColor,
    );
    expect(background).toBe('rgb(205, 235, 213)');

    // Attention heatmaps drawn in the page from the heatmap artifact's weights, one grid per map in the report.
    const report = JSON.parse(
      await (await fetch(`${baseUrl}/artifacts/${evaluation.artifacts.report!.hash}`)).text(),
    ) as { heatmaps: { json: string }[] };
    const heatmaps = page.getByTestId('heatmap');
    await expect.poll(async () => heatmaps.count()).toBe(report.heatmaps.length);
    const tar = unpackTar(
      new Uint8Array(
        await (await fetch(`${baseUrl}/artifacts/${evaluation.artifacts.heatmap!.hash}`)).arrayBuffer(),
      ),
    );
    const firstJson = [...tar.keys()]
      .filter((name) => name.endsWith('.json'))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))[0]!;
    const stored = JSON.parse(Buffer.from(tar.get(firstJson)!).toString('utf8')) as {
      queryLabels: string[];
      keyLabels: string[];
      weights: number[][];
    };
    const grid = heatmaps.first();
    // Every weight of the artifact is a cell, in order; every token labels a row or a column.
    const weights = await grid
      .locator('rect')
      .evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('data-weight'))));
    expect(weights).toEqual(stored.weights.flat());
    expect(await grid.locator('text').count()).toBe(stored.queryLabels.length + stored.keyLabels.length);
    expect(await grid.getAttribute('role')).toBe('img');
    expect(await grid.locator('title').first().textContent()).toMatch(
      /^Attention of example .+, layer \d+, head \d+$/,
    );
    await screenshot(page, 'evaluation');
    await expectAccessible(page);

    // The lineage graph of the evaluation: evaluation <- model version <- run <- dataset revision.
    await page.getByRole('link', { name: 'Lineage of this evaluation' }).click();
    type Lineage = {
      lineage: { nodes: { nodeId: string; createdAt: string }[]; edges: { createdAt: string }[] };
    };
    const lineage = async (asOf?: string) =>
      (
        await gql<Lineage>(
          'query($id: ID!, $asOf: DateTime) { lineage(id: $id, asOf: $asOf) { nodes { nodeId createdAt } edges { createdAt } } }',
          {
            id: `evaluation:${m.id}`,
            asOf: asOf ?? null,
          },
        )
      ).lineage;
    const now = await lineage();
    expect(now.nodes.length).toBeGreaterThanOrEqual(3);
    const graph = page.getByTestId('lineage-graph');
    await expect.poll(async () => graph.getAttribute('data-nodes')).toBe(String(now.nodes.length));
    expect(await graph.getAttribute('data-edges')).toBe(String(now.edges.length));
    expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('lineage-node').count()).toBe(now.nodes.length);
    await screenshot(page, 'lineage-now');
    await expectAccessible(page);

    // Downstream of the dataset revision, the evaluation came later: at the slider's first moment (the
    // revision's creation) the graph is the revision alone.
    const revisionNode = `dataset:${datasetId}@1`;
    await page.goto(`${baseUrl}/#/lineage/${encodeURIComponent(revisionNode)}`);
    await page.getByLabel('Direction').selectOption('DOWNSTREAM');
    const downstream = async (asOf?: string) =>
      (
        await gql<Lineage>(
          'query($id: ID!, $asOf: DateTime) { lineage(id: $id, direction: DOWNSTREAM, asOf: $asOf) { nodes { nodeId createdAt } edges { createdAt } } }',
          { id: revisionNode, asOf: asOf ?? null },
        )
      ).lineage;
    const later = await downstream();
    expect(later.nodes.map((n) => n.nodeId)).toContain(`evaluation:${m.id}`);
    await expect.poll(async () => graph.getAttribute('data-nodes')).toBe(String(later.nodes.length));
    // The slider's first position: after the revision was made, just before the next moment (less 1 ms).
    const born = new Date(later.nodes.find((n) => n.nodeId === revisionNode)!.createdAt).getTime();
    const next = Math.min(
      ...[...later.nodes, ...later.edges].map((x) => new Date(x.createdAt).getTime()).filter((t) => t > born),
    );
    const firstPosition = new Date(next - 1).toISOString();
    const then = await downstream(firstPosition);
    expect(then.nodes.map((n) => n.nodeId)).toEqual([revisionNode]);
    // As a person moves it: the keyboard's Home takes the slider to its first position.
    await page.getByLabel(/^History/).focus();
    await page.keyboard.press('Home');
    await page.waitForURL(new RegExp(`/${encodeURIComponent(firstPosition)}$`));
    await expect.poll(async () => graph.getAttribute('data-nodes')).toBe('1');
    expect(await page.getByTestId('lineage-moment').textContent()).toMatch(/^As it stood at /);
    await screenshot(page, 'lineage-as-of');
    await expectAccessible(page);
    await page.close();
  }, 240_000);
});
