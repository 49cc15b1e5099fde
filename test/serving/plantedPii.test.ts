/**
 * No PII reaches what the platform keeps: PII planted through every mutation with a free-text argument,
 * every REST route and every worker report must not be found in the events table, any read-model table,
 * any artifact or the process log.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactText } from '../../src/data/index.js';
import { eventually, startTestPlatform, type TestPlatform } from './platform.js';
import { compileGenerationThread } from './support.js';

/** One value of each kind; each is what its recogniser must see (checksums valid). */
const PLANTED = {
  email: 'zhang.wei.planted@example.com',
  phone: '13812345678',
  residentId: '11010519491231002X',
  card: '4111111111111111',
  // Bare, with no word naming them, in the forms the recognisers once missed.
  usPhone: '415.555.0199',
  landline: '(021) 62345678',
  passport: 'G12345678',
  licence: 'AB1234567',
  spacedId: '110105 19491231 002X',
  wideMobile: '１３９　８７６５　４３２１',
} as const;
const values = Object.values(PLANTED);
/** Free text carrying the first four planted values (short enough for the test model's context). */
const piiShort = (where: string) =>
  `${where}: write to ${PLANTED.email}, call ${PLANTED.phone}, ID ${PLANTED.residentId}, card ${PLANTED.card}`;
/** Free text carrying the bare forms. */
const piiBare = (where: string) =>
  `${where}: ${PLANTED.usPhone}, ${PLANTED.landline}, ${PLANTED.passport}, ${PLANTED.licence}, ${PLANTED.spacedId}, ${PLANTED.wideMobile}`;
/** Free text carrying every planted value. */
const pii = (where: string) => `${piiShort(where)}; ${piiBare(where)}`;

const DEPLOYMENT = 'planted-chat';
let platform: TestPlatform;
const logLines: string[] = [];
const tokens: Record<'admin' | 'worker' | 'labeler', string> = { admin: '', worker: '', labeler: '' };

beforeAll(async () => {
  const threadEntry = compileGenerationThread();
  const log = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  platform = await startTestPlatform(threadEntry, {
    adapters: [0, 0, 0],
    logger: pino({ level: 'debug' }, log),
  });
  for (const role of ['admin', 'worker', 'labeler'] as const) {
    tokens[role] = (
      await platform.graphql.tokens.create({ actor: `${role}-1`, roles: [role], createdBy: 'test' })
    ).token;
  }
}, 180_000);

afterAll(async () => {
  await platform?.close();
});

/** A mutation that must succeed; its payload. */
async function mutate<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<T> {
  const result = await platform.gql<T>(query, variables, token);
  expect(result.errors, query).toBeUndefined();
  return result.data!;
}

