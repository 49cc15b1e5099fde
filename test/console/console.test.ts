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
const DEPLOYMENT = 'assistant-prod';

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
}, 300_000);

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
    const health = await fetch(`${baseUrl}/health`);
    expect(health.headers.get('content-type')).toMatch(/application\/json/);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('starts a run and shows its loss curve moving live', async () => {
    const records = Array.from({ length: 24 }, (_, i) =>
      JSON.stringify({ instruction: `Repeat the word number ${i % 4}.`, input: '', output: `word ${i % 4}` }),
    ).join('\n');
    const ingested = await gql<{ ingestDataset: { datasetId: string; revision: number } }>(
      `mutation($input: DatasetIngestInput!) { ingestDataset(input: $input) { datasetId revision } }`,
      { input: { name: 'words', format: 'ALPACA', content: records, allowSmallEvalSplit: true } },
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

  it('rolls a deployment back from the console, for approvers only, and the audit report names who did it', async () => {
    // The runs below are registered by hand: no training worker may claim them.
    await demo.stopTraining();
    const baseDir = join(dir, 'serving-base');
    await writeTinyBase(baseDir);
    const adapters = [0, 0.01].map((noise, index) => {
      const adapterDir = join(dir, `adapter-${index + 1}`);
      writeAdapter(adapterDir, noise);
      return adapterDir;
    });
    const { services, artifacts } = demo.platform;
    await registerVersions(
      services,
      artifacts,
      { actor: 'eli', roles: ['engineer'] },
      {
        modelName: 'assistant',
        baseDir,
        adapters,
        datasetHash: 'a'.repeat(64),
      },
    );
    const caller: { token?: string } = {};
    const activeVersion = async () =>
      (
        await gql<{ deployment: { activeVersion: number | null } | null }>(
          `query { deployment(deploymentName: "${DEPLOYMENT}") { activeVersion } }`,
          {},
          caller.token,
        )
      ).deployment?.activeVersion;
    for (const version of [1, 2]) {
      await gql(
        `mutation($v: Int!) { requestDeployment(deploymentName: "${DEPLOYMENT}", modelName: "assistant", version: $v, environment: "production", reason: "release") { id } }`,
        { v: version },
      );
      await expect.poll(activeVersion, { timeout: 90_000 }).toBe(version);
    }
    const { tokens } = demo.platform.graphql;
    const viewer = (await tokens.create({ actor: 'vic', roles: ['viewer'], createdBy: 'test' })).token;
    const approver = (await tokens.create({ actor: 'rita', roles: ['approver'], createdBy: 'test' })).token;
    caller.token = approver;

    const asViewer = await openConsole('#/deployments', viewer);
    const card = (page: Page) => page.getByRole('article', { name: `deployment ${DEPLOYMENT}` });
    await expect.poll(async () => card(asViewer).getByTestId('active-version').textContent()).toBe('2');
    expect(await asViewer.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
    await asViewer.close();

    const page = await openConsole('#/deployments', approver);
    const deployment = card(page);
    await expect.poll(async () => deployment.getByTestId('active-version').textContent()).toBe('2');
    await deployment.getByLabel('Roll back to').selectOption('1');
    await deployment.getByLabel('Reason').fill('answers got worse after v2');
    await deployment.getByRole('button', { name: 'Roll back' }).click();
    await deployment.getByRole('status').filter({ hasText: 'Rollback to v1 requested.' }).waitFor();
    await expect.poll(activeVersion, { timeout: 90_000 }).toBe(1);
    await expect.poll(async () => deployment.getByTestId('active-version').textContent()).toBe('1');
    await screenshot(page, 'deployment-rolled-back');
    await expectAccessible(page);

    await deployment.getByRole('link', { name: 'Audit report' }).click();
    await expect
      .poll(async () => page.getByTestId('chain-verdict').textContent())
      .toMatch(/^Hash chains intact/);
    const row = page.getByRole('row').filter({ hasText: 'RollbackRequested' });
    await expect.poll(async () => row.count()).toBe(1);
    expect(await row.textContent()).toContain('rita');
    expect(await row.textContent()).toContain('answers got worse after v2');
    await screenshot(page, 'audit-report');
    await expectAccessible(page);
    await page.close();
  }, 300_000);

  it('ranks three candidates in the labeling queue and builds the preference revision from the ranking', async () => {
    const { tokens } = demo.platform.graphql;
    const engineer = (await tokens.create({ actor: 'eli', roles: ['engineer'], createdBy: 'test' })).token;
    const labeler = (await tokens.create({ actor: 'lena', roles: ['labeler'], createdBy: 'test' })).token;
    const prompt = 'What is the capital of Peru?';
    await gql(
      `mutation($p: String!, $c: [CandidateInput!]!) { generateCandidates(prompt: $p, candidates: $c) { id } }`,
      { p: prompt, c: [{ text: 'Paris.' }, { text: 'Quito.' }, { text: 'Lima.' }] },
      engineer,
    );
    await gql(
      `mutation { registerDataset(datasetId: "peru-prefs", name: "Peru preferences", format: PREFERENCE) { id } }`,
      {},
      engineer,
    );
    type Prompts = {
      preferencePrompts: {
        edges: {
          node: {
            prompt: string;
            candidates: { candidateId: string; text: string }[];
            rankings: { labeler: string; ranking: string[] }[];
          };
        }[];
      };
    };
    const readPrompt = async () =>
      (
        await gql<Prompts>(
          `query { preferencePrompts(first: 50) { edges { node { prompt candidates { candidateId text } rankings { labeler ranking } } } } }`,
          {},
          engineer,
        )
      ).preferencePrompts.edges.find((edge) => edge.node.prompt === prompt)!.node;
    const idOf = new Map((await readPrompt()).candidates.map((c) => [c.text, c.candidateId]));

    const page = await openConsole('#/labeling', labeler);
    const card = page.getByRole('article', { name: `prompt ${prompt}` });
    await card.waitFor();
    await card.getByRole('button', { name: 'move “Lima.” up' }).click();
    await card.getByRole('button', { name: 'move “Lima.” up' }).click();
    await card.getByRole('button', { name: 'move “Paris.” down' }).click();
    expect(await card.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('Lima.'),
      expect.stringContaining('Quito.'),
      expect.stringContaining('Paris.'),
    ]);
    await screenshot(page, 'labeling-ranking');
    await expectAccessible(page);
    // A labeler ranks; building datasets is an engineer's action, so it does not appear.
    expect(await page.getByRole('button', { name: 'Build revision' }).count()).toBe(0);
    await card.getByRole('button', { name: 'Save ranking' }).click();
    await card.waitFor({ state: 'detached' });
    expect((await readPrompt()).rankings).toEqual([
      { labeler: 'lena', ranking: ['Lima.', 'Quito.', 'Paris.'].map((text) => idOf.get(text)) },
    ]);
    await page.close();

    const asEngineer = await openConsole('#/labeling', engineer);
    await asEngineer.getByLabel('Preference dataset id').fill('peru-prefs');
    await asEngineer.getByRole('button', { name: 'Build revision' }).click();
    await asEngineer
      .getByRole('status')
      .filter({ hasText: 'Revision 1 of peru-prefs: 3 new pairs from 1 ranked prompts.' })
      .waitFor();
    const dataset = await gql<{ dataset: { latestRevision: number } }>(
      `query { dataset(datasetId: "peru-prefs") { latestRevision } }`,
      {},
      engineer,
    );
    expect(dataset.dataset.latestRevision).toBe(1);
    await screenshot(asEngineer, 'preference-revision');
    await expectAccessible(asEngineer);
    await asEngineer.close();
  }, 180_000);

  it('gives thumbs and a correction on a served interaction; the correction is redacted in the API and joins the next flywheel revision', async () => {
    const { tokens } = demo.platform.graphql;
    const engineer = (await tokens.create({ actor: 'eli', roles: ['engineer'], createdBy: 'test' })).token;
    const labeler = (await tokens.create({ actor: 'lena', roles: ['labeler'], createdBy: 'test' })).token;
    const viewer = (await tokens.create({ actor: 'vic', roles: ['viewer'], createdBy: 'test' })).token;
    // Served by the platform: a chat completion on the deployment the rollback left active.
    const prompt = 'Where do I send the invoice?';
    const served = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${engineer}` },
      body: JSON.stringify({
        model: DEPLOYMENT,
        messages: [{ role: 'user', content: prompt }],
        max_tokens: 4,
      }),
    });
    expect(served.status).toBe(200);
    type Interactions = { interactions: { edges: { node: { interactionId: string; prompt: string } }[] } };
    const findInteraction = async () =>
      (
        await gql<Interactions>(
          `query { interactions(first: 50) { edges { node { interactionId prompt } } } }`,
          {},
          engineer,
        )
      ).interactions.edges.find((edge) => edge.node.prompt.includes(prompt))?.node.interactionId;
    await expect.poll(findInteraction, { timeout: 30_000 }).toBeDefined();
    const interactionId = (await findInteraction())!;
    const cardName = `interaction ${interactionId}`;

    // A viewer sees the interaction, and no action on it.
    const asViewer = await openConsole('#/labeling', viewer);
    await asViewer.getByRole('article', { name: cardName }).waitFor();
    for (const action of ['Thumbs up', 'Thumbs down', 'Save correction'])
      expect(await asViewer.getByRole('button', { name: action }).count()).toBe(0);
    await asViewer.close();

    const page = await openConsole('#/labeling', labeler);
    const card = page.getByRole('article', { name: cardName });
    await card.getByRole('button', { name: 'Thumbs down' }).click();
    await card.getByRole('status').filter({ hasText: 'Thumbs down saved.' }).waitFor();
    await card
      .getByLabel('Corrected answer')
      .fill('Send it to billing at ana.pay@example.org, not to support.');
    await card.getByRole('button', { name: 'Save correction' }).click();
    await card.getByRole('status').filter({ hasText: 'Correction saved.' }).waitFor();
    await expect.poll(async () => card.getByTestId('labels').getByRole('listitem').count()).toBe(2);
    await screenshot(page, 'labeling-interaction');
    await expectAccessible(page);
    await page.close();

    type Labels = {
      interaction: {
        labels: {
          edges: {
            node: { kind: string; labeler: string; thumbsUp: boolean | null; correction: string | null };
          }[];
        };
      };
    };
    const { interaction } = await gql<Labels>(
      `query($id: ID!) { interaction(interactionId: $id) { labels { edges { node { kind labeler thumbsUp correction } } } } }`,
      { id: interactionId },
      engineer,
    );
    const labels = interaction.labels.edges.map((edge) => edge.node);
    expect(labels).toContainEqual({ kind: 'THUMBS', labeler: 'lena', thumbsUp: false, correction: null });
    const correction = labels.find((label) => label.kind === 'CORRECTION')!;
    expect(correction.labeler).toBe('lena');
    expect(correction.correction).toMatch(/^Send it to billing at .+, not to support\.$/);
    expect(correction.correction).not.toContain('ana.pay@example.org');

    // The next flywheel revision takes the corrected answer (redacted) as a new record.
    const ingested = await gql<{ ingestDataset: { datasetId: string } }>(
      `mutation($input: DatasetIngestInput!) { ingestDataset(input: $input) { datasetId } }`,
      {
        input: {
          name: 'support answers',
          format: 'ALPACA',
          content: JSON.stringify({ instruction: 'Say hello.', input: '', output: 'Hello.' }),
          allowSmallEvalSplit: true,
        },
      },
      engineer,
    );
    const flywheel = await gql<{ buildFlywheelRevision: { revision: number; corrections: number } }>(
      `mutation($input: FlywheelRevisionInput!) { buildFlywheelRevision(input: $input) { revision corrections } }`,
      { input: { datasetId: ingested.ingestDataset.datasetId, deploymentName: DEPLOYMENT } },
      engineer,
    );
    expect(flywheel.buildFlywheelRevision.corrections).toBe(1);
    type Records = {
      dataset: {
        revision: { records: { edges: { node: { messages: { role: string; content: string }[] } }[] } };
      };
    };
    const records = await gql<Records>(
      `query($id: ID!, $r: Int!) { dataset(datasetId: $id) { revision(revision: $r) { records(first: 100) { edges { node { messages { role content } } } } } } }`,
      { id: ingested.ingestDataset.datasetId, r: flywheel.buildFlywheelRevision.revision },
      engineer,
    );
    const answers = records.dataset.revision.records.edges.map((edge) => edge.node.messages.at(-1)!.content);
    expect(answers).toContain(correction.correction);
  }, 180_000);
});
