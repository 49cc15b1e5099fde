/**
 * DatasetRevision.records over GraphQL on a real database and artifact store: pages (first/after) that together
 * are the revision's artifact, record for record, with every text redacted (planted PII never appears, also a
 * kind the revision's policy kept); bad pages and cursors are BAD_USER_INPUT; the query-cost rules price it;
 * once tokens exist, reading records needs one, like the dataset itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalArtifactStore,
  readCanonicalRecords,
  redactText,
  type DatasetRecord,
} from '../../src/data/index.js';
import { graphqlEnumValueName } from '../../src/graphql/enumValueName.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds } from '../../src/services/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

const EMAIL = 'jane.roe@example.org';
const PHONE = '+1 415 555 0134';
const CARD = '4111 1111 1111 1111';
const planted = [EMAIL, PHONE, CARD, 'jane.roe', '555 0134', '1111 1111'];

const content = Array.from({ length: 23 }, (_, i) =>
  JSON.stringify(
    i % 5 === 2
      ? {
          instruction: `Write to ${EMAIL} about order ${i}.`,
          input: `Call ${PHONE}`,
          output: `Card ${CARD} noted.`,
        }
      : { instruction: `Add ${i} and ${i + 1}.`, input: '', output: String(2 * i + 1) },
  ),
).join('\n');

const recordsQuery = `query($id: ID!, $first: Int!, $after: String) {
  dataset(datasetId: $id) { revisions(first: 1) { edges { node {
    revision contentHash
    records(first: $first, after: $after) {
      edges { cursor node { index messages { role content } chosen rejected } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  } } } }
}`;

interface RecordNode {
  index: number;
  messages: { role: string; content: string }[];
  chosen: string | null;
  rejected: string | null;
}
interface RecordsAnswer {
  dataset: {
    revisions: {
      edges: {
        node: {
          contentHash: string;
          records: {
            edges: { cursor: string; node: RecordNode }[];
            pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
          };
        };
      }[];
    };
  };
}

const target = databaseTargets.at(-1)!;

describe(`DatasetRevision.records (${target.name})`, () => {
  let dir: string;
  let database: TestDatabase;
  let runner: ProjectionRunner;
  let api: Harness;
  let artifacts: LocalArtifactStore;
  let datasetId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-gql-records-'));
    database = await target.open();
    const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    runner = new ProjectionRunner({
      db: database.db,
      store,
      projections: allProjections,
      pollIntervalMs: 50,
    });
    runner.start();
    artifacts = new LocalArtifactStore(join(dir, 'artifacts'));
    api = await startHarness(database, {
      services: createServices({ store, clock: systemClock, ids: uuidIds }),
      projections: runner,
      artifacts,
    });
    // The policy keeps e-mail addresses in the artifact: the viewer must still never show one.
    const ingested = await api.request<{ m: { datasetId: string } }>(
      `mutation($input: DatasetIngestInput!) { m: ingestDataset(input: $input) { datasetId } }`,
      { input: { name: 'orders', content, piiPolicy: 'email=keep', allowSmallEvalSplit: true } },
    );
    expect(ingested.errors).toBeUndefined();
    datasetId = ingested.data!.m.datasetId;
  });
  afterAll(async () => {
    await api?.close();
    await runner?.stop();
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const page = (first: number, after?: string | null, token?: string) =>
    api.request<RecordsAnswer>(recordsQuery, { id: datasetId, first, after: after ?? null }, token);

  it('pages through the records of the artifact, in order, redacted', async () => {
    const read: RecordNode[] = [];
    let after: string | null = null;
    let pages = 0;
    let contentHash = '';
    for (;;) {
      const answer = await page(5, after);
      expect(answer.errors).toBeUndefined();
      expect(JSON.stringify(answer.data)).not.toMatch(
        new RegExp(planted.map((p) => p.replace(/[.+]/g, '\\$&')).join('|')),
      );
      const revision = answer.data!.dataset.revisions.edges[0]!.node;
      contentHash = revision.contentHash;
      const { edges, pageInfo } = revision.records;
      expect(pageInfo.hasPreviousPage).toBe(after !== null);
      read.push(...edges.map((edge) => edge.node));
      pages++;
      if (!pageInfo.hasNextPage) break;
      expect(edges).toHaveLength(5);
      after = pageInfo.endCursor;
    }
    expect(pages).toBe(5);

    const stored: DatasetRecord[] = [];
    for await (const record of readCanonicalRecords(artifacts, contentHash)) stored.push(record);
    expect(stored).toHaveLength(23);
    // The policy kept the e-mail address in the artifact; the answer never shows it.
    expect(JSON.stringify(stored)).toContain(EMAIL);
    expect(read).toEqual(
      stored.map((record, index) => ({
        index,
        messages: record.messages.map((m) => ({
          role: graphqlEnumValueName(m.role),
          content: redactText(m.content),
        })),
        chosen: null,
        rejected: null,
      })),
    );
    // Records without PII come back exactly as stored.
    expect(read[0]!.messages).toEqual(
      stored[0]!.messages.map((m) => ({ role: graphqlEnumValueName(m.role), content: m.content })),
    );
    expect(read[2]!.messages.map((m) => m.content).join(' ')).toMatch(/<EMAIL|\[EMAIL|EMAIL/);
  });

  it('answers one revision by its number, with its records; null for a revision the dataset lacks', async () => {
    const answer = await api.request<{
      dataset: { one: { revision: number; records: { edges: { node: { index: number } }[] } }; none: null };
    }>(
      `query($id: ID!) { dataset(datasetId: $id) {
        one: revision(revision: 1) { revision records(first: 2) { edges { node { index } } } }
        none: revision(revision: 9) { revision }
      } }`,
      { id: datasetId },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.dataset.one.revision).toBe(1);
    expect(answer.data!.dataset.one.records.edges.map((e) => e.node.index)).toEqual([0, 1]);
    expect(answer.data!.dataset.none).toBeNull();
    const bad = await api.request(
      `query($id: ID!) { dataset(datasetId: $id) { revision(revision: 0) { revision } } }`,
      {
        id: datasetId,
      },
    );
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('starts after any edge cursor, not only the last', async () => {
    const first = await page(4);
    const third = first.data!.dataset.revisions.edges[0]!.node.records.edges[2]!;
    const next = await page(2, third.cursor);
    expect(next.data!.dataset.revisions.edges[0]!.node.records.edges.map((e) => e.node.index)).toEqual([
      3, 4,
    ]);
  });

  it('pages backward with last and before, in order, and refuses first with last', async () => {
    const backwardQuery = `query($id: ID!, $args: Int!, $before: String, $after: String) {
      dataset(datasetId: $id) { revisions(first: 1) { edges { node {
        records(last: $args, before: $before, after: $after) {
          edges { cursor node { index } }
          pageInfo { hasNextPage hasPreviousPage startCursor }
        }
      } } } }
    }`;
    type Backward = {
      dataset: {
        revisions: {
          edges: {
            node: {
              records: {
                edges: { cursor: string; node: { index: number } }[];
                pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null };
              };
            };
          }[];
        };
      };
    };
    const read = async (last: number, before: string | null, after: string | null = null) => {
      const answer = await api.request<Backward>(backwardQuery, { id: datasetId, args: last, before, after });
      expect(answer.errors).toBeUndefined();
      return answer.data!.dataset.revisions.edges[0]!.node.records;
    };
    const indexes: number[] = [];
    let before: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const records = await read(5, before);
      indexes.unshift(...records.edges.map((edge) => edge.node.index));
      expect(records.pageInfo.hasNextPage).toBe(before !== null);
      if (!records.pageInfo.hasPreviousPage) break;
      expect(records.edges).toHaveLength(5);
      before = records.pageInfo.startCursor;
    }
    expect(indexes).toEqual(Array.from({ length: 23 }, (_, i) => i));
    const all = await page(23);
    const cursors = all.data!.dataset.revisions.edges[0]!.node.records.edges.map((edge) => edge.cursor);
    const between = await read(3, cursors[10]!, cursors[4]!);
    expect(between.edges.map((edge) => edge.node.index)).toEqual([7, 8, 9]);
    expect(between.pageInfo.hasPreviousPage).toBe(true);
    const both = await api.request(
      `query($id: ID!) { dataset(datasetId: $id) { revisions(first: 1) { edges { node { records(first: 2, last: 2) { edges { cursor } } } } } } }`,
      { id: datasetId },
    );
    expect(both.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(both.errors?.[0]?.message).toMatch(/pass first or last, not both/);
    const tooMany = await api.request(backwardQuery, { id: datasetId, args: 101, before: null, after: null });
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toMatch(/last must be an integer from 1 to 100, got 101/);
  });

  it('refuses a page size out of range and a cursor it did not make, as BAD_USER_INPUT', async () => {
    for (const first of [0, 101]) {
      const answer = await page(first);
      expect(answer.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
    for (const after of [
      'nonsense',
      Buffer.from('[-1]').toString('base64url'),
      Buffer.from('["x"]').toString('base64url'),
    ]) {
      const answer = await page(5, after);
      expect(answer.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(/not a record cursor/);
    }
  });

  it('is priced by the query-cost rules: pages of records under many revisions are refused before running', async () => {
    const answer = await api.request(
      `{ datasets(first: 100) { edges { node { revisions(first: 100) { edges { node {
          records(first: 100) { edges { node { index messages { role content } } } }
        } } } } } } }`,
    );
    expect(answer.errors?.[0]?.message).toMatch(/too expensive/);
  });

  it('needs a token once tokens exist, and any reading role will do', async () => {
    const viewer = (await api.server.tokens.create({ actor: 'val', roles: ['viewer'], createdBy: 'test' }))
      .token;
    const anonymous = await page(1);
    expect(anonymous.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const read = await page(1, null, viewer);
    expect(read.errors).toBeUndefined();
    expect(read.data!.dataset.revisions.edges[0]!.node.records.edges).toHaveLength(1);
  });
});
