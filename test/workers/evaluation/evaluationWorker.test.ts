/**
 * The evaluation worker end to end on the embedded database: two versions of a tiny model are trained by
 * the training worker (one step, and enough steps to answer), each is evaluated over GraphQL by the
 * evaluation worker, and the gate of each evaluation decides whether the version may go to production.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANONICAL_MEDIA_TYPE, LocalArtifactStore } from '../../../src/data/index.js';
import { evaluationStream } from '../../../src/domain/index.js';
import { PostgresEventStore } from '../../../src/eventstore/index.js';
import { generate, LoraAdapter, loadModel } from '../../../src/ml/index.js';
import { promptFormatByName } from '../../../src/ml/prompts/index.js';
import { loadTokenizer } from '../../../src/ml/tokenizers/index.js';
import { allProjections, ProjectionRunner } from '../../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../../src/services/index.js';
import { runWorker, trainingJobHandler, unpackTar, type WorkerHandle } from '../../../src/workers/index.js';
import { evaluationJobHandler } from '../../../src/workers/evaluation/index.js';
import { startHarness, type Harness } from '../../graphql/harness.js';
import { pgliteTarget, type TestDatabase } from '../../support/databases.js';
import { bundle, capitalRecords, writeTinyModel } from '../support.js';

const ALL_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const admin = { actor: 'ana', roles: ['admin'] };

describe('evaluation worker (pglite)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let services: Services;
  let runner: ProjectionRunner;
  let api: Harness;
  let artifacts: LocalArtifactStore;
  let modelDir: string;
  let worker: WorkerHandle;
  let judge: Server;
  let judgeUrl: string;

  beforeAll(async () => {
    database = await pgliteTarget.open();
    store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    services = createServices({ store, clock: systemClock, ids: uuidIds });
    runner = new ProjectionRunner({
      db: database.db,
      store,
      projections: allProjections,
      pollIntervalMs: 50,
    });
    runner.start();
    api = await startHarness(database, { services, projections: runner });
    const root = mkdtempSync(join(tmpdir(), 'tuneledger-eval-'));
    artifacts = new LocalArtifactStore(join(root, 'artifacts'));
    const [trainingThread, evaluationThread] = await Promise.all([
      bundle('src/workers/training/trainingThread.ts', 'trainingThread'),
      bundle('src/workers/evaluation/evaluationThread.ts', 'evaluationThread'),
    ]);
    modelDir = await writeTinyModel(join(root, 'tiny'));
    // The same four questions are the train and the eval split: the test is about wiring, not generalisation.
    const jsonl =
      capitalRecords()
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n';
    const ref = await artifacts.put(jsonl, CANONICAL_MEDIA_TYPE);
    const split = { hash: ref.hash, recordCount: 4, byteSize: ref.byteSize };
    await services.datasets.registerDataset(
      { datasetId: 'capitals', name: 'Capitals', format: 'openai-messages' },
      admin,
    );
    await services.datasets.addRevision(
      {
        datasetId: 'capitals',
        contentHash: ref.hash,
        recordCount: 4,
        byteSize: ref.byteSize,
        splits: { train: split, eval: split },
        transform: { kind: 'ingest', params: {} },
        piiReport: { counts: {} },
        qualityReport: { rejected: [] },
      },
      admin,
    );
    // A local OpenAI-compatible judge: 8/10 for every answer, except a reply that is not JSON for Peru.
    judge = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const content = body.includes('Peru') ? 'I would rather not say.' : '{"score": 8, "reason": "fine"}';
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
      });
    });
    await new Promise<void>((resolve) => judge.listen(0, '127.0.0.1', resolve));
    judgeUrl = `http://127.0.0.1:${(judge.address() as AddressInfo).port}/v1`;
    worker = runWorker({
      kinds: ['train', 'evaluate'],
      handlers: {
        train: trainingJobHandler({
          services,
          store,
          artifacts,
          threadEntry: trainingThread,
          progressBar: false,
          microBatchSize: 4,
        }),
        evaluate: evaluationJobHandler({
          services,
          store,
          artifacts,
          threadEntry: evaluationThread,
          maxTokens: 12,
          noiseTypes: 'typos,injection',
          cacheDir: join(root, 'cache'),
          judge: { model: 'judge-model', timeoutMs: 5000 },
        }),
      },
      db: database.db,
      concurrency: 1,
      // Short, so the evaluation's own lease is renewed (heartbeat every leaseMs / 3) while it runs.
      leaseMs: 3_000,
      pollMs: 100,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await runner?.stop();
    await database?.close();
    judge?.close();
  });

  const gql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await api.request<T>(query, variables);
    expect(response.errors).toBeUndefined();
    return response.data!;
  };

  const trainVersion = async (stages: unknown[], maxSteps?: number): Promise<number> => {
    const { m } = await gql<{ m: { id: string } }>(
      'mutation($input: TrainingRunRequestInput!) { m: requestTrainingRun(input: $input) { id } }',
      {
        input: {
          baseModel: { name: 'tiny', source: { kind: 'PATH', path: modelDir } },
          dataset: { id: 'capitals', revision: 1 },
          method: { kind: 'LORA', r: 16, alpha: 32, dropout: 0, targetModules: ALL_MODULES },
          stages,
          loss: { kind: 'CROSS_ENTROPY' },
          seed: 11,
          promptFormat: 'ALPACA',
          targetModel: 'capitals-tiny',
          ...(maxSteps !== undefined ? { maxSteps } : {}),
        },
      },
    );
    let version = 0;
    await expect
      .poll(
        async () => {
          const registered = (await store.readStream('model-capitals-tiny')).find(
            (e) => e.type === 'ModelVersionRegistered' && (e.data as { runId: string }).runId === m.id,
          );
          version = (registered?.data as { version: number } | undefined)?.version ?? 0;
          return version;
        },
        { timeout: 40_000, interval: 100 },
      )
      .toBeGreaterThan(0);
    return version;
  };

  const evaluate = async (version: number, gate: unknown[], judgeRef?: string) => {
    const { m } = await gql<{ m: { id: string } }>(
      'mutation($input: EvaluationRequestInput!) { m: requestEvaluation(input: $input) { id } }',
      {
        input: {
          model: { name: 'capitals-tiny', version },
          dataset: { id: 'capitals', revision: 1 },
          suites: ['EXACT_MATCH', 'F1', 'ROBUSTNESS'],
          gate,
          ...(judgeRef ? { judge: { kind: 'ENDPOINT', ref: judgeRef } } : {}),
        },
      },
    );
    type Row = {
      status: string;
      gatePassed: boolean | null;
      metrics: Record<string, number> | null;
      errorTaxonomy: Record<string, number> | null;
      artifacts: Record<string, { hash: string }> | null;
    };
    let row: Row | null = null;
    await expect
      .poll(
        async () => {
          row = (
            await gql<{ evaluation: Row | null }>(
              'query($id: ID!) { evaluation(evaluationId: $id) { status gatePassed metrics errorTaxonomy artifacts } }',
              { id: m.id },
            )
          ).evaluation;
          return row?.status;
        },
        { timeout: 40_000, interval: 100 },
      )
      .toBe('COMPLETED');
    return { evaluationId: m.id, row: row! as Row };
  };

  type Promoted = {
    promoteModelVersion: { id: string | null; userErrors: { code: string; message: string }[] };
  };
  const promote = (version: number, evaluationId: string) =>
    api.request<Promoted>(
      'mutation($v: Int!, $e: [ID!]) { promoteModelVersion(modelName: "capitals-tiny", version: $v, stage: PRODUCTION, evaluationIds: $e) { id userErrors { code message } } }',
      { v: version, e: [evaluationId] },
    );

  it('a failing gate refuses promotion to production, a passing one allows it', async () => {
    const gate = [{ metric: 'exactMatch', op: 'GTE', value: 0.75 }];
    const untrained = await trainVersion([{ name: 'one', learningRate: 1e-4, batchSize: 4, epochs: 1 }], 1);
    const trained = await trainVersion([
      { name: 'general', datasetFilter: 'all', learningRate: 1e-2, batchSize: 4, epochs: 10 },
      { name: 'domain', datasetFilter: 'domain', learningRate: 5e-3, batchSize: 4, epochs: 3 },
      { name: 'robustness', datasetFilter: 'all', learningRate: 5e-3, batchSize: 4, epochs: 4 },
    ]);

    const failing = await evaluate(untrained, gate);
    expect(failing.row.gatePassed).toBe(false);
    const failingStream = await store.readStream(evaluationStream(failing.evaluationId));
    // The worker renewed the evaluation's own lease while it ran, each time further out.
    const claim = failingStream.find((e) => e.type === 'EvaluationClaimed')!.data as { workerId: string };
    const renewals = failingStream
      .filter((e) => e.type === 'EvaluationLeaseRenewed')
      .map((e) => e.data as { workerId: string; leaseUntil: string });
    expect(renewals.length).toBeGreaterThan(0);
    expect(renewals.every((r) => r.workerId === claim.workerId)).toBe(true);
    const untils = renewals.map((r) => Date.parse(r.leaseUntil));
    expect(untils).toEqual([...untils].sort((a, b) => a - b));
    expect(failingStream.at(-1)!.type).toBe('EvaluationCompleted');
    const refused = await promote(untrained, failing.evaluationId);
    // The state refuses it: a user error of the payload (nothing recorded), not a GraphQL error.
    const refusal = refused.data!.promoteModelVersion;
    expect(refusal.id).toBeNull();
    expect(refusal.userErrors[0]).toMatchObject({ code: 'PROMOTION_NEEDS_PASSED_EVALUATION' });
    expect(refusal.userErrors[0]!.message).toMatch(/needs a passed evaluation/);

    const passing = await evaluate(trained, gate, judgeUrl);
    // The judge's malformed reply is counted, not fatal.
    expect(passing.row.metrics).toMatchObject({ judgeMalformed: 1, judgeErrors: 0, judgeMeanScore: 8 });
    // Independently: greedy answers of base + stored adapter, compared with the references by hand.
    const adapterDir = mkdtempSync(join(tmpdir(), 'adapter-'));
    const registered = (await store.readStream('model-capitals-tiny'))
      .map((e) => e.data as { version: number; artifacts: { adapter?: string } })
      .find((d) => d.version === trained)!;
    for (const [name, data] of unpackTar(await artifacts.get(registered.artifacts.adapter!)))
      writeFileSync(join(adapterDir, name), data);
    const model = loadModel(modelDir);
    model.lora = LoraAdapter.load(adapterDir, model.config);
    const tokenizer = await loadTokenizer(modelDir);
    const format = promptFormatByName('alpaca', tokenizer);
    let exact = 0;
    for (const record of capitalRecords()) {
      const prompt = format.renderPrompt(
        { system: record.messages[0]!.content, instruction: record.messages[1]!.content },
        tokenizer,
      );
      const out = generate(model, tokenizer.encode(prompt), {
        maxTokens: 12,
        stopTokenIds: tokenizer.stopIds,
      });
      const text = tokenizer.decode(out.tokens, { skipSpecialTokens: true });
      const norm = (s: string) =>
        s
          .toLowerCase()
          .replace(/[.!?,]/g, '')
          .trim();
      if (norm(text) === norm(record.messages[2]!.content)) exact++;
    }
    model.dispose();
    expect(passing.row.metrics!['exactMatch']).toBeCloseTo(exact / 4, 10);
    expect(passing.row.gatePassed).toBe(exact / 4 >= 0.75);
    expect(passing.row.errorTaxonomy!['correct']).toBe(exact);
    expect(passing.row.metrics!).toHaveProperty('robustness.typos.f1Drop');
    expect(passing.row.metrics!).toHaveProperty('robustnessDelta');

    // The artifacts are in the store: predictions (one line per example), report, heatmaps (SVG + PNG).
    const predictions = (await artifacts.get(passing.row.artifacts!['predictions']!.hash)).toString('utf8');
    expect(predictions.trim().split('\n')).toHaveLength(4);
    const heatmaps = unpackTar(await artifacts.get(passing.row.artifacts!['heatmap']!.hash));
    const names = [...heatmaps.keys()];
    expect(names.filter((n) => n.endsWith('.svg')).length).toBe(
      names.filter((n) => n.endsWith('.png')).length,
    );
    expect(names.length).toBeGreaterThan(0);
    expect(
      heatmaps
        .get(names.find((n) => n.endsWith('.png'))!)!
        .subarray(1, 4)
        .toString('ascii'),
    ).toBe('PNG');

    const allowed = await promote(trained, passing.evaluationId);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data!.promoteModelVersion.userErrors).toEqual([]);

    // A person corrects the category of one record of the failing evaluation; the taxonomy follows.
    const rows = (await artifacts.get(failing.row.artifacts!['predictions']!.hash))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; category: string });
    const relabeled = rows[0]!;
    const newCategory = relabeled.category === 'refusal' ? 'wrong' : 'refusal';
    await gql(
      'mutation($i: ID!, $l: FeedbackLabelInput!) { labelFeedback(interactionId: $i, label: $l) { id } }',
      {
        i: `eval-${failing.evaluationId}-${relabeled.id}`,
        l: { errorCategory: newCategory },
      },
    );
    type Taxonomy = {
      automatic: Record<string, number>;
      corrected: Record<string, number>;
      corrections: { recordId: string; automatic: string; corrected: string; labeler: string }[];
    };
    const { evaluationTaxonomy: taxonomy } = await gql<{ evaluationTaxonomy: Taxonomy }>(
      'query($id: ID!) { evaluationTaxonomy(evaluationId: $id) { automatic corrected corrections { recordId automatic corrected labeler } } }',
      { id: failing.evaluationId },
    );
    expect(taxonomy.automatic).toEqual(failing.row.errorTaxonomy);
    expect(taxonomy.corrections).toEqual([
      { recordId: relabeled.id, automatic: relabeled.category, corrected: newCategory, labeler: 'local' },
    ]);
    const expected = { ...failing.row.errorTaxonomy! };
    expected[relabeled.category]! -= 1;
    expected[newCategory] = (expected[newCategory] ?? 0) + 1;
    expect(taxonomy.corrected).toEqual(expected);
  }, 120_000);

  it('records EvaluationFailed with a reason when the dataset revision has no eval split', async () => {
    const ref = await artifacts.put(`${JSON.stringify(capitalRecords()[0])}\n`, CANONICAL_MEDIA_TYPE);
    await services.datasets.addRevision(
      {
        datasetId: 'capitals',
        contentHash: ref.hash,
        recordCount: 1,
        byteSize: ref.byteSize,
        splits: { train: { hash: ref.hash, recordCount: 1, byteSize: ref.byteSize } },
        transform: { kind: 'ingest', params: {} },
        piiReport: { counts: {} },
        qualityReport: { rejected: [] },
      },
      admin,
    );
    const { m } = await gql<{ m: { id: string } }>(
      'mutation($input: EvaluationRequestInput!) { m: requestEvaluation(input: $input) { id } }',
      {
        input: {
          model: { name: 'capitals-tiny', version: 1 },
          dataset: { id: 'capitals', revision: 2 },
          suites: ['F1'],
        },
      },
    );
    type Row = { status: string; failureReason: string | null };
    await expect
      .poll(
        async () =>
          (
            await gql<{ evaluation: Row | null }>(
              'query($id: ID!) { evaluation(evaluationId: $id) { status failureReason } }',
              { id: m.id },
            )
          ).evaluation,
        { timeout: 20_000, interval: 100 },
      )
      .toEqual({
        status: 'FAILED',
        failureReason: expect.stringMatching(
          /capitals revision 2 has no eval split; add a revision with an eval split/,
        ),
      });
  }, 30_000);
});
