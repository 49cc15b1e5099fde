/**
 * docs/workers.md's worked example, run as written: each GraphQL document of its "Worked example" section in
 * order, with a worker token, and the artifact downloads and uploads between them over HTTP. If the manual
 * and the API part ways, this fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { requestRun } from '../support/lifecycle.js';
import { startHarness, type Harness } from './harness.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ana = { actor: 'ana', roles: ['admin'] };

/** The ```graphql blocks of the manual's worked example, in order. */
async function workedExample(): Promise<string[]> {
  const manual = await readFile(new URL('../../docs/workers.md', import.meta.url), 'utf8');
  const start = manual.indexOf('## Worked example');
  const end = manual.indexOf('\n## ', start + 1);
  const section = manual.slice(start, end);
  return [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('docs/workers.md: the worked example', () => {
  let database: TestDatabase;
  let api: Harness;
  let runner: ProjectionRunner;
  let services: Services;
  let root: string;
  let token: string;
  const train = Buffer.from('{"instruction":"2+2?","output":"4"}\n'.repeat(20));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tl-protocol-'));
    database = await pgliteTarget.open();
    const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    services = createServices({ store, clock: systemClock, ids: uuidIds, baseModelCheck: async () => true });
    runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
    runner.start();
    const artifacts = new LocalArtifactStore(root);
    api = await startHarness(database, { services, projections: runner, artifacts });
    token = (await api.server.tokens.create({ actor: 'gpu-box-1', roles: ['worker'], createdBy: 'test' }))
      .token;
    const trainRef = await artifacts.put(train, 'application/jsonl');
    const split = { hash: trainRef.hash, recordCount: 20, byteSize: train.length };
    await services.datasets.registerDataset({ datasetId: 'qa', name: 'QA', format: 'alpaca' }, ana);
    await services.datasets.addRevision(
      {
        datasetId: 'qa',
        contentHash: trainRef.hash,
        recordCount: 20,
        byteSize: train.length,
        splits: { train: split, eval: split },
        transform: { kind: 'ingest', params: {} },
        piiReport: { counts: {} },
        qualityReport: { rejected: [] },
      },
      ana,
    );
    await requestRun(services, 'run-42', 'qa', ana);
  });
  afterAll(async () => {
    await api?.close();
    await runner?.stop();
    await database?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('runs from the queued job to the completed run, as the manual says', async () => {
    const documents = await workedExample();
    expect(documents.map((document) => /^(query|mutation) (\w+)/.exec(document)?.[2])).toEqual([
      'Work',
      'Claim',
      'Inputs',
      'Stage',
      'Progress',
      'Heartbeat',
      'Checkpoint',
      'Complete',
    ]);
    const values: Record<string, string> = {};
    const run = async (document: string, variables: Record<string, unknown> = {}) => {
      let text = document;
      for (const [name, value] of Object.entries(values)) text = text.replaceAll(name, value);
      const answer = await api.request<Record<string, unknown>>(text, variables, token);
      expect(answer.errors, `${text}\n${JSON.stringify(answer.errors)}`).toBeUndefined();
      return answer.data!;
    };
    const artifact = (hash: string, init: RequestInit = {}) =>
      fetch(new URL(`/artifacts/${hash}`, api.server.url), {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
      });

    await expect.poll(async () => JSON.stringify(await run(documents[0]!))).toContain('run-42');
    const work = (await run(documents[0]!)) as {
      jobs: { edges: { node: { payload: { runId: string; dataset: { id: string } } } }[] };
    };
    const payload = work.jobs.edges[0]!.node.payload;
    values.RUN_ID = payload.runId;
    values.DATASET_ID = payload.dataset.id;

    await run(documents[1]!);
    const inputs = (await run(documents[2]!)) as {
      dataset: { revisions: { edges: { node: { splits: { train: { hash: string } } } }[] } };
    };
    const trainHash = inputs.dataset.revisions.edges[0]!.node.splits.train.hash;
    // The lease is recorded by the jobs projection before the worker may download.
    await expect.poll(async () => (await artifact(trainHash)).status).toBe(200);
    const downloaded = Buffer.from(await (await artifact(trainHash)).arrayBuffer());
    expect(sha256(downloaded)).toBe(trainHash);

    await run(documents[3]!);
    await run(documents[4]!);
    await run(documents[5]!);

    const checkpoint = randomBytes(2048);
    const putCheckpoint = await artifact(sha256(checkpoint), { method: 'PUT', body: checkpoint });
    expect(putCheckpoint.status).toBe(201);
    values.CHECKPOINT_SHA256 = sha256(checkpoint);
    await run(documents[6]!);

    const adapter = randomBytes(4096);
    expect((await artifact(sha256(adapter), { method: 'PUT', body: adapter })).status).toBe(201);
    values.ADAPTER_SHA256 = sha256(adapter);
    const completed = (await run(documents[7]!)) as {
      completeJob: { eventTypes: string[] };
    };
    expect(completed.completeJob.eventTypes).toContain('TrainingRunCompleted');

    // The checkpoint and the adapter are now cited, so a viewer (an auditor) may fetch them.
    const viewer = (await api.server.tokens.create({ actor: 'vic', roles: ['viewer'], createdBy: 'test' }))
      .token;
    const audited = await fetch(new URL(`/artifacts/${sha256(adapter)}`, api.server.url), {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(Buffer.from(await audited.arrayBuffer()).equals(adapter)).toBe(true);
  });
});
