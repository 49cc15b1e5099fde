import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  getIntrospectionQuery,
  validate,
  type DocumentNode,
  type IntrospectionQuery,
} from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { startPlatform, type Platform } from '../../src/app/platform.js';
import * as client from '../../src/client/index.js';
import { docsOperations, type DocsOperation } from '../../tools/docsOperations.js';
import { clientFiles, GENERATED_DIR } from '../../tools/generateClient.js';
import { compileGenerationThread } from '../serving/support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const operations = docsOperations(root);

/** Variables for the operations the manuals show with variables (a new one needs its entry here). */
const records = Array.from({ length: 40 }, (_, i) =>
  JSON.stringify({ instruction: `Name ${i + 2} symptoms of influenza`, output: 'fever, cough' }),
).join('\n');
const FIXTURES: Record<string, Record<string, unknown>> = {
  DataIngestDataset: { content: records },
  DataRequestAugmentation: { lexicon: { terms: [{ term: 'influenza', alternatives: ['flu'] }] } },
  GraphqlRequestTrainingRun: {
    input: {
      baseModel: { name: 'tiny', source: { kind: 'PATH', path: '/models/tiny' } },
      dataset: { id: 'unknown', revision: 1 },
    },
  },
  // A global id of a run that does not exist: node(id:) answers null.
  GraphqlNode: { id: Buffer.from('TrainingRun:unknown').toString('base64url') },
  // Backward paging from the end of the list (no cursor yet).
  GraphqlRuns3: { before: null },
  TrainingRequestTrainingRun: {
    input: {
      baseModel: { name: 'tiny', source: { kind: 'PATH', path: '/models/tiny' } },
      dataset: { id: 'unknown', revision: 1 },
    },
  },
};

/** Codes with which a server refuses an operation before running it: the document or its variables are wrong. */
const REFUSED_UNRUN = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST']);

describe('the typed client in src/client', () => {
  it('is up to date with schema.graphql and the GraphQL in README.md and docs/ (regenerate: npm run client)', async () => {
    const expected = await clientFiles(root);
    const stale = expected.filter(
      (file) =>
        !existsSync(join(root, file.path)) || readFileSync(join(root, file.path), 'utf8') !== file.content,
    );
    const generatedOnDisk = readdirSync(join(root, GENERATED_DIR)).map((name) => `${GENERATED_DIR}${name}`);
    const extra = generatedOnDisk.filter((path) => !expected.some((file) => file.path === path));
    expect(
      [...stale.map((file) => `${file.path} differs`), ...extra.map((path) => `${path} is not generated`)],
      'src/client is stale: run `npm run client` and commit the result',
    ).toEqual([]);
  }, 60_000);

  it('holds an operation for every one the manuals show, named where each is shown', () => {
    expect(operations.length).toBeGreaterThan(15);
    const missing = operations
      .filter((op) => !(`${op.name}Document` in client))
      .map((op) => `${op.name} (${op.shownAt})`);
    expect(missing).toEqual([]);
    expect(readFileSync(join(root, 'src/client/operations.graphql'), 'utf8')).toContain(
      '# docs/graphql.md\n',
    );
  });
});

describe('every GraphQL operation in README.md and docs/, through the typed client, on a real platform (PGlite)', () => {
  let platform: Platform;
  let dataDir: string;
  let url: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tuneledger-client-'));
    platform = await startPlatform(
      loadConfig({
        PORT: '0',
        TUNELEDGER_WORKERS: 'none',
        TUNELEDGER_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      }),
      {
        logger: pino({ level: 'silent' }),
        serving: { pool: { threads: 1, threadEntry: compileGenerationThread() } },
      },
    );
    url = platform.graphql.url;
  }, 180_000);
  afterAll(async () => {
    await platform?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const documentOf = (op: DocsOperation) =>
    (client as unknown as Record<string, DocumentNode>)[`${op.name}Document`]!;
  // Mutations first, so the queries after them read what they recorded.
  const runnable = [
    ...operations.filter((op) => op.kind === 'mutation'),
    ...operations.filter((op) => op.kind === 'query'),
  ];

  it.each(runnable.map((op) => [`${op.name} (${op.shownAt})`, op] as const))(
    '%s runs: the server executes it (its answer may be a domain error, never a refused document)',
    async (_, op) => {
      const variables = FIXTURES[op.name];
      const declared = documentOf(op).definitions.some(
        (d) => d.kind === 'OperationDefinition' && (d.variableDefinitions?.length ?? 0) > 0,
      );
      expect(declared && !variables, `${op.name} declares variables: add them to FIXTURES`).toBe(false);
      const result = await (client.execute as (...args: unknown[]) => Promise<client.GraphqlResult<unknown>>)(
        { url },
        documentOf(op),
        variables,
      );
      const refusals = (result.errors ?? []).filter(
        (error) => REFUSED_UNRUN.has(error.extensions?.code ?? '') || /^Variable "\$/.test(error.message),
      );
      expect(refusals, JSON.stringify(result.errors)).toEqual([]);
      expect(result.status, JSON.stringify(result.errors)).toBe(200);
      expect(result.data === undefined, 'an operation that ran answers a data key').toBe(false);
    },
  );

  it('types the answers: the dataset the manuals ingest is listed by the README query', async () => {
    const listed = await client.execute({ url }, client.ReadmeDatasetsDocument);
    const names: string[] = listed.data?.datasets.edges.map((edge) => edge.node.name) ?? [];
    expect(names).toContain('medical-qa');
  });

  it('validates the subscriptions the manuals show against the live schema (introspected over HTTP)', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery() }),
    });
    const { data } = (await response.json()) as { data: IntrospectionQuery };
    const schema = buildClientSchema(data);
    const subscriptions = operations.filter((op) => op.kind === 'subscription');
    expect(subscriptions.length).toBeGreaterThan(0);
    for (const op of subscriptions) {
      expect(validate(schema, documentOf(op)).map((e) => `${op.shownAt}: ${e.message}`)).toEqual([]);
    }
  });
});