async function post(path: string, body: unknown, token: string): Promise<Response> {
  return fetch(`${platform.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Where each planted value was found: `where: value`. */
function findings(where: string, text: string): string[] {
  return values.filter((value) => text.includes(value)).map((value) => `${where}: ${value}`);
}

describe('planted PII', () => {
  it('is recognised by the redactor in every form planted here', () => {
    const text = pii('check');
    const redacted = redactText(text);
    for (const value of values) expect(redacted).not.toContain(value);
  });

  it('reaches no event, read model, artifact or log line through any mutation, REST route or worker report', async () => {
    const { engineer, approver, app } = platform.tokens;
    const { admin, worker, labeler } = tokens;
    const found: string[] = [];

    // Deployments, with free-text reasons; v2 then a rollback to v1.
    await mutate(
      `mutation($r: String) { requestDeployment(deploymentName: "${DEPLOYMENT}", modelName: "assistant", version: 1, environment: "production", reason: $r) { id } }`,
      { r: pii('deployment reason') },
      approver,
    );
    await eventually(() => platform.serving.host.active(DEPLOYMENT), 'v1 to serve');

    // REST: chat and text completions with PII in the prompt, then feedback on them.
    const chat = await post(
      '/v1/chat/completions',
      { model: DEPLOYMENT, messages: [{ role: 'user', content: piiShort('chat prompt') }], max_tokens: 4 },
      app,
    );
    expect(chat.status).toBe(200);
    const bareChat = await post(
      '/v1/chat/completions',
      { model: DEPLOYMENT, messages: [{ role: 'user', content: piiBare('chat prompt') }], max_tokens: 4 },
      app,
    );
    expect(bareChat.status).toBe(200);
    const chatId = ((await chat.json()) as { id: string }).id;
    const completion = await post(
      '/v1/completions',
      { model: DEPLOYMENT, prompt: piiShort('completion prompt'), max_tokens: 4 },
      app,
    );
    expect(completion.status).toBe(200);
    const bareCompletion = await post(
      '/v1/completions',
      { model: DEPLOYMENT, prompt: piiBare('completion prompt'), max_tokens: 4 },
      app,
    );
    expect(bareCompletion.status).toBe(200);
    const completionId = ((await completion.json()) as { id: string }).id;
    const corrected = await post(
      '/v1/feedback',
      { id: chatId, correction: pii('REST correction') },
      engineer,
    );
    expect(corrected.status).toBe(201);
    found.push(...findings('POST /v1/feedback answer', JSON.stringify(await corrected.json())));
    expect(
      (await post('/v1/feedback', { id: completionId, error_category: pii('REST category') }, app)).status,
    ).toBe(201);
    expect((await post('/v1/feedback', { id: completionId, thumbs: 'up' }, app)).status).toBe(201);

    // GraphQL labels and interactions.
    const served = chatId.replace('chatcmpl-', '');
    await mutate(
      `mutation($i: ID!, $l: FeedbackLabelInput!) { labelFeedback(interactionId: $i, label: $l) { id } }`,
      { i: served, l: { correction: pii('GraphQL correction') } },
      labeler,
    );
    await mutate(
      `mutation($i: ID!, $l: FeedbackLabelInput!) { labelFeedback(interactionId: $i, label: $l) { id } }`,
      { i: served, l: { errorCategory: pii('GraphQL category') } },
      engineer,
    );
    await mutate(
      `mutation($input: InteractionInput!) { recordInteraction(input: $input) { id } }`,
      {
        input: {
          deploymentName: DEPLOYMENT,
          model: { name: 'assistant', version: 1 },
          prompt: pii('worker interaction prompt'),
          response: pii('worker interaction response'),
          latencyMs: 5,
          tokens: { prompt: 3, completion: 2 },
        },
      },
      worker,
    );

    // Preferences.
    const candidates = await mutate<{ generateCandidates: { id: string } }>(
      `mutation($p: String!, $c: [CandidateInput!]!) { generateCandidates(prompt: $p, candidates: $c) { id eventIds } }`,
      { p: pii('candidate prompt'), c: [{ text: pii('candidate one') }, { text: pii('candidate two') }] },
      engineer,
    );
    const promptId = candidates.generateCandidates.id;
    const prompt = await platform.services.feedback.rankedPrompt(promptId);
    await mutate(
      `mutation($p: ID!, $r: [ID!]!) { rankPreference(promptId: $p, ranking: $r) { id } }`,
      { p: promptId, r: prompt!.candidates.map((c) => c.candidateId) },
      labeler,
    );

    // Datasets: registered and ingested with PII in names and content, archived with a reason.
    const registered = await mutate<{ registerDataset: { id: string } }>(
      `mutation($n: String!, $d: String, $o: String) { registerDataset(name: $n, description: $d, domain: $o, format: ALPACA) { id } }`,
      { n: pii('dataset name'), d: pii('dataset description'), o: pii('dataset domain') },
      engineer,
    );
    await mutate(
      `mutation($id: ID!, $r: String!) { archiveDataset(datasetId: $id, reason: $r) { id } }`,
      { id: registered.registerDataset.id, r: pii('archive reason') },
      admin,
    );
    const content = [1, 2, 3, 4]
      .map((n) =>
        JSON.stringify({ instruction: pii(`instruction ${n}`), input: '', output: pii(`output ${n}`) }),
      )
      .join('\n');
    const ingested = await mutate<{ ingestDataset: { datasetId: string; revision: number } }>(
      `mutation($input: DatasetIngestInput!) { ingestDataset(input: $input) { datasetId revision } }`,
      {
        input: {
          name: 'planted-qa',
          description: pii('ingest description'),
          format: 'ALPACA',
          content,
          evalFraction: 0,
          allowSmallEvalSplit: true,
        },
      },
      engineer,
    );
    const datasetId = ingested.ingestDataset.datasetId;
    const manual = await mutate<{ registerDataset: { id: string } }>(
      `mutation { registerDataset(name: "manual", format: ALPACA) { id } }`,
      {},
      engineer,
    );
    await mutate(
      `mutation($id: ID!, $input: DatasetRevisionInput!) { addDatasetRevision(datasetId: $id, input: $input) { id } }`,
      {
        id: manual.registerDataset.id,
        input: {
          contentHash: 'a'.repeat(64),
          recordCount: 1,
          byteSize: 10,
          splits: { train: { hash: 'b'.repeat(64), recordCount: 1, byteSize: 10 } },
          transform: { kind: 'MERGE', params: { note: pii('revision params') } },
          piiReport: { counts: {} },
          qualityReport: { rejected: [{ line: 1, reason: pii('rejected line') }] },
        },
      },
      engineer,
    );
    const augmentation = await mutate<{ requestAugmentation: { augmentationId: string } }>(
      `mutation($input: AugmentationRequestInput!) { requestAugmentation(input: $input) { augmentationId } }`,
      {
        input: {
          datasetId,
          revision: 1,
          lexicon: {
            name: 'symptoms',
            terms: [{ term: 'fever', category: 'symptom', attributes: { en: 'fever' } }],
          },
          templates: [
            {
              id: 'custom',
              pattern: `${pii('template')} {input} {response}`,
              response: pii('template answer'),
            },
          ],
        },
      },
      engineer,
    );
    await mutate(
      `mutation($d: ID!, $a: ID!, $r: String!) { failAugmentation(datasetId: $d, augmentationId: $a, reason: $r) { id } }`,
      { d: datasetId, a: augmentation.requestAugmentation.augmentationId, r: pii('augmentation failure') },
      worker,
    );

    // Training runs: one failed by its worker, one cancelled.
    const runInput = {
      // Not "base model name": a reference word (model, order, serial...) right before a number marks a
      // model or order number, which is kept on purpose (test/data/pii).
      baseModel: { name: pii('base checkpoint'), source: { kind: 'PATH', path: join(platform.dir, 'base') } },
      dataset: { id: datasetId, revision: 1 },
      method: { kind: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] },
      stages: [{ name: pii('stage name'), learningRate: 1e-3, batchSize: 2, epochs: 1 }],
      loss: { kind: 'CROSS_ENTROPY' },
      seed: 1,
    };
    const requestRun = async () =>
      (
        await mutate<{ requestTrainingRun: { id: string } }>(
          `mutation($input: TrainingRunRequestInput!) { requestTrainingRun(input: $input) { id } }`,
          { input: runInput },
          engineer,
        )
      ).requestTrainingRun.id;
    const failedRun = await requestRun();
    await mutate(
      `mutation($id: ID!) { claimTrainingRun(runId: $id, backend: "cpu") { id } }`,
      { id: failedRun },
      worker,
    );
    await mutate(
      `mutation($id: ID!, $r: String!) { failJob(runId: $id, reason: $r) { id } }`,
      { id: failedRun, r: pii('training failure') },
      worker,
    );
    await mutate(
      `mutation($id: ID!, $r: String!) { cancelTrainingRun(runId: $id, reason: $r) { id } }`,
      { id: await requestRun(), r: pii('cancel reason') },
      engineer,
    );

    // An evaluation failed by its worker.
    const evaluation = await mutate<{ requestEvaluation: { id: string } }>(
      `mutation($input: EvaluationRequestInput!) { requestEvaluation(input: $input) { id } }`,
      {
        input: {
          model: { name: 'assistant', version: 1 },
          dataset: { id: datasetId, revision: 1 },
          suites: ['EXACT_MATCH'],
        },
      },
      engineer,
    );
    const evaluationId = evaluation.requestEvaluation.id;
    await mutate(
      `mutation($id: ID!) { claimEvaluation(evaluationId: $id) { id } }`,
      { id: evaluationId },
      worker,
    );
    await mutate(
      `mutation($id: ID!, $r: String!) { failEvaluation(evaluationId: $id, reason: $r) { id } }`,
      { id: evaluationId, r: pii('evaluation failure') },
      worker,
    );

    // The registry: a production override, an archive note; a second deployment rolled back.
    await mutate(
      `mutation($r: String) { promoteModelVersion(modelName: "assistant", version: 2, stage: PRODUCTION, overrideReason: $r) { id } }`,
      { r: pii('override reason') },
      admin,
    );
    await mutate(
      `mutation($n: String) { archiveModelVersion(modelName: "assistant", version: 3, note: $n) { id } }`,
      { n: pii('archive note') },
      approver,
    );
    await mutate(
      `mutation($r: String) { requestDeployment(deploymentName: "${DEPLOYMENT}", modelName: "assistant", version: 2, environment: "production", reason: $r) { id } }`,
      { r: pii('second deployment') },
      approver,
    );
    await eventually(
      () => (platform.serving.host.active(DEPLOYMENT)?.model.version === 2 ? true : undefined),
      'v2 to serve',
    );
    await mutate(
      `mutation($r: String!) { requestRollback(deploymentName: "${DEPLOYMENT}", toVersion: 1, reason: $r) { id } }`,
      { r: pii('rollback reason') },
      approver,
    );
    await eventually(
      () => (platform.serving.host.active(DEPLOYMENT)?.model.version === 1 ? true : undefined),
      'the rollback to v1',
    );

    // The flywheel turns the corrections into a revision (an artifact); its report names who taught it.
    const flywheel = await mutate<{ buildFlywheelRevision: { revision: number; corrections: number } }>(
      `mutation($input: FlywheelRevisionInput!) { buildFlywheelRevision(input: $input) { revision corrections } }`,
      { input: { datasetId, deploymentName: DEPLOYMENT } },
      engineer,
    );
    expect(flywheel.buildFlywheelRevision.corrections).toBe(1);
    // Its report says who taught the model: the labeler's correction, the latest on that answer, won.
    const added = (await platform.store.readStream(`dataset-${datasetId}`)).findLast(
      (event) => event.type === 'DatasetRevisionAdded',
    );
    expect((added!.data as { transform: { params: unknown } }).transform.params).toMatchObject({
      correctionRoles: { [served]: 'labeler' },
    });
    await platform.serving.recorder.flush();

    // The scan: every event, every table of the public schema, every artifact, every log line.
    // Each row whole, as text: data and metadata (actor, correlation, causation) alike.
    const events = await sql<{ row: string }>`SELECT events::text AS row FROM events`.execute(
      platform.database.db,
    );
    expect(events.rows.length).toBeGreaterThan(40);
    for (const { row } of events.rows) found.push(...findings('events', row));
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`.execute(
      platform.database.db,
    );
    expect(tables.rows.length).toBeGreaterThan(5);
    for (const { table_name: table } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}`.execute(
        platform.database.db,
      );
      found.push(...findings(`table ${table}`, JSON.stringify(rows.rows)));
    }
    const artifacts = filesUnder(join(platform.dir, 'artifacts'));
    expect(artifacts.length).toBeGreaterThan(3);
    for (const file of artifacts) {
      const bytes = readFileSync(file);
      const text =
        bytes[0] === 0x1f && bytes[1] === 0x8b
          ? gunzipSync(bytes).toString('latin1')
          : bytes.toString('latin1');
      found.push(...findings(`artifact ${file}`, text));
    }
    expect(logLines.length).toBeGreaterThan(0);
    found.push(...findings('process log', logLines.join('')));
    expect(found).toEqual([]);
  });
});
